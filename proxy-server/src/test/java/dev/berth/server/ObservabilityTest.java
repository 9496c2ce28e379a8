package dev.berth.server;

import dev.berth.core.config.HostPort;
import dev.berth.core.config.PoolMode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The metrics port under real load, the health and config endpoints, and the admin console. */
class ObservabilityTest {
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @Test
    void gaugesAndHistogramsMoveWithTheLoad() throws Exception {
        try (RunningBerth berth = RunningBerth.start(b -> b.poolMax(2))) {
            Connection h1 = PoolLimitsTest.hold(berth.connectApp());
            Connection h2 = PoolLimitsTest.hold(berth.connectApp());
            ExecutorService waiters = Executors.newFixedThreadPool(3);
            List<Future<Integer>> waiting = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                waiting.add(waiters.submit(() -> {
                    try (Connection c = berth.connectApp(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery("select 1")) {
                        rs.next();
                        return rs.getInt(1);
                    }
                }));
            }
            PoolLimitsTest.waitFor(() -> metric(berth, "berth_pool_clients", "state", "waiting") == 3, "3 clients waiting");
            Map<String, Double> busy = scrape(berth);
            assertEquals(2, value(busy, "berth_pool_server_connections", "state", "active"));
            assertEquals(1.0, value(busy, "berth_pool_utilization_ratio", null, null));
            assertEquals(2, value(busy, "berth_pool_max_server_connections", null, null));
            assertEquals(2, value(busy, "berth_pool_clients", "state", "active"));
            double waitCountBefore = value(busy, "berth_pool_acquire_wait_seconds_count", null, null);
            Thread.sleep(300); // not a race: all three are waiting already; this makes each wait last over 300 ms
            h1.close();
            h2.close();
            for (Future<Integer> f : waiting) {
                assertEquals(1, f.get(20, TimeUnit.SECONDS));
            }
            waiters.shutdown();
            PoolLimitsTest.waitFor(() -> metric(berth, "berth_pool_clients", "state", "waiting") == 0, "no one waiting");
            Map<String, Double> after = scrape(berth);
            assertEquals(0, value(after, "berth_pool_server_connections", "state", "active"));
            assertEquals(0.0, value(after, "berth_pool_utilization_ratio", null, null));
            assertTrue(value(after, "berth_pool_acquire_wait_seconds_count", null, null) >= waitCountBefore + 3);
            // the three waited at least 300 ms: their waits land above the 0.25 s bucket
            double fast = bucket(after, "berth_pool_acquire_wait_seconds_bucket", "0.25");
            double all = value(after, "berth_pool_acquire_wait_seconds_count", null, null);
            assertTrue(all - fast >= 3, "slow waits are in the histogram: " + fast + " of " + all);
            assertTrue(value(after, "berth_pool_transactions_total", null, null) >= 5);
            assertTrue(value(after, "berth_pool_client_received_bytes_total", null, null) > 0);
            assertTrue(value(after, "berth_pool_query_duration_seconds_count", null, null) >= 5);
            assertTrue(after.keySet().stream().anyMatch(k -> k.startsWith("jvm_memory_used_bytes")), "JVM metrics exported");
        }
    }

    @Test
    void errorsAndTimeoutsAreCounted() throws Exception {
        // a short timeout keeps the test fast; the one server is opened (warmed) before, so only the client
        // meant to time out can
        try (RunningBerth berth = RunningBerth.start(b -> b.backend(RunningBerth.appBackend())
                .poolMin(1).poolMax(1).connectionTimeoutMs(300))) {
            berth.awaitPool(p -> p.idle() == 1, "the one server warmed");
            Connection holder = PoolLimitsTest.hold(berth.connectApp());
            assertEquals("53300", assertThrows(SQLException.class, berth::connectApp).getSQLState());
            holder.rollback();
            try (Statement s = holder.createStatement()) {
                assertThrows(SQLException.class, () -> s.execute("select 1/0"));
            }
            holder.rollback();
            holder.close();
            Map<String, Double> m = scrape(berth);
            assertTrue(value(m, "berth_pool_acquire_timeouts_total", null, null) >= 1);
            assertTrue(value(m, "berth_client_errors_total", "sqlstate_class", "53") >= 1);
            assertTrue(value(m, "berth_client_errors_total", "sqlstate_class", "22") >= 1);
        }
    }

