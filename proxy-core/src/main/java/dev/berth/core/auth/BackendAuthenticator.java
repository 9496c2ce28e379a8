package dev.berth.core.auth;

import com.ongres.scram.client.ScramClient;
import com.ongres.scram.common.ServerFirstMessage;
import com.ongres.scram.common.StringPreparation;
import com.ongres.scram.common.exception.ScramException;
import dev.berth.core.protocol.MessageType;
import dev.berth.core.protocol.Messages;
import dev.berth.core.protocol.ProtocolException;
import dev.berth.core.protocol.SqlState;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;

/**
 * Berth's client side of a server's authentication requests: trust, cleartext, md5 and SCRAM-SHA-256
 * (with a password, or by passthrough of a client's ClientKey). The SCRAM messages come from
 * com.ongres.scram's client.
 */
public final class BackendAuthenticator {
    private final BackendCredentials credentials;
    private ScramClient scram;

    public BackendAuthenticator(BackendCredentials credentials) {
        this.credentials = credentials;
    }

    /**
     * Answers one framed Authentication ('R') message. Returns the response to send, or null when none
     * is due (AuthenticationOk, or a verified SASL final).
     */
    public ByteBuf onAuthenticationRequest(ByteBufAllocator alloc, ByteBuf frame) throws AuthException {
        try {
            return answer(alloc, Messages.payload(frame));
        } catch (IndexOutOfBoundsException | ProtocolException e) {
            throw new AuthException(SqlState.PROTOCOL_VIOLATION,
                    "malformed authentication request from the server: " + e.getMessage());
        } catch (IllegalStateException e) {
            // the SCRAM client's own check: a SASL step sent out of order (e.g. SASLFinal before SASLContinue)
            throw new AuthException(SqlState.PROTOCOL_VIOLATION,
                    "authentication request from the server out of order: " + e.getMessage());
        }
    }

    private ByteBuf answer(ByteBufAllocator alloc, ByteBuf payload) throws AuthException {
        int code = payload.readInt();
        switch (code) {
            case MessageType.AUTH_OK:
                return null;
            case MessageType.AUTH_CLEARTEXT_PASSWORD:
                if (credentials.password() == null) {
                    throw missing("a cleartext password");
                }
                return Messages.passwordMessage(alloc, credentials.password());
            case MessageType.AUTH_MD5_PASSWORD: {
                byte[] salt = new byte[4];
                payload.readBytes(salt);
                String stored = credentials.md5Hash() != null ? credentials.md5Hash()
                        : credentials.password() != null ? Md5.storedHash(credentials.password(), credentials.user()) : null;
                if (stored == null) {
                    throw missing("an md5 password");
                }
                return Messages.passwordMessage(alloc, Md5.response(stored, salt));
            }
            case MessageType.AUTH_SASL:
                return startScram(alloc, payload);
            case MessageType.AUTH_SASL_CONTINUE:
                return continueScram(alloc, payload.toString(StandardCharsets.UTF_8));
            case MessageType.AUTH_SASL_FINAL:
                finishScram(payload.toString(StandardCharsets.UTF_8));
                return null;
            default:
                throw new AuthException(SqlState.FEATURE_NOT_SUPPORTED,
                        "server requested authentication method " + code + ", which Berth does not support (use trust, password, md5 or scram-sha-256 in pg_hba.conf)");
        }
    }

    private ByteBuf startScram(ByteBufAllocator alloc, ByteBuf payload) throws AuthException {
        List<String> mechanisms = new ArrayList<>();
        while (payload.isReadable()) {
            String mechanism = Messages.readCString(payload);
            if (mechanism.isEmpty()) {
                break;
            }
            mechanisms.add(mechanism);
        }
        if (!mechanisms.contains(ScramServerExchange.MECHANISM)) {
            throw new AuthException(SqlState.FEATURE_NOT_SUPPORTED, "server offers SASL mechanisms " + mechanisms + " but not SCRAM-SHA-256");
        }
        ScramClient.PasswordBuildStage stage = ScramClient.builder()
                .advertisedMechanisms(List.of(ScramServerExchange.MECHANISM))
                .username("*");
        ScramClient.FinalBuildStage ready;
        if (credentials.password() != null) {
            ready = stage.password(credentials.password().toCharArray());
        } else if (credentials.scramClientKey() != null && credentials.scramSecret() != null) {
            ready = stage.clientAndServerKey(credentials.scramClientKey(), credentials.scramSecret().serverKey());
        } else {
            throw missing(credentials.scramSecret() != null
                    ? "SCRAM keys, which Berth learns from this user's first SCRAM login to Berth"
                    : "a SCRAM-SHA-256 password");
        }
        scram = ready.stringPreparation(StringPreparation.POSTGRESQL_PREPARATION).build();
        return Messages.saslInitialResponse(alloc, ScramServerExchange.MECHANISM, scram.clientFirstMessage().toString());
    }

    private ByteBuf continueScram(ByteBufAllocator alloc, String serverFirst) throws AuthException {
        if (scram == null) {
            throw new AuthException(SqlState.PROTOCOL_VIOLATION, "server sent SASLContinue before SASL");
        }
        try {
            ServerFirstMessage first = scram.serverFirstMessage(serverFirst);
            Secret.Scram stored = credentials.scramSecret();
            if (credentials.password() == null && stored != null
                    && (first.getIterationCount() != stored.iterations()
                    || !Arrays.equals(Base64.getDecoder().decode(first.getSalt()), stored.salt()))) {
                throw new AuthException(SqlState.INVALID_PASSWORD, "SCRAM passthrough for user \"" + credentials.user()
                        + "\" is impossible: the server's SCRAM secret (salt, iterations) differs from the auth file's;"
                        + " copy the secret from pg_authid into the auth file");
            }
            return Messages.saslResponse(alloc, scram.clientFinalMessage().toString());
        } catch (ScramException | IllegalArgumentException e) {
            throw new AuthException(SqlState.PROTOCOL_VIOLATION, "invalid SCRAM message from server: " + e.getMessage());
        }
    }

    private void finishScram(String serverFinal) throws AuthException {
        if (scram == null) {
            throw new AuthException(SqlState.PROTOCOL_VIOLATION, "server sent SASLFinal before SASL");
        }
        try {
            scram.serverFinalMessage(serverFinal);
        } catch (ScramException e) {
            throw new AuthException(SqlState.INVALID_PASSWORD, "server's SCRAM signature is invalid: " + e.getMessage());
        }
    }

    private AuthException missing(String what) {
        return new AuthException(SqlState.INVALID_PASSWORD, "server asks for " + what + " for user \""
                + credentials.user() + "\", and Berth has none (give it in --backend or in the auth file)");
    }
}
