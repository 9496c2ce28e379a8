package dev.berth.core.auth;

import com.ongres.scram.common.ScramFunctions;
import com.ongres.scram.common.ScramMechanism;
import com.ongres.scram.common.StringPreparation;
import dev.berth.core.config.BackendTls.ChannelBinding;
import dev.berth.core.protocol.MessageType;
import dev.berth.core.protocol.Messages;
import dev.berth.core.protocol.SqlState;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.UnpooledByteBufAllocator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BackendAuthenticatorTest {
    private static final ByteBufAllocator A = UnpooledByteBufAllocator.DEFAULT;
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final byte[] SALT = "backend-salt-16b".getBytes(StandardCharsets.US_ASCII);

    /** Feeds one 'R' frame (released afterwards) and returns the response, or null. */
    private static ByteBuf feed(BackendAuthenticator auth, ByteBuf request) throws AuthException {
        try {
            return auth.onAuthenticationRequest(A, request);
        } finally {
            request.release();
        }
    }

    private static byte[] take(ByteBuf buf) {
        assertNotNull(buf, "expected a response");
        try {
            return ByteBufUtil.getBytes(buf);
        } finally {
            buf.release();
        }
    }

    /** The payload of a 'p' response after checking its type and length word; releases it. */
    private static ByteBuf passwordPayload(ByteBuf response) {
        assertNotNull(response, "expected a response");
        try {
            assertEquals('p', MessageType.of(response));
            assertEquals(response.readableBytes() - 1, response.getInt(response.readerIndex() + 1));
            return Messages.payload(response).copy();
        } finally {
            response.release();
        }
    }

    private static byte[] clientKey(String password, byte[] salt, int iterations) {
        byte[] salted = ScramFunctions.saltedPassword(ScramMechanism.SCRAM_SHA_256, StringPreparation.POSTGRESQL_PREPARATION,
                password.toCharArray(), salt, iterations);
        return ScramFunctions.clientKey(ScramMechanism.SCRAM_SHA_256, salted);
    }

    @Test
    void aMalformedRequestFromTheServerIsAProtocolViolation() {
        BackendAuthenticator auth = new BackendAuthenticator(BackendCredentials.password("u", "hunter2"));
        // AuthenticationMD5Password without its salt: threw IndexOutOfBoundsException before
        ByteBuf md5WithoutSalt = Messages.authentication(A, MessageType.AUTH_MD5_PASSWORD);
        AuthException e = assertThrows(AuthException.class, () -> feed(auth, md5WithoutSalt));
        assertEquals(SqlState.PROTOCOL_VIOLATION, e.sqlState());
        assertTrue(e.getMessage().startsWith("malformed authentication request from the server"), e.getMessage());
        ByteBuf saslWithoutNul = Unpooled.buffer().writeByte('R').writeInt(11).writeInt(MessageType.AUTH_SASL).writeBytes(new byte[] {'S', 'C', 'R'});
        assertEquals(SqlState.PROTOCOL_VIOLATION, assertThrows(AuthException.class, () -> feed(auth, saslWithoutNul)).sqlState());
    }

    @Test
    void aSaslFinalBeforeTheSaslContinueIsAProtocolViolation() throws AuthException {
        BackendAuthenticator auth = new BackendAuthenticator(BackendCredentials.password("u", "hunter2"));
        take(feed(auth, Messages.authenticationSasl(A, ScramServerExchange.MECHANISM)));
        ByteBuf early = Messages.authenticationSaslData(A, MessageType.AUTH_SASL_FINAL, "v=AAAA");
        // threw the SCRAM client's IllegalStateException before
        AuthException e = assertThrows(AuthException.class, () -> feed(auth, early));
        assertEquals(SqlState.PROTOCOL_VIOLATION, e.sqlState());
        assertTrue(e.getMessage().contains("out of order"), e.getMessage());
    }

    @Test
    void authenticationOkNeedsNoResponse() throws AuthException {
        BackendAuthenticator auth = new BackendAuthenticator(BackendCredentials.none("u"));
        assertNull(feed(auth, Messages.authentication(A, MessageType.AUTH_OK)));
    }

    @Test
    void cleartextPasswordIsSentAsAPasswordMessage() throws AuthException {
        BackendAuthenticator auth = new BackendAuthenticator(BackendCredentials.password("u", "hunter2"));
        byte[] response = take(feed(auth, Messages.authentication(A, MessageType.AUTH_CLEARTEXT_PASSWORD)));
        assertArrayEquals(new byte[] {'p', 0, 0, 0, 12, 'h', 'u', 'n', 't', 'e', 'r', '2', 0}, response);
    }

    @Test
    void md5ResponseFromAPassword() throws AuthException {
        byte[] salt = {1, (byte) 0x80, 0x7f, (byte) 0xff};
        BackendAuthenticator auth = new BackendAuthenticator(BackendCredentials.password("alice", "secret"));
        ByteBuf payload = passwordPayload(feed(auth, Messages.authenticationMd5(A, salt)));
        try {
            assertEquals(Md5.response(Md5.storedHash("secret", "alice"), salt), Messages.readCString(payload));
            assertEquals(0, payload.readableBytes());
        } finally {
            payload.release();
        }
    }

    @Test
    void md5ResponseFromAStoredHash() throws AuthException {
        byte[] salt = {9, 8, 7, 6};
        String stored = Md5.storedHash("secret", "alice");
        BackendAuthenticator auth = new BackendAuthenticator(BackendCredentials.fromSecret("alice", new Secret.Md5(stored)));
        ByteBuf payload = passwordPayload(feed(auth, Messages.authenticationMd5(A, salt)));
        try {
            assertEquals(Md5.response(stored, salt), Messages.readCString(payload));
        } finally {
            payload.release();
        }
    }

    /** Plays PostgreSQL's side of SCRAM with {@code server} against {@code auth}, through AuthenticationOk. */
    private static void scramExchange(BackendAuthenticator auth, ScramServerExchange server) throws Exception {
        ByteBuf initial = passwordPayload(feed(auth, Messages.authenticationSasl(A, "SCRAM-SHA-256")));
        String clientFirst;
        try {
            assertEquals("SCRAM-SHA-256", Messages.readCString(initial));
            int length = initial.readInt();
            assertEquals(initial.readableBytes(), length);
            clientFirst = initial.toString(StandardCharsets.UTF_8);
        } finally {
            initial.release();
        }
        assertTrue(clientFirst.startsWith("n,,n=*,r="), clientFirst);
        String serverFirst = server.onClientFirst(clientFirst, RANDOM);

        ByteBuf finalPayload = passwordPayload(feed(auth, Messages.authenticationSaslData(A, MessageType.AUTH_SASL_CONTINUE, serverFirst)));
        String clientFinal;
        try {
            clientFinal = finalPayload.toString(StandardCharsets.UTF_8);
        } finally {
            finalPayload.release();
        }
        ScramServerExchange.Result result = server.onClientFinal(clientFinal);
        assertNull(feed(auth, Messages.authenticationSaslData(A, MessageType.AUTH_SASL_FINAL, result.serverFinal())));
        assertNull(feed(auth, Messages.authentication(A, MessageType.AUTH_OK)));
    }

    @Test
    void scramWithAPassword() throws Exception {
        BackendAuthenticator auth = new BackendAuthenticator(BackendCredentials.password("u", "pencil"));
        scramExchange(auth, ScramServerExchange.forPassword("pencil", RANDOM));
    }

    @Test
    void scramWithAWrongPasswordIsRejectedByTheServer() {
        BackendAuthenticator auth = new BackendAuthenticator(BackendCredentials.password("u", "crayon"));
        AuthException e = assertThrows(AuthException.class, () -> scramExchange(auth, ScramServerExchange.forPassword("pencil", RANDOM)));
        assertEquals(SqlState.INVALID_PASSWORD, e.sqlState()); // thrown by the server side's proof check
    }

    @Test
    void scramPassthroughWithClientKeyAndStoredSecret() throws Exception {
        Secret.Scram secret = ScramServerExchange.scramSecret("pencil", SALT, 4096);
        byte[] clientKey = clientKey("pencil", SALT, 4096);
        BackendAuthenticator auth = new BackendAuthenticator(new BackendCredentials("u", null, null, clientKey, secret, SecretOrigin.AUTH_FILE));
        scramExchange(auth, ScramServerExchange.forSecret(secret));
    }

    @Test
    void scramPassthroughWithKeysLearnedFromAClientLogin() throws Exception {
        Secret.Scram secret = ScramServerExchange.scramSecret("pencil", SALT, 4096);
        BackendCredentials creds = BackendCredentials.fromSecret("u", secret);
        assertTrue(!creds.usable(), "a SCRAM secret alone cannot log in");
        BackendCredentials learned = creds.withScramClientKey(clientKey("pencil", SALT, 4096));
        assertTrue(learned.usable());
        scramExchange(new BackendAuthenticator(learned), ScramServerExchange.forSecret(secret));
    }

    @Test
    void scramPassthroughFailsWhenTheServerHasAnotherSalt() throws Exception {
        Secret.Scram secret = ScramServerExchange.scramSecret("pencil", SALT, 4096);
        BackendAuthenticator auth = new BackendAuthenticator(
                new BackendCredentials("u", null, null, clientKey("pencil", SALT, 4096), secret, SecretOrigin.AUTH_FILE));
        ScramServerExchange server = ScramServerExchange.forPassword("pencil", RANDOM); // fresh random salt
        AuthException e = assertThrows(AuthException.class, () -> scramExchange(auth, server));
        assertEquals(SqlState.INVALID_PASSWORD, e.sqlState());
        assertTrue(e.getMessage().contains("SCRAM passthrough for user \"u\" is impossible"), e.getMessage());
        assertTrue(e.getMessage().contains("(salt, iterations) differs"), e.getMessage());
    }

    @Test
    void scramPassthroughFailsWhenTheServerHasOtherIterations() {
        Secret.Scram secret = ScramServerExchange.scramSecret("pencil", SALT, 4096);
        BackendAuthenticator auth = new BackendAuthenticator(
                new BackendCredentials("u", null, null, clientKey("pencil", SALT, 4096), secret, SecretOrigin.AUTH_FILE));
        ScramServerExchange server = ScramServerExchange.forSecret(ScramServerExchange.scramSecret("pencil", SALT, 8192));
        AuthException e = assertThrows(AuthException.class, () -> scramExchange(auth, server));
        assertTrue(e.getMessage().contains("(salt, iterations) differs"), e.getMessage());
    }

    @Test
    void aForgedServerSignatureIsRejected() throws Exception {
        BackendAuthenticator auth = new BackendAuthenticator(BackendCredentials.password("u", "pencil"));
        ScramServerExchange server = ScramServerExchange.forPassword("pencil", RANDOM);
        upToTheServersSignature(auth, server);
        String forged = "v=" + Base64.getEncoder().encodeToString(new byte[32]);
        AuthException e = assertThrows(AuthException.class,
                () -> feed(auth, Messages.authenticationSaslData(A, MessageType.AUTH_SASL_FINAL, forged)));
        assertEquals(SqlState.INVALID_PASSWORD, e.sqlState());
        assertTrue(e.getMessage().startsWith("server's SCRAM signature is invalid"), e.getMessage());
    }

    /** Plays PostgreSQL's side of SCRAM up to the client's final message (its proof), which is dropped. */
    private static void upToTheServersSignature(BackendAuthenticator auth, ScramServerExchange server) throws Exception {
        ByteBuf initial = passwordPayload(feed(auth, Messages.authenticationSasl(A, "SCRAM-SHA-256")));
        Messages.readCString(initial);
        initial.readInt();
        String serverFirst = server.onClientFirst(initial.toString(StandardCharsets.UTF_8), RANDOM);
        initial.release();
        passwordPayload(feed(auth, Messages.authenticationSaslData(A, MessageType.AUTH_SASL_CONTINUE, serverFirst))).release();
    }

    /** A server that answers the client's SCRAM proof with AuthenticationOk but no signature never proved itself. */
    @Test
    void authenticationOkBeforeTheServersScramSignatureIsRefused() throws Exception {
        BackendAuthenticator auth = new BackendAuthenticator(BackendCredentials.password("u", "pencil"));
        ScramServerExchange server = ScramServerExchange.forPassword("pencil", RANDOM);
        upToTheServersSignature(auth, server);
        AuthException e = assertThrows(AuthException.class, () -> feed(auth, Messages.authentication(A, MessageType.AUTH_OK)));
        assertEquals(SqlState.PROTOCOL_VIOLATION, e.sqlState());
        assertTrue(e.getMessage().contains("before completing the SCRAM exchange"), e.getMessage());

        BackendAuthenticator early = new BackendAuthenticator(BackendCredentials.password("u", "pencil"));
        passwordPayload(feed(early, Messages.authenticationSasl(A, "SCRAM-SHA-256"))).release();
        assertThrows(AuthException.class, () -> feed(early, Messages.authentication(A, MessageType.AUTH_OK)),
                "right after the client's first message, too");
    }

    @Test
    void missingCleartextPassword() {
        BackendAuthenticator auth = new BackendAuthenticator(BackendCredentials.none("bob"));
        AuthException e = assertThrows(AuthException.class, () -> feed(auth, Messages.authentication(A, MessageType.AUTH_CLEARTEXT_PASSWORD)));
        assertEquals(SqlState.INVALID_PASSWORD, e.sqlState());
        assertEquals("server asks for a cleartext password for user \"bob\", and Berth has none (give it in --backend or in the auth file)",
                e.getMessage());
    }

    @Test
    void aSecretFromAuthQueryThatCannotAnswerSaysWhereToGiveThePassword() {
        Secret.Scram secret = ScramServerExchange.scramSecret("pencil", SALT, 4096);
        BackendAuthenticator auth = new BackendAuthenticator(BackendCredentials.fromSecret("bob", secret, SecretOrigin.AUTH_QUERY));
        AuthException e = assertThrows(AuthException.class, () -> feed(auth, Messages.authentication(A, MessageType.AUTH_CLEARTEXT_PASSWORD)));
        assertEquals(SqlState.INVALID_PASSWORD, e.sqlState());
        assertEquals("server asks for a cleartext password for user \"bob\", and Berth has none (auth_query returned only a"
                + " SCRAM secret; give the password in --backend or in the auth file)", e.getMessage());
    }

    @Test
    void missingMd5Password() {
        BackendAuthenticator auth = new BackendAuthenticator(BackendCredentials.none("bob"));
        AuthException e = assertThrows(AuthException.class, () -> feed(auth, Messages.authenticationMd5(A, new byte[4])));
        assertEquals(SqlState.INVALID_PASSWORD, e.sqlState());
        assertTrue(e.getMessage().startsWith("server asks for an md5 password for user \"bob\""), e.getMessage());
    }

    @Test
    void missingScramPassword() {
        BackendAuthenticator auth = new BackendAuthenticator(BackendCredentials.none("bob"));
        AuthException e = assertThrows(AuthException.class, () -> feed(auth, Messages.authenticationSasl(A, "SCRAM-SHA-256")));
        assertEquals(SqlState.INVALID_PASSWORD, e.sqlState());
        assertTrue(e.getMessage().startsWith("server asks for a SCRAM-SHA-256 password for user \"bob\""), e.getMessage());
    }

    @Test
    void scramSecretWithoutClientKeyCannotLogIn() {
        Secret.Scram secret = ScramServerExchange.scramSecret("pencil", SALT, 4096);
        BackendAuthenticator auth = new BackendAuthenticator(BackendCredentials.fromSecret("bob", secret));
        AuthException e = assertThrows(AuthException.class, () -> feed(auth, Messages.authenticationSasl(A, "SCRAM-SHA-256")));
        assertEquals(SqlState.INVALID_PASSWORD, e.sqlState());
        assertTrue(e.getMessage().contains("SCRAM keys"), e.getMessage());
    }

    @Test
    void saslWithoutScramSha256IsNotSupported() {
        BackendAuthenticator auth = new BackendAuthenticator(BackendCredentials.password("u", "p"));
        AuthException e = assertThrows(AuthException.class, () -> feed(auth, Messages.authenticationSasl(A, "SCRAM-SHA-256-PLUS")));
        assertEquals(SqlState.FEATURE_NOT_SUPPORTED, e.sqlState());
    }

    @Test
    void unsupportedMethodIsNotSupported() {
        BackendAuthenticator auth = new BackendAuthenticator(BackendCredentials.password("u", "p"));
        AuthException e = assertThrows(AuthException.class, () -> feed(auth, Messages.authentication(A, 7))); // GSS
        assertEquals(SqlState.FEATURE_NOT_SUPPORTED, e.sqlState());
        assertTrue(e.getMessage().startsWith("server requested authentication method 7"), e.getMessage());
    }

    @Test
    void saslContinueOrFinalBeforeSaslIsAProtocolViolation() {
        BackendAuthenticator auth = new BackendAuthenticator(BackendCredentials.password("u", "p"));
        AuthException cont = assertThrows(AuthException.class,
                () -> feed(auth, Messages.authenticationSaslData(A, MessageType.AUTH_SASL_CONTINUE, "r=x,s=AAAA,i=4096")));
        assertEquals(SqlState.PROTOCOL_VIOLATION, cont.sqlState());
        AuthException fin = assertThrows(AuthException.class,
                () -> feed(auth, Messages.authenticationSaslData(A, MessageType.AUTH_SASL_FINAL, "v=AAAA")));
        assertEquals(SqlState.PROTOCOL_VIOLATION, fin.sqlState());
    }

    /** A server certificate signed with ecdsa-with-SHA384: RFC 5929 hashes it with SHA-384. */
    private static final String SERVER_CERT = "-----BEGIN CERTIFICATE-----\n"
            + "MIIBgTCCASegAwIBAgIUNeAjs4wfwjMUXxhAfi7f1MFWVKowCgYIKoZIzj0EAwMw\n"
            + "FTETMBEGA1UEAwwKcGcuZXhhbXBsZTAgFw0yNjExMjkxMjUxNDBaGA8yMTI2MTEw\n"
            + "NTEyNTE0MFowFTETMBEGA1UEAwwKcGcuZXhhbXBsZTBZMBMGByqGSM49AgEGCCqG\n"
            + "SM49AwEHA0IABApx9yeeGcvn5ILaC5OlgJSdk2p8J20MJG8ZtUMMDKrtlOmqrnPQ\n"
            + "eOPlU7+0Buhb1AygbU2pSshnkKf+3T/VYDWjUzBRMB0GA1UdDgQWBBQxFeZx1poR\n"
            + "gBMDAsadmGFU+z7TBTAfBgNVHSMEGDAWgBQxFeZx1poRgBMDAsadmGFU+z7TBTAP\n"
            + "BgNVHRMBAf8EBTADAQH/MAoGCCqGSM49BAMDA0gAMEUCIFEHHAVcFhwuAPS67gcb\n"
            + "m42lPjbMVd44oBnUFmNDmtwEAiEAvRPIWRHRM9ISBQxSO9LgQVDK+hxl2LTN5Imo\n"
            + "d+58md8=\n"
            + "-----END CERTIFICATE-----\n";
    /** SHA-384 of its DER encoding (openssl x509 -outform der | openssl dgst -sha384). */
    private static final String SERVER_CERT_SHA384 = "cxOKLPHvFMMMeAtvXCY4i3LuakQAbgUAF1y3ncpvX/1hoqCEV9RwfIGi23E3WoTu";

    private static X509Certificate serverCert() throws Exception {
        return (X509Certificate) CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(SERVER_CERT.getBytes(StandardCharsets.US_ASCII)));
    }

    private static Map<Character, String> attributes(String message) {
        Map<Character, String> a = new HashMap<>();
        for (String part : message.split(",")) {
            if (part.length() > 1 && part.charAt(1) == '=') {
                a.put(part.charAt(0), part.substring(2));
            }
        }
        return a;
    }

    /**
     * Plays PostgreSQL's side of SCRAM over TLS offering {@code mechanisms}, checks the client's proof over
     * the AuthMessage (which holds the channel binding) with the secret, and returns the client-final's
     * {@code c=} decoded, i.e. the gs2 header and the channel-binding data the client sent.
     */
    private static byte[] tlsExchange(BackendAuthenticator auth, Secret.Scram secret, String expectedMechanism,
                                      String... mechanisms) throws Exception {
        ByteBuf initial = passwordPayload(feed(auth, sasl(mechanisms)));
        String clientFirst;
        try {
            assertEquals(expectedMechanism, Messages.readCString(initial));
            initial.readInt();
            clientFirst = initial.toString(StandardCharsets.UTF_8);
        } finally {
            initial.release();
        }
        String gs2 = clientFirst.substring(0, clientFirst.indexOf(",,") + 2);
        String clientFirstBare = clientFirst.substring(gs2.length());
        String serverFirst = "r=" + attributes(clientFirstBare).get('r') + "srvnonce,s="
                + Base64.getEncoder().encodeToString(secret.salt()) + ",i=" + secret.iterations();
        ByteBuf finalPayload = passwordPayload(feed(auth, Messages.authenticationSaslData(A, MessageType.AUTH_SASL_CONTINUE, serverFirst)));
        String clientFinal;
        try {
            clientFinal = finalPayload.toString(StandardCharsets.UTF_8);
        } finally {
            finalPayload.release();
        }
        String withoutProof = clientFinal.substring(0, clientFinal.indexOf(",p="));
        String authMessage = clientFirstBare + "," + serverFirst + "," + withoutProof;
        byte[] proof = Base64.getDecoder().decode(attributes(clientFinal).get('p'));
        assertTrue(ScramFunctions.verifyClientProof(ScramMechanism.SCRAM_SHA_256, proof, secret.storedKey(), authMessage),
                "the proof covers the AuthMessage with the channel binding");
        byte[] cbind = Base64.getDecoder().decode(attributes(clientFinal).get('c'));
        String serverFinal = "v=" + Base64.getEncoder().encodeToString(
                ScramFunctions.serverSignature(ScramMechanism.SCRAM_SHA_256, secret.serverKey(), authMessage));
        assertNull(feed(auth, Messages.authenticationSaslData(A, MessageType.AUTH_SASL_FINAL, serverFinal)));
        assertNull(feed(auth, Messages.authentication(A, MessageType.AUTH_OK)));
        return cbind;
    }

    /** AuthenticationSASL offering several mechanisms, as PostgreSQL over TLS does. */
    private static ByteBuf sasl(String... mechanisms) {
        ByteBuf b = Unpooled.buffer().writeByte('R').writeInt(0).writeInt(MessageType.AUTH_SASL);
        for (String m : mechanisms) {
            b.writeCharSequence(m, StandardCharsets.US_ASCII);
            b.writeByte(0);
        }
        b.writeByte(0);
        return b.setInt(1, b.readableBytes() - 1);
    }

    private static byte[] gs2WithEndPoint() {
        byte[] header = "p=tls-server-end-point,,".getBytes(StandardCharsets.US_ASCII);
        byte[] hash = Base64.getDecoder().decode(SERVER_CERT_SHA384);
        byte[] expected = Arrays.copyOf(header, header.length + hash.length);
        System.arraycopy(hash, 0, expected, header.length, hash.length);
        return expected;
    }

    @ParameterizedTest
    @EnumSource(value = ChannelBinding.class, names = {"PREFER", "REQUIRE"})
    void scramPlusBindsAPasswordLoginToTheServerCertificate(ChannelBinding mode) throws Exception {
        Secret.Scram secret = ScramServerExchange.scramSecret("pencil", SALT, 4096);
        BackendAuthenticator auth = new BackendAuthenticator(BackendCredentials.password("u", "pencil"), mode);
        auth.tlsEstablished(serverCert());
        assertArrayEquals(gs2WithEndPoint(), tlsExchange(auth, secret, "SCRAM-SHA-256-PLUS", "SCRAM-SHA-256", "SCRAM-SHA-256-PLUS"));
        assertTrue(auth.channelBound());
    }

    @Test
    void scramPlusBindsAPassthroughLogin() throws Exception {
        Secret.Scram secret = ScramServerExchange.scramSecret("pencil", SALT, 4096);
        BackendAuthenticator auth = new BackendAuthenticator(
                new BackendCredentials("u", null, null, clientKey("pencil", SALT, 4096), secret, SecretOrigin.AUTH_FILE), ChannelBinding.REQUIRE);
        auth.tlsEstablished(serverCert());
        assertArrayEquals(gs2WithEndPoint(), tlsExchange(auth, secret, "SCRAM-SHA-256-PLUS", "SCRAM-SHA-256-PLUS", "SCRAM-SHA-256"));
        assertTrue(auth.channelBound());
    }

    @Test
    void overTlsWithoutPlusOfferedTheClientSaysItCouldBind() throws Exception {
        Secret.Scram secret = ScramServerExchange.scramSecret("pencil", SALT, 4096);
        BackendAuthenticator auth = new BackendAuthenticator(BackendCredentials.password("u", "pencil"), ChannelBinding.PREFER);
        auth.tlsEstablished(serverCert());
        // "y": a server that did offer PLUS (stripped by a man in the middle) refuses this
        assertEquals("y,,", new String(tlsExchange(auth, secret, "SCRAM-SHA-256", "SCRAM-SHA-256"), StandardCharsets.US_ASCII));
        assertFalse(auth.channelBound());
    }

    @Test
    void disableNeverBinds() throws Exception {
        Secret.Scram secret = ScramServerExchange.scramSecret("pencil", SALT, 4096);
        BackendAuthenticator auth = new BackendAuthenticator(BackendCredentials.password("u", "pencil"), ChannelBinding.DISABLE);
        auth.tlsEstablished(serverCert());
        assertEquals("n,,", new String(tlsExchange(auth, secret, "SCRAM-SHA-256", "SCRAM-SHA-256", "SCRAM-SHA-256-PLUS"),
                StandardCharsets.US_ASCII));
    }

    @Test
    void requireRefusesEveryLoginThatIsNotBound() throws Exception {
        BackendCredentials creds = BackendCredentials.password("u", "pencil");
        BackendAuthenticator clear = new BackendAuthenticator(creds, ChannelBinding.REQUIRE);
        AuthException e = assertThrows(AuthException.class, () -> feed(clear, Messages.authenticationSasl(A, "SCRAM-SHA-256")));
        assertEquals(SqlState.CONNECTION_FAILURE, e.sqlState());
        assertEquals("channel binding required, but SSL not in use; channel_binding=require in the backend URL or [databases]"
                + " line", e.getMessage());

        BackendAuthenticator noPlus = new BackendAuthenticator(creds, ChannelBinding.REQUIRE);
        noPlus.tlsEstablished(serverCert());
        e = assertThrows(AuthException.class, () -> feed(noPlus, Messages.authenticationSasl(A, "SCRAM-SHA-256")));
        assertTrue(e.getMessage().startsWith("channel binding is required, but server did not offer an authentication method"
                + " that supports channel binding"), e.getMessage());

        for (ByteBuf request : List.of(Messages.authentication(A, MessageType.AUTH_CLEARTEXT_PASSWORD),
                Messages.authenticationMd5(A, new byte[4]), Messages.authentication(A, MessageType.AUTH_OK))) {
            BackendAuthenticator other = new BackendAuthenticator(creds, ChannelBinding.REQUIRE);
            other.tlsEstablished(serverCert());
            e = assertThrows(AuthException.class, () -> feed(other, request));
            assertEquals(SqlState.CONNECTION_FAILURE, e.sqlState());
            assertTrue(e.getMessage().startsWith("channel binding required") && e.getMessage().contains("channel_binding=require"),
                    e.getMessage());
        }
    }

    @Test
    void credentialsToStringHidesThePassword() {
        String s = new BackendCredentials("u", "hunter2", Md5.storedHash("x", "u"), new byte[32], null, SecretOrigin.AUTH_FILE).toString();
        assertTrue(!s.contains("hunter2") && !s.contains(Md5.storedHash("x", "u")), s);
        assertEquals("BackendCredentials[user=u, password=****, md5=true, scramPassthrough=true, origin=the auth file]", s);
    }
}
