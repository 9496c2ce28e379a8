package dev.berth.server;

import dev.berth.core.auth.AuthType;
import dev.berth.core.config.BackendUrl;
import dev.berth.core.config.PoolMode;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
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

    /**
     * asyncpg waits for its cancel connection to close before it sends the next query: the close is the
     * protocol's only sign that the cancel was dealt with. Berth must not close it before PostgreSQL got the
     * cancel, or the late cancel hits that next query. A relay in front of PostgreSQL holds the forwarded
     * cancel; the first query ends on its own meanwhile (the test holds its lock, then frees it).
     */
    @Test
    void theCancelConnectionClosesOnlyOncePostgresHasTheCancel() throws Exception {
        try (CancelHoldingRelay relay = new CancelHoldingRelay(TestPostgres.port());
             RunningBerth berth = RunningBerth.start(b -> b.authType(AuthType.TRUST).poolMode(PoolMode.SESSION)
                     .backend(BackendUrl.parse("postgresql://127.0.0.1:" + relay.port())));
             Connection locks = TestPostgres.superuser(TestPostgres.APP_DB);
             Statement lock = locks.createStatement();
             RawClient client = new RawClient(berth.port())) {
            client.startup(Map.of("user", TestPostgres.APP_USER, "database", TestPostgres.APP_DB));
            RawClient.Message keys = client.readUntil('Z').stream().filter(m -> m.type() == 'K').findFirst().orElseThrow();
            lock.execute("select pg_advisory_lock(1), pg_advisory_lock(2)");

            client.query("select pg_advisory_lock(1)");
            RunningBerth.waitFor(() -> waitingForLock() == 1, "the first query waiting for its lock");
            try (SocketChannel cancel = SocketChannel.open(new InetSocketAddress("127.0.0.1", berth.port()))) {
                cancel.write(ByteBuffer.allocate(16).putInt(16).putInt(80877102).putInt(keys.int32(0)).putInt(keys.int32(4)).flip());
                RunningBerth.waitFor(() -> relay.cancelsHeld() == 1, "Berth forwarding the cancel (held by the relay)");
                lock.execute("select pg_advisory_unlock(1)");
                assertEquals(List.of(), RawClient.errorCodes(client.readUntil('Z')), "the first query ended on its own");

                cancel.configureBlocking(false);
                if (cancel.read(ByteBuffer.allocate(1)) == 0) {
                    relay.release(); // still open while PostgreSQL has not got the cancel: let it through
                }
                awaitClosed(cancel);
            }
            client.query("select pg_advisory_lock(2)"); // the next query, sent once the cancel connection closed
            RunningBerth.waitFor(() -> waitingForLock() == 1, "the next query waiting for its lock");
            relay.release();
            RunningBerth.waitFor(() -> relay.cancelsAnswered() == 1, "PostgreSQL closing the forwarded cancel");
            lock.execute("select pg_advisory_unlock(2)");
            assertEquals(List.of(), RawClient.errorCodes(client.readUntil('Z')),
                    "the query sent after the cancel connection closed was cancelled");
        }
    }

    private static int waitingForLock() {
        try (Connection su = TestPostgres.superuser("postgres");
             Statement s = su.createStatement();
             var rs = s.executeQuery("select count(*) from pg_stat_activity where usename = '" + TestPostgres.APP_USER
                     + "' and state = 'active' and wait_event_type = 'Lock'")) {
            rs.next();
            return rs.getInt(1);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Waits (up to 30 s) for the peer to close {@code channel}, which is non-blocking. */
    private static void awaitClosed(SocketChannel channel) throws IOException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        try (Selector selector = Selector.open()) {
            channel.register(selector, SelectionKey.OP_READ);
            ByteBuffer buffer = ByteBuffer.allocate(64);
            while (channel.read(buffer.clear()) >= 0) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("the cancel connection was not closed within 30 s");
                }
                selector.select(1000);
                selector.selectedKeys().clear();
            }
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
