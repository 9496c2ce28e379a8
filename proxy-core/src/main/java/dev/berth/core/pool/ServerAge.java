package dev.berth.core.pool;

import java.util.concurrent.ThreadLocalRandom;

/**
 * When a server connection logged in, and its own share (90-100 %) of the server lifetime: drawn once per
 * connection, so that connections opened together (a warm-up, a refill after a restart) do not all reach
 * their lifetime and reconnect at once. The lifetime itself is read at each check, so a new setting applies
 * to connections already open.
 */
public record ServerAge(long bornNanos, double share) {
    public static final double MIN_SHARE = 0.9;

    public static ServerAge bornAt(long nanos) {
        return new ServerAge(nanos, MIN_SHARE + (1 - MIN_SHARE) * ThreadLocalRandom.current().nextDouble());
    }

    /** Whether the connection has lived its share of {@code lifetimeNanos} by {@code nowNanos}. */
    public boolean outlived(long nowNanos, long lifetimeNanos) {
        return nowNanos - bornNanos >= (long) (lifetimeNanos * share);
    }
}
