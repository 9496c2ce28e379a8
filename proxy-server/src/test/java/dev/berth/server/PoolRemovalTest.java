package dev.berth.server;

import dev.berth.core.auth.AuthType;
import dev.berth.core.pool.PoolStats;
import org.junit.jupiter.api.Test;
import org.postgresql.util.PSQLException;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Pools come and go with their clients, up to --max-pools: logins to databases that do not exist leave nothing behind. */
class PoolRemovalTest {
    private static Connection trustLogin(RunningBerth berth, String user, String database) throws Exception {
        Properties props = new Properties();
        props.setProperty("user", user);
        return DriverManager.getConnection(berth.jdbcUrl(database), props);
    }

    private static boolean hasPool(RunningBerth berth, String database) {
        return berth.server().poolStats().stream().map(PoolStats::key).anyMatch(k -> k.database().equals(database));
    }

    private static String metrics(RunningBerth berth) throws Exception {
        return ObservabilityTest.get(berth.server(), "/metrics").body();
    }

    @Test
    void loginsToDatabasesThatDoNotExistLeaveNoPoolAndNoMetrics() throws Exception {
        try (RunningBerth berth = RunningBerth.start(b -> b.authType(AuthType.TRUST))) {
            for (int i = 0; i < 30; i++) {
                String database = "nosuchdb" + i;
                PSQLException e = assertThrows(PSQLException.class, () -> trustLogin(berth, "postgres", database).close());
                assertEquals("3D000", e.getSQLState(), e::toString);
            }
            RunningBerth.waitFor(() -> berth.server().poolStats().stream().noneMatch(p -> p.key().database().startsWith("nosuchdb")),
                    "the pools of the databases that do not exist removed");
            RunningBerth.waitFor(() -> {
                try {
                    return !metrics(berth).contains("nosuchdb");
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            }, "their label sets removed from /metrics");
            try (Connection c = trustLogin(berth, "postgres", "postgres"); Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("select 1")) {
                assertTrue(rs.next()); // and pools that work are made as before
            }
        }
    }

    @Test
    void aPoolBeyondMaxPoolsIsRefusedWithAClearError() throws Exception {
        try (RunningBerth berth = RunningBerth.start(b -> b.authType(AuthType.TRUST).maxPools(2).idleTimeoutMs(300));
             Connection first = trustLogin(berth, "postgres", "postgres");
             Connection second = trustLogin(berth, TestPostgres.APP_USER, TestPostgres.APP_DB)) {
            PSQLException e = assertThrows(PSQLException.class, () -> trustLogin(berth, "postgres", TestPostgres.APP_DB).close());
            assertEquals("53400", e.getSQLState(), e::toString);
            assertTrue(e.getMessage().contains("too many pools (max_pools 2)"), e.getMessage());
            try (Statement s = first.createStatement(); ResultSet rs = s.executeQuery("select 1")) {
                assertTrue(rs.next()); // the pools in use are undisturbed
            }
            second.close();
            RunningBerth.waitFor(() -> !hasPool(berth, TestPostgres.APP_DB), "the pool app@appdb removed once unused");
            trustLogin(berth, "postgres", TestPostgres.APP_DB).close(); // and its place is free again
        }
    }

    @Test
    void aPoolUnusedForTheIdleTimeoutIsRemovedWithItsMetrics() throws Exception {
        try (RunningBerth berth = RunningBerth.start(b -> b.idleTimeoutMs(300))) {
            try (Connection c = berth.connectApp(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery("select 1")) {
                assertTrue(rs.next());
                assertTrue(hasPool(berth, TestPostgres.APP_DB));
                assertTrue(metrics(berth).contains("database=\"appdb\""));
                Thread.sleep(1500); // several idle timeouts: a pool with a client stays, whatever its servers do
                assertTrue(hasPool(berth, TestPostgres.APP_DB), "kept while a client uses it");
            }
            RunningBerth.waitFor(() -> !hasPool(berth, TestPostgres.APP_DB), "the pool removed once unused");
            String after = metrics(berth);
            assertFalse(after.contains("database=\"appdb\""), after);
            try (Connection c = berth.connectApp(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery("select 2")) {
                assertTrue(rs.next()); // made afresh on the next login
            }
        }
    }
}
