package dev.berth.server;

import dev.berth.core.auth.AuthType;
import dev.berth.core.config.PoolMode;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A cancel request only ever reaches the query of the client that sent it. */
class CancelIsolationTest {

    @Test
    void aCancelRightAfterTheAnswerNeverCancelsTheNextClientsQuery() throws Exception {
        try (RunningBerth berth = RunningBerth.start(b -> b.authType(AuthType.TRUST).poolMode(PoolMode.TRANSACTION).poolMax(1));
             RawClient canceller = new RawClient(berth.port())) {
            canceller.startup(Map.of("user", TestPostgres.APP_USER, "database", TestPostgres.APP_DB));
            RawClient.Message keys = canceller.readUntil('Z').stream().filter(m -> m.type() == 'K').findFirst().orElseThrow();
            int pid = keys.int32(0);
            int secret = keys.int32(4);

            AtomicBoolean stop = new AtomicBoolean();
            AtomicInteger sleeps = new AtomicInteger();
            AtomicInteger cancelled = new AtomicInteger();
            ExecutorService victim = Executors.newSingleThreadExecutor();
            Future<?> victimDone = victim.submit(() -> {
                try (Connection c = berth.connectApp(); Statement s = c.createStatement()) {
                    while (!stop.get()) {
                        try {
                            s.execute("select pg_sleep(0.02)");
                            sleeps.incrementAndGet();
                        } catch (SQLException e) {
                            if (!"57014".equals(e.getSQLState())) {
                                throw e;
                            }
                            cancelled.incrementAndGet();
                        }
                    }
                }
                return null;
            });
            try {
                for (int i = 0; i < 300; i++) {
                    canceller.query("select 1");
                    canceller.readUntil('Z');
                    sendCancel(berth.port(), pid, secret);
                }
            } finally {
                stop.set(true);
                victimDone.get(60, TimeUnit.SECONDS);
                victim.shutdown();
            }
            assertEquals(0, cancelled.get(), "another client's query cancelled (" + sleeps.get() + " ran to their end)");
            assertTrue(sleeps.get() > 0, "the other client's queries ran meanwhile");
            // the cancelling client is not harmed either: its next query runs
            canceller.query("select 2");
            assertEquals(List.of("2"), RawClient.firstColumns(canceller.readUntil('Z')));
        }
    }

    /** A CancelRequest on a new connection, as libpq sends it, waiting for Berth to close that connection. */
    static void sendCancel(int port, int pid, int secret) throws Exception {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(ByteBuffer.allocate(16).putInt(16).putInt(80877102).putInt(pid).putInt(secret).array());
            socket.getOutputStream().flush();
            InputStream in = socket.getInputStream();
            while (in.read() >= 0) {
                // nothing is answered; Berth closes the connection
            }
        }
    }
}
