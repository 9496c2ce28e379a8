package dev.berth.core.auth;

import com.ongres.scram.common.ScramFunctions;
import dev.berth.core.protocol.MessageType;
import dev.berth.core.protocol.Messages;
import dev.berth.core.protocol.SqlState;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * The login conversation with one client, from the first challenge to AuthenticationOk or failure.
 * It only decides; the caller writes the messages it returns. Unknown users and wrong passwords get the
 * same answer, as from PostgreSQL; the log reason tells them apart for the operator.
 */
public final class ClientAuthenticator {

    /** What to do next. */
    public sealed interface Step { }

    /** Send this message and wait for the client's next PasswordMessage. */
    public record Challenge(ByteBuf message) implements Step { }

    /** The client is authenticated. {@code finalMessage} (SASL final) goes before AuthenticationOk when set. */
    public record Success(ByteBuf finalMessage, byte[] scramClientKey) implements Step { }

    /** The login fails with this SQLSTATE and message; {@code logReason} is for the log only. */
    public record Failure(String sqlState, String message, String logReason) implements Step { }

    /**
     * The next step needs a key derivation, which runs on the derivation executor, never on the caller's
     * event loop: go on with {@code next} when it completes (on the caller's loop again).
     */
    public record Pending(CompletableFuture<Step> next) implements Step { }

    private enum State { START, CLEARTEXT, MD5, SASL_INITIAL, SASL_FINAL, DONE }

    private final AuthType type;
    private final Secret secret;
    private final SecretOrigin origin;
    private final boolean usersListed;
    private final String user;
    private final SecureRandom random;
    private final byte[] unknownUserKey;
    private final boolean unknownAsScram;
    private final Executor derivation;
    private State state = State.START;
    private byte[] md5Salt;
    private ScramServerExchange scram;

    /**
     * @param secret         the user's secret as the {@link SecretSource} gave it, null for an unknown user
     * @param origin         where the secret came from, or where it was looked for: named in log reasons
     * @param usersListed    whether there is a source of users at all: {@link AuthType#TRUST} without one accepts every user
     * @param unknownUserKey a per-process secret from which fake SCRAM salts for unknown users are derived
     * @param unknownAsScram under md5, answer an unknown user with SCRAM ({@link SecretSource#mostUsersHaveScramSecrets})
     * @param derivation     where key derivations run (see {@link KeyDerivation})
     */
    public ClientAuthenticator(AuthType type, Secret secret, SecretOrigin origin, boolean usersListed, String user,
                               SecureRandom random, byte[] unknownUserKey, boolean unknownAsScram, Executor derivation) {
        this.type = type;
        this.secret = secret;
        this.origin = origin;
        this.usersListed = usersListed;
        this.user = user;
        this.random = random;
        this.unknownUserKey = unknownUserKey;
        this.unknownAsScram = unknownAsScram;
        this.derivation = derivation;
    }

    public Step start(ByteBufAllocator alloc) {
        switch (type) {
            case TRUST:
                state = State.DONE;
                if (usersListed && secret == null) {
                    return new Failure(SqlState.INVALID_AUTHORIZATION, "no such user \"" + user + "\"", origin.unknownUser());
                }
                return new Success(null, null);
            case PLAIN:
                state = State.CLEARTEXT;
                return new Challenge(Messages.AUTHENTICATION_CLEARTEXT.duplicate());
            case MD5:
                // like PostgreSQL: a SCRAM secret is checked by SCRAM, and an unknown user gets what most users get
                if (!(secret instanceof Secret.Scram) && (secret != null || !unknownAsScram)) {
                    state = State.MD5;
                    md5Salt = new byte[4];
                    random.nextBytes(md5Salt);
                    return new Challenge(Messages.authenticationMd5(alloc, md5Salt));
                }
                return startScram(alloc, secret);
            case SCRAM_SHA_256:
            default:
                return startScram(alloc, secret);
        }
    }

    private Step startScram(ByteBufAllocator alloc, Secret secret) {
        if (secret instanceof Secret.Scram s) {
            scram = ScramServerExchange.forSecret(s);
        } else if (secret instanceof Secret.Plain p && p.scram() != null && !p.password().isEmpty()) {
            scram = ScramServerExchange.forSecret(p.scram());
        } else if (secret instanceof Secret.Plain p && !p.password().isEmpty()) {
            // a source that gave no SCRAM secret for the password: derive one, off the event loop
            return new Pending(KeyDerivation.async(() -> {
                scram = ScramServerExchange.forPassword(p.password(), random);
                state = State.SASL_INITIAL;
                return new Challenge(Messages.authenticationSasl(alloc, ScramServerExchange.MECHANISM));
            }, derivation));
        } else {
            scram = ScramServerExchange.forUnknownUser(user, unknownUserKey);
        }
        state = State.SASL_INITIAL;
        return new Challenge(Messages.authenticationSasl(alloc, ScramServerExchange.MECHANISM));
    }

