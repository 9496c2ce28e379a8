package dev.berth.server;

import dev.berth.core.auth.AuthType;
import dev.berth.core.config.BackendUrl;
import dev.berth.server.RawClient.Message;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

import static dev.berth.server.RawClient.batch;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A logged-in client that waits past --connection-timeout gets 53300 as an ERROR for the work it sent and
 * keeps its connection, as an application's pool needs it to through a burst. One backend, held by another
 * client in an open transaction; the timeout is short to keep the test fast, and nothing else waits.
 */
class PoolTimeoutTest {

    /**
     * Berth with its one backend open and idle before any client comes: a login needs a backend too, and one
     * opened on demand can take longer than the 500 ms on a loaded machine, so that the set-up, not the wait
     * under test, would time out. The pool postgres@postgres is the default pool, which poolMin warms.
     */
    private static RunningBerth berth() {
        RunningBerth berth = RunningBerth.start(b -> b.authType(AuthType.TRUST).authFile(null)
                .backend(BackendUrl.parse("postgresql://postgres@127.0.0.1:" + TestPostgres.port() + "/postgres"))
                .poolMin(1).poolMax(1).connectionTimeoutMs(500).adminUsers(Set.of("postgres")));
        try {
            return berth.awaitPool("postgres", "postgres", p -> p.idle() == 1, "the pool's one backend open");
        } catch (AssertionError e) {
            berth.close();
            throw e;
        }
    }

    /** Runs a command on the admin console and reads its answer, which must not be an error. */
    private static void admin(RawClient console, String command) throws Exception {
        console.send(batch().query(command));
        List<Message> answer = console.readUntil('Z');
        assertEquals(List.of(), RawClient.errorCodes(answer), command);
    }

    private static void assertPauseExpired(Message error) {
        assertEquals('E', error.type());
        assertEquals("53300", error.field('C'), error.field('M'));
        assertEquals("no backend connection within 500 ms: Berth is paused (RESUME on the admin console)", error.field('M'));
    }

    /** Takes the pool's one backend in an open transaction. */
    private static RawClient hold(RunningBerth berth) throws Exception {
        RawClient holder = RawClient.login(berth.port(), "postgres", "postgres");
        holder.send(batch().query("begin"));
        assertEquals("CZ", RawClient.types(holder.readUntil('Z')));
        return holder;
    }

    private static void release(RawClient holder) throws Exception {
        holder.send(batch().query("commit"));
        assertEquals("CZ", RawClient.types(holder.readUntil('Z')));
    }

    private static void assertTimedOut(Message error) {
        assertEquals('E', error.type());
        assertEquals("53300", error.field('C'), error.field('M'));
        assertEquals("ERROR", error.field('S'), "not FATAL: the client keeps its connection");
        assertTrue(error.field('M').startsWith("no backend connection available within 500 ms (pool postgres@postgres: 1/1 in use"),
                error.field('M'));
        assertEquals("raise --pool-max or --connection-timeout, or look for clients holding connections", error.field('H'));
    }

    @Test
    void aTimedOutClientGetsAnErrorForItsWorkAndKeepsItsConnection() throws Exception {
        try (RunningBerth berth = berth(); RawClient c = RawClient.login(berth.port(), "postgres", "postgres")) {
            RawClient holder = hold(berth);

            // an extended-protocol batch: the error, then ReadyForQuery at its Sync
            c.send(batch().parse("", "select 1").bind("", "").execute("").sync());
            List<Message> r = c.readUntil('Z');
            assertEquals("EZ", RawClient.types(r));
            assertTimedOut(r.get(0));
            assertEquals('I', (char) r.get(1).payload()[0]);

            // a simple query: the error and ReadyForQuery
            c.send(batch().query("select 2"));
            r = c.readUntil('Z');
            assertEquals("EZ", RawClient.types(r));
            assertTimedOut(r.get(0));

            // a batch still being written when the timeout comes: the rest of it up to Sync is discarded
            c.send(batch().parse("", "select 3").bind("", "").flush());
            assertTimedOut(c.read());
            c.send(batch().execute("").sync());
            assertEquals("Z", RawClient.types(c.readUntil('Z')));

            // two batches queued: the first fails, the second waits afresh and fails on its own
            c.send(batch().parse("", "select 4").bind("", "").execute("").sync().query("select 5"));
            r = c.readUntilReady(2);
            assertEquals("EZEZ", RawClient.types(r));
            assertTimedOut(r.get(0));
            assertTimedOut(r.get(2));

            release(holder);
            c.send(batch().query("select 6"));
            r = c.readUntil('Z');
            assertEquals("TDCZ", RawClient.types(r));
            assertEquals(List.of("6"), RawClient.firstColumns(r));
            c.send(batch().parse("", "select 7").bind("", "").execute("").sync());
            r = c.readUntil('Z');
            assertEquals("12DCZ", RawClient.types(r));
            assertEquals(List.of("7"), RawClient.firstColumns(r));
            holder.close();
        }
    }

