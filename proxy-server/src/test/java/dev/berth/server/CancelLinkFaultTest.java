package dev.berth.server;

import dev.berth.core.auth.AuthType;
import dev.berth.core.config.BackendUrl;
import dev.berth.server.RawClient.Message;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.LogRecord;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A cancel whose connection to the backend is reset (a network fault found by the chaos test): one log line
 * from Berth, no Netty warning with a stack trace, and the query it was for runs on to its answer.
 */
class CancelLinkFaultTest {

    @Test
    void aResetCancelConnectionIsOneLogLineAndTheQueryRunsOn() throws Exception {
        TestPostgres.execute("create table if not exists cancel_fault (id int)");
        LogCapture log = LogCapture.of(Level.WARNING, "io.netty", "dev.berth");
        List<LogRecord> warnings = log.records();
        try (FaultyLink link = new FaultyLink(TestPostgres.port());
             RunningBerth berth = RunningBerth.start(b -> b.authType(AuthType.TRUST).authFile(null).poolMax(2)
                     .backend(BackendUrl.parse("postgresql://127.0.0.1:" + link.port())));
             RawClient holder = RawClient.login(berth.port(), "postgres", "postgres");
             RawClient waiter = new RawClient(berth.port())) {
            holder.send(RawClient.batch().query("begin").query("lock table cancel_fault"));
            holder.readUntilReady(2);
            waiter.startup(Map.of("user", "postgres", "database", "postgres"));
            ByteBuffer key = null;
            for (Message m : waiter.readUntil('Z')) {
                if (m.type() == 'K') {
                    key = ByteBuffer.wrap(m.payload());
                }
            }
            waiter.query("select count(*) from cancel_fault");
            RunningBerth.waitFor(CancelLinkFaultTest::waiterBlocked, "the waiter's query blocks on the lock");

            link.resetNew(true);
            int acceptedBefore = link.accepted();
            try (Socket cancel = new Socket("127.0.0.1", berth.port())) {
                OutputStream out = cancel.getOutputStream();
                out.write(ByteBuffer.allocate(16).putInt(16).putInt(80877102).putInt(key.getInt(0)).putInt(key.getInt(4)).array());
                out.flush();
                InputStream in = cancel.getInputStream();
                while (in.read() >= 0) {
                    // Berth closes the cancel connection
                }
            }
            RunningBerth.waitFor(() -> link.accepted() > acceptedBefore, "Berth forwarded the cancel to the relay");
            RunningBerth.waitFor(() -> warnings.stream().anyMatch(r -> r.getMessage().startsWith("cancel request for ")
                    && r.getMessage().contains(" failed: ")), "Berth logs the failed cancel (warnings: " + warnings.stream().map(LogRecord::getMessage).toList() + ")");
            link.resetNew(false);

            holder.query("commit");
            holder.readUntil('Z');
            List<Message> answer = waiter.readUntil('Z');
            assertEquals(List.of(), RawClient.errorCodes(answer), "the query was not cancelled");
            assertEquals(List.of("0"), RawClient.firstColumns(answer));
            assertEquals(List.of(), warnings.stream().filter(r -> r.getLoggerName().startsWith("io.netty"))
                    .map(LogRecord::getMessage).toList(), "no Netty warning");
        } finally {
            log.close();
        }
    }

    private static boolean waiterBlocked() {
        try (Connection c = TestPostgres.superuser("postgres"); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("select count(*) from pg_stat_activity where wait_event_type = 'Lock'"
                     + " and query = 'select count(*) from cancel_fault'")) {
            rs.next();
            return rs.getInt(1) == 1;
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
