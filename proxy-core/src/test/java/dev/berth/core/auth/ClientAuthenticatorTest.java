package dev.berth.core.auth;

import com.ongres.scram.client.ScramClient;
import dev.berth.core.auth.ClientAuthenticator.Failure;
import dev.berth.core.auth.ClientAuthenticator.Step;
import dev.berth.core.auth.ClientAuthenticator.Success;
import dev.berth.core.protocol.Messages;
import dev.berth.core.protocol.SqlState;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ClientAuthenticatorTest {
    private static final ByteBufAllocator A = UnpooledByteBufAllocator.DEFAULT;
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final byte[] UNKNOWN_USER_KEY = "unknown-user-key".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] SALT = "scramuser-salt!!".getBytes(StandardCharsets.US_ASCII);
    private static final Secret.Scram SCRAM_SECRET = ScramServerExchange.scramSecret("pencil", SALT, 4096);

    private static final AuthFile FILE = AuthFile.parse(List.of(
            "\"plainuser\" \"wonder\"",
            "\"md5user\" \"" + Md5.storedHash("builder", "md5user") + "\"",
            "\"scramuser\" \"" + scramSecretString(SCRAM_SECRET) + "\"",
            "\"emptyuser\" \"\""), "test userlist");

    static String scramSecretString(Secret.Scram s) {
        Base64.Encoder b64 = Base64.getEncoder();
        return "SCRAM-SHA-256$" + s.iterations() + ":" + b64.encodeToString(s.salt()) + "$"
                + b64.encodeToString(s.storedKey()) + ":" + b64.encodeToString(s.serverKey());
    }

    private static ClientAuthenticator auth(AuthType type, AuthFile file, String user) {
        Secret secret = file == null ? null : file.secret(user).toCompletableFuture().join();
        return new ClientAuthenticator(type, secret, SecretOrigin.AUTH_FILE, file != null, user, RANDOM, UNKNOWN_USER_KEY,
                file == null || file.mostUsersHaveScramSecrets(), Runnable::run);
    }

    /** An Authentication request: its code and the bytes after the code. */
    private record Request(int code, byte[] data) {
        String text() {
            return new String(data, StandardCharsets.UTF_8);
        }
    }

    /** Parses and releases an 'R' message, checking its header. */
    private static Request request(ByteBuf m) {
        try {
            int at = m.readerIndex();
            assertEquals('R', m.getByte(at));
            assertEquals(m.readableBytes() - 1, m.getInt(at + 1), "length word");
            byte[] data = new byte[m.readableBytes() - 9];
            m.getBytes(at + 9, data);
            return new Request(m.getInt(at + 5), data);
        } finally {
            m.release();
        }
    }

    private static Request challenge(Step step) {
        return request(assertInstanceOf(ClientAuthenticator.Challenge.class, step).message());
    }

    private static Step send(ClientAuthenticator auth, ByteBuf frame) {
        try {
            return auth.onPasswordMessage(A, frame);
        } finally {
            frame.release();
        }
    }

    private static void assertPasswordFailed(Step step, String user) {
        Failure f = assertInstanceOf(Failure.class, step);
        assertEquals(SqlState.INVALID_PASSWORD, f.sqlState());
        assertEquals("password authentication failed for user \"" + user + "\"", f.message());
    }

    private static byte[] sha256(byte[] b) throws Exception {
        return ScramServerExchangeTest.sha256(b);
    }

    // ---- SCRAM ----

    private record ScramRun(Step result, String serverFirst, ScramClient client) {
        byte[] salt() {
            for (String part : serverFirst.split(",")) {
                if (part.startsWith("s=")) {
                    return Base64.getDecoder().decode(part.substring(2));
                }
            }
            throw new AssertionError("no salt in " + serverFirst);
        }

        /** Checks the server's SASL final message with the client and returns the Success. */
        Success verifiedSuccess() throws Exception {
            Success s = assertInstanceOf(Success.class, result);
            Request fin = request(s.finalMessage());
            assertEquals(12, fin.code());
            client.serverFinalMessage(fin.text()); // throws if the server signature is wrong
            return s;
        }
    }

    private static ScramRun scramLogin(ClientAuthenticator auth, String password) throws Exception {
        Request sasl = challenge(auth.start(A));
        assertEquals(10, sasl.code());
        assertArrayEquals("SCRAM-SHA-256\0\0".getBytes(StandardCharsets.US_ASCII), sasl.data());
        ScramClient client = ScramServerExchangeTest.client(password);
        Request cont = challenge(send(auth, Messages.saslInitialResponse(A, "SCRAM-SHA-256", client.clientFirstMessage().toString())));
        assertEquals(11, cont.code());
        String serverFirst = cont.text();
        client.serverFirstMessage(serverFirst);
        Step result = send(auth, Messages.saslResponse(A, client.clientFinalMessage().toString()));
        return new ScramRun(result, serverFirst, client);
    }

    @Test
    void scramLoginAgainstAPlaintextSecret() throws Exception {
        ScramRun run = scramLogin(auth(AuthType.SCRAM_SHA_256, FILE, "plainuser"), "wonder");
        Success s = run.verifiedSuccess();
        byte[] expectedStoredKey = ScramServerExchange.scramSecret("wonder", run.salt(), 4096).storedKey();
        assertArrayEquals(expectedStoredKey, sha256(s.scramClientKey()));
        assertTrue(run.serverFirst().endsWith(",i=4096"), run.serverFirst());
    }

    @Test
    void scramLoginAgainstAScramSecret() throws Exception {
        ScramRun run = scramLogin(auth(AuthType.SCRAM_SHA_256, FILE, "scramuser"), "pencil");
        Success s = run.verifiedSuccess();
        assertArrayEquals(SALT, run.salt());
        assertArrayEquals(SCRAM_SECRET.storedKey(), sha256(s.scramClientKey()));
    }

    @Test
    void scramLoginWithWrongPasswordFails() throws Exception {
        assertPasswordFailed(scramLogin(auth(AuthType.SCRAM_SHA_256, FILE, "scramuser"), "crayon").result(), "scramuser");
        assertPasswordFailed(scramLogin(auth(AuthType.SCRAM_SHA_256, FILE, "plainuser"), "wonder2").result(), "plainuser");
    }

    @Test
    void scramLoginOfAnUnknownUserLooksTheSameAndHasAStableSalt() throws Exception {
        ScramRun first = scramLogin(auth(AuthType.SCRAM_SHA_256, FILE, "x"), "anything");
        ScramRun second = scramLogin(auth(AuthType.SCRAM_SHA_256, FILE, "x"), "another guess");
        Failure f = assertInstanceOf(Failure.class, first.result());
        assertPasswordFailed(f, "x");
        assertEquals("no such user: the auth file does not list it", f.logReason());
        assertPasswordFailed(second.result(), "x");
        assertArrayEquals(first.salt(), second.salt());
        assertEquals(16, first.salt().length);
        assertTrue(first.serverFirst().endsWith(",i=4096"), first.serverFirst());
        ScramRun otherUser = scramLogin(auth(AuthType.SCRAM_SHA_256, FILE, "y"), "anything");
        assertNotEquals(Base64.getEncoder().encodeToString(first.salt()), Base64.getEncoder().encodeToString(otherUser.salt()));
    }

    @Test
    void scramLoginAgainstAnMd5SecretFailsWithAnExplainingLogReason() throws Exception {
        ScramRun run = scramLogin(auth(AuthType.SCRAM_SHA_256, FILE, "md5user"), "builder");
        assertPasswordFailed(run.result(), "md5user");
        assertTrue(((Failure) run.result()).logReason().contains("md5 hash"), ((Failure) run.result()).logReason());
    }

    @Test
    void saslWithAnotherMechanismIsRefused() {
        ClientAuthenticator auth = auth(AuthType.SCRAM_SHA_256, FILE, "plainuser");
        challenge(auth.start(A));
        Failure f = assertInstanceOf(Failure.class, send(auth, Messages.saslInitialResponse(A, "SCRAM-SHA-256-PLUS", "p=tls-server-end-point,,n=*,r=x")));
        assertEquals(SqlState.PROTOCOL_VIOLATION, f.sqlState());
        assertTrue(f.message().contains("SCRAM-SHA-256-PLUS"), f.message());
    }

    @Test
    void malformedSaslInitialResponseIsAProtocolViolation() {
        ClientAuthenticator auth = auth(AuthType.SCRAM_SHA_256, FILE, "plainuser");
        challenge(auth.start(A));
        ByteBuf frame = Unpooled.buffer();
        int at = Messages.begin(frame, (byte) 'p');
        Messages.writeCString(frame, "SCRAM-SHA-256");
        frame.writeInt(100); // claims 100 bytes, has 3
        frame.writeBytes("n,,".getBytes(StandardCharsets.US_ASCII));
        Messages.end(frame, at);
        Failure f = assertInstanceOf(Failure.class, send(auth, frame));
        assertEquals(SqlState.PROTOCOL_VIOLATION, f.sqlState());
        assertEquals("malformed SASLInitialResponse", f.message());
    }

    // ---- md5 ----

    private static byte[] md5Salt(Step step) {
        Request r = challenge(step);
        assertEquals(5, r.code());
        assertEquals(4, r.data().length);
        return r.data();
    }

    @Test
    void md5LoginAgainstAPlaintextSecret() {
        ClientAuthenticator auth = auth(AuthType.MD5, FILE, "plainuser");
        byte[] salt = md5Salt(auth.start(A));
        String response = Md5.response(Md5.storedHash("wonder", "plainuser"), salt);
        Success s = assertInstanceOf(Success.class, send(auth, Messages.passwordMessage(A, response)));
        assertNull(s.finalMessage());
        assertNull(s.scramClientKey());
    }

    @Test
    void md5LoginAgainstAnMd5Secret() {
        ClientAuthenticator auth = auth(AuthType.MD5, FILE, "md5user");
        byte[] salt = md5Salt(auth.start(A));
        String response = Md5.response(Md5.storedHash("builder", "md5user"), salt);
        assertInstanceOf(Success.class, send(auth, Messages.passwordMessage(A, response)));
    }

    @Test
    void md5LoginWithWrongPasswordFails() {
        ClientAuthenticator auth = auth(AuthType.MD5, FILE, "md5user");
        byte[] salt = md5Salt(auth.start(A));
        assertPasswordFailed(send(auth, Messages.passwordMessage(A, Md5.response(Md5.storedHash("bob", "md5user"), salt))), "md5user");
    }

    @Test
    void md5ResponseForAnotherSaltFails() {
        ClientAuthenticator auth = auth(AuthType.MD5, FILE, "plainuser");
        byte[] salt = md5Salt(auth.start(A));
        byte[] otherSalt = salt.clone();
        otherSalt[0] ^= 1;
        assertPasswordFailed(send(auth, Messages.passwordMessage(A, Md5.response(Md5.storedHash("wonder", "plainuser"), otherSalt))), "plainuser");
    }

    @Test
    void md5SaltsAreFreshPerLogin() {
        byte[] a = md5Salt(auth(AuthType.MD5, FILE, "plainuser").start(A));
        byte[] b = md5Salt(auth(AuthType.MD5, FILE, "plainuser").start(A));
        byte[] c = md5Salt(auth(AuthType.MD5, FILE, "plainuser").start(A));
        assertTrue(!java.util.Arrays.equals(a, b) || !java.util.Arrays.equals(b, c), "three identical md5 salts");
    }

    @Test
    void md5LoginOfAnUnknownUserFailsEvenWithTheDecoyHash() {
        ClientAuthenticator auth = auth(AuthType.MD5, FILE, "x");
        byte[] salt = md5Salt(auth.start(A));
        // the response computed from the decoy the authenticator compares against must not log in
        String decoy = Md5.response(Md5.storedHash("", "x\0unknown"), salt);
        assertPasswordFailed(send(auth, Messages.passwordMessage(A, decoy)), "x");
    }

    @Test
    void md5AuthTypeAgainstAScramSecretUsesScram() throws Exception {
        ScramRun run = scramLogin(auth(AuthType.MD5, FILE, "scramuser"), "pencil");
        Success s = run.verifiedSuccess();
        assertArrayEquals(SCRAM_SECRET.storedKey(), sha256(s.scramClientKey()));
    }

    @Test
    void md5AuthTypeAnswersAnUnknownUserAsMostKnownUsersAreAnswered() {
        // FILE: one SCRAM secret, three others (md5 challenges under md5): an unknown user gets an md5 challenge
        assertEquals(5, challenge(auth(AuthType.MD5, FILE, "nobody").start(A)).code());
        AuthFile mostlyScram = AuthFile.parse(List.of(
                "\"a\" \"" + scramSecretString(SCRAM_SECRET) + "\"",
                "\"b\" \"" + scramSecretString(SCRAM_SECRET) + "\"",
                "\"md5user\" \"" + Md5.storedHash("builder", "md5user") + "\""), "mostly scram");
        assertEquals(10, challenge(auth(AuthType.MD5, mostlyScram, "nobody").start(A)).code(), "SASL, as users a and b get");
        assertEquals(10, challenge(auth(AuthType.MD5, mostlyScram, "a").start(A)).code());
        assertEquals(5, challenge(auth(AuthType.MD5, mostlyScram, "md5user").start(A)).code());
    }

    @Test
    void unknownUserScramExchangeDerivesNoKey() throws Exception {
        long before = KeyDerivation.count();
        ScramRun run = scramLogin(auth(AuthType.SCRAM_SHA_256, FILE, "nobody"), "guess");
        assertPasswordFailed(run.result(), "nobody");
        assertEquals(0, KeyDerivation.count() - before, "no PBKDF2 for a user that does not exist");
    }

    @Test
    void plaintextUsersScramLoginUsesTheSecretDerivedOnceByTheAuthFile() throws Exception {
        scramLogin(auth(AuthType.SCRAM_SHA_256, FILE, "plainuser"), "wonder").verifiedSuccess(); // derived now, if not yet
        long before = KeyDerivation.count();
        ScramRun again = scramLogin(auth(AuthType.SCRAM_SHA_256, FILE, "plainuser"), "wonder");
        again.verifiedSuccess();
        assertEquals(0, KeyDerivation.count() - before, "the login derives nothing itself");
        ScramRun third = scramLogin(auth(AuthType.SCRAM_SHA_256, FILE, "plainuser"), "wonder");
        third.verifiedSuccess();
        assertArrayEquals(again.salt(), third.salt(), "one salt per auth file load, as a stored secret has");
    }

    @Test
    void cleartextCheckAgainstAScramSecretDerivesOnTheDerivationExecutor() {
        List<Runnable> tasks = new java.util.ArrayList<>();
        ClientAuthenticator auth = new ClientAuthenticator(AuthType.PLAIN, SCRAM_SECRET, SecretOrigin.AUTH_FILE, true, "scramuser", RANDOM,
                UNKNOWN_USER_KEY, true, tasks::add);
        challenge(auth.start(A));
        long before = KeyDerivation.count();
        Step step = send(auth, Messages.passwordMessage(A, "pencil"));
        ClientAuthenticator.Pending pending = assertInstanceOf(ClientAuthenticator.Pending.class, step);
        assertEquals(0, KeyDerivation.count() - before, "nothing derived on the caller's thread");
        assertTrue(!pending.next().isDone());
        assertEquals(1, tasks.size());
        tasks.get(0).run();
        assertEquals(1, KeyDerivation.count() - before);
        assertInstanceOf(Success.class, pending.next().join());
    }

    // ---- plain ----

    private static Step plainLogin(String user, String password) {
        ClientAuthenticator auth = auth(AuthType.PLAIN, FILE, user);
        ClientAuthenticator.Challenge c = assertInstanceOf(ClientAuthenticator.Challenge.class, auth.start(A));
        try {
            assertArrayEquals(new byte[] {'R', 0, 0, 0, 8, 0, 0, 0, 3}, ByteBufUtil.getBytes(c.message()));
        } finally {
            c.message().release();
        }
        Step step = send(auth, Messages.passwordMessage(A, password));
        return step instanceof ClientAuthenticator.Pending p ? p.next().join() : step;
    }

    @Test
    void plainLoginAgainstAPlaintextSecret() {
        Success s = assertInstanceOf(Success.class, plainLogin("plainuser", "wonder"));
        assertNull(s.scramClientKey());
        assertNull(s.finalMessage());
        assertPasswordFailed(plainLogin("plainuser", "Wonder"), "plainuser");
    }

    @Test
    void plainLoginAgainstAnMd5Secret() {
        assertInstanceOf(Success.class, plainLogin("md5user", "builder"));
        assertPasswordFailed(plainLogin("md5user", "builders"), "md5user");
        // the hash itself is not the password
        assertPasswordFailed(plainLogin("md5user", Md5.storedHash("builder", "md5user")), "md5user");
    }

    @Test
    void plainLoginAgainstAScramSecretRecoversTheClientKey() throws Exception {
        Success s = assertInstanceOf(Success.class, plainLogin("scramuser", "pencil"));
        assertArrayEquals(SCRAM_SECRET.storedKey(), sha256(s.scramClientKey()));
        assertPasswordFailed(plainLogin("scramuser", "pen"), "scramuser");
    }

    @Test
    void plainLoginOfAnUnknownUserFails() {
        assertPasswordFailed(plainLogin("x", ""), "x");
    }

    // ---- empty passwords: never accepted, like PostgreSQL ----

    @Test
    void plainLoginWithAnEmptyPasswordAgainstAnEmptySecretFails() {
        assertPasswordFailed(plainLogin("emptyuser", ""), "emptyuser");
    }

    @Test
    void scramLoginAgainstAnEmptySecretIsTreatedLikeAnUnknownUser() throws Exception {
        ScramRun run = scramLogin(auth(AuthType.SCRAM_SHA_256, FILE, "emptyuser"), "x");
        assertPasswordFailed(run.result(), "emptyuser");
        assertArrayEquals(ScramServerExchange.forUnknownUser("emptyuser", UNKNOWN_USER_KEY).secret().salt(), run.salt());
    }

    @Test
    void md5LoginWithAnEmptyPasswordAgainstAnEmptySecretFails() {
        ClientAuthenticator auth = auth(AuthType.MD5, FILE, "emptyuser");
        byte[] salt = md5Salt(auth.start(A));
        String response = Md5.response(Md5.storedHash("", "emptyuser"), salt);
        assertPasswordFailed(send(auth, Messages.passwordMessage(A, response)), "emptyuser");
    }

    // ---- trust ----

    @Test
    void trustWithoutAnAuthFileAcceptsAnyone() {
        Success s = assertInstanceOf(Success.class, auth(AuthType.TRUST, null, "whoever").start(A));
        assertNull(s.finalMessage());
        assertNull(s.scramClientKey());
    }

    @Test
    void trustWithAnAuthFileAcceptsOnlyItsUsers() {
        assertInstanceOf(Success.class, auth(AuthType.TRUST, FILE, "md5user").start(A));
        Failure f = assertInstanceOf(Failure.class, auth(AuthType.TRUST, FILE, "nobody").start(A));
        assertEquals(SqlState.INVALID_AUTHORIZATION, f.sqlState());
        assertEquals("no such user \"nobody\"", f.message());
    }

    // ---- protocol ----

    @Test
    void aNonPasswordMessageIsAProtocolViolation() {
        ClientAuthenticator auth = auth(AuthType.PLAIN, FILE, "plainuser");
        challenge(auth.start(A));
        Failure f = assertInstanceOf(Failure.class, send(auth, Messages.query(A, "SELECT 1")));
        assertEquals(SqlState.PROTOCOL_VIOLATION, f.sqlState());
        assertEquals("expected a password message, got message type 'Q'", f.message());
    }

    @Test
    void aPasswordMessageAfterTheEndIsAProtocolViolation() {
        ClientAuthenticator auth = auth(AuthType.PLAIN, FILE, "plainuser");
        challenge(auth.start(A));
        assertInstanceOf(Success.class, send(auth, Messages.passwordMessage(A, "wonder")));
        Failure f = assertInstanceOf(Failure.class, send(auth, Messages.passwordMessage(A, "wonder")));
        assertEquals(SqlState.PROTOCOL_VIOLATION, f.sqlState());
        assertEquals("unexpected password message", f.message());
    }

    @Test
    void anUnterminatedPasswordIsAProtocolViolation() {
        ClientAuthenticator auth = auth(AuthType.PLAIN, FILE, "plainuser");
        challenge(auth.start(A));
        ByteBuf frame = Unpooled.buffer();
        int at = Messages.begin(frame, (byte) 'p');
        frame.writeBytes("wonder".getBytes(StandardCharsets.US_ASCII));
        Messages.end(frame, at);
        Failure f = assertInstanceOf(Failure.class, send(auth, frame));
        assertEquals(SqlState.PROTOCOL_VIOLATION, f.sqlState());
        assertEquals("malformed password message", f.message());
    }
}
