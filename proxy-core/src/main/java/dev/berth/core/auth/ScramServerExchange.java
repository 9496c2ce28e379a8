package dev.berth.core.auth;

import com.ongres.scram.common.ScramFunctions;
import com.ongres.scram.common.ScramMechanism;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Arrays;

/**
 * Berth's server side of a SCRAM-SHA-256 exchange (RFC 5802/7677, without channel binding), built on the
 * primitives of com.ongres.scram. A successful exchange yields the client's ClientKey, recovered from its
 * proof, which lets Berth log in to PostgreSQL for that user without knowing the password.
 */
public final class ScramServerExchange {
    public static final String MECHANISM = "SCRAM-SHA-256";
    static final ScramMechanism SHA_256 = ScramMechanism.SCRAM_SHA_256;
    static final int DEFAULT_ITERATIONS = 4096;
    /**
     * Random bytes in the server's part of the nonce, sent in base64 as PostgreSQL does (its
     * SCRAM_RAW_NONCE_LEN): drivers that look for "s=" or "i=" anywhere in the server-first-message (asyncpg
     * before 0.28) misread a nonce of arbitrary printable characters.
     */
    static final int NONCE_BYTES = 18;

    private final Secret.Scram secret;
    private final boolean knownUser;
    private String gs2Header;
    private String clientFirstBare;
    private String serverFirst;
    private String nonce;

    private ScramServerExchange(Secret.Scram secret, boolean knownUser) {
        this.secret = secret;
        this.knownUser = knownUser;
    }

    /** An exchange against a stored SCRAM secret. */
    public static ScramServerExchange forSecret(Secret.Scram secret) {
        return new ScramServerExchange(secret, true);
    }

    /** An exchange against a plaintext password, with a fresh salt: derives a key, so never on an event loop. */
    public static ScramServerExchange forPassword(String password, SecureRandom random) {
        return new ScramServerExchange(scramSecret(password, ScramFunctions.salt(16, random), DEFAULT_ITERATIONS), true);
    }

    /**
     * An exchange for a user that does not exist: it looks the same to the client (a mock salt stable per
     * user name, PostgreSQL's default iteration count, as its {@code scram_mock_salt}) and always fails at
     * the proof. Nothing is derived: keys from an HMAC are enough for an exchange that cannot succeed, so
     * an unknown user costs no more than a known one.
     */
    public static ScramServerExchange forUnknownUser(String user, byte[] mockKey) {
        byte[] name = user.getBytes(StandardCharsets.UTF_8);
        byte[] salt = Arrays.copyOf(ScramFunctions.hmac(SHA_256, mockKey, name), 16);
        byte[] storedKey = ScramFunctions.hmac(SHA_256, mockKey, ("stored\0" + user).getBytes(StandardCharsets.UTF_8));
        byte[] serverKey = ScramFunctions.hmac(SHA_256, mockKey, ("server\0" + user).getBytes(StandardCharsets.UTF_8));
        return new ScramServerExchange(new Secret.Scram(DEFAULT_ITERATIONS, salt, storedKey, serverKey), false);
    }

    /** A SCRAM secret for a password: a key derivation, so never on an event loop (see {@link KeyDerivation}). */
    public static Secret.Scram scramSecret(String password, byte[] salt, int iterations) {
        byte[] salted = KeyDerivation.saltedPassword(password, salt, iterations);
        byte[] clientKey = ScramFunctions.clientKey(SHA_256, salted);
        return new Secret.Scram(iterations, salt, ScramFunctions.storedKey(SHA_256, clientKey),
                ScramFunctions.serverKey(SHA_256, salted));
    }

    /** Handles client-first-message; returns server-first-message. */
    public String onClientFirst(String clientFirst, SecureRandom random) throws AuthException {
        char flag = clientFirst.isEmpty() ? 0 : clientFirst.charAt(0);
        if (flag == 'p') {
            throw AuthException.protocol("SCRAM channel binding was requested, but Berth offers SCRAM-SHA-256 without channel binding");
        }
        if (flag != 'n' && flag != 'y') {
            throw AuthException.protocol("malformed SCRAM client-first-message");
        }
        int afterFlag = clientFirst.indexOf(',');
        int afterAuthzid = afterFlag < 0 ? -1 : clientFirst.indexOf(',', afterFlag + 1);
        if (afterFlag != 1 || afterAuthzid < 0) {
            throw AuthException.protocol("malformed SCRAM client-first-message");
        }
        gs2Header = clientFirst.substring(0, afterAuthzid + 1);
        clientFirstBare = clientFirst.substring(afterAuthzid + 1);
        String clientNonce = attribute(clientFirstBare, 'r');
        if (clientNonce == null || clientNonce.isEmpty()) {
            throw AuthException.protocol("SCRAM client-first-message has no nonce");
        }
        nonce = clientNonce + Base64.getEncoder().encodeToString(ScramFunctions.salt(NONCE_BYTES, random));
        serverFirst = "r=" + nonce + ",s=" + Base64.getEncoder().encodeToString(secret.salt()) + ",i=" + secret.iterations();
        return serverFirst;
    }

    /**
     * Handles client-final-message. Returns the server-final-message and the recovered ClientKey when the
     * proof is right; throws {@link AuthException} when it is not.
     */
    public Result onClientFinal(String clientFinal) throws AuthException {
        int proofAt = clientFinal.lastIndexOf(",p=");
        if (serverFirst == null || proofAt < 0) {
            throw AuthException.protocol("malformed SCRAM client-final-message");
        }
        String withoutProof = clientFinal.substring(0, proofAt);
        String channelBinding = attribute(withoutProof, 'c');
        String expectedBinding = Base64.getEncoder().encodeToString(gs2Header.getBytes(StandardCharsets.UTF_8));
        if (!expectedBinding.equals(channelBinding)) {
            throw AuthException.protocol("SCRAM channel binding does not match");
        }
        if (!nonce.equals(attribute(withoutProof, 'r'))) {
            throw AuthException.protocol("SCRAM nonce does not match");
        }
        byte[] proof;
        try {
            proof = Base64.getDecoder().decode(clientFinal.substring(proofAt + 3));
        } catch (IllegalArgumentException e) {
            throw AuthException.protocol("malformed SCRAM proof");
        }
        String authMessage = clientFirstBare + "," + serverFirst + "," + withoutProof;
        byte[] clientSignature = ScramFunctions.clientSignature(SHA_256, secret.storedKey(), authMessage);
        if (proof.length != clientSignature.length) {
            throw AuthException.wrongPassword();
        }
        byte[] clientKey = ScramFunctions.clientProof(proof, clientSignature); // XOR recovers the ClientKey
        boolean valid = MessageDigest.isEqual(ScramFunctions.hash(SHA_256, clientKey), secret.storedKey());
        if (!valid || !knownUser) {
            throw AuthException.wrongPassword();
        }
        byte[] serverSignature = ScramFunctions.serverSignature(SHA_256, secret.serverKey(), authMessage);
        return new Result("v=" + Base64.getEncoder().encodeToString(serverSignature), clientKey);
    }

    public Secret.Scram secret() {
        return secret;
    }

    private static String attribute(String message, char name) {
        for (String part : message.split(",")) {
            if (part.length() >= 2 && part.charAt(0) == name && part.charAt(1) == '=') {
                return part.substring(2);
            }
        }
        return null;
    }

    public record Result(String serverFinal, byte[] clientKey) {
    }
}
