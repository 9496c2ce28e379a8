package dev.berth.server;

import dev.berth.core.config.BerthConfig;
import dev.berth.core.config.ClientTlsMode;
import dev.berth.core.config.ConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** TLS from clients: every client_tls_mode, pgjdbc, psql, client certificates, direct TLS, RELOAD. */
class ClientTlsTest {
    private static final byte[] SSL_REQUEST = ByteBuffer.allocate(8).putInt(8).putInt(80877103).array();
    private static final TestCertificates CA = TestCertificates.authority("Berth Test CA");
    private static final TestCertificates.Pem SERVER = CA.server("localhost");
    private static final TestCertificates.Pem APP_CLIENT = CA.client(TestPostgres.APP_USER);

    private static RunningBerth tlsBerth(ClientTlsMode mode) {
        return RunningBerth.start(b -> b.tlsCert(SERVER.cert()).tlsKey(SERVER.key()).tlsCa(CA.ca()).clientTlsMode(mode)
                .adminUsers(Set.of(TestPostgres.APP_USER)));
    }

    @ParameterizedTest
    @EnumSource(ClientTlsMode.class)
    void everyModeAgainstClientsThatDoAndDoNotAskForTls(ClientTlsMode mode) throws Exception {
        try (RunningBerth berth = tlsBerth(mode)) {
            try (RawClient c = new RawClient(berth.port())) {
                c.send(SSL_REQUEST);
                assertEquals(mode.enabled() ? 'S' : 'N', c.readByte(), "the answer to an SSLRequest");
            }
            try (RawClient c = new RawClient(berth.port())) {
                c.startup(Map.of("user", TestPostgres.APP_USER, "database", TestPostgres.APP_DB));
                RawClient.Message first = c.read();
                if (mode.required()) {
                    assertEquals('E', first.type(), "refused before any authentication request");
                    assertEquals("28000", first.field('C'));
                    assertEquals("TLS required: connect with sslmode=require (Berth's client_tls_mode is " + mode + ")",
                            first.field('M'));
                    assertTrue(c.closedByServer());
                } else {
                    assertEquals('R', first.type(), "a plain client is asked for its password");
                }
            }

            if (mode.required()) {
                SQLException plain = assertThrows(SQLException.class, () -> connect(berth, "disable", null).close());
                assertEquals("28000", plain.getSQLState(), plain.toString());
            } else {
                assertSelectOne(connect(berth, "disable", null));
            }
            double ok = handshakes(berth, "ok");
            if (mode.enabled()) {
                assertSelectOne(connect(berth, "require", APP_CLIENT));
                assertEquals(ok + 1, handshakes(berth, "ok"), "the login went over TLS");
            } else {
                SQLException refused = assertThrows(SQLException.class, () -> connect(berth, "require", APP_CLIENT).close());
                assertTrue(refused.getMessage().contains("does not support SSL"), refused.getMessage());
            }
            if (mode.verifiesClients()) {
                double failed = handshakes(berth, "failed");
                assertThrows(SQLException.class, () -> connect(berth, "require", null).close(), "no client certificate");
                RunningBerth.waitFor(() -> handshakes(berth, "failed") == failed + 1, "the failed handshake counted");
                TestCertificates.Pem stranger = TestCertificates.authority("Other CA").client(TestPostgres.APP_USER);
                assertThrows(SQLException.class, () -> connect(berth, "require", stranger).close(), "a certificate of another CA");
            }
        }
    }

    @Test
    void verifyFullNeedsTheCertificatesCommonNameToBeTheUser() throws Exception {
        try (RunningBerth berth = tlsBerth(ClientTlsMode.VERIFY_FULL)) {
            SQLException e = assertThrows(SQLException.class, () -> connect(berth, "require", CA.client("mallory")).close());
            assertEquals("28000", e.getSQLState(), e.toString());
            assertTrue(e.getMessage().contains("certificate authentication failed for user \"app\": the client certificate's"
                    + " CN is \"mallory\""), e.getMessage());
        }
        try (RunningBerth berth = tlsBerth(ClientTlsMode.VERIFY_CA)) {
            assertSelectOne(connect(berth, "require", CA.client("mallory"))); // verify-ca checks the signature only
        }
    }

