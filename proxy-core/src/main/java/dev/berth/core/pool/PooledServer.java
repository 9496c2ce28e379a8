package dev.berth.core.pool;

/** What the pool needs of a backend connection. Closing it must end in {@link Pool#removed}. */
public interface PooledServer {
    /** Still connected and in a state fit to hand to a client. */
    boolean isUsable();

    /** Closes the connection; the reason is counted, and logged with the detail (which may be null). */
    void close(CloseReason reason, String detail);

    /** When the connection last went idle, in {@link System#nanoTime()} units; set by the pool. */
    long idleSinceNanos();

    void idleSinceNanos(long nanos);

    /** Where the server runs (its event loop), compared with {@link Waiter#affinity()}. */
    default Object affinity() {
        return null;
    }
}
