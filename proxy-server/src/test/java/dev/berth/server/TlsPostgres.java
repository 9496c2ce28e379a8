package dev.berth.server;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * A second embedded PostgreSQL 17 (one per test JVM, started on first use) that, like a managed service,
 * accepts only TLS: {@code ssl=on} with a certificate from a test CA for the name {@code localhost} alone
 * (so connecting to 127.0.0.1 does not match it), {@code hostssl} rules only (trust, and {@code cert} for
 * the user {@value #CERT_USER}, whose client certificate the same CA signs; {@code scram-sha-256} for
 * {@value #SCRAM_USER}, which PostgreSQL then offers as SCRAM-SHA-256-PLUS too).
 */
public final class TlsPostgres {
    public static final String CERT_USER = "certuser";
    public static final String SCRAM_USER = "scramuser";
    public static final String SCRAM_PASSWORD = "scram-secret";

    private static TlsPostgres instance;

    private final EmbeddedPostgres postgres;
    private final TestCertificates.Issued ca;
    private final TestCertificates.Issued clientCert;
    private final Path dir;

    private TlsPostgres(EmbeddedPostgres postgres, Path dir, TestCertificates.Issued ca, TestCertificates.Issued clientCert) {
        this.postgres = postgres;
        this.dir = dir;
        this.ca = ca;
        this.clientCert = clientCert;
    }

    public static synchronized TlsPostgres get() {
        if (instance == null) {
            try {
                Path dir = TempFiles.directory("berth-tls-pg");
                TestCertificates.Issued ca = TestCertificates.ca(dir, "Berth Test CA");
                TestCertificates.Issued server = TestCertificates.issue(dir, ca, "localhost", "localhost");
                TestCertificates.Issued client = TestCertificates.issue(dir, ca, CERT_USER);
                Path hba = Files.writeString(dir.resolve("pg_hba.conf"), String.join("\n",
                        "local all all trust",
                        "hostssl all " + CERT_USER + " 127.0.0.1/32 cert",
                        "hostssl all " + SCRAM_USER + " 127.0.0.1/32 scram-sha-256",
                        "hostssl all all 127.0.0.1/32 trust", ""));
                EmbeddedPostgres postgres = EmbeddedPostgres.builder()
                        .setServerConfig("hba_file", hba.toString())
                        .setServerConfig("listen_addresses", "127.0.0.1")
                        .setServerConfig("ssl", "on")
                        .setServerConfig("ssl_cert_file", server.certFile().toString())
                        .setServerConfig("ssl_key_file", server.keyFile().toString())
                        .setServerConfig("ssl_ca_file", ca.certFile().toString())
                        // the start-up check connects over JDBC: it must use TLS too
                        .setConnectConfig("sslmode", "require")
                        .start();
                Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                    try {
                        postgres.close();
                    } catch (IOException ignored) {
                        // best effort at JVM exit
                    }
                }));
                instance = new TlsPostgres(postgres, dir, ca, client);
                instance.execute("create role " + CERT_USER + " login");
                instance.execute("create role " + SCRAM_USER + " login password '" + SCRAM_PASSWORD + "'");
            } catch (IOException e) {
                throw new UncheckedIOException("cannot start the TLS PostgreSQL", e);
            } catch (SQLException e) {
                throw new IllegalStateException("cannot set up the TLS PostgreSQL", e);
            }
        }
        return instance;
    }

    public int port() {
        return postgres.getPort();
    }

    /** The CA that signed the server's and {@value #CERT_USER}'s certificates. */
    public TestCertificates.Issued ca() {
        return ca;
    }

    public TestCertificates.Issued clientCert() {
        return clientCert;
    }

    /** A folder for the tests' own certificates. */
    public Path dir() {
        return dir;
    }

    public void execute(String sql) throws SQLException {
        try (Connection c = superuser(); Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    public Connection superuser() throws SQLException {
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port() + "/postgres?user=postgres&sslmode=require");
    }
}