    @Test
    void pgjdbcVerifyFullChecksBerthsCertificateAndShowClientsSaysTls() throws Exception {
        try (RunningBerth berth = tlsBerth(ClientTlsMode.PREFER)) {
            Properties p = props("verify-full", null);
            p.setProperty("sslrootcert", CA.ca().toString());
            try (Connection c = DriverManager.getConnection(berth.jdbcUrl(TestPostgres.APP_DB), p)) {
                assertSelectOne(c);
            }
            p.setProperty("sslrootcert", TestCertificates.authority("Other CA").ca().toString());
            SQLException untrusted = assertThrows(SQLException.class,
                    () -> DriverManager.getConnection(berth.jdbcUrl(TestPostgres.APP_DB), p).close());
            assertTrue(untrusted.getMessage().contains("SSL error"), untrusted.getMessage());

            Properties admin = props("require", null);
            admin.setProperty("preferQueryMode", "simple");
            try (Connection c = DriverManager.getConnection(berth.jdbcUrl("berth"), admin);
                 Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SHOW CLIENTS")) {
                assertTrue(rs.next());
                assertTrue(rs.getString("tls").matches("TLSv1\\.[23]/TLS_.+"), rs.getString("tls"));
            }
        }
    }

    @Test
    void psqlWithSslmodeRequire() throws Exception {
        RequiredTool.requireCommand("psql", "postgresql-client");
        try (RunningBerth berth = tlsBerth(ClientTlsMode.REQUIRE)) {
            ProcessBuilder pb = new ProcessBuilder("psql", "-X", "-w", "host=127.0.0.1 port=" + berth.port() + " user="
                    + TestPostgres.APP_USER + " dbname=" + TestPostgres.APP_DB + " sslmode=require", "-c", "\\conninfo", "-c", "select 41 + 1")
                    .redirectErrorStream(true);
            pb.environment().put("PGPASSWORD", TestPostgres.APP_PASSWORD);
            Process psql = pb.start();
            String output = new String(psql.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(psql.waitFor(60, TimeUnit.SECONDS));
            assertEquals(0, psql.exitValue(), output);
            assertTrue(output.contains("SSL connection (protocol: TLSv1."), output);
            assertTrue(output.contains("42"), output);
        }
    }

    @Test
    void directTlsWithPgjdbc() throws Exception {
        try (RunningBerth berth = tlsBerth(ClientTlsMode.REQUIRE)) {
            Properties p = props("verify-full", null);
            p.setProperty("sslrootcert", CA.ca().toString());
            p.setProperty("sslNegotiation", "direct");
            double ok = handshakes(berth, "ok");
            try (Connection c = DriverManager.getConnection(berth.jdbcUrl(TestPostgres.APP_DB), p)) {
                assertSelectOne(c);
            }
            assertEquals(ok + 1, handshakes(berth, "ok"));
        }
    }

    @Test
    void directTlsWithoutAlpnIsRefusedAndWithoutTlsOnItIsClosed() throws Exception {
        try (RunningBerth berth = tlsBerth(ClientTlsMode.PREFER)) {
            try (SSLSocket socket = tlsSocket(berth.port(), false)) {
                socket.getOutputStream().write(startupPacket());
                RawClient.Message m = readMessage(new DataInputStream(socket.getInputStream()));
                assertEquals('E', m.type());
                assertEquals("08P01", m.field('C'));
                assertTrue(m.field('M').contains("direct TLS connection without the ALPN protocol \"postgresql\""), m.field('M'));
            }
            try (SSLSocket socket = tlsSocket(berth.port(), true)) {
                socket.getOutputStream().write(startupPacket());
                assertEquals('R', readMessage(new DataInputStream(socket.getInputStream())).type(), "ALPN postgresql: login goes on");
            }
            try (SSLSocket socket = tlsSocket(berth.port(), true)) {
                socket.getOutputStream().write(SSL_REQUEST);
                RawClient.Message m = readMessage(new DataInputStream(socket.getInputStream()));
                assertEquals("08P01", m.field('C'));
                assertEquals("SSLRequest on a connection that already uses TLS", m.field('M'));
            }
        }
        try (RunningBerth berth = tlsBerth(ClientTlsMode.DISABLE)) {
            assertThrows(IOException.class, () -> {
                try (SSLSocket socket = tlsSocket(berth.port(), true)) {
                    socket.startHandshake();
                }
            }, "TLS is off: the connection is closed");
        }
    }

    @Test
    void plaintextPipelinedAfterAnSslRequestIsAProtocolViolation() throws Exception {
        try (RunningBerth berth = tlsBerth(ClientTlsMode.PREFER); RawClient c = new RawClient(berth.port())) {
            ByteArrayOutputStream injected = new ByteArrayOutputStream();
            injected.writeBytes(SSL_REQUEST);
            injected.writeBytes(startupPacket());
            c.send(injected.toByteArray()); // one write: Berth reads both before it answers
            RawClient.Message m = c.read();
            assertEquals('E', m.type(), "no 'S': an error in clear instead");
            assertEquals("08P01", m.field('C'));
            assertTrue(m.field('M').startsWith("received unencrypted data after SSL request"), m.field('M'));
            assertTrue(c.closedByServer());
        }
    }

    @Test
    void reloadRereadsTheCertificateAndABadOneKeepsTheOld(@TempDir Path dir) throws Exception {
        Path cert = Files.copy(SERVER.cert(), dir.resolve("server.crt"));
        Path key = Files.copy(SERVER.key(), dir.resolve("server.key"));
        TestCertificates newCa = TestCertificates.authority("New CA");
        try (RunningBerth berth = RunningBerth.start(b -> b.tlsCert(cert).tlsKey(key).adminUsers(Set.of(TestPostgres.APP_USER)))) {
            assertSelectOne(verifyFull(berth, CA.ca()));
            TestCertificates.Pem renewed = newCa.server("localhost");
            Files.copy(renewed.cert(), cert, StandardCopyOption.REPLACE_EXISTING);
            Files.copy(renewed.key(), key, StandardCopyOption.REPLACE_EXISTING);
            try (Connection admin = verifyFull(berth, CA.ca(), "berth"); Statement s = admin.createStatement()) {
                s.execute("RELOAD");
            }
            assertSelectOne(verifyFull(berth, newCa.ca()));
            assertThrows(SQLException.class, () -> verifyFull(berth, CA.ca()).close(), "the old certificate is gone");

            Files.writeString(cert, "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n");
            try (Connection admin = verifyFull(berth, newCa.ca(), "berth"); Statement s = admin.createStatement()) {
                SQLException bad = assertThrows(SQLException.class, () -> s.execute("RELOAD"));
                assertTrue(bad.getMessage().contains("tls_cert: " + cert + " holds an invalid certificate"), bad.getMessage());
                assertTrue(bad.getMessage().contains("the previous TLS certificate stays in use"), bad.getMessage());
            }
            assertSelectOne(verifyFull(berth, newCa.ca()));
        }
    }

    @Test
    void aNewConfigurationTurnsTlsOnAndABadCertificateInItChangesNothing(@TempDir Path dir) throws Exception {
        Path cert = Files.copy(SERVER.cert(), dir.resolve("server.crt"));
        Path key = Files.copy(SERVER.key(), dir.resolve("server.key"));
        try (RunningBerth berth = RunningBerth.start()) {
            assertEquals('N', sslAnswer(berth));
            berth.server().reconfigure(sameBackend(berth).tlsCert(cert).tlsKey(key).clientTlsMode(ClientTlsMode.REQUIRE).build());
            assertEquals('S', sslAnswer(berth));
            assertSelectOne(verifyFull(berth, CA.ca()));

            BerthConfig broken = sameBackend(berth).tlsCert(cert).tlsKey(key).poolMax(3).build(); // checked while valid
            Files.writeString(cert, "not a certificate any more\n");
            ConfigException e = assertThrows(ConfigException.class, () -> berth.server().reconfigure(broken));
            assertEquals("tls_cert", e.setting());
            assertEquals(ClientTlsMode.REQUIRE, berth.server().config().clientTlsMode(), "the configuration stays");
            assertEquals(10, berth.server().config().poolMax());
            assertSelectOne(verifyFull(berth, CA.ca()));
        }
    }

    // ---- helpers ----

    /** A builder with the running Berth's backend, users and pool size, TLS not set. */
    private static BerthConfig.Builder sameBackend(RunningBerth berth) {
        BerthConfig c = berth.server().config();
        return BerthConfig.builder().backend(c.backend()).authFile(c.authFile()).authType(c.authType())
                .poolMax(c.poolMax()).poolMin(c.poolMin()).connectionTimeoutMs(c.connectionTimeoutMs());
    }

    private static int sslAnswer(RunningBerth berth) throws IOException {
        try (RawClient c = new RawClient(berth.port())) {
            c.send(SSL_REQUEST);
            return c.readByte();
        }
    }

    private static Connection verifyFull(RunningBerth berth, Path root) throws SQLException {
        return verifyFull(berth, root, TestPostgres.APP_DB);
    }

    private static Connection verifyFull(RunningBerth berth, Path root, String database) throws SQLException {
        Properties p = props("verify-full", null);
        p.setProperty("sslrootcert", root.toString());
        p.setProperty("preferQueryMode", "simple");
        return DriverManager.getConnection(berth.jdbcUrl(database), p);
    }

    private static Connection connect(RunningBerth berth, String sslmode, TestCertificates.Pem clientCert) throws SQLException {
        return DriverManager.getConnection(berth.jdbcUrl(TestPostgres.APP_DB), props(sslmode, clientCert));
    }

    private static Properties props(String sslmode, TestCertificates.Pem clientCert) {
        Properties p = new Properties();
        p.setProperty("user", TestPostgres.APP_USER);
        p.setProperty("password", TestPostgres.APP_PASSWORD);
        p.setProperty("sslmode", sslmode);
        if (clientCert != null) {
            p.setProperty("sslcert", clientCert.cert().toString());
            p.setProperty("sslkey", clientCert.key().toString());
        } else { // not the user's ~/.postgresql files
            p.setProperty("sslcert", "/nonexistent/postgresql.crt");
            p.setProperty("sslkey", "/nonexistent/postgresql.key");
        }
        return p;
    }

    private static void assertSelectOne(Connection connection) throws SQLException {
        try (Connection c = connection; Statement s = c.createStatement(); ResultSet rs = s.executeQuery("select 1")) {
            assertTrue(rs.next());
            assertEquals(1, rs.getInt(1));
        }
    }

    private static double handshakes(RunningBerth berth, String result) {
        String series = "berth_client_tls_handshakes_total{result=\"" + result + "\"}";
        return ClientLimitsTest.metric(berth, series);
    }

    private static byte[] startupPacket() {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        for (String s : new String[] {"user", TestPostgres.APP_USER, "database", TestPostgres.APP_DB, ""}) {
            body.writeBytes(RawClient.cstring(s)); // "" ends the list
        }
        byte[] b = body.toByteArray();
        return ByteBuffer.allocate(8 + b.length).putInt(8 + b.length).putInt(196608).put(b).array();
    }

    private static SSLSocket tlsSocket(int port, boolean alpn) throws IOException, GeneralSecurityException {
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, new TrustManager[] {new X509TrustManager() {
            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType) {
            }

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType) {
            }

            @Override
            public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }
        }}, null);
        SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket("127.0.0.1", port);
        socket.setSoTimeout(10_000);
        if (alpn) {
            SSLParameters parameters = socket.getSSLParameters();
            parameters.setApplicationProtocols(new String[] {"postgresql"});
            socket.setSSLParameters(parameters);
        }
        return socket;
    }

    private static RawClient.Message readMessage(DataInputStream in) throws IOException {
        char type = (char) in.readUnsignedByte();
        byte[] payload = new byte[in.readInt() - 4];
        in.readFully(payload);
        return new RawClient.Message(type, payload);
    }
}
