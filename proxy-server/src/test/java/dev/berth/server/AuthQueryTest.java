package dev.berth.server;

import dev.berth.core.config.AuthSources;
import dev.berth.core.config.BackendUrl;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * auth_query: client secrets looked up in PostgreSQL, no password in any of Berth's files. The test
 * PostgreSQL checks {@code app} with SCRAM and trusts {@code postgres} and {@code aq_lookup} from 127.0.0.1,
 * so the auth user needs no password either.
 */
class AuthQueryTest {

    @BeforeAll
    static void lookupFunction() throws SQLException {
        try (Connection c = TestPostgres.superuser("postgres"); Statement s = c.createStatement()) {
            s.execute("drop schema if exists pgbouncer cascade");
            s.execute("drop role if exists aq_lookup");
            // README's SECURITY DEFINER function, as pgbouncer's documentation recommends it
            s.execute("create role aq_lookup login");
            s.execute("create schema pgbouncer authorization aq_lookup");
            s.execute("create or replace function pgbouncer.get_auth(p_usename text)"
                    + " returns table(username text, password text) language sql security definer as"
                    + " $$ select usename::text, passwd::text from pg_catalog.pg_shadow where usename = p_usename $$");
            s.execute("alter function pgbouncer.get_auth(text) owner to postgres");
            s.execute("revoke all on function pgbouncer.get_auth(text) from public");
            s.execute("grant execute on function pgbouncer.get_auth(text) to aq_lookup");
        }
    }

    private static RunningBerth berth(String authUser, String query) {
        return RunningBerth.start(b -> b.authFile(null).authUser(authUser).authQuery(query));
    }

    private static double metric(RunningBerth berth, String result) throws Exception {
        return ObservabilityTest.scrape(berth).getOrDefault("berth_auth_queries_total{result=\"" + result + "\"}", 0.0);
    }

    private static String whoAmI(Connection c) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("select current_user")) {
            rs.next();
            return rs.getString(1);
        }
    }

    @Test
    void scramEndToEndWithTheSecretFromPgShadowAndACache() throws Exception {
        try (RunningBerth berth = berth("postgres", AuthSources.DEFAULT_QUERY)) {
            assertEquals(null, berth.server().config().authFile(), "no auth file: no secret in any file");
            try (Connection c = berth.connect(TestPostgres.APP_USER, TestPostgres.APP_PASSWORD, TestPostgres.APP_DB)) {
                // PostgreSQL asks app for SCRAM: Berth logged in by passthrough of the client's proof
                assertEquals(TestPostgres.APP_USER, whoAmI(c));
            }
            assertEquals(1.0, metric(berth, "found"));
            try (Connection c = berth.connect(TestPostgres.APP_USER, TestPostgres.APP_PASSWORD, TestPostgres.APP_DB)) {
                assertEquals(TestPostgres.APP_USER, whoAmI(c));
            }
            assertEquals(1.0, metric(berth, "found"), "the second login used the cached secret");
            assertEquals(1.0, metric(berth, "hit"));

            berth.server().reload();
            try (Connection c = berth.connect(TestPostgres.APP_USER, TestPostgres.APP_PASSWORD, TestPostgres.APP_DB)) {
                assertEquals(TestPostgres.APP_USER, whoAmI(c));
            }
            assertEquals(2.0, metric(berth, "found"), "RELOAD forgot the cached secret");
        }
    }

    @Test
    void anUnknownUserIsAnsweredLikeAWrongPassword() throws Exception {
        try (RunningBerth berth = berth("postgres", AuthSources.DEFAULT_QUERY)) {
            SQLException wrong = assertThrows(SQLException.class,
                    () -> berth.connect(TestPostgres.APP_USER, "not-the-password", TestPostgres.APP_DB).close());
            SQLException unknown = assertThrows(SQLException.class,
                    () -> berth.connect("nobody_here", "whatever", TestPostgres.APP_DB).close());
            assertEquals("28P01", wrong.getSQLState());
            assertEquals("28P01", unknown.getSQLState());
            assertEquals(wrong.getMessage().replace(TestPostgres.APP_USER, "X"), unknown.getMessage().replace("nobody_here", "X"));
            assertThrows(SQLException.class, () -> berth.connect("nobody_here", "whatever", TestPostgres.APP_DB).close());
            assertEquals(1.0, metric(berth, "unknown"), "\"no such user\" is cached too");
        }
    }

    @Test
    void theSecurityDefinerFunctionServesAnAuthUserWithoutPgShadowAccess() throws Exception {
        try (RunningBerth berth = berth("aq_lookup", "SELECT * FROM pgbouncer.get_auth($1)");
             Connection c = berth.connect(TestPostgres.APP_USER, TestPostgres.APP_PASSWORD, TestPostgres.APP_DB)) {
            assertEquals(TestPostgres.APP_USER, whoAmI(c));
            assertEquals(1.0, metric(berth, "found"));
        }
    }

    @Test
    void aControlPlaneThatRefusesConnectionsGivesAClearError() throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = s.getLocalPort();
        }
        try (RunningBerth berth = RunningBerth.start(b -> b.authFile(null).authUser("postgres").clientLoginTimeoutMs(6_000)
                .backend(BackendUrl.parse("postgresql://127.0.0.1:" + closedPort)))) {
            SQLException e = assertThrows(SQLException.class,
                    () -> berth.connect(TestPostgres.APP_USER, TestPostgres.APP_PASSWORD, TestPostgres.APP_DB).close());
            assertEquals("08006", e.getSQLState());
            assertTrue(e.getMessage().contains("auth_query") && e.getMessage().contains("127.0.0.1:" + closedPort)
                    && e.getMessage().contains("refused"), e.getMessage());
        }
    }

    @Test
    void aControlPlaneThatStallsGivesAClearErrorBeforeTheLoginTimeout() throws Exception {
        List<Socket> held = new ArrayList<>();
        try (ServerSocket stall = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread acceptor = new Thread(() -> {
                try {
                    while (true) {
                        held.add(stall.accept()); // accepted, never answered
                    }
                } catch (IOException closed) {
                    // the test is over
                }
            });
            acceptor.setDaemon(true);
            acceptor.start();
            try (RunningBerth berth = RunningBerth.start(b -> b.authFile(null).authUser("postgres").clientLoginTimeoutMs(6_000)
                    .backend(BackendUrl.parse("postgresql://127.0.0.1:" + stall.getLocalPort())))) {
                SQLException e = assertThrows(SQLException.class,
                        () -> berth.connect(TestPostgres.APP_USER, TestPostgres.APP_PASSWORD, TestPostgres.APP_DB).close());
                assertEquals("08006", e.getSQLState());
                assertTrue(e.getMessage().contains("auth_query"), "the client hears why, not a login timeout: " + e.getMessage());
                assertFalse(e.getMessage().contains("client-login-timeout"), e.getMessage());
            }
        } finally {
            for (Socket s : held) {
                s.close();
            }
        }
    }
}
