package dev.berth.server;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * auth_user, auth_query and auth_dbname on [databases] lines, as in pgbouncer: a client's secret is looked up
 * as its database's own auth user, in that database (through its backend), else with the global settings.
 * appdb holds a SECURITY DEFINER function that only {@code aq_db_reader} may run; {@code aq_db_denied} can
 * read neither it nor pg_shadow.
 */
class AuthQueryPerDatabaseTest {
    private static final String OWN_QUERY = "SELECT * FROM berth_auth.get_auth($1)";

    @TempDir
    Path dir;

    @BeforeAll
    static void rolesAndFunction() throws SQLException {
        try (Connection c = TestPostgres.superuser("postgres"); Statement s = c.createStatement()) {
            for (String role : new String[] {"aq_db_reader", "aq_db_denied"}) {
                s.execute("drop owned by " + role + " cascade; drop role " + role);
            }
        } catch (SQLException absent) {
            // the first run: nothing to drop
        }
        try (Connection c = TestPostgres.superuser("postgres"); Statement s = c.createStatement()) {
            s.execute("create role aq_db_reader login");
            s.execute("create role aq_db_denied login");
        }
        try (Connection c = TestPostgres.superuser(TestPostgres.APP_DB); Statement s = c.createStatement()) {
            s.execute("drop schema if exists berth_auth cascade");
            s.execute("create schema berth_auth");
            s.execute("grant usage on schema berth_auth to aq_db_reader, aq_db_denied");
            s.execute("create function berth_auth.get_auth(p_usename text) returns table(username text, password text)"
                    + " language sql security definer as"
                    + " $$ select usename::text, passwd::text from pg_catalog.pg_shadow where usename = p_usename $$");
            s.execute("revoke all on function berth_auth.get_auth(text) from public");
            s.execute("grant execute on function berth_auth.get_auth(text) to aq_db_reader");
        }
    }

    /** A pgbouncer.ini whose global auth user is postgres (pg_shadow) and whose [databases] lines are {@code lines}. */
    private Path ini(String... lines) throws Exception {
        String port = String.valueOf(TestPostgres.port());
        StringBuilder text = new StringBuilder("[databases]\n");
        for (String line : lines) {
            text.append(line.replace("PORT", port)).append('\n');
        }
        text.append(String.join("\n", "[pgbouncer]", "listen_addr = 127.0.0.1", "listen_port = 0",
                "auth_type = scram-sha-256", "auth_user = postgres", "server_connect_timeout = 30",
                "query_wait_timeout = 30", "", "[berth]", "metrics_listen = 127.0.0.1:0",
                "backend = postgresql://127.0.0.1:" + port, ""));
        return Files.writeString(dir.resolve("pgbouncer.ini"), text.toString());
    }

    private static String whoAmI(RunningBerth berth, String database) throws SQLException {
        try (Connection c = berth.connect(TestPostgres.APP_USER, TestPostgres.APP_PASSWORD, database);
             Statement s = c.createStatement(); ResultSet rs = s.executeQuery("select current_user")) {
            rs.next();
            return rs.getString(1);
        }
    }

    @Test
    void eachDatabaseLooksUpAsItsOwnAuthUserElseTheGlobalOne() throws Exception {
        Path ini = ini("own = host=127.0.0.1 port=PORT dbname=appdb auth_user=aq_db_reader auth_query='" + OWN_QUERY + "'",
                "denied = host=127.0.0.1 port=PORT dbname=appdb auth_user=aq_db_denied",
                "global = host=127.0.0.1 port=PORT dbname=appdb");
        try (RunningBerth berth = RunningBerth.startWithConfig(ini)) {
            assertEquals(TestPostgres.APP_USER, whoAmI(berth, "own"), "aq_db_reader's function in appdb answered");
            SQLException e = assertThrows(SQLException.class, () -> whoAmI(berth, "denied"));
            assertEquals("08006", e.getSQLState());
            assertTrue(e.getMessage().contains("as aq_db_denied on 127.0.0.1:" + TestPostgres.port() + "/appdb")
                    && e.getMessage().contains("permission denied"), "the line's auth user, in its database: " + e.getMessage());
            assertEquals(TestPostgres.APP_USER, whoAmI(berth, "global"), "no auth_user on the line: the global one");

            // reloadable: the denied line now names the reader and its query
            Files.writeString(ini, Files.readString(ini).replace("auth_user=aq_db_denied",
                    "auth_user=aq_db_reader auth_query='" + OWN_QUERY + "'"));
            berth.server().reload();
            assertEquals(TestPostgres.APP_USER, whoAmI(berth, "denied"));
        }
    }

