package dev.berth.server;

import dev.berth.core.auth.AuthType;
import org.junit.jupiter.api.Test;
import org.postgresql.util.PSQLException;

import java.io.IOException;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.LogRecord;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What clients that never log in can do to Berth: hold a bounded number of sockets, for a short time, with little memory. */
class ClientLimitsTest {
    @Test
    void idleConnectionsBeyondTheLimitAreRefusedAtOnceWhileProbesAndLoggedInClientsCarryOn() throws Exception {
        int limit = 20;
        // a login timeout far beyond the test, so the idle sockets stay until the test closes them
        try (RunningBerth berth = RunningBerth.start(b -> b.maxClientConnections(limit).clientLoginTimeoutMs(600_000))) {
            List<Socket> idle = new ArrayList<>();
            try {
                for (int i = 0; i < 300; i++) {
                    idle.add(new Socket("127.0.0.1", berth.port())); // sends nothing
                }
                RunningBerth.waitFor(() -> berth.server().clientCount() == limit, limit + " clients admitted");
                RunningBerth.waitFor(() -> metric(berth, "berth_client_connections_refused_total") >= 300 - limit,
                        "the other " + (300 - limit) + " refused");
                assertEquals(limit, metric(berth, "berth_client_connections"));
                assertEquals(200, ObservabilityTest.get(berth.server(), "/readyz").statusCode());

                PSQLException refused = assertThrows(PSQLException.class, berth::connectApp);
                assertEquals("53300", refused.getSQLState(), refused::toString);
                assertTrue(refused.getMessage().contains("too many client connections (max_client_connections 20)"),
                        refused.getMessage());
            } finally {
                for (Socket s : idle) {
                    s.close();
                }
            }
            RunningBerth.waitFor(() -> berth.server().clientCount() == 0, "the idle sockets gone");
            try (Connection c = berth.connectApp(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery("select 1")) {
                assertTrue(rs.next());
            }
        }
    }

    @Test
    void beforeLoginAMessageAboveTheLoginLimitIsRefusedWithoutBufferingIt() throws Exception {
        try (RunningBerth berth = RunningBerth.start();
             RawClient c = new RawClient(berth.port())) {
            c.startup(Map.of("user", TestPostgres.APP_USER, "database", TestPostgres.APP_DB));
            RawClient.Message sasl = c.read();
            assertEquals('R', sasl.type());
            c.send(ByteBuffer.allocate(5).put((byte) 'p').putInt(250 * 1024 * 1024).array()); // declares 250 MiB
            RawClient.Message m = c.read();
            assertEquals('E', m.type());
            assertEquals("08P01", m.field('C'));
            assertTrue(m.field('M').contains("above the maximum of 8192 bytes before login completes"), m.field('M'));
            assertTrue(c.closedByServer());
        }
    }

    @Test
    void aTerminateBeforeTheStartupPacketIsClosedSilently() throws Exception {
        try (RunningBerth berth = RunningBerth.start(b -> b.authType(AuthType.TRUST));
             RawClient c = new RawClient(berth.port())) {
            c.send(new byte[] {'X', 0, 0, 0, 4}); // node-postgres: connect(); end() before the connection was up
            assertEquals(-1, c.readByte(), "closed without a word, as PostgreSQL and pgbouncer do");
        }
    }

    @Test
    void unknownCancelRequestsAreCountedAndLoggedOncePerInterval() throws Exception {
        LogCapture log = LogCapture.of(Level.ALL, CancelRegistry.class.getName());
        try (RunningBerth berth = RunningBerth.start()) {
            for (int i = 0; i < 20; i++) {
                try (RawClient c = new RawClient(berth.port())) {
                    c.send(ByteBuffer.allocate(16).putInt(16).putInt(80877102).putInt(12345 + i).putInt(42).array());
                    assertTrue(c.closedByServer());
                }
            }
            RunningBerth.waitFor(() -> metric(berth, "berth_cancel_requests_total{result=\"unknown\"}") == 20, "20 counted");
            List<String> lines = log.records().stream().map(LogRecord::getMessage).filter(m -> m.contains("cancel request")).toList();
            assertEquals(1, lines.size(), lines::toString); // the first; the other 19 wait for the next interval
        } finally {
            log.close();
        }
    }

    /** The value of one series in /metrics (name with its labels as exposed), or -1 when it is absent. */
    static double metric(RunningBerth berth, String series) {
        try {
            for (String line : ObservabilityTest.get(berth.server(), "/metrics").body().split("\n")) {
                if (line.startsWith(series + " ")) {
                    return Double.parseDouble(line.substring(series.length() + 1).trim());
                }
            }
            return -1;
        } catch (IOException e) {
            throw new AssertionError(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
