package dev.berth.server;

import dev.berth.core.config.BackendUrl;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Backend health: server lifetime, the check of servers idle too long. Waits are on state, never on sleeps. */
class ServerHealthTest {

    /** The pool app@appdb through {@code relay}, so that the test can break the link. */
    static BackendUrl appBackendVia(FaultyLink relay) {
        return BackendUrl.parse("postgresql://" + TestPostgres.APP_USER + ":" + TestPostgres.APP_PASSWORD
                + "@127.0.0.1:" + relay.port() + "/" + TestPostgres.APP_DB);
    }

    static int pid(Connection c) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("select pg_backend_pid()")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    /** How long the backend of {@code pid} has been connected, in ms, from PostgreSQL's view; -1 when it is gone. */
    static long backendAgeMs(int pid) {
        try (Connection c = TestPostgres.superuser("postgres"); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("select extract(epoch from now() - backend_start) * 1000 from pg_stat_activity"
                     + " where pid = " + pid)) {
            return rs.next() ? (long) rs.getDouble(1) : -1;
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void aServerPastItsLifetimeIsClosedOnlyWhenReleasedAndThePoolRefillsToItsMinimum() throws Exception {
        try (RunningBerth berth = RunningBerth.start(b -> b.backend(RunningBerth.appBackend())
                .poolMin(1).poolMax(2).serverLifetimeMs(300))) {
            berth.awaitPool(p -> p.idle() == 1, "warm-up");
            int held;
            try (Connection c = berth.connectApp()) {
                c.setAutoCommit(false);
                held = pid(c);
                // well past the lifetime, and past a housekeeping round, while a client uses it
                RunningBerth.waitFor(() -> backendAgeMs(held) > 2_500, "the held backend outlives its lifetime");
                assertEquals(held, pid(c), "never closed while a client uses it");
                c.commit(); // released: closed now
                RunningBerth.waitFor(() -> backendAgeMs(held) < 0, "the outlived backend is closed once released");
                assertNotEquals(held, pid(c), "the next transaction gets another backend");
                c.commit();
            }
            berth.awaitPool(p -> p.total() >= 1, "the pool refills to its minimum");
            assertTrue(ObservabilityTest.value(ObservabilityTest.scrape(berth), "berth_pool_server_connections_closed_total",
                    "reason", "lifetime") >= 1, "counted under reason=lifetime");
        }
    }

    @Test
    void aServerThatDiedWhileIdleIsFoundByItsCheckAndTheClientGetsAnotherWithoutAnError() throws Exception {
        try (FaultyLink relay = new FaultyLink(TestPostgres.port());
             RunningBerth berth = RunningBerth.start(b -> b.backend(appBackendVia(relay))
                     .poolMin(1).poolMax(2).serverCheckDelayMs(0))) {
            berth.awaitPool(p -> p.idle() == 1, "warm-up");
            relay.severSilently(); // Berth does not hear of it: the connection looks idle and fine
            try (Connection c = berth.connectApp(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery("select 42")) {
                rs.next();
                assertEquals(42, rs.getInt(1));
            }
            assertTrue(ObservabilityTest.value(ObservabilityTest.scrape(berth), "berth_pool_server_connections_closed_total",
                    "reason", "check_failed") >= 1, "counted under reason=check_failed");
        }
    }

    @Test
    void aTerminatedIdleBackendNeverReachesTheNextClient() throws Exception {
        try (RunningBerth berth = RunningBerth.start(b -> b.backend(RunningBerth.appBackend())
                .poolMin(1).poolMax(2).serverCheckDelayMs(0))) {
            berth.awaitPool(p -> p.idle() == 1, "warm-up");
            int pid;
            try (Connection c = berth.connectApp()) {
                pid = pid(c);
            }
            TestPostgres.execute("select pg_terminate_backend(" + pid + ")");
            try (Connection c = berth.connectApp()) { // at once: the check catches it if the FATAL is not read yet
                assertNotEquals(pid, pid(c));
            }
        }
    }
}