    /**
     * One user name on two clusters with two passwords: what a login to one database teaches Berth (the SCRAM
     * key for passthrough, the looked-up secret) is kept for that database's server, so that a later login to
     * the other cluster does not make Berth offer the wrong key when the first pool opens a server again.
     * The user is the shared cluster's app user (SCRAM there); the second cluster has its own app user. The
     * lines set no auth user: the global one looks up in each line's own database, so on its own cluster.
     */
    @Test
    void aUserOnTwoClustersWithTwoPasswordsKeepsEachClustersKey() throws Exception {
        Path data = Files.createTempDirectory(dir, "second-cluster");
        int port;
        try (ServerSocket free = new ServerSocket(0)) {
            port = free.getLocalPort();
        }
        String user = TestPostgres.APP_USER;
        Path hba = Files.writeString(dir.resolve("second-hba.conf"), String.join("\n",
                "local all all trust", "host all " + user + " 127.0.0.1/32 scram-sha-256", "host all all 127.0.0.1/32 trust", ""));
        try (EmbeddedPostgres second = EmbeddedPostgres.builder().setDataDirectory(data).setPort(port)
                .setServerConfig("listen_addresses", "127.0.0.1").setServerConfig("hba_file", hba.toString()).start();
             Connection c = second.getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
            s.execute("set password_encryption = 'scram-sha-256'");
            s.execute("create role " + user + " login password 'the other cluster''s password'");
            Path ini = ini("one = host=127.0.0.1 port=PORT dbname=postgres pool_size=1 pool_mode=transaction",
                    "two = host=127.0.0.1 port=" + port + " dbname=postgres pool_size=1 pool_mode=transaction");
            try (RunningBerth berth = RunningBerth.startWithConfig(ini);
                 Connection one = berth.connect(user, TestPostgres.APP_PASSWORD, "one")) {
                assertEquals(user, currentUser(one));
                try (Connection two = berth.connect(user, "the other cluster's password", "two")) {
                    assertEquals(user, currentUser(two));
                }
                TestPostgres.execute("select pg_terminate_backend(pid) from pg_stat_activity where usename = '" + user
                        + "' and datname = 'postgres'");
                berth.awaitPool(user, "one", p -> p.active() + p.idle() == 0, "the server of database one is gone");
                assertEquals(user, currentUser(one), "a new server for database one, with cluster one's key");
            }
        }
    }

    private static String currentUser(Connection c) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("select current_user")) {
            rs.next();
            return rs.getString(1);
        }
    }

    @Test
    void aLineWithItsOwnAuthUserServesEvenWithoutAGlobalOne() throws Exception {
        Path ini = ini("own = host=127.0.0.1 port=PORT dbname=appdb auth_user=aq_db_reader auth_query='" + OWN_QUERY + "'",
                "other = host=127.0.0.1 port=PORT dbname=appdb");
        Files.writeString(ini, Files.readString(ini).replace("auth_user = postgres\n", ""));
        try (RunningBerth berth = RunningBerth.startWithConfig(ini)) {
            assertEquals(TestPostgres.APP_USER, whoAmI(berth, "own"));
            SQLException e = assertThrows(SQLException.class, () -> whoAmI(berth, "other"));
            assertEquals("28P01", e.getSQLState(), "no auth user for this database and no auth file: an unknown user");
        }
    }
}