    /** As at the pool's timeout (issue 10): held by PAUSE past the timeout, a logged-in client keeps its connection. */
    @Test
    void aClientHeldByPausePastTheTimeoutGetsAnErrorAndKeepsItsConnection() throws Exception {
        try (RunningBerth berth = berth();
             RawClient c = RawClient.login(berth.port(), "postgres", "postgres");
             RawClient console = RawClient.login(berth.port(), "postgres", "berth")) {
            c.setTimeout(60_000);
            admin(console, "PAUSE");

            c.send(batch().query("select 1"));
            List<Message> r = c.readUntil('Z');
            assertEquals("EZ", RawClient.types(r));
            assertPauseExpired(r.get(0));
            assertEquals("ERROR", r.get(0).field('S'), "not FATAL: the client keeps its connection");

            c.send(batch().parse("", "select 2").bind("", "").execute("").sync());
            r = c.readUntil('Z');
            assertEquals("EZ", RawClient.types(r));
            assertPauseExpired(r.get(0));

            admin(console, "RESUME");
            // PAUSE closed the backend: the query waits for the one poolMin opens again, not a 500 ms race with it
            berth.awaitPool("postgres", "postgres", p -> p.idle() == 1, "the pool's backend open again");
            c.send(batch().query("select 3"));
            r = c.readUntil('Z');
            assertEquals(List.of("3"), RawClient.firstColumns(r), RawClient.types(r));
        }
    }

    @Test
    void aLoginHeldByPausePastTheTimeoutIsStillRefusedWithFatal() throws Exception {
        try (RunningBerth berth = berth();
             RawClient console = RawClient.login(berth.port(), "postgres", "berth");
             RawClient c = new RawClient(berth.port())) {
            admin(console, "PAUSE");
            c.setTimeout(60_000);
            c.startup(Map.of("user", "postgres", "database", "postgres"));
            Message m = c.read();
            while (m.type() != 'E') {
                m = c.read(); // AuthenticationOk comes first: only the server's greeting completes the login
            }
            assertPauseExpired(m);
            assertEquals("FATAL", m.field('S'));
            assertTrue(c.closedByServer());
        }
    }

    @Test
    void aClientWhoseLoginNeverCompletedIsStillDisconnectedWithFatal() throws Exception {
        try (RunningBerth berth = berth(); RawClient holder = hold(berth); RawClient c = new RawClient(berth.port())) {
            // settings no login of the pool had: its greeting needs a server (LoginGreetingTest)
            c.startup(Map.of("user", "postgres", "database", "postgres", "application_name", "not greeted yet"));
            Message m = c.read();
            while (m.type() != 'E') {
                m = c.read(); // AuthenticationOk comes first: only the server's greeting completes the login
            }
            assertEquals("53300", m.field('C'));
            assertEquals("FATAL", m.field('S'));
            assertTrue(c.closedByServer());
        }
    }

    @Test
    void pgjdbcKeepsItsConnectionAfterATimeoutWithExtendedAndSimpleQueries() throws Exception {
        try (RunningBerth berth = berth()) {
            for (String mode : List.of("extended", "simple")) {
                Properties props = new Properties();
                props.setProperty("user", "postgres");
                props.setProperty("preferQueryMode", mode);
                try (Connection c = DriverManager.getConnection(berth.jdbcUrl("postgres"), props)) {
                    RawClient holder = hold(berth);
                    try (Statement s = c.createStatement()) {
                        SQLException e = assertThrows(SQLException.class, () -> s.executeQuery("select 1"));
                        assertEquals("53300", e.getSQLState(), mode + ": " + e.getMessage());
                    }
                    release(holder);
                    holder.close();
                    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("select 42")) {
                        rs.next();
                        assertEquals(42, rs.getInt(1), mode + ": the same connection works after the timeout");
                    }
                    assertTrue(c.isValid(5), mode);
                }
            }
        }
    }
}
