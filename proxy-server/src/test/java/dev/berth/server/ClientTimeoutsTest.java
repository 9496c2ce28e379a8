package dev.berth.server;

import dev.berth.core.auth.AuthType;
import dev.berth.core.config.PoolMode;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The client timeouts through a real Berth: each fires with PostgreSQL's SQLSTATE and a message naming the
 * setting; the backend is rolled back and reused (or closed when busy), and other clients do not notice.
 * Clients log in by trust (raw protocol, for byte-level checks); Berth logs in to PostgreSQL as app.
 */
class ClientTimeoutsTest {

    static RawClient login(RunningBerth berth) throws IOException {
        RawClient c = RawClient.login(berth.port(), TestPostgres.APP_USER, TestPostgres.APP_DB);
        c.setTimeout(60_000); // waits for a timeout end on what Berth sends, generously
        return c;
    }

    static String one(RawClient c, String sql) throws IOException {
        return run(c, sql).get(0);
    }

    /** Runs {@code sql}, asserts it did not fail, and returns the first column of each row. */
    static List<String> run(RawClient c, String sql) throws IOException {
        List<RawClient.Message> answer = c.query(sql).readUntil('Z');
        assertEquals(List.of(), RawClient.errorCodes(answer), sql + ": " + RawClient.types(answer));
        return RawClient.firstColumns(answer);
    }

    /** Reads what Berth sends unasked: a FATAL error, then the close. */
    static RawClient.Message fatal(RawClient c, String sqlState, String names) throws IOException {
        RawClient.Message m = c.read();
        assertEquals('E', m.type());
        assertEquals("FATAL", m.field('S'));
        assertEquals(sqlState, m.field('C'), m.field('M'));
        assertTrue(m.field('M').contains(names), m.field('M'));
        assertTrue(c.closedByServer(), "closed after the FATAL");
        return m;
    }

    @Test
    void aQueryRunningPastTheQueryTimeoutIsCancelledAndTheClientKeepsItsConnectionAndServer() throws Exception {
        try (RunningBerth berth = RunningBerth.start(b -> b.backend(RunningBerth.appBackend()).authType(AuthType.TRUST)
                .poolMin(0).poolMax(1).queryTimeoutMs(500));
             RawClient slow = login(berth); RawClient other = login(berth)) {
            String pid = one(slow, "select pg_backend_pid()");
            List<RawClient.Message> answer = slow.query("select pg_sleep(60)").readUntil('Z');
            RawClient.Message error = answer.get(answer.size() - 2);
            assertEquals("57014", error.field('C'), RawClient.types(answer));
            assertEquals("ERROR", error.field('S'));
            assertEquals("canceling statement due to query timeout (query_timeout=500 ms)", error.field('M'));
            assertEquals("2", one(slow, "select 2"), "the client keeps its connection");
            assertEquals(pid, one(other, "select pg_backend_pid()"), "the server was reused (the pool has one)");
        }
    }

    @Test
    void aServerThatDoesNotAnswerItsTimeoutCancelIsClosedAndTheClientGets08006() throws Exception {
        try (FaultyLink relay = new FaultyLink(TestPostgres.port());
             RunningBerth berth = RunningBerth.start(b -> b.backend(ServerHealthTest.appBackendVia(relay))
                     .authType(AuthType.TRUST).poolMin(0).poolMax(2).queryTimeoutMs(500));
             RawClient stuck = login(berth)) {
            one(stuck, "select 1");
            relay.stallExisting(); // the query and its answer go nowhere; the cancel (a new connection) arrives
            stuck.query("select 1");
            RawClient.Message m = fatal(stuck, "08006", "(--query-timeout)");
            assertTrue(m.field('M').contains("still running 500 ms after its cancel"), m.field('M'));
            try (RawClient next = login(berth)) {
                assertEquals("3", one(next, "select 3"), "a new server serves the next client");
            }
        }
    }

