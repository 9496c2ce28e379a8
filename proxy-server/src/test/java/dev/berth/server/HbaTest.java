package dev.berth.server;

import dev.berth.core.auth.AuthType;
import dev.berth.core.config.ClientTlsMode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** auth_type hba: each client's method from the first matching line, by connection type, database, user and address. */
class HbaTest {
    private static final TestCertificates CA = TestCertificates.authority("Berth Hba CA");
    private static final String RULES = String.join("\n",
            "# Berth has no Unix socket: local never matches",
            "local     all      all                     trust",
            "hostssl   postgres postgres  all           cert",
            "host      postgres all       all           reject",
            "hostnossl appdb    " + TestPostgres.MD5_USER + "   127.0.0.1/32  md5",
            "hostssl   appdb    " + TestPostgres.PLAIN_USER + " 127.0.0.1/32  password",
            "host      appdb    app       10.0.0.0/8    trust",
            "host      appdb    app       127.0.0.1/32  scram-sha-256", "");
    @TempDir
    static Path files;
    private static Path hbaFile;
    private static RunningBerth berth;

    @BeforeAll
    static void start() throws IOException {
        hbaFile = Files.writeString(files.resolve("berth-hba.conf"), RULES);
        TestCertificates.Pem server = CA.server("localhost");
        berth = RunningBerth.start(b -> b.authType(AuthType.HBA).authHbaFile(hbaFile)
                .tlsCert(server.cert()).tlsKey(server.key()).tlsCa(CA.ca()).clientTlsMode(ClientTlsMode.PREFER));
    }

    @AfterAll
    static void stop() {
        berth.close();
    }

    private static Connection connect(String user, String password, String database, boolean tls, String certCn)
            throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", user);
        p.setProperty("password", password);
        p.setProperty("sslmode", tls ? "require" : "disable");
        if (certCn != null) {
            TestCertificates.Pem cert = CA.client(certCn);
            p.setProperty("sslcert", cert.cert().toString());
            p.setProperty("sslkey", cert.key().toString());
        } // else pgjdbc's default files, which do not exist here: no certificate (an explicit missing file is an error in pgjdbc)
        return DriverManager.getConnection(berth.jdbcUrl(database), p);
    }

    private static String whoAmI(Connection connection) throws SQLException {
        try (Connection c = connection; Statement s = c.createStatement(); ResultSet rs = s.executeQuery("select current_user")) {
            rs.next();
            return rs.getString(1);
        }
    }

    private static SQLException refused(String sqlState, String message, ThrowingLogin login) {
        SQLException e = assertThrows(SQLException.class, () -> login.run().close());
        assertEquals(sqlState, e.getSQLState(), e.getMessage());
        assertEquals("FATAL: " + message, e.getMessage());
        return e;
    }

    private interface ThrowingLogin {
        Connection run() throws SQLException;
    }

    @Test
    void perAddressTheFirstMatchingLineDecides() throws SQLException {
        // 10.0.0.0/8 trust does not match 127.0.0.1: the scram-sha-256 line does
        assertEquals("app", whoAmI(connect("app", TestPostgres.APP_PASSWORD, TestPostgres.APP_DB, false, null)));
        refused("28P01", "password authentication failed for user \"app\"",
                () -> connect("app", "wrong", TestPostgres.APP_DB, false, null));
    }

    @Test
    void perDatabaseRejectAndNoMatchingLine() {
        refused("28000", "pg_hba.conf rejects connection for host \"127.0.0.1\", user \"app\", database \"postgres\", no encryption",
                () -> connect("app", TestPostgres.APP_PASSWORD, "postgres", false, null));
        refused("28000", "no pg_hba.conf entry for host \"127.0.0.1\", user \"app\", database \"otherdb\", no encryption",
                () -> connect("app", TestPostgres.APP_PASSWORD, "otherdb", false, null));
    }

    @Test
    void hostsslAndHostnossl() throws SQLException {
        assertEquals(TestPostgres.MD5_USER, whoAmI(connect(TestPostgres.MD5_USER, TestPostgres.MD5_PASSWORD, TestPostgres.APP_DB, false, null)));
        refused("28000", "no pg_hba.conf entry for host \"127.0.0.1\", user \"md5user\", database \"appdb\", SSL encryption",
                () -> connect(TestPostgres.MD5_USER, TestPostgres.MD5_PASSWORD, TestPostgres.APP_DB, true, null));
        assertEquals(TestPostgres.PLAIN_USER, whoAmI(connect(TestPostgres.PLAIN_USER, TestPostgres.PLAIN_PASSWORD, TestPostgres.APP_DB, true, null)));
        refused("28000", "no pg_hba.conf entry for host \"127.0.0.1\", user \"plainuser\", database \"appdb\", no encryption",
                () -> connect(TestPostgres.PLAIN_USER, TestPostgres.PLAIN_PASSWORD, TestPostgres.APP_DB, false, null));
    }

    @Test
    void certTakesTheUserFromTheClientCertificate() throws SQLException {
        assertEquals("postgres", whoAmI(connect("postgres", "not-checked", "postgres", true, "postgres")));
        refused("28000", "certificate authentication failed for user \"postgres\"",
                () -> connect("postgres", "not-checked", "postgres", true, "app"));
        refused("28000", "connection requires a valid client certificate",
                () -> connect("postgres", "not-checked", "postgres", true, null));
    }

    @Test
    void reloadRereadsTheRules(@TempDir Path dir) throws Exception {
        Path other = Files.writeString(dir.resolve("berth-hba.conf"), "host all all 127.0.0.1/32 scram-sha-256\n");
        try (RunningBerth b = RunningBerth.start(c -> c.authType(AuthType.HBA).authHbaFile(other))) {
            assertEquals("app", whoAmI(b.connect("app", TestPostgres.APP_PASSWORD, "postgres")));
            Files.writeString(other, "host all all 127.0.0.1/32 reject\n");
            b.server().reload();
            SQLException e = assertThrows(SQLException.class, () -> b.connect("app", TestPostgres.APP_PASSWORD, "postgres").close());
            assertEquals("28000", e.getSQLState(), e.getMessage());
        }
    }
}
