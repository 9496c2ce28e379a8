package dev.berth.core.auth;

import com.ongres.scram.client.ScramClient;
import com.ongres.scram.common.StringPreparation;
import com.ongres.scram.common.exception.ScramInvalidServerSignatureException;
import dev.berth.core.protocol.SqlState;
import org.junit.jupiter.api.Test;

import javax.crypto.Mac;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ScramServerExchangeTest {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final byte[] SALT = "fixed-salt-16byt".getBytes(StandardCharsets.US_ASCII);

    static ScramClient client(String password) {
        return ScramClient.builder()
                .advertisedMechanisms(List.of("SCRAM-SHA-256"))
                .username("*")
                .password(password.toCharArray())
                .stringPreparation(StringPreparation.POSTGRESQL_PREPARATION)
                .build();
    }

    static byte[] sha256(byte[] b) throws Exception {
        return MessageDigest.getInstance("SHA-256").digest(b);
    }

    private static byte[] hmac(byte[] key, String data) throws Exception {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(key, "HmacSHA256"));
        return mac.doFinal(data.getBytes(StandardCharsets.UTF_8));
    }

    /** Runs a whole exchange; returns the server's result (the client has verified the server's signature). */
    private static ScramServerExchange.Result exchange(ScramServerExchange server, String password) throws Exception {
        ScramClient client = client(password);
        String serverFirst = server.onClientFirst(client.clientFirstMessage().toString(), RANDOM);
        client.serverFirstMessage(serverFirst);
        ScramServerExchange.Result result = server.onClientFinal(client.clientFinalMessage().toString());
        client.serverFinalMessage(result.serverFinal());
        return result;
    }

    @Test
    void scramSecretMatchesAnIndependentRfc5802Computation() throws Exception {
        Secret.Scram s = ScramServerExchange.scramSecret("pencil", SALT, 4096);
        byte[] salted = SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256")
                .generateSecret(new PBEKeySpec("pencil".toCharArray(), SALT, 4096, 256)).getEncoded();
        byte[] clientKey = hmac(salted, "Client Key");
        assertEquals(4096, s.iterations());
        assertArrayEquals(SALT, s.salt());
        assertArrayEquals(sha256(clientKey), s.storedKey());
        assertArrayEquals(hmac(salted, "Server Key"), s.serverKey());
    }

    @Test
    void fullExchangeAgainstAStoredSecret() throws Exception {
        Secret.Scram secret = ScramServerExchange.scramSecret("pencil", SALT, 4096);
        ScramServerExchange.Result result = exchange(ScramServerExchange.forSecret(secret), "pencil");
        assertArrayEquals(secret.storedKey(), sha256(result.clientKey()));
        assertTrue(result.serverFinal().startsWith("v="), result.serverFinal());
    }

    @Test
    void serverFirstCarriesTheClientNonceSaltAndIterations() throws Exception {
        Secret.Scram secret = ScramServerExchange.scramSecret("pencil", SALT, 4096);
        ScramServerExchange server = ScramServerExchange.forSecret(secret);
        String serverFirst = server.onClientFirst("n,,n=*,r=clientnonce", RANDOM);
        assertTrue(serverFirst.matches("r=clientnonce[A-Za-z0-9+/]{24},s=" + Pattern.quote(
                Base64.getEncoder().encodeToString(SALT)) + ",i=4096"), serverFirst);
    }

    /**
     * The server's part of the nonce is 18 random bytes in base64, as PostgreSQL and pgbouncer send it. Any
     * printable character would do by RFC 5802, but drivers that find an attribute by searching for "s=" or
     * "i=" in the whole message (asyncpg before 0.28) took a nonce containing those for the salt or the
     * iteration count and sent a wrong proof about once in 300 logins.
     */
    @Test
    void serverNonceIsBase64AsPostgresSendsIt() throws Exception {
        ScramServerExchange server = ScramServerExchange.forSecret(ScramServerExchange.scramSecret("pencil", SALT, 4096));
        Pattern serverPart = Pattern.compile("[A-Za-z0-9+/]{24}");
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 5_000; i++) {
            String serverFirst = server.onClientFirst("n,,n=*,r=c", RANDOM);
            String ours = serverFirst.substring("r=c".length(), serverFirst.indexOf(','));
            assertTrue(serverPart.matcher(ours).matches(), "server nonce " + ours + " in " + serverFirst);
            seen.add(ours);
        }
        assertEquals(5_000, seen.size(), "every exchange gets a fresh nonce");
    }

    @Test
    void fullExchangeAgainstAPasswordUsesAFreshSaltEachTime() throws Exception {
        ScramServerExchange a = ScramServerExchange.forPassword("pencil", RANDOM);
        ScramServerExchange b = ScramServerExchange.forPassword("pencil", RANDOM);
        assertEquals(16, a.secret().salt().length);
        assertEquals(4096, a.secret().iterations());
        assertNotEquals(Base64.getEncoder().encodeToString(a.secret().salt()),
                Base64.getEncoder().encodeToString(b.secret().salt()));
        ScramServerExchange.Result result = exchange(a, "pencil");
        assertArrayEquals(a.secret().storedKey(), sha256(result.clientKey()));
    }

    @Test
    void nonAsciiPasswordsWork() throws Exception {
        ScramServerExchange server = ScramServerExchange.forPassword("pässwörd", RANDOM);
        ScramServerExchange.Result result = exchange(server, "pässwörd");
        assertArrayEquals(server.secret().storedKey(), sha256(result.clientKey()));
    }

    @Test
    void wrongPasswordIsRejectedWithInvalidPassword() throws Exception {
        ScramServerExchange server = ScramServerExchange.forSecret(ScramServerExchange.scramSecret("pencil", SALT, 4096));
        AuthException e = assertThrows(AuthException.class, () -> exchange(server, "crayon"));
        assertEquals(SqlState.INVALID_PASSWORD, e.sqlState());
    }

    @Test
    void unknownUserExchangeDerivesNoKeyAndFailsAtTheProof() throws Exception {
        byte[] key = "per-process-key".getBytes(StandardCharsets.US_ASCII);
        ScramClient client = client("guess"); // the client derives its own key before the count starts
        long before = KeyDerivation.count();
        ScramServerExchange server = ScramServerExchange.forUnknownUser("ghost", key);
        String serverFirst = server.onClientFirst(client.clientFirstMessage().toString(), RANDOM);
        assertEquals(0, KeyDerivation.count() - before, "the mock exchange runs no PBKDF2");
        assertTrue(serverFirst.endsWith(",i=4096"), serverFirst);
        client.serverFirstMessage(serverFirst);
        String clientFinal = client.clientFinalMessage().toString();
        before = KeyDerivation.count();
        AuthException e = assertThrows(AuthException.class, () -> server.onClientFinal(clientFinal));
        assertEquals(SqlState.INVALID_PASSWORD, e.sqlState());
        assertEquals(0, KeyDerivation.count() - before, "nor does its proof check");
    }

    @Test
    void unknownUserFailsWithAnyPassword() {
        byte[] key = "per-process-key".getBytes(StandardCharsets.US_ASCII);
        AuthException e = assertThrows(AuthException.class,
                () -> exchange(ScramServerExchange.forUnknownUser("ghost", key), "guess"));
        assertEquals(SqlState.INVALID_PASSWORD, e.sqlState());
    }

    @Test
    void unknownUserSaltIsStablePerUserAndKey() {
        byte[] key = "per-process-key".getBytes(StandardCharsets.US_ASCII);
        byte[] s1 = ScramServerExchange.forUnknownUser("ghost", key).secret().salt();
        byte[] s2 = ScramServerExchange.forUnknownUser("ghost", key).secret().salt();
        byte[] other = ScramServerExchange.forUnknownUser("phantom", key).secret().salt();
        byte[] otherKey = ScramServerExchange.forUnknownUser("ghost", "another-key".getBytes(StandardCharsets.US_ASCII)).secret().salt();
        assertEquals(16, s1.length);
        assertArrayEquals(s1, s2);
        assertNotEquals(Base64.getEncoder().encodeToString(s1), Base64.getEncoder().encodeToString(other));
        assertNotEquals(Base64.getEncoder().encodeToString(s1), Base64.getEncoder().encodeToString(otherKey));
        assertEquals(4096, ScramServerExchange.forUnknownUser("ghost", key).secret().iterations());
    }

    @Test
    void channelBindingRequestIsRefused() {
        ScramServerExchange server = ScramServerExchange.forPassword("x", RANDOM);
        AuthException e = assertThrows(AuthException.class,
                () -> server.onClientFirst("p=tls-server-end-point,,n=*,r=abc", RANDOM));
        assertEquals(SqlState.PROTOCOL_VIOLATION, e.sqlState());
        assertTrue(e.getMessage().contains("channel binding"), e.getMessage());
    }

    @Test
    void malformedClientFirstMessagesAreProtocolViolations() {
        for (String bad : List.of("", "x,,n=*,r=abc", "n", "nn,,r=abc", "n,,n=*", "n,,n=*,r=")) {
            ScramServerExchange server = ScramServerExchange.forPassword("x", RANDOM);
            AuthException e = assertThrows(AuthException.class, () -> server.onClientFirst(bad, RANDOM), bad);
            assertEquals(SqlState.PROTOCOL_VIOLATION, e.sqlState(), bad);
        }
    }

    @Test
    void clientFinalWithWrongNonceOrBindingIsAProtocolViolation() throws Exception {
        ScramServerExchange server = ScramServerExchange.forPassword("x", RANDOM);
        String serverFirst = server.onClientFirst("n,,n=*,r=abc", RANDOM);
        String nonce = serverFirst.substring(2, serverFirst.indexOf(','));
        String proof = Base64.getEncoder().encodeToString(new byte[32]);

        AuthException wrongNonce = assertThrows(AuthException.class,
                () -> server.onClientFinal("c=biws,r=abcXYZ,p=" + proof));
        assertEquals("SCRAM nonce does not match", wrongNonce.getMessage());
        // "biws" is base64("n,,"); "eSws" is base64("y,,")
        AuthException wrongBinding = assertThrows(AuthException.class,
                () -> server.onClientFinal("c=eSws,r=" + nonce + ",p=" + proof));
        assertEquals("SCRAM channel binding does not match", wrongBinding.getMessage());
        AuthException noProof = assertThrows(AuthException.class, () -> server.onClientFinal("c=biws,r=" + nonce));
        assertEquals(SqlState.PROTOCOL_VIOLATION, noProof.sqlState());
        // right framing, wrong proof
        AuthException badProof = assertThrows(AuthException.class, () -> server.onClientFinal("c=biws,r=" + nonce + ",p=" + proof));
        assertEquals(SqlState.INVALID_PASSWORD, badProof.sqlState());
        AuthException shortProof = assertThrows(AuthException.class,
                () -> server.onClientFinal("c=biws,r=" + nonce + ",p=AAAA"));
        assertEquals(SqlState.INVALID_PASSWORD, shortProof.sqlState());
    }

    @Test
    void clientFinalBeforeClientFirstIsAProtocolViolation() {
        ScramServerExchange server = ScramServerExchange.forPassword("x", RANDOM);
        AuthException e = assertThrows(AuthException.class, () -> server.onClientFinal("c=biws,r=abc,p=AAAA"));
        assertEquals(SqlState.PROTOCOL_VIOLATION, e.sqlState());
    }

    @Test
    void tamperedServerSignatureIsDetectedByTheClient() throws Exception {
        ScramServerExchange server = ScramServerExchange.forPassword("pencil", RANDOM);
        ScramClient client = client("pencil");
        client.serverFirstMessage(server.onClientFirst(client.clientFirstMessage().toString(), RANDOM));
        server.onClientFinal(client.clientFinalMessage().toString());
        String forged = "v=" + Base64.getEncoder().encodeToString(new byte[32]);
        assertThrows(ScramInvalidServerSignatureException.class, () -> client.serverFinalMessage(forged));
    }
}
