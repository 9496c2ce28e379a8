package dev.berth.server;

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
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A real pgbouncer.ini and userlist.txt, unchanged: databases on their own backends (two databases of the
 * embedded PostgreSQL), an alias, the {@code *} fallback, per-database pool_size and pool_mode, {@code %include}
 * and a key Berth does not support.
 */
class PgbouncerIniTest {
    static final String OTHER_DB = "berth_reports";

    @TempDir
    Path dir;

    @BeforeAll
    static void otherDatabase() throws SQLException {
        try (Connection c = TestPostgres.superuser("postgres"); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("select 1 from pg_database where datname = '" + OTHER_DB + "'")) {
            if (!rs.next()) {
                s.execute("create database " + OTHER_DB + " owner " + TestPostgres.APP_USER);
            }
        }
    }

    /** A pgbouncer.ini as an operator has it, with the test's ports; the fallback comes from an included file. */
    static Path pgbouncerIni(Path dir, String... extraPgbouncerLines) throws IOException {
        int port = TestPostgres.port();
        Files.writeString(dir.resolve("userlist.txt"), RunningBerth.AUTH_FILE);
        Files.writeString(dir.resolve("fallback.ini"), "* = host=127.0.0.1 port=" + port + "\n");
        List<String> lines = new ArrayList<>(List.of(
                ";; pgbouncer configuration",
                "[databases]",
                "appdb = host=127.0.0.1 port=" + port + " dbname=appdb pool_size=3",
                "reports = host=127.0.0.1 port=" + port + " dbname=" + OTHER_DB + " pool_size=2 pool_mode=session",
                "%include fallback.ini",
                "",
                "[pgbouncer]",
                "listen_addr = 127.0.0.1",
                "listen_port = 0",
                "auth_type = scram-sha-256",
                "auth_file = userlist.txt",
                "admin_users = app",
                "pool_mode = transaction",
                "default_pool_size = 5",
                "query_wait_timeout = 30",
                "server_connect_timeout = 30",
                "logfile = /var/log/pgbouncer/pgbouncer.log",
                "ignore_startup_parameters = extra_float_digits"));
        lines.addAll(List.of(extraPgbouncerLines));
        lines.addAll(List.of("", "[berth]", "metrics_listen = 127.0.0.1:0", ""));
        return Files.writeString(dir.resolve("pgbouncer.ini"), String.join("\n", lines));
    }

    static String currentDatabase(Connection c) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("select current_database()")) {
            rs.next();
            return rs.getString(1);
        }
    }

    static Connection admin(RunningBerth berth) throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", TestPostgres.APP_USER);
        p.setProperty("password", TestPostgres.APP_PASSWORD);
        p.setProperty("preferQueryMode", "simple");
        return DriverManager.getConnection(berth.jdbcUrl("pgbouncer"), p);
    }

    /** Captures the warnings Berth logs while it runs. */
    static final class Warnings extends Handler implements AutoCloseable {
        final List<String> lines = new ArrayList<>();
        private final Logger logger = Logger.getLogger("dev.berth");

        Warnings() {
            logger.addHandler(this);
        }

        @Override
        public synchronized void publish(LogRecord r) {
            lines.add(r.getMessage());
        }

        synchronized long count(String text) {
            return lines.stream().filter(l -> l.contains(text)).count();
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
            logger.removeHandler(this);
        }
    }

    @Test
    void servesEachDatabaseFromItsOwnEntry() throws Exception {
        try (Warnings warnings = new Warnings(); RunningBerth berth = RunningBerth.startWithConfig(pgbouncerIni(dir))) {
            try (Connection app = berth.connectApp();
                 Connection reports = berth.connect(TestPostgres.APP_USER, TestPostgres.APP_PASSWORD, "reports");
                 Connection postgres = berth.connect(TestPostgres.APP_USER, TestPostgres.APP_PASSWORD, "postgres")) {
                assertEquals("appdb", currentDatabase(app));
                assertEquals(OTHER_DB, currentDatabase(reports), "the alias goes to its own dbname");
                assertEquals("postgres", currentDatabase(postgres), "a database not listed goes to the * entry");
                berth.awaitPool(TestPostgres.APP_USER, "appdb", p -> p.max() == 3, "appdb's pool_size");
                berth.awaitPool(TestPostgres.APP_USER, "reports", p -> p.max() == 2, "reports' pool_size");
                berth.awaitPool(TestPostgres.APP_USER, "postgres", p -> p.max() == 5, "default_pool_size for the fallback");
                berth.awaitPool(TestPostgres.APP_USER, "reports", p -> p.active() == 1, "session mode: reports holds its server");
                berth.awaitPool(TestPostgres.APP_USER, "appdb", p -> p.active() == 0, "transaction mode: appdb gave it back");
            }
            try (Connection admin = admin(berth); Statement s = admin.createStatement();
                 ResultSet rs = s.executeQuery("SHOW DATABASES")) {
                List<String> rows = new ArrayList<>();
                while (rs.next()) {
                    StringBuilder row = new StringBuilder();
                    for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++) {
                        if (rs.getMetaData().getColumnName(i).equals("current_client_connections")) {
                            continue; // the clients just closed may not have been counted out yet; see PgbouncerLimitsTest
                        }
                        row.append(i > 1 ? " " : "").append(rs.getMetaData().getColumnName(i)).append('=').append(rs.getString(i));
                    }
                    rows.add(row.toString());
                }
                String common = " host=127.0.0.1 port=" + TestPostgres.port();
                assertEquals(List.of(
                        "name=appdb" + common + " database=appdb force_user= pool_size=3 min_pool_size=0 reserve_pool=0"
                                + " pool_mode=transaction max_connections=5 current_connections=1 max_client_connections=0 paused=0 disabled=0",
                        "name=reports" + common + " database=" + OTHER_DB + " force_user= pool_size=2 min_pool_size=0"
                                + " reserve_pool=0 pool_mode=session max_connections=5 current_connections=1 max_client_connections=0 paused=0 disabled=0",
                        "name=postgres" + common + " database=postgres force_user= pool_size=5 min_pool_size=0 reserve_pool=0"
                                + " pool_mode=transaction max_connections=5 current_connections=1 max_client_connections=0 paused=0 disabled=0"),
                        rows, "pgbouncer's columns (max_connections: the cap across pools, which defaults to the pool max);"
                                + " the * fallback shows as the database it served");
            }
            assertEquals(1, warnings.count("logfile is not supported by Berth"), warnings.lines::toString);
            assertEquals(0, warnings.count("ignore_startup_parameters"), "Berth accepts every startup parameter anyway");
            assertEquals(30_000, berth.server().config().connectionTimeoutMs(), "query_wait_timeout is in seconds");
        }
    }

    @Test
    void aDatabaseNotListedWithoutFallbackGets3D000() throws Exception {
        Path ini = pgbouncerIni(dir);
        Files.writeString(dir.resolve("fallback.ini"), "; no fallback\n");
        try (RunningBerth berth = RunningBerth.startWithConfig(ini); Connection before = berth.connectApp()) {
            SQLException e = assertThrows(SQLException.class,
                    () -> berth.connect(TestPostgres.APP_USER, TestPostgres.APP_PASSWORD, "postgres"));
            assertEquals("3D000", e.getSQLState(), e.getMessage());
            assertTrue(e.getMessage().contains("database \"postgres\" is not in Berth's [databases]"), e.getMessage());
            assertTrue(e.getMessage().contains("appdb, reports"), "names the databases there are: " + e.getMessage());
            assertEquals("appdb", currentDatabase(before), "other clients are undisturbed");
        }
    }
}