    @Test
    void aClientIdleInATransactionIsDisconnectedAndItsServerRolledBackAndReused() throws Exception {
        try (RunningBerth berth = RunningBerth.start(b -> b.backend(RunningBerth.appBackend()).authType(AuthType.TRUST)
                .poolMin(0).poolMax(1).idleTransactionTimeoutMs(500));
             RawClient other = login(berth)) {
            run(other, "drop table if exists idle_tx_marker; create table idle_tx_marker (n int)");
            String pid;
            try (RawClient idle = login(berth)) {
                // one message: no pause of this thread between the statements can count as idle in the transaction
                pid = one(idle, "begin; select pg_backend_pid(); insert into idle_tx_marker values (1)");
                fatal(idle, "25P03", "idle-in-transaction timeout (idle_transaction_timeout=500 ms)");
            }
            assertEquals(pid, one(other, "select pg_backend_pid()"), "the same server, reused");
            assertEquals("0", one(other, "select count(*) from idle_tx_marker"), "its transaction was rolled back");
        }
    }

    @Test
    void anIdleClientIsDisconnectedAfterTheClientIdleTimeoutInTransactionMode() throws Exception {
        try (RunningBerth berth = RunningBerth.start(b -> b.backend(RunningBerth.appBackend()).authType(AuthType.TRUST)
                .poolMin(0).poolMax(2).clientIdleTimeoutMs(500));
             RawClient idle = login(berth)) {
            // idle from its login on (a query first would race the 500 ms if this thread paused after the login)
            fatal(idle, "57P05", "idle-session timeout (client_idle_timeout=500 ms)");
            try (RawClient next = login(berth)) {
                assertEquals("4", one(next, "select 4"));
            }
        }
    }

    @Test
    void anIdleSessionModeClientIsDisconnectedAndItsServerResetAndReused() throws Exception {
        try (RunningBerth berth = RunningBerth.start(b -> b.backend(RunningBerth.appBackend()).authType(AuthType.TRUST)
                .poolMode(PoolMode.SESSION).poolMin(0).poolMax(1).clientIdleTimeoutMs(500))) {
            String pid;
            try (RawClient idle = login(berth)) {
                pid = one(idle, "select pg_backend_pid(); set application_name = 'left-behind'"); // one message: no gap
                fatal(idle, "57P05", "client_idle_timeout=500 ms");
            }
            try (RawClient next = login(berth)) {
                assertEquals(pid, one(next, "select pg_backend_pid()"), "the same server, reset and reused");
                assertEquals("", one(next, "show application_name"), "reset before reuse");
            }
        }
    }

    @Test
    void aTransactionOpenPastTheTransactionTimeoutEndsItsClientAndOthersGoOn() throws Exception {
        try (RunningBerth berth = RunningBerth.start(b -> b.backend(RunningBerth.appBackend()).authType(AuthType.TRUST)
                .poolMin(0).poolMax(2).transactionTimeoutMs(800));
             RawClient other = login(berth)) {
            try (RawClient long1 = login(berth)) {
                // both at once: the transaction's clock starts at begin, and this thread may pause between them
                long1.send(RawClient.batch().query("begin").query("select pg_sleep(60)"));
                assertEquals("CZ", RawClient.types(long1.readUntil('Z')));
                fatal(long1, "25P04", "transaction timeout (transaction_timeout=800 ms)");
            }
            assertEquals("5", one(other, "select 5"), "another client is not affected");
        }
    }

    @Test
    void timeoutsAreOffByDefault() throws Exception {
        try (RunningBerth berth = RunningBerth.start(b -> b.backend(RunningBerth.appBackend()));
             Connection c = berth.connectApp(); Statement s = c.createStatement()) {
            assertEquals(0, berth.server().config().queryTimeoutMs());
            assertEquals(0, berth.server().config().clientIdleTimeoutMs());
            c.setAutoCommit(false);
            try (ResultSet rs = s.executeQuery("select pg_sleep(0.3), 1")) {
                rs.next();
                assertEquals(1, rs.getInt(2));
            }
            c.commit();
        }
    }
}
