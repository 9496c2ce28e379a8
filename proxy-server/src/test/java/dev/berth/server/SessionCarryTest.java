package dev.berth.server;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.berth.core.auth.AuthType;
import dev.berth.server.ParameterIsolationTest.Client;
import org.junit.jupiter.api.AfterAll;
import org.postgresql.PGConnection;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Transaction pooling with fewer backends than application connections: what drivers and frameworks do
 * routinely (SET on connection init, reset on release) is carried or cleared, never pinned; what Berth
 * cannot carry pins, in whatever spelling, and never reaches the next client; a pin ends with its cause.
 */
class SessionCarryTest {
    private static RunningBerth berth;

    @BeforeAll
    static void start() {
        // one backend: every client that is not pinned shares it, so a pin shows as a wait and a leak as a value
        berth = RunningBerth.start(b -> b.backend(RunningBerth.appBackend()).authType(AuthType.TRUST).authFile(null)
                .poolMax(1).adminUsers(Set.of("app")));
    }

    @AfterAll
    static void stop() {
        berth.close();
    }

    private static Client connect() throws IOException {
        return Client.connect(berth.port(), Map.of());
    }

    private static void awaitIdle(RunningBerth b) {
        b.awaitPool(p -> p.active() == 0 && p.tested() == 0, "the backend back in the pool");
    }

