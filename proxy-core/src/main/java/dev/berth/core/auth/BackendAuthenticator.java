package dev.berth.core.auth;

import com.ongres.scram.client.ScramClient;
import com.ongres.scram.common.ServerFirstMessage;
import com.ongres.scram.common.StringPreparation;
import com.ongres.scram.common.exception.ScramException;
import com.ongres.scram.common.util.TlsServerEndpoint;
import dev.berth.core.config.BackendTls.ChannelBinding;
import dev.berth.core.protocol.MessageType;
import dev.berth.core.protocol.Messages;
import dev.berth.core.protocol.ProtocolException;
import dev.berth.core.protocol.SqlState;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;

/**
 * Berth's client side of a server's authentication requests: trust, cleartext, md5 and SCRAM-SHA-256
 * (with a password, or by passthrough of a client's ClientKey), over TLS SCRAM-SHA-256-PLUS bound to the
 * server's certificate as libpq's channel_binding says. The SCRAM messages and the tls-server-end-point
 * hash come from com.ongres.scram's client.
 */
public final class BackendAuthenticator {
    private static final String PLUS = ScramServerExchange.MECHANISM + "-PLUS";

    private final BackendCredentials credentials;
    private final ChannelBinding channelBinding;
    private boolean tls;
    private X509Certificate serverCertificate;
    private ScramClient scram;
    private boolean bound;
    /** The server's SCRAM signature checked out (SASLFinal): it knows the secret. */
    private boolean serverVerified;

    public BackendAuthenticator(BackendCredentials credentials) {
        this(credentials, ChannelBinding.PREFER);
    }

    public BackendAuthenticator(BackendCredentials credentials, ChannelBinding channelBinding) {
        this.credentials = credentials;
        this.channelBinding = channelBinding;
    }

    /** The connection is TLS; {@code certificate}: the server's (null if it sent no X.509 one). */
    public void tlsEstablished(X509Certificate certificate) {
        tls = true;
        serverCertificate = certificate;
    }

    /** Whether the login was bound to the TLS channel (SCRAM-SHA-256-PLUS, verified). */
    public boolean channelBound() {
        return bound;
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
                if (scram != null && !serverVerified) {
                    // SCRAM is mutual: a server that skips its proof may not know the secret at all (an impostor)
                    throw new AuthException(SqlState.PROTOCOL_VIOLATION, "server sent AuthenticationOk before completing"
                            + " the SCRAM exchange: it did not prove that it knows the password");
                }
                if (channelBinding == ChannelBinding.REQUIRE && !bound) {
                    throw bindingRequired("channel binding required, but server authenticated client without channel binding");
                }
                return null;
            case MessageType.AUTH_CLEARTEXT_PASSWORD:
                requireNoBinding("a cleartext password");
                if (credentials.password() == null) {
                    throw missing("a cleartext password");
                }
                return Messages.passwordMessage(alloc, credentials.password());
            case MessageType.AUTH_MD5_PASSWORD: {
                requireNoBinding("an md5 password");
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
        boolean plus = channelBinding != ChannelBinding.DISABLE && tls && mechanisms.contains(PLUS);
        if (channelBinding == ChannelBinding.REQUIRE && !tls) {
            throw bindingRequired("channel binding required, but SSL not in use");
        }
        if (channelBinding == ChannelBinding.REQUIRE && !plus) {
            throw bindingRequired("channel binding is required, but server did not offer an authentication method that"
                    + " supports channel binding (it offers " + mechanisms + ")");
        }
        if (!plus && !mechanisms.contains(ScramServerExchange.MECHANISM)) {
            throw new AuthException(SqlState.FEATURE_NOT_SUPPORTED, "server offers SASL mechanisms " + mechanisms + " but not SCRAM-SHA-256");
        }
        ScramClient.PasswordBuildStage stage = ScramClient.builder()
                .advertisedMechanisms(plus ? List.of(ScramServerExchange.MECHANISM, PLUS) : List.of(ScramServerExchange.MECHANISM))
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
        if (tls && channelBinding != ChannelBinding.DISABLE) {
            // over TLS the client says it can bind ("y" when the server offers no PLUS, which exposes a downgrade)
            byte[] data = endPointHash();
            ready = ready.channelBinding(TlsServerEndpoint.TLS_SERVER_END_POINT, data);
            if (data == null && channelBinding == ChannelBinding.REQUIRE) {
                throw bindingRequired("channel binding is required, but the server's certificate cannot be hashed for"
                        + " tls-server-end-point");
            }
        }
        scram = ready.stringPreparation(StringPreparation.POSTGRESQL_PREPARATION).build();
        return Messages.saslInitialResponse(alloc, scram.getScramMechanism().getName(), scram.clientFirstMessage().toString());
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
                        + "\" is impossible: the server's SCRAM secret (salt, iterations) " + origin().scramMismatch());
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
            serverVerified = true;
            bound = scram.getScramMechanism().isPlus();
        } catch (ScramException e) {
            throw new AuthException(SqlState.INVALID_PASSWORD, "server's SCRAM signature is invalid: " + e.getMessage());
        }
    }

    /** RFC 5929's hash of the server's certificate; null when there is none or its signature algorithm is unknown. */
    private byte[] endPointHash() {
        if (serverCertificate == null) {
            return null;
        }
        try {
            byte[] hash = TlsServerEndpoint.getChannelBindingData(serverCertificate);
            return hash.length == 0 ? null : hash;
        } catch (CertificateEncodingException | RuntimeException e) {
            return null;
        }
    }

    private void requireNoBinding(String method) throws AuthException {
        if (channelBinding == ChannelBinding.REQUIRE) {
            throw bindingRequired("channel binding required but not supported by server's authentication request (it asks for "
                    + method + ")");
        }
    }

    /** libpq's words, and the setting that asked for it: the login fails as a connection failure. */
    private static AuthException bindingRequired(String libpqMessage) {
        return new AuthException(SqlState.CONNECTION_FAILURE, libpqMessage + "; channel_binding=require in the backend URL"
                + " or [databases] line");
    }

    private AuthException missing(String what) {
        String held = credentials.scramSecret() != null ? "a SCRAM secret" : credentials.md5Hash() != null ? "an md5 hash" : null;
        String hint = held == null ? "give it in --backend or in the auth file" : origin().missingHint(held);
        return new AuthException(SqlState.INVALID_PASSWORD, "server asks for " + what + " for user \""
                + credentials.user() + "\", and Berth has none (" + hint + ")");
    }

    private SecretOrigin origin() {
        return credentials.origin() != null ? credentials.origin() : SecretOrigin.AUTH_FILE;
    }
}
