package dev.berth.server;

import dev.berth.core.auth.AuthType;
import dev.berth.core.config.BackendUrl;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SNIMatcher;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.StandardConstants;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Berth in front of a PostgreSQL that accepts only TLS ({@link TlsPostgres}; its certificate names
 * {@code localhost} only), with pgjdbc clients: each sslmode, direct TLS, a client certificate, SNI, and
 * the failures an operator must be able to read (wrong CA, wrong host, no TLS at the server).
 */
class BackendTlsTest {
    private static final TlsPostgres PG = TlsPostgres.get();

    private static RunningBerth berth(String host, int port, String user, String parameters) {
        return RunningBerth.start(b -> b.authType(AuthType.TRUST).adminUsers(Set.of("postgres"))
                .backend(BackendUrl.parse("postgresql://" + user + "@" + host + ":" + port + "/postgres?" + parameters)));
    }

    private static RunningBerth berth(String host, String parameters) {
        return berth(host, PG.port(), "postgres", parameters);
    }

    private static String rootCert() {
        return "sslrootcert=" + PG.ca().certFile();
    }

    private static Connection client(RunningBerth berth, String database) throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", "postgres");
        p.setProperty("preferQueryMode", "simple");
        return DriverManager.getConnection(berth.jdbcUrl(database), p);
    }

    /** What the backend says about the TLS of the session serving this client. */
    private static String backendTls(RunningBerth berth) throws SQLException {
        try (Connection c = client(berth, "postgres"); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("select ssl, version from pg_stat_ssl where pid = pg_backend_pid()")) {
            assertTrue(rs.next());
            return rs.getBoolean(1) ? rs.getString(2) : "none";
        }
    }

    private static SQLException refused(RunningBerth berth) {
        return assertThrows(SQLException.class, () -> client(berth, "postgres").close());
    }

    @Test
    void verifyFullWithTheHostNameTheCertificateNames() throws Exception {
        try (RunningBerth berth = berth("localhost", "sslmode=verify-full&" + rootCert())) {
            assertTrue(backendTls(berth).startsWith("TLSv1."));
            try (Connection admin = client(berth, "berth"); Statement s = admin.createStatement();
                 ResultSet rs = s.executeQuery("SHOW SERVERS")) {
                assertTrue(rs.next());
                assertTrue(rs.getString("tls").matches("TLSv1\\.[23]/TLS_\\w+"), rs.getString("tls"));
            }
            assertEquals(1.0, ObservabilityTest.value(ObservabilityTest.scrape(berth), "berth_backend_tls_handshakes_total",
                    "result", "ok"));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"sslmode=require", "sslmode=prefer", "sslmode=verify-ca&"})
    void weakerModesDoNotCheckTheHostName(String parameters) throws Exception {
        String url = parameters.endsWith("&") ? parameters + rootCert() : parameters;
        try (RunningBerth berth = berth("127.0.0.1", url)) {
            assertTrue(backendTls(berth).startsWith("TLSv1."), url);
        }
    }

    @Test
    void verifyFullRefusesACertificateForAnotherHost() throws Exception {
        try (RunningBerth berth = berth("127.0.0.1", "sslmode=verify-full&" + rootCert())) {
            SQLException e = refused(berth);
            assertEquals("08006", e.getSQLState());
            assertTrue(e.getMessage().contains("TLS to backend 127.0.0.1:" + PG.port() + " failed: certificate does not match"
                    + " host 127.0.0.1"), e.getMessage());
            RunningBerth.waitFor(() -> notReady(berth).contains("certificate does not match host 127.0.0.1"), "/readyz names the cause");
            assertEquals(1.0, ObservabilityTest.value(ObservabilityTest.scrape(berth), "berth_backend_tls_handshakes_total",
                    "result", "failed"));
        }
    }

    @Test
    void aCertificateFromAnotherCaIsRefused() throws Exception {
        TestCertificates.Issued otherCa = TestCertificates.ca(PG.dir(), "Another CA");
        try (RunningBerth berth = berth("localhost", "sslmode=verify-ca&sslrootcert=" + otherCa.certFile())) {
            SQLException e = refused(berth);
            assertEquals("08006", e.getSQLState());
            assertTrue(e.getMessage().contains("failed: certificate is not signed by a trusted CA (sslrootcert="
                    + otherCa.certFile() + ")"), e.getMessage());
        }
        // no sslrootcert: the JDK's trust store, which does not know the test CA
        try (RunningBerth berth = berth("localhost", "sslmode=verify-full")) {
            SQLException e = refused(berth);
            assertTrue(e.getMessage().contains("certificate is not signed by a trusted CA (the JDK's trust store"), e.getMessage());
        }
    }

    @Test
    void requireAgainstAServerWithoutTlsNamesTheCause() throws Exception {
        try (RunningBerth berth = berth("127.0.0.1", TestPostgres.port(), "postgres", "sslmode=require")) {
            SQLException e = refused(berth);
            assertEquals("08006", e.getSQLState());
            assertTrue(e.getMessage().contains("TLS to backend 127.0.0.1:" + TestPostgres.port()
                    + " failed: server does not support SSL, but sslmode=require"), e.getMessage());
            RunningBerth.waitFor(() -> notReady(berth).contains("server does not support SSL"), "/readyz names the cause");
        }
    }

    @Test
    void preferFallsBackToClearWhenTheServerHasNoTls() throws Exception {
        try (RunningBerth berth = berth("127.0.0.1", TestPostgres.port(), "postgres", "sslmode=prefer")) {
            try (Connection c = client(berth, "postgres"); Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("select 1")) {
                assertTrue(rs.next());
            }
            try (Connection admin = client(berth, "berth"); Statement s = admin.createStatement();
                 ResultSet rs = s.executeQuery("SHOW SERVERS")) {
                assertTrue(rs.next());
                assertEquals("", rs.getString("tls"));
            }
            assertEquals(1.0, ObservabilityTest.value(ObservabilityTest.scrape(berth), "berth_backend_tls_handshakes_total",
                    "result", "not_supported"));
        }
    }

    /** Cancels go to the backend in clear: PostgreSQL takes them before its hba rules, so hostssl-only does not stop them. */
    @Test
    void cancelReachesATlsOnlyBackend() throws Exception {
        try (RunningBerth berth = berth("localhost", "sslmode=verify-full&" + rootCert());
             Connection c = client(berth, "postgres"); Statement s = c.createStatement()) {
            s.setQueryTimeout(1); // pgjdbc cancels the statement after 1 s
            SQLException e = assertThrows(SQLException.class, () -> s.execute("select pg_sleep(60)"));
            assertEquals("57014", e.getSQLState(), e.getMessage());
        }
    }

    @Test
    void directTlsWithAlpn() throws Exception {
        try (RunningBerth berth = berth("localhost", "sslmode=verify-full&sslnegotiation=direct&" + rootCert())) {
            assertTrue(backendTls(berth).startsWith("TLSv1."));
        }
    }

    @Test
    void clientCertificateLogsInWithCertAuthentication() throws Exception {
        TestCertificates.Issued cert = PG.clientCert();
        try (RunningBerth berth = berth("localhost", PG.port(), TlsPostgres.CERT_USER, "sslmode=verify-full&" + rootCert()
                + "&sslcert=" + cert.certFile() + "&sslkey=" + cert.keyFile());
             Connection c = client(berth, "postgres"); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("select current_user")) {
            assertTrue(rs.next());
            assertEquals(TlsPostgres.CERT_USER, rs.getString(1));
        }
    }

    /**
     * Managed services route on SNI: Berth sends the host name, even one without a dot (the JDK alone would
     * not), after SSLRequest or, with direct TLS, at once with ALPN "postgresql".
     */
    @ParameterizedTest
    @ValueSource(strings = {"postgres", "direct"})
    void sniCarriesTheBackendHostName(String negotiation) throws Exception {
        SSLContext serverTls = serverContext(TestCertificates.issue(PG.dir(), PG.ca(), "localhost", "localhost"));
        CompletableFuture<String> seen = new CompletableFuture<>();
        try (ServerSocket listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Thread recorder = new Thread(() -> record(listener, serverTls, seen), "sni-recorder");
            recorder.setDaemon(true);
            recorder.start();
            try (RunningBerth berth = berth("localhost", listener.getLocalPort(), "postgres", "sslmode=verify-full&"
                    + rootCert() + "&sslnegotiation=" + negotiation)) {
                refused(berth); // the recorder is no PostgreSQL
                assertEquals((negotiation.equals("direct") ? "direct" : "SSLRequest") + ", SNI localhost, ALPN "
                        + (negotiation.equals("direct") ? "postgresql" : "none"), seen.get(30, TimeUnit.SECONDS));
            }
        }
    }

    /** Accepts one connection and records how it started TLS, the SNI name and the ALPN protocol. */
    private static void record(ServerSocket listener, SSLContext context, CompletableFuture<String> seen) {
        try (Socket plain = listener.accept()) {
            DataInputStream in = new DataInputStream(new BufferedInputStream(plain.getInputStream()));
            in.mark(8);
            String start;
            if (in.readInt() == 8 && in.readInt() == 80877103) {
                start = "SSLRequest";
                plain.getOutputStream().write('S');
                plain.getOutputStream().flush();
            } else {
                start = "direct";
                in.reset(); // the ClientHello, handed to the TLS socket
            }
            String[] sni = {"none"};
            try (SSLSocket tls = (SSLSocket) context.getSocketFactory().createSocket(plain, in, false)) {
                SSLParameters parameters = tls.getSSLParameters();
                parameters.setSNIMatchers(List.of(new SNIMatcher(StandardConstants.SNI_HOST_NAME) {
                    @Override
                    public boolean matches(SNIServerName name) {
                        sni[0] = ((SNIHostName) name).getAsciiName();
                        return true;
                    }
                }));
                parameters.setApplicationProtocols(new String[] {"postgresql"});
                tls.setSSLParameters(parameters);
                tls.startHandshake();
                String alpn = tls.getApplicationProtocol();
                seen.complete(start + ", SNI " + sni[0] + ", ALPN " + (alpn == null || alpn.isEmpty() ? "none" : alpn));
            }
        } catch (Exception e) {
            seen.complete("(failed: " + e + ")");
        }
    }

    private static SSLContext serverContext(TestCertificates.Issued cert) throws Exception {
        KeyStore keys = KeyStore.getInstance("PKCS12");
        keys.load(null, null);
        keys.setKeyEntry("server", cert.keys().getPrivate(), new char[0], new Certificate[] {cert.certificate()});
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(keys, new char[0]);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(kmf.getKeyManagers(), null, null);
        return context;
    }

    private static String notReady(RunningBerth berth) {
        try {
            return ObservabilityTest.get(berth.server(), "/readyz").body();
        } catch (Exception e) {
            return String.valueOf(e);
        }
    }
}
