package dev.berth.server.lifecycle;

import dev.berth.core.protocol.ErrorResponse;
import dev.berth.core.protocol.SqlState;
import dev.berth.server.ClientRegistry;
import dev.berth.server.PoolRegistry;
import dev.berth.server.client.ClientSession;

import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A graceful shutdown's wait for the clients (SIGTERM, SIGINT, SHUTDOWN), once Berth no longer accepts:
 * each client is ended with {@code 57P01} when it is between transactions ({@link ClientSession#drain}),
 * and those still in a transaction when the shutdown timeout passes are ended then. Before the pools close,
 * it waits (within the same timeout) for the backends their clients left to be rolled back or reset, so
 * that no cleanup is cut short.
 */
public final class Drain {
    private static final Logger LOG = Logger.getLogger(Drain.class.getName());
    /** How often the drain looks whether every client has gone (not on any client's path). */
    private static final long POLL_MS = 10;

    private final ClientRegistry clients;
    private final PoolRegistry pools;

    public Drain(ClientRegistry clients, PoolRegistry pools) {
        this.clients = clients;
        this.pools = pools;
    }

    /** Blocks until every client has gone or {@code timeoutMs} passed; then ends those left. */
    public void run(long timeoutMs) throws InterruptedException {
        int atStart = clients.size();
        LOG.info("shutting down: no new connections; " + atStart + " clients end as their transactions finish"
                + " (up to --shutdown-timeout " + timeoutMs + " ms)");
        clients.drain();
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (clients.size() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(POLL_MS);
        }
        int left = clients.size();
        if (left == 0) {
            while (pools.cleaningUp() && System.nanoTime() < deadline) {
                Thread.sleep(POLL_MS); // a session's reset (DISCARD ALL) after its client was ended
            }
            if (pools.cleaningUp()) {
                LOG.warning("shutdown timeout: all " + atStart + " clients ended, but backends still being rolled back or"
                        + " reset after them are closed now (" + timeoutMs + " ms)");
            } else {
                LOG.info("drained: all " + atStart + " clients ended between transactions");
            }
            return;
        }
        LOG.warning("shutdown timeout: ending " + left + " clients still in a transaction or waiting after "
                + timeoutMs + " ms (their transactions are rolled back)");
        ErrorResponse error = new ErrorResponse("FATAL", SqlState.ADMIN_SHUTDOWN, "terminating connection due to administrator command",
                "Berth is shutting down and this connection's transaction did not finish within --shutdown-timeout ("
                        + timeoutMs + " ms); it is rolled back.", "Connect again and retry the transaction.");
        for (ClientSession client : clients.all()) {
            client.executor().execute(() -> client.disconnect(error, Level.FINE));
        }
    }
}
