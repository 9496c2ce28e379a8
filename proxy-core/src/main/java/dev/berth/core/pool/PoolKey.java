package dev.berth.core.pool;

/** A pool serves one (database, user) pair of the backend. */
public record PoolKey(String database, String user) {
    @Override
    public String toString() {
        return user + "@" + database;
    }
}
