package dev.berth.server;

import dev.berth.core.auth.AuthType;
import dev.berth.core.auth.Md5;
import dev.berth.core.auth.ScramServerExchange;
import dev.berth.core.auth.Secret;
import dev.berth.core.config.BackendUrl;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Base64;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Client login to Berth by each auth type and secret kind, and Berth's login to PostgreSQL by each method. */
class AuthTest {

    @Test
    void scramClientsReachScramMd5AndCleartextBackends() throws Exception {
        try (RunningBerth berth = RunningBerth.start()) {
            assertCurrentUser(berth.connect(TestPostgres.APP_USER, TestPostgres.APP_PASSWORD, "appdb"), "app");
            assertCurrentUser(berth.connect(TestPostgres.MD5_USER, TestPostgres.MD5_PASSWORD, "appdb"), "md5user");
            assertCurrentUser(berth.connect(TestPostgres.PLAIN_USER, TestPostgres.PLAIN_PASSWORD, "appdb"), "plainuser");
        }
    }

    @Test
    void md5ClientsWithPlaintextOrMd5SecretsAndAnMd5Backend() throws Exception {
        String file = "\"md5user\" \"" + Md5.storedHash(TestPostgres.MD5_PASSWORD, "md5user") + "\"\n"
                + "\"app\" \"" + TestPostgres.APP_PASSWORD + "\"\n";
        try (RunningBerth berth = RunningBerth.start(b -> b.authType(AuthType.MD5)
                .authFile(TestPostgres.writeTemp("users", file)))) {
            // only the md5 hash is stored, and it serves both the client check and the backend's md5 challenge
            assertCurrentUser(berth.connect(TestPostgres.MD5_USER, TestPostgres.MD5_PASSWORD, "appdb"), "md5user");
            assertCurrentUser(berth.connect(TestPostgres.APP_USER, TestPostgres.APP_PASSWORD, "appdb"), "app");
            SQLException e = assertThrows(SQLException.class, () -> berth.connect(TestPostgres.MD5_USER, "nope", "appdb"));
            assertEquals("28P01", e.getSQLState());
        }
    }

    @Test
    void plainAuthTypeChecksEverySecretKind() throws Exception {
        String file = "\"md5user\" \"" + Md5.storedHash(TestPostgres.MD5_PASSWORD, "md5user") + "\"\n"
                + "\"app\" \"" + TestPostgres.storedSecret("app") + "\"\n"
                + "\"plainuser\" \"" + TestPostgres.PLAIN_PASSWORD + "\"\n";
        try (RunningBerth berth = RunningBerth.start(b -> b.authType(AuthType.PLAIN)
                .authFile(TestPostgres.writeTemp("users", file)))) {
            assertCurrentUser(berth.connect(TestPostgres.MD5_USER, TestPostgres.MD5_PASSWORD, "appdb"), "md5user");
            assertCurrentUser(berth.connect(TestPostgres.PLAIN_USER, TestPostgres.PLAIN_PASSWORD, "appdb"), "plainuser");
            // SCRAM secret only: the cleartext password is checked against it, and gives the keys for the backend
            assertCurrentUser(berth.connect(TestPostgres.APP_USER, TestPostgres.APP_PASSWORD, "appdb"), "app");
            assertEquals("28P01", assertThrows(SQLException.class,
                    () -> berth.connect(TestPostgres.APP_USER, "nope", "appdb")).getSQLState());
        }
    }

    @Test
    void scramPassthroughLogsInWithoutAStoredPassword() throws Exception {
        String file = "\"app\" \"" + TestPostgres.storedSecret("app") + "\"\n";
        try (RunningBerth berth = RunningBerth.start(b -> b.authFile(TestPostgres.writeTemp("users", file)))) {
            assertCurrentUser(berth.connect(TestPostgres.APP_USER, TestPostgres.APP_PASSWORD, "appdb"), "app");
            assertEquals("28P01", assertThrows(SQLException.class,
                    () -> berth.connect(TestPostgres.APP_USER, "wrong", "appdb")).getSQLState());
        }
    }

    @Test
    void scramPassthroughWithAnotherSaltSaysWhatIsWrong() throws Exception {
        Secret.Scram other = ScramServerExchange.scramSecret(TestPostgres.APP_PASSWORD, "different-salt!!".getBytes(), 4096);
        Base64.Encoder b64 = Base64.getEncoder();
        String secret = "SCRAM-SHA-256$4096:" + b64.encodeToString(other.salt()) + "$"
                + b64.encodeToString(other.storedKey()) + ":" + b64.encodeToString(other.serverKey());
        try (RunningBerth berth = RunningBerth.start(b -> b.authFile(TestPostgres.writeTemp("users", "\"app\" \"" + secret + "\"\n")))) {
            SQLException e = assertThrows(SQLException.class,
                    () -> berth.connect(TestPostgres.APP_USER, TestPostgres.APP_PASSWORD, "appdb"));
            assertEquals("28P01", e.getSQLState());
            assertTrue(e.getMessage().contains("differs from the auth file"), e.getMessage());
        }
    }

    @Test
    void trustWithoutAnAuthFileAcceptsAnyUserTheBackendTrusts() throws Exception {
        try (RunningBerth berth = RunningBerth.start(b -> b.authType(AuthType.TRUST).authFile(null))) {
            assertCurrentUser(berth.connect("postgres", "whatever", "postgres"), "postgres");
        }
    }

    @Test
    void backendUrlCredentialsServeEveryClientAsOneUser() throws Exception {
        try (RunningBerth berth = RunningBerth.start(b -> b.backend(BackendUrl.parse("postgresql://app:"
                + TestPostgres.APP_PASSWORD + "@127.0.0.1:" + TestPostgres.port() + "/appdb")))) {
            Connection c = berth.connect(TestPostgres.PLAIN_USER, TestPostgres.PLAIN_PASSWORD, "anything");
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("select current_user, current_database()")) {
                rs.next();
                assertEquals("app", rs.getString(1));
                assertEquals("appdb", rs.getString(2));
            }
            c.close();
        }
    }

    private static void assertCurrentUser(Connection c, String expected) throws SQLException {
        try (c; Statement s = c.createStatement(); ResultSet rs = s.executeQuery("select current_user")) {
            rs.next();
            assertEquals(expected, rs.getString(1));
        }
    }
}