    /** berth_pool_client_pins_total by reason, for the app pool. */
    private static Map<String, Double> pins(RunningBerth b) throws Exception {
        Map<String, Double> byReason = new ConcurrentHashMap<>();
        for (String line : ObservabilityTest.get(b.server(), "/metrics").body().split("\n")) {
            if (line.startsWith("berth_pool_client_pins_total{")) {
                String reason = line.replaceAll(".*reason=\"([^\"]*)\".*", "$1");
                byReason.merge(reason, Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)), Double::sum);
            }
        }
        return byReason;
    }

    private static double pinCount(RunningBerth b) throws Exception {
        return pins(b).values().stream().mapToDouble(Double::doubleValue).sum();
    }

    @Test
    void hikariWithConnectionInitSqlAndPerConnectionSearchPathRunsWithoutPins() throws Exception {
        try (RunningBerth b = RunningBerth.start(c -> c.poolMax(3).connectionTimeoutMs(30_000))) {
            HikariConfig hc = new HikariConfig();
            hc.setJdbcUrl(b.jdbcUrl(TestPostgres.APP_DB));
            hc.setUsername(TestPostgres.APP_USER);
            hc.setPassword(TestPostgres.APP_PASSWORD);
            hc.setMaximumPoolSize(10);
            hc.setMinimumIdle(10);
            hc.setConnectionTimeout(30_000);
            hc.setConnectionInitSql("SET statement_timeout = '5s'");
            Map<Object, String> schemas = new ConcurrentHashMap<>();
            AtomicInteger next = new AtomicInteger();
            AtomicInteger checked = new AtomicInteger();
            try (HikariDataSource ds = new HikariDataSource(hc)) {
                ExecutorService pool = Executors.newFixedThreadPool(10);
                List<Future<?>> done = new ArrayList<>();
                for (int t = 0; t < 10; t++) {
                    done.add(pool.submit(() -> {
                        for (int i = 0; i < 20; i++) {
                            try (Connection c = ds.getConnection()) {
                                Object physical = c.unwrap(PGConnection.class);
                                String schema = schemas.get(physical);
                                if (schema == null) {
                                    schema = "tenant_" + next.incrementAndGet();
                                    try (Statement s = c.createStatement()) {
                                        s.execute("SET search_path = " + schema + ", public");
                                    }
                                    schemas.put(physical, schema);
                                }
                                c.setAutoCommit(false);
                                try (Statement s = c.createStatement()) {
                                    try (ResultSet rs = s.executeQuery("SHOW statement_timeout")) {
                                        rs.next();
                                        assertEquals("5s", rs.getString(1));
                                    }
                                    try (ResultSet rs = s.executeQuery("SHOW search_path")) {
                                        rs.next();
                                        assertEquals(schema + ", public", rs.getString(1));
                                    }
                                    s.executeQuery("select pg_sleep(0.001)").close();
                                }
                                if (i % 3 == 0) {
                                    c.rollback();
                                } else {
                                    c.commit();
                                }
                                c.setAutoCommit(true);
                                checked.incrementAndGet();
                            }
                        }
                        return null;
                    }));
                }
                for (Future<?> f : done) {
                    f.get();
                }
                pool.shutdown();
            }
            assertEquals(200, checked.get());
            assertEquals(0.0, pinCount(b), "no client pinned: " + pins(b));
        }
    }

    @Test
    void aSetInARolledBackTransactionIsUndoneAndCarriedSettingsFollowEachClient() throws Exception {
        try (Client a = connect()) {
            a.run("BEGIN");
            a.run("SET statement_timeout = '7s'");
            assertEquals("7s", a.one("SHOW statement_timeout"));
            a.run("ROLLBACK");
            assertEquals("0", a.one("SHOW statement_timeout"));
            a.run("SET lock_timeout = '3s'; SET search_path = a_schema");
            a.run("BEGIN; SET lock_timeout = '4s'; SELECT 1/0");
            a.run("ROLLBACK");
            try (Client b = connect()) {
                // one backend: b gets the one a used, and sees nothing a set
                assertEquals("0|0|\"$user\", public", b.one("select current_setting('lock_timeout') || '|'"
                        + " || current_setting('statement_timeout') || '|' || current_setting('search_path')"));
                b.run("SET lock_timeout = '9s'");
                assertEquals("3s|0|a_schema", a.one("select current_setting('lock_timeout') || '|'"
                        + " || current_setting('statement_timeout') || '|' || current_setting('search_path')"));
                assertEquals("9s", b.one("SHOW lock_timeout"));
                a.run("RESET lock_timeout");
                assertEquals("0", a.one("SHOW lock_timeout"));
                assertEquals("9s", b.one("SHOW lock_timeout"));
            }
        }
    }

    /**
     * A SET in a named statement that the client runs again later (Bind/Execute without its Parse, as a driver
     * runs a cached statement) is followed again: the client keeps the value it last ran, not an earlier SET.
     */
    @Test
    void aSetRunAgainFromAStatementPreparedEarlierIsFollowed() throws Exception {
        try (RawClient a = RawClient.login(berth.port(), TestPostgres.APP_USER, TestPostgres.APP_DB)) {
            a.send(RawClient.batch().parse("S_5s", "SET statement_timeout = '5s'").bind("", "S_5s").execute("").sync());
            assertEquals("12CZ", RawClient.types(a.readUntil('Z')));
            a.send(RawClient.batch().query("SET statement_timeout = '7s'"));
            assertEquals("CZ", RawClient.types(a.readUntil('Z')));
            a.send(RawClient.batch().bind("", "S_5s").execute("").sync());
            assertEquals("2CZ", RawClient.types(a.readUntil('Z')));
            try (Client b = connect()) {
                assertEquals("0", b.one("SHOW statement_timeout"), "one backend: b gets a's, without a's setting");
            }
            a.send(RawClient.batch().query("SHOW statement_timeout"));
            assertEquals(List.of("5s"), RawClient.firstColumns(a.readUntil('Z')), "the value a last ran");
            a.send(RawClient.batch().query("RESET statement_timeout"));
            assertEquals("CZ", RawClient.types(a.readUntil('Z')));
        }
    }

    @Test
    void asyncpgsResetSequenceLeavesTheClientUnpinned() throws Exception {
        double before = pinCount(berth);
        String fresh;
        try (Client first = connect()) {
            fresh = first.one("select current_setting('search_path') || '|' || current_setting('work_mem')");
        }
        try (Client a = connect()) {
            a.run("SET search_path = asyncpg_app; SET work_mem = '8MB'");
            // asyncpg's reset on release, as one simple query
            List<RawClient.Message> reset = a.run("SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL;");
            assertEquals(List.of(), RawClient.errorCodes(reset));
            try (Client b = connect()) {
                assertEquals(fresh, b.one("select current_setting('search_path') || '|' || current_setting('work_mem')"));
            }
            assertEquals(fresh, a.one("select current_setting('search_path') || '|' || current_setting('work_mem')"));
            a.run("DISCARD ALL");
            a.run("SET SESSION AUTHORIZATION DEFAULT; RESET ROLE; DEALLOCATE ALL; DISCARD PLANS; DISCARD SEQUENCES; DISCARD TEMP");
            try (Client b = connect()) {
                assertEquals("1", b.one("select 1"), "a is not pinned");
            }
        }
        assertEquals(before, pinCount(berth), "no pin: " + pins(berth));
    }

    @Test
    void eachSpellingThatBypassedTheCheckPinsOrIsCarriedAndNothingReachesTheNextClient() throws Exception {
        List<String> bypasses = List.of("SELECT \"set_config\"('search_path','leak',false)",
                "SELECT U&\"set_config\"('search_path','leak',false)",
                "SELECT U&\"\\0073et_config\"('search_path','leak',false)",
                "SELECT U&\"!0073et_config\" UESCAPE '!' ('search_path','leak',false)",
                "DO $$ BEGIN PERFORM set_config('search_path', 'leak', false); END $$",
                "DO 'BEGIN EXECUTE ''SET search_path = leak''; END'",
                "CREATE TABLE pg_temp.leak_t (x int)",
                "SELECT \"pg_advisory_lock\"(4242)");
        for (String bypass : bypasses) {
            try (Client a = connect()) {
                List<RawClient.Message> ran = a.run(bypass);
                assertEquals(List.of(), RawClient.errorCodes(ran), bypass);
            }
            awaitIdle(berth);
            try (Client b = connect()) {
                assertEquals("\"$user\", public|false|0", b.one("select current_setting('search_path') || '|'"
                        + " || (to_regclass('pg_temp.leak_t') is not null) || '|'"
                        + " || (select count(*) from pg_locks where locktype = 'advisory' and pid = pg_backend_pid())"), bypass);
            }
            awaitIdle(berth);
        }
    }

    @Test
    void aCarriedRoleNeverReachesTheNextClient() throws Exception {
        try (RunningBerth superuserBerth = RunningBerth.start(b -> b.authType(AuthType.TRUST).authFile(null).poolMax(1))) {
            Map<String, String> superuser = Map.of("user", "postgres");
            for (String change : List.of("SELECT \"set_config\"('role','app',false)", "SET ROLE app")) {
                try (Client a = Client.connect(superuserBerth.port(), superuser)) {
                    a.run(change);
                    assertEquals("app", a.one("select current_user"), change);
                    try (Client b = Client.connect(superuserBerth.port(), superuser)) {
                        assertEquals("postgres", b.one("select current_user"), change + ": b shares a's backend");
                    }
                    assertEquals("app", a.one("select current_user"), change + ": carried back to a");
                    a.run("RESET ROLE");
                    assertEquals("postgres", a.one("select current_user"), change);
                }
            }
            assertEquals(0.0, pinCount(superuserBerth), "SET ROLE is carried, not pinned");
        }
    }

    @Test
    void discardAllEndsAPinAndShowClientsNamesTheReason() throws Exception {
        try (Client a = connect(); Connection admin = DriverManager.getConnection(
                "jdbc:postgresql://127.0.0.1:" + berth.port() + "/berth?user=app&preferQueryMode=simple")) {
            a.run("LISTEN carry_channel");
            assertEquals("listen", pinReasons(admin));
            a.run("UNLISTEN *");
            assertEquals("", pinReasons(admin), "UNLISTEN * ended the only pin");
            a.run("LISTEN carry_channel; SELECT pg_advisory_lock(77)");
            assertEquals("listen,advisory_lock", pinReasons(admin));
            a.run("SELECT pg_advisory_unlock_all()");
            assertEquals("listen", pinReasons(admin));
            a.run("DISCARD ALL");
            assertEquals("", pinReasons(admin));
            try (Client b = connect()) {
                assertEquals("0", b.one("select count(*) from pg_listening_channels()"), "a's backend is shared again");
            }
            assertTrue(pins(berth).getOrDefault("listen", 0.0) >= 2, "counted by reason: " + pins(berth));
        }
    }

    /** The pin reasons SHOW CLIENTS gives for the app clients, comma-separated, pinned ones only. */
    private static String pinReasons(Connection admin) throws Exception {
        StringBuilder reasons = new StringBuilder();
        try (Statement s = admin.createStatement(); ResultSet rs = s.executeQuery("SHOW CLIENTS")) {
            while (rs.next()) {
                if ("appdb".equals(rs.getString("database")) && !rs.getString("pin_reason").isEmpty()) {
                    reasons.append(rs.getString("pin_reason"));
                }
            }
        }
        return reasons.toString();
    }
}
