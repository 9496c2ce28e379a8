package dev.berth.core.pool;

import dev.berth.core.config.BackendUrl;

/** What the pool needs of a backend connection. Closing it must end in {@link Pool#removed}. */
public interface PooledServer {
    /** Still connected and in a state fit to hand to a client. */
    boolean isUsable();

    /** Closes the connection; the reason is counted, and logged with the detail (which may be null). */
    void close(CloseReason reason, String detail);

    /** When the connection last went idle, in {@link System#nanoTime()} units; set by the pool. */
    long idleSinceNanos();

    void idleSinceNanos(long nanos);

    /**
     * The server it is logged in to, the very object its pool's route held when it was opened (null:
     * unknown); a pool rerouted to another server replaces it as it comes back.
     */
    default BackendUrl server() {
        return null;
    }

    /** Where the server runs (its event loop), compared with {@link Waiter#affinity()}. */
    default Object affinity() {
        return null;
    }
}
