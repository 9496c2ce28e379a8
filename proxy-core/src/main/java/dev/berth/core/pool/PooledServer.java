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

    /** When it logged in and its share of the server lifetime; null: it has no lifetime. */
    default ServerAge age() {
        return null;
    }

    /**
     * It was idle longer than the check delay: run {@code query} on it, then give it back with {@link
     * Pool#release} if it answered, or close it (ending in {@link Pool#removed}) if not. Only called when the
     * pool's limits enable checks.
     */
    default void check(String query) {
        throw new UnsupportedOperationException("server checks are not supported by " + getClass().getSimpleName());
    }

    /** Where the server runs (its event loop), compared with {@link Waiter#affinity()}. */
    default Object affinity() {
        return null;
    }
}