    /**
     * A backend login that fails is one connection failure, not also a closed connection: it was never
     * opened, so opened minus closed stays the connections open. PostgreSQL refuses the second backend of a
     * role limited to one connection; the first keeps the pool (and its series) alive.
     */
    @Test
    void aFailedBackendLoginIsCountedOnceAsAFailure() throws Exception {
        // one event loop, so the refused backend's close has run long before the second client's timeout; the
        // first backend is opened (warmed) before, so that the 1 s cannot expire on the first client's login
        try (RunningBerth berth = RunningBerth.start(b -> b.backend(RunningBerth.appBackend()).poolMode(PoolMode.SESSION)
                .poolMin(1).poolMax(2).connectionTimeoutMs(1_000).workers(1))
                .awaitPool(p -> p.idle() == 1, "the first server warmed");
             Connection first = berth.connectApp()) {
            TestPostgres.execute("alter role " + TestPostgres.APP_USER + " connection limit 1");
            try {
                assertThrows(SQLException.class, berth::connectApp, "PostgreSQL refuses a second backend");
            } finally {
                TestPostgres.execute("alter role " + TestPostgres.APP_USER + " connection limit -1");
            }
            Map<String, Double> m = scrape(berth);
            assertTrue(value(m, "berth_pool_server_connection_failures_total", "database", TestPostgres.APP_DB) >= 1);
            assertEquals(1.0, value(m, "berth_pool_server_connections_opened_total", "database", TestPostgres.APP_DB));
            List<String> closed = m.keySet().stream()
                    .filter(k -> k.startsWith("berth_pool_server_connections_closed_total{") && m.get(k) > 0)
                    .toList();
            assertEquals(List.of(), closed, "a connection whose login failed is not counted as closed as well");
            assertTrue(first.isValid(5));
        }
    }

    @Test
    void healthReadinessAndConfig() throws Exception {
        Map<String, String> sources = Map.of("--pool-max", "environment (DB_POOL_MAX)", "--pool-min", "flag");
        Path users = TestPostgres.writeTemp("users", RunningBerth.AUTH_FILE);
        dev.berth.core.config.BerthConfig config = dev.berth.core.config.BerthConfig.builder()
                .listen(new HostPort("127.0.0.1", 0)).metricsListen(new HostPort("127.0.0.1", 0))
                .backend(dev.berth.core.config.BackendUrl.parse("postgresql://app:" + TestPostgres.APP_PASSWORD + "@127.0.0.1:" + TestPostgres.port() + "/appdb"))
                .authFile(users).poolMax(7).poolMin(1).adminUsers(java.util.Set.of("app")).build();
        try (BerthServer server = new BerthServer(config, sources).start()) {
            assertEquals(200, get(server, "/healthz").statusCode());
            PoolLimitsTest.waitFor(() -> status(server, "/readyz") != 0, "readyz answers");
            HttpResponse<String> config1 = get(server, "/config");
            assertEquals(200, config1.statusCode());
            String json = config1.body();
            assertTrue(json.contains("\"pool-max\": {\"flag\": \"--pool-max\", \"value\": 7, \"source\": \"environment (DB_POOL_MAX)\"}"), json);
            assertTrue(json.contains("\"pool-min\": {\"flag\": \"--pool-min\", \"value\": 1, \"source\": \"flag\"}"), json);
            assertTrue(json.contains("\"idle-timeout\": {\"flag\": \"--idle-timeout\", \"value\": 30000, \"source\": \"default\"}"), json);
            assertTrue(!json.contains(TestPostgres.APP_PASSWORD) && json.contains("postgresql://app:****@"), "password masked: " + json);
            assertTrue(get(server, "/metrics").body().contains("\nberth_ready 1.0\n"));
            server.pause(true);
            HttpResponse<String> paused = get(server, "/readyz");
            assertEquals(503, paused.statusCode());
            assertEquals("paused", paused.body().trim());
            assertTrue(get(server, "/metrics").body().contains("\nberth_ready 0.0\n"), "berth_ready follows /readyz");
            server.pause(false);
            assertEquals(200, get(server, "/readyz").statusCode());
            assertEquals(404, get(server, "/nope").statusCode());
        }
    }

