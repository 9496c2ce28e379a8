package dev.berth.core.config;

/**
 * The global connection limits pgbouncer users know, each overridable per {@code [databases]} entry or
 * {@code [users]} entry: backend connections per database and per user (0: no cap), client connections per
 * database and per user (0: no cap), and the reserve pool a pool may open beyond its size once a client has
 * waited longer than the reserve timeout (size 0: none).
 */
public record ConnectionLimits(int maxDbConnections, int maxUserConnections, int maxDbClientConnections,
                               int maxUserClientConnections, int reservePoolSize, long reservePoolTimeoutMs) {
    /** pgbouncer's reserve_pool_timeout (5 s). */
    public static final long DEFAULT_RESERVE_POOL_TIMEOUT_MS = 5_000;

    /** A cap as a count: 0 (none) becomes {@link Integer#MAX_VALUE}. */
    public static int cap(int configured) {
        return configured <= 0 ? Integer.MAX_VALUE : configured;
    }
}
