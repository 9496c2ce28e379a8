package dev.berth.server;

import dev.berth.core.auth.AuthType;
import dev.berth.core.config.BackendUrl;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;
import java.util.logging.Level;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * channel_binding towards the backend: SCRAM-SHA-256-PLUS with PostgreSQL over TLS ({@link TlsPostgres},
 * whose {@value TlsPostgres#SCRAM_USER} logs in with SCRAM). PostgreSQL shows no view of whether a login was
 * bound, so the observable is the attack it defeats: through a {@link TlsInterceptor} with another
 * certificate the same login fails at PostgreSQL's binding check, and passes with channel_binding=disable.
 */
class BackendChannelBindingTest {
    private static final TlsPostgres PG = TlsPostgres.get();
    private static TlsInterceptor interceptor;

    @BeforeAll
    static void interceptor() throws Exception {
        interceptor = new TlsInterceptor(TestCertificates.issue(PG.dir(), PG.ca(), "localhost", "localhost"), PG.port());
    }

    @AfterAll
    static void closeInterceptor() throws Exception {
        interceptor.close();
    }

    /** Berth trusting its clients, logging in to the backend with the URL's password. */
    private static RunningBerth withPassword(int port, String parameters) {
        return RunningBerth.start(b -> b.authType(AuthType.TRUST).authFile(null)
                .backend(BackendUrl.parse("postgresql://" + TlsPostgres.SCRAM_USER + ":" + TlsPostgres.SCRAM_PASSWORD
                        + "@localhost:" + port + "/postgres?" + parameters)));
    }

    /** Berth checking its clients with SCRAM against the secret from pg_authid: SCRAM passthrough to the backend. */
    private static RunningBerth passthrough(int port, String parameters) throws SQLException {
        String secret;
        try (Connection c = PG.superuser(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("select rolpassword from pg_authid where rolname = '" + TlsPostgres.SCRAM_USER + "'")) {
            assertTrue(rs.next());
            secret = rs.getString(1);
        }
        String authFile = "\"" + TlsPostgres.SCRAM_USER + "\" \"" + secret + "\"\n";
        return RunningBerth.start(b -> b.authType(AuthType.SCRAM_SHA_256)
                .authFile(TestPostgres.writeTemp("berth-cb-users", authFile))
                .backend(BackendUrl.parse("postgresql://localhost:" + port + "/postgres?" + parameters)));
    }

    private static String whoAmI(RunningBerth berth, String user, String password) throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", user);
        if (password != null) {
            p.setProperty("password", password);
        }
        try (Connection c = DriverManager.getConnection(berth.jdbcUrl("postgres"), p); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("select current_user")) {
            assertTrue(rs.next());
            return rs.getString(1);
        }
    }

    private static String whoAmI(RunningBerth berth) throws SQLException {
        return whoAmI(berth, TlsPostgres.SCRAM_USER, TlsPostgres.SCRAM_PASSWORD);
    }

    private static SQLException refused(RunningBerth berth) {
        return assertThrows(SQLException.class, () -> whoAmI(berth));
    }

    @Test
    void requireBindsAPasswordLoginThatPostgresChecks() throws Exception {
        try (RunningBerth berth = withPassword(PG.port(), "sslmode=require&channel_binding=require")) {
            assertEquals(TlsPostgres.SCRAM_USER, whoAmI(berth));
        }
        try (RunningBerth berth = withPassword(interceptor.port(), "sslmode=require&channel_binding=require")) {
            SQLException e = refused(berth);
            assertTrue(e.getMessage().contains("channel binding"), "PostgreSQL's binding check refused it: " + e.getMessage());
        }
        try (RunningBerth berth = withPassword(interceptor.port(), "sslmode=require&channel_binding=disable")) {
            assertEquals(TlsPostgres.SCRAM_USER, whoAmI(berth), "the interceptor relays an unbound login");
        }
    }

    @Test
    void preferBindsWhenTheServerOffersIt() throws Exception {
        try (RunningBerth berth = withPassword(PG.port(), "sslmode=require")) {
            assertEquals(TlsPostgres.SCRAM_USER, whoAmI(berth));
        }
        try (RunningBerth berth = withPassword(interceptor.port(), "sslmode=require")) {
            assertTrue(refused(berth).getMessage().contains("channel binding"), "prefer bound the login too");
        }
    }

    @Test
    void scramPassthroughIsBoundToo() throws Exception {
        try (RunningBerth berth = passthrough(PG.port(), "sslmode=require&channel_binding=require")) {
            assertEquals(TlsPostgres.SCRAM_USER, whoAmI(berth));
        }
        try (RunningBerth berth = passthrough(interceptor.port(), "sslmode=require&channel_binding=require")) {
            SQLException e = refused(berth);
            assertTrue(e.getMessage().contains("channel binding"), e.getMessage());
        }
    }

    @Test
    void requireAgainstABackendWithoutTlsFailsNamingTheSetting() throws Exception {
        try (LogCapture log = LogCapture.of(Level.WARNING, "dev.berth.server.backend.BackendLogin");
             RunningBerth berth = RunningBerth.start(b -> b.backend(BackendUrl.parse("postgresql://" + TestPostgres.APP_USER
                     + ":" + TestPostgres.APP_PASSWORD + "@127.0.0.1:" + TestPostgres.port() + "/" + TestPostgres.APP_DB
                     + "?sslmode=prefer&channel_binding=require")))) {
            SQLException e = assertThrows(SQLException.class, () -> berth.connectApp().close());
            assertEquals("08006", e.getSQLState());
            assertTrue(e.getMessage().contains("channel binding required, but SSL not in use; channel_binding=require"),
                    e.getMessage());
            RunningBerth.waitFor(() -> !log.records().isEmpty(), "the failure is logged");
            assertEquals(1, log.records().stream().filter(r -> r.getMessage().contains("channel binding required")).count(),
                    "logged once");
        }
    }

    @Test
    void requireAgainstATrustedLoginFails() throws Exception {
        try (RunningBerth berth = RunningBerth.start(b -> b.authType(AuthType.TRUST).authFile(null)
                .backend(BackendUrl.parse("postgresql://postgres@localhost:" + PG.port() + "/postgres?sslmode=require"
                        + "&channel_binding=require")))) {
            SQLException e = assertThrows(SQLException.class, () -> whoAmI(berth, "postgres", null));
            assertEquals("08006", e.getSQLState());
            assertTrue(e.getMessage().contains("server authenticated client without channel binding"), e.getMessage());
        }
    }

    @Test
    void preferAgainstABackendWithoutTlsIsPlainScram() throws Exception {
        try (RunningBerth berth = RunningBerth.start(b -> b.backend(BackendUrl.parse("postgresql://" + TestPostgres.APP_USER
                + ":" + TestPostgres.APP_PASSWORD + "@127.0.0.1:" + TestPostgres.port() + "/" + TestPostgres.APP_DB
                + "?sslmode=prefer&channel_binding=prefer")));
             Connection c = berth.connectApp(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery("select 1")) {
            assertTrue(rs.next());
        }
    }
}