    @Test
    void readinessFailsWhileTheBackendIsUnreachable() throws Exception {
        int closedPort;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        int port = closedPort;
        try (RunningBerth berth = RunningBerth.start(b -> b.backend(dev.berth.core.config.BackendUrl.parse(
                "postgresql://app:x@127.0.0.1:" + port + "/appdb")).poolMin(1))) {
            PoolLimitsTest.waitFor(() -> status(berth.server(), "/readyz") == 503, "readyz 503");
            String body = get(berth.server(), "/readyz").body();
            assertTrue(body.contains("backend unreachable") && body.contains("127.0.0.1:" + port), body);
        }
    }

    @Test
    void adminConsoleCommands() throws Exception {
        try (RunningBerth berth = RunningBerth.start(b -> b.poolMax(3).adminUsers(java.util.Set.of("app")))) {
            try (Connection c = berth.connectApp(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery("select 1")) {
                assertTrue(rs.next());
            }
            try (Connection admin = admin(berth, "berth"); Statement s = admin.createStatement()) {
                Map<String, String> pool = firstRow(s, "SHOW POOLS");
                assertEquals("appdb", pool.get("database"));
                assertEquals("app", pool.get("user"));
                assertEquals("transaction", pool.get("pool_mode"));
                assertEquals(1, Integer.parseInt(pool.get("sv_idle")));
                for (String column : List.of("cl_active", "cl_waiting", "cl_idle", "sv_active", "sv_tested", "sv_login", "maxwait", "cl_pinned")) {
                    assertEquals("0", pool.get(column), column + " once the only client has left: " + pool);
                }
                Map<String, String> stats = firstRow(s, "show stats");
                assertTrue(Long.parseLong(stats.get("total_xact_count")) >= 1, stats.toString());
                assertTrue(firstRow(s, "SHOW CLIENTS").containsKey("addr"));
                assertEquals("idle", firstRow(s, "SHOW SERVERS").get("state"));
                assertTrue(firstRow(s, "SHOW DATABASES").containsKey("pool_size"));
                assertTrue(firstRow(s, "SHOW VERSION").get("version").startsWith("Berth"));
                assertTrue(rows(s, "SHOW CONFIG").stream().anyMatch(r -> r.get("key").equals("pool-max") && r.get("value").equals("3")));
                s.execute("SET application_name = 'psql'");
                s.execute("PAUSE");
                assertEquals(503, get(berth.server(), "/readyz").statusCode());
                s.execute("RESUME");
                assertEquals(200, get(berth.server(), "/readyz").statusCode());
                s.execute("RELOAD");
                SQLException unknown = assertThrows(SQLException.class, () -> s.execute("FLY AWAY"));
                assertTrue(unknown.getMessage().contains("unknown admin command"), unknown.getMessage());
                s.execute("KILL appdb");
                PoolLimitsTest.waitFor(() -> berth.server().poolStats().get(0).total() == 0, "KILL closed the pool's servers");
            }
            try (Connection alias = admin(berth, "pgbouncer"); Statement s = alias.createStatement()) {
                assertTrue(firstRow(s, "SHOW VERSION").get("version").startsWith("Berth"));
            }
            SQLException refused = assertThrows(SQLException.class, () -> {
                Properties p = props(TestPostgres.MD5_USER, TestPostgres.MD5_PASSWORD);
                java.sql.DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + berth.port() + "/berth", p).close();
            });
            assertEquals("28000", refused.getSQLState());
            try (Connection admin = admin(berth, "berth"); Statement s = admin.createStatement()) {
                s.execute("SHUTDOWN");
            }
            PoolLimitsTest.waitFor(() -> status(berth.server(), "/healthz") == 0, "the server stopped");
        }
    }

    @Test
    void pgbouncerCompatibleNamesFollowTheSameState() throws Exception {
        try (RunningBerth berth = RunningBerth.start(b -> b.metricsCompat("pgbouncer"))) {
            Connection held = PoolLimitsTest.hold(berth.connectApp());
            Map<String, Double> m = scrape(berth);
            assertEquals(1, value(m, "pgbouncer_pools_server_active_connections", "database", "appdb"));
            assertEquals(1, value(m, "pgbouncer_pools_client_active_connections", "user", "app"));
            assertEquals(0, value(m, "pgbouncer_pools_client_waiting_connections", "user", "app"));
            assertTrue(value(m, "pgbouncer_stats_queries_pooled_total", "database", "appdb") >= 1);
            assertEquals(1, value(m, "pgbouncer_up", null, null));
            held.rollback();
            held.close();
        }
    }

