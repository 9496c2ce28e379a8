package dev.berth.core.pool;

/** One consistent reading of a pool's lists, taken under its lock. */
public record PoolStats(PoolKey key, int active, int idle, int tested, int opening, int waiting, int max, int min) {
    public int total() {
        return active + idle + tested + opening;
    }
}
