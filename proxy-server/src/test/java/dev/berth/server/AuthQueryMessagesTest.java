package dev.berth.server;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.LogRecord;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What Berth says when a secret from auth_query does not work: the message and the log name auth_query,
 * not the auth file, and say what to do. {@code aq_twin} has app's password under a salt of its own, so an
 * auth query that answers with its secret stands for one that reads another cluster's pg_authid.
 */
class AuthQueryMessagesTest {
    private static final String CLIENT_LOGIN = "dev.berth.server.client.ClientLogin";

    @BeforeAll
    static void twinRole() throws SQLException {
        try (Connection c = TestPostgres.superuser("postgres"); Statement s = c.createStatement()) {
            s.execute("drop role if exists aq_twin");
            s.execute("set password_encryption = 'scram-sha-256'");
            s.execute("create role aq_twin login password '" + TestPostgres.APP_PASSWORD + "'");
        }
    }

    /** The WARNING lines of client logins that failed, while {@code action} runs. */
    private static List<String> loginFailures(ThrowingRunnable action) throws Exception {
        try (LogCapture log = LogCapture.of(Level.WARNING, CLIENT_LOGIN)) {
            action.run();
            return log.records().stream().map(LogRecord::getMessage).filter(m -> m.contains("login failed")).toList();
        }
    }

    private interface ThrowingRunnable {
        void run() throws Exception;
    }

    @Test
    void aScramSecretThatDiffersFromTheServersNamesAuthQuery() throws Exception {
        String twin = "SELECT $1::text, passwd::text FROM pg_catalog.pg_shadow WHERE usename = 'aq_twin'";
        try (RunningBerth berth = RunningBerth.start(b -> b.authFile(null).authUser("postgres").authQuery(twin))) {
            // the client's proof matches the twin's secret; PostgreSQL's own salt for app differs
            SQLException e = assertThrows(SQLException.class,
                    () -> berth.connect(TestPostgres.APP_USER, TestPostgres.APP_PASSWORD, TestPostgres.APP_DB).close());
            assertEquals("28P01", e.getSQLState());
            String message = e.getMessage();
            assertTrue(message.contains("SCRAM passthrough for user \"app\" is impossible")
                    && message.contains("differs from the one auth_query returned")
                    && message.contains("cluster the pool logs in to"), message);
            assertFalse(message.contains("auth file"), message);
        }
    }

    @Test
    void anUnknownUserIsLoggedAsUnknownToTheAuthFileAndAuthQuery() throws Exception {
        try (RunningBerth berth = RunningBerth.start(b -> b.authUser("postgres"))) {
            List<String> failures = loginFailures(() -> {
                SQLException e = assertThrows(SQLException.class,
                        () -> berth.connect("aq_nobody", "whatever", TestPostgres.APP_DB).close());
                assertEquals("28P01", e.getSQLState(), "answered like a wrong password, as before");
            });
            assertEquals(1, failures.size(), failures.toString());
            assertTrue(failures.get(0).endsWith("login failed: no such user: neither the auth file nor auth_query knows it"),
                    failures.get(0));
        }
    }

    @Test
    void anMd5HashFromAuthQueryUnderScramSaysHowToFixItInPostgres() throws Exception {
        String md5 = "SELECT u, 'md5' || md5('" + TestPostgres.APP_PASSWORD + "' || u) FROM (SELECT $1::text AS u) AS given";
        try (RunningBerth berth = RunningBerth.start(b -> b.authFile(null).authUser("postgres").authQuery(md5))) {
            List<String> failures = loginFailures(() -> {
                SQLException e = assertThrows(SQLException.class,
                        () -> berth.connect(TestPostgres.APP_USER, TestPostgres.APP_PASSWORD, TestPostgres.APP_DB).close());
                assertEquals("28P01", e.getSQLState());
            });
            assertEquals(1, failures.size(), failures.toString());
            String line = failures.get(0);
            assertTrue(line.contains("auth_query returned an md5 hash for this user, which cannot check a SCRAM login")
                    && line.contains("password_encryption = 'scram-sha-256'"), line);
            assertFalse(line.contains("auth file"), line);
        }
    }
}