    @Test
    void promtoolFindsNoProblemsInTheExposition(@TempDir Path dir) throws Exception {
        RequiredTool.requireCommand("promtool", "prometheus");
        try (RunningBerth berth = RunningBerth.start(b -> b.metricsCompat("pgbouncer"));
             Connection c = berth.connectApp(); Statement s = c.createStatement()) {
            s.execute("select 1");
            String body = get(berth.server(), "/metrics").body();
            Path file = dir.resolve("metrics.txt");
            Files.writeString(file, body);
            Process p = new ProcessBuilder("sh", "-c", "promtool check metrics < " + file).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            assertTrue(p.waitFor(60, TimeUnit.SECONDS));
            assertEquals(0, p.exitValue(), out);
        }
    }

    // ---- helpers ----

    private static Properties props(String user, String password) {
        Properties p = new Properties();
        p.setProperty("user", user);
        p.setProperty("password", password);
        p.setProperty("preferQueryMode", "simple");
        return p;
    }

    private static Connection admin(RunningBerth berth, String db) throws SQLException {
        return java.sql.DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + berth.port() + "/" + db,
                props(TestPostgres.APP_USER, TestPostgres.APP_PASSWORD));
    }

    private static List<Map<String, String>> rows(Statement s, String sql) throws SQLException {
        List<Map<String, String>> rows = new ArrayList<>();
        try (ResultSet rs = s.executeQuery(sql)) {
            ResultSetMetaData md = rs.getMetaData();
            while (rs.next()) {
                Map<String, String> row = new HashMap<>();
                for (int i = 1; i <= md.getColumnCount(); i++) {
                    row.put(md.getColumnName(i), rs.getString(i));
                }
                rows.add(row);
            }
        }
        return rows;
    }

    private static Map<String, String> firstRow(Statement s, String sql) throws SQLException {
        List<Map<String, String>> rows = rows(s, sql);
        assertTrue(!rows.isEmpty(), sql + " returned no row");
        return rows.get(0);
    }

    static HttpResponse<String> get(BerthServer server, String path) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.metricsPort() + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static int status(BerthServer server, String path) {
        try {
            return get(server, path).statusCode();
        } catch (IOException e) {
            return 0;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 0;
        }
    }

    /** Parses the exposition: "name{labels}" to value. */
    static Map<String, Double> scrape(RunningBerth berth) throws IOException, InterruptedException {
        Map<String, Double> values = new HashMap<>();
        for (String line : get(berth.server(), "/metrics").body().split("\n")) {
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            int space = line.lastIndexOf(' ');
            values.put(line.substring(0, space), Double.parseDouble(line.substring(space + 1)));
        }
        return values;
    }

    /** The value of the first series of {@code name} with label {@code label="value"} (any label when null). */
    static double value(Map<String, Double> metrics, String name, String label, String labelValue) {
        for (Map.Entry<String, Double> e : metrics.entrySet()) {
            String key = e.getKey();
            if ((key.equals(name) || key.startsWith(name + "{")) && (label == null || key.contains(label + "=\"" + labelValue + "\""))) {
                return e.getValue();
            }
        }
        throw new AssertionError("no series " + name + (label == null ? "" : "{" + label + "=" + labelValue + "}"));
    }

    private static double bucket(Map<String, Double> metrics, String name, String le) {
        Pattern p = Pattern.compile(Pattern.quote(name) + "\\{.*le=\"([^\"]+)\".*");
        for (Map.Entry<String, Double> e : metrics.entrySet()) {
            Matcher m = p.matcher(e.getKey());
            if (m.matches() && Double.parseDouble(m.group(1)) == Double.parseDouble(le)) {
                return e.getValue();
            }
        }
        throw new AssertionError("no bucket le=" + le);
    }

    private static double metric(RunningBerth berth, String name, String label, String labelValue) {
        try {
            return value(scrape(berth), name, label, labelValue);
        } catch (AssertionError | IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }
}