    /** Handles a framed PasswordMessage / SASLInitialResponse / SASLResponse ('p'). */
    public Step onPasswordMessage(ByteBufAllocator alloc, ByteBuf frame) {
        if (MessageType.of(frame) != MessageType.PASSWORD) {
            state = State.DONE;
            return new Failure(SqlState.PROTOCOL_VIOLATION,
                    "expected a password message, got message type '" + (char) MessageType.of(frame) + "'", "protocol violation during login");
        }
        ByteBuf payload = Messages.payload(frame);
        try {
            switch (state) {
                case CLEARTEXT:
                    state = State.DONE;
                    return checkCleartext(Messages.readCString(payload), secret);
                case MD5:
                    state = State.DONE;
                    return checkMd5(Messages.readCString(payload), secret);
                case SASL_INITIAL: {
                    String mechanism = Messages.readCString(payload);
                    if (!ScramServerExchange.MECHANISM.equals(mechanism)) {
                        state = State.DONE;
                        return new Failure(SqlState.PROTOCOL_VIOLATION,
                                "SASL authentication mechanism \"" + mechanism + "\" is not supported; use SCRAM-SHA-256", "bad SASL mechanism");
                    }
                    int length = payload.readInt();
                    if (length < 0 || length > payload.readableBytes()) {
                        throw AuthException.protocol("malformed SASLInitialResponse");
                    }
                    String clientFirst = payload.toString(payload.readerIndex(), length, StandardCharsets.UTF_8);
                    String serverFirst = scram.onClientFirst(clientFirst, random);
                    state = State.SASL_FINAL;
                    return new Challenge(Messages.authenticationSaslData(alloc, MessageType.AUTH_SASL_CONTINUE, serverFirst));
                }
                case SASL_FINAL: {
                    state = State.DONE;
                    String clientFinal = payload.toString(StandardCharsets.UTF_8);
                    ScramServerExchange.Result result = scram.onClientFinal(clientFinal);
                    return new Success(Messages.authenticationSaslData(alloc, MessageType.AUTH_SASL_FINAL, result.serverFinal()),
                            result.clientKey());
                }
                default:
                    state = State.DONE;
                    return new Failure(SqlState.PROTOCOL_VIOLATION, "unexpected password message", "protocol violation during login");
            }
        } catch (AuthException e) {
            state = State.DONE;
            if (SqlState.INVALID_PASSWORD.equals(e.sqlState())) {
                return passwordFailed(secret);
            }
            return new Failure(e.sqlState(), e.getMessage(), e.getMessage());
        } catch (RuntimeException e) {
            state = State.DONE;
            return new Failure(SqlState.PROTOCOL_VIOLATION, "malformed password message", "malformed password message: " + e.getMessage());
        }
    }

    private Step checkCleartext(String password, Secret secret) {
        boolean ok;
        if (secret instanceof Secret.Plain p) {
            ok = constantTimeEquals(password, p.password()) && !password.isEmpty(); // like PostgreSQL: never an empty password
        } else if (secret instanceof Secret.Md5 m) {
            ok = constantTimeEquals(Md5.storedHash(password, user), m.hash());
        } else if (secret instanceof Secret.Scram s) {
            return new Pending(KeyDerivation.async(() -> checkCleartextScram(password, s), derivation));
        } else {
            ok = false;
        }
        return ok ? new Success(null, null) : passwordFailed(secret);
    }

    /** A cleartext password against a SCRAM secret: one key derivation, on the derivation executor. */
    private Step checkCleartextScram(String password, Secret.Scram s) {
        byte[] salted = KeyDerivation.saltedPassword(password, s.salt(), s.iterations());
        byte[] clientKey = ScramFunctions.clientKey(ScramServerExchange.SHA_256, salted);
        boolean ok = MessageDigest.isEqual(ScramFunctions.storedKey(ScramServerExchange.SHA_256, clientKey), s.storedKey());
        return ok ? new Success(null, clientKey) : passwordFailed(s);
    }

    private Step checkMd5(String response, Secret secret) {
        String stored;
        if (secret instanceof Secret.Plain p && !p.password().isEmpty()) {
            stored = Md5.storedHash(p.password(), user);
        } else if (secret instanceof Secret.Md5 m) {
            stored = m.hash();
        } else {
            stored = Md5.storedHash("", user + "\0unknown"); // compare against something, then fail
        }
        boolean ok = constantTimeEquals(response, Md5.response(stored, md5Salt))
                && (secret instanceof Secret.Md5 || (secret instanceof Secret.Plain p && !p.password().isEmpty()));
        return ok ? new Success(null, null) : passwordFailed(secret);
    }

    private Failure passwordFailed(Secret secret) {
        String reason = secret == null ? origin.unknownUser()
                : (type == AuthType.SCRAM_SHA_256 && secret instanceof Secret.Md5) ? origin.md5UnderScram()
                : "wrong password";
        return new Failure(SqlState.INVALID_PASSWORD, "password authentication failed for user \"" + user + "\"", reason);
    }

    private static boolean constantTimeEquals(String a, String b) {
        return MessageDigest.isEqual(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
    }
}
