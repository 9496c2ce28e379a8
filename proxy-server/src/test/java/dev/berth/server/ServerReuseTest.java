package dev.berth.server;

import dev.berth.core.config.PoolMode;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Backends are reused, not churned: a healthy backend is never closed as dead, and the cleanup after a
 * client that left mid-transaction leaves it reset and reusable.
 */
class ServerReuseTest {

    @Test
    void shortLivedClientsWithDifferentSettingsNeverCloseAHealthyBackend() throws Exception {
        try (RunningBerth berth = RunningBerth.start(b -> b.poolMode(PoolMode.TRANSACTION).poolMax(3))) {
            ExecutorService threads = Executors.newFixedThreadPool(4);
            List<Future<Integer>> results = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int thread = t;
                results.add(threads.submit(() -> {
                    int done = 0;
                    for (int i = 0; i < 100; i++) {
                        Properties props = new Properties();
                        props.setProperty("user", TestPostgres.APP_USER);
                        props.setProperty("password", TestPostgres.APP_PASSWORD);
                        props.setProperty("ApplicationName", "churn-" + thread + "-" + i);
                        if (i % 2 == 0) {
                            props.setProperty("options", "-c search_path=s" + thread + "_" + i + ",public");
                        }
                        try (Connection c = DriverManager.getConnection(berth.jdbcUrl(TestPostgres.APP_DB), props);
                             Statement s = c.createStatement(); ResultSet rs = s.executeQuery("select 1")) {
                            rs.next();
                            done += rs.getInt(1);
                        }
                    }
                    return done;
                }));
            }
            int total = 0;
            for (Future<Integer> f : results) {
                total += f.get(300, TimeUnit.SECONDS);
            }
            threads.shutdown();
            assertEquals(400, total);
            String metrics = ObservabilityTest.get(berth.server(), "/metrics").body();
            assertEquals(0, closed(metrics, "dead"), "no healthy backend closed as dead:\n" + closedLines(metrics));
            assertEquals(0, closed(metrics, "reset_failed"), closedLines(metrics));
            assertTrue(opened(metrics) <= 3, "backends reused, not reopened: " + opened(metrics) + " opened");
        }
    }

    @Test
    void sessionClientLeavingMidTransactionLeavesAResetReusableBackend() throws Exception {
        try (RunningBerth berth = RunningBerth.start(b -> b.poolMode(PoolMode.SESSION).poolMax(1))) {
            int pid;
            String workMem;
            try (Connection c = berth.connectApp(); Statement s = c.createStatement()) {
                pid = backendPid(s);
                try (ResultSet rs = s.executeQuery("show work_mem")) {
                    rs.next();
                    workMem = rs.getString(1);
                }
                s.execute("set work_mem = '7777kB'");
                c.setAutoCommit(false);
                s.execute("create temp table left_behind(x int)");
                s.execute("insert into left_behind values (1)");
                // closed inside the transaction block: Berth rolls back and resets the backend
            }
            berth.awaitPool(p -> p.idle() == 1 && p.tested() == 0 && p.active() == 0, "the cleaned backend back in the pool");
            try (Connection c = berth.connectApp(); Statement s = c.createStatement()) {
                assertEquals(pid, backendPid(s), "the same backend is reused");
                try (ResultSet rs = s.executeQuery("select current_setting('work_mem'),"
                        + " (select count(*) from pg_class where relname = 'left_behind')")) {
                    rs.next();
                    assertEquals(workMem, rs.getString(1), "settings reset");
                    assertEquals(0, rs.getInt(2), "the transaction rolled back, the temp table gone");
                }
            }
            String metrics = ObservabilityTest.get(berth.server(), "/metrics").body();
            assertEquals(0, closed(metrics, "reset_failed"), closedLines(metrics));
        }
    }

    static int backendPid(Statement s) throws SQLException {
        try (ResultSet rs = s.executeQuery("select pg_backend_pid()")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    /** berth_pool_server_connections_closed_total for this reason, summed over pools. */
    static long closed(String metrics, String reason) {
        return sum(metrics, "berth_pool_server_connections_closed_total\\{[^}]*reason=\"" + reason + "\"[^}]*\\} (\\S+)");
    }

    static long opened(String metrics) {
        return sum(metrics, "berth_pool_server_connections_opened_total\\{[^}]*\\} (\\S+)");
    }

    private static long sum(String metrics, String regex) {
        Matcher m = Pattern.compile(regex).matcher(metrics);
        long total = 0;
        while (m.find()) {
            total += (long) Double.parseDouble(m.group(1));
        }
        return total;
    }

    static String closedLines(String metrics) {
        return metrics.lines().filter(l -> l.startsWith("berth_pool_server_connections_closed_total")).reduce("", (a, b) -> a + b + "\n");
    }
}
