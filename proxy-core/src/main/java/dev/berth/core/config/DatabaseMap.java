package dev.berth.core.config;

import dev.berth.core.pool.PoolKey;
import dev.berth.core.pool.PoolLimits;
import dev.berth.core.pool.PoolRoute;

import java.util.Collection;
import java.util.Map;

/**
 * Where each database a client may ask for goes: the config file's {@code [databases]} entries (with the
 * {@code *} fallback) and what {@code [users]} sets per user. Empty when there is no such section: then the
 * {@code --backend} URL routes every client, as one {@code *} entry would.
 */
public record DatabaseMap(Map<String, DatabaseEntry> databases, Map<String, UserEntry> users) {
    public static final DatabaseMap NONE = new DatabaseMap(Map.of(), Map.of());

    public DatabaseMap {
        databases = Map.copyOf(databases);
        users = Map.copyOf(users);
    }

    public boolean isEmpty() {
        return databases.isEmpty();
    }

    /** The entry for {@code database}, else the {@code *} entry, else null. */
    public DatabaseEntry lookup(String database) {
        DatabaseEntry entry = databases.get(database);
        return entry != null ? entry : databases.get(DatabaseEntry.FALLBACK);
    }

    public Collection<DatabaseEntry> entries() {
        return databases.values();
    }

    /** Backend connections to {@code database} across its pools: its entry's, else the global (0: no cap). */
    public int maxDbConnections(ConnectionLimits global, String database) {
        DatabaseEntry entry = lookup(database);
        return entry != null && entry.maxDbConnections() != null ? entry.maxDbConnections() : global.maxDbConnections();
    }

    /** Logged-in clients of {@code database}: its entry's, else the global (0: no cap). */
    public int maxDbClientConnections(ConnectionLimits global, String database) {
        DatabaseEntry entry = lookup(database);
        return entry != null && entry.maxDbClientConnections() != null ? entry.maxDbClientConnections()
                : global.maxDbClientConnections();
    }

    /** Backend connections of {@code user} across databases: its [users] entry's, else the global (0: no cap). */
    public int maxUserConnections(ConnectionLimits global, String user) {
        UserEntry entry = users.get(user);
        return entry != null && entry.maxUserConnections() != null ? entry.maxUserConnections() : global.maxUserConnections();
    }

    /** Logged-in clients of {@code user}: its [users] entry's, else the global (0: no cap). */
    public int maxUserClientConnections(ConnectionLimits global, String user) {
        UserEntry entry = users.get(user);
        return entry != null && entry.maxUserClientConnections() != null ? entry.maxUserClientConnections()
                : global.maxUserClientConnections();
    }

    /** The reserve pool of {@code database}'s pools: its entry's, else the global. */
    public int reservePoolSize(ConnectionLimits global, String database) {
        DatabaseEntry entry = lookup(database);
        return entry != null && entry.reservePoolSize() != null ? entry.reservePoolSize() : global.reservePoolSize();
    }

    /** The application_name for clients of {@code database} that send none; null: none. */
    public String applicationName(String database) {
        DatabaseEntry entry = lookup(database);
        return entry == null ? null : entry.applicationName();
    }

    /**
     * The pool for a client of {@code database} as {@code user} under {@code config}, or null when the
     * map lists neither that database nor {@code *}. A pool is keyed by the name the client asked for (two
     * names on different hosts are two pools) and the user Berth logs in as.
     */
    PoolRoute route(BerthConfig config, String database, String user) {
        DatabaseEntry entry = lookup(database);
        if (entry == null) {
            return null;
        }
        BackendUrl server = entry.server(database, user);
        UserEntry userEntry = users.get(user);
        PoolMode mode = userEntry != null && userEntry.poolMode() != null ? userEntry.poolMode()
                : entry.poolMode() != null ? entry.poolMode() : config.poolMode();
        return new PoolRoute(new PoolKey(database, server.user()), server, mode, limits(config, entry, database, server.user()),
                entry.connectQuery());
    }

    /**
     * The limits of the pool of {@code poolUser} (the entry's forced user, else the client's) on {@code database}
     * ({@code entry} null: no [databases] line, the backend URL routes it). pgbouncer's precedence for the size
     * and the reserve: that user's [users] value, else the entry's, else the global; the minimum is the
     * entry's, else the global, and never above the size.
     */
    PoolLimits limits(BerthConfig config, DatabaseEntry entry, String database, String poolUser) {
        UserEntry userEntry = users.get(poolUser);
        int max = userEntry != null && userEntry.poolSize() != null ? userEntry.poolSize()
                : entry != null && entry.poolSize() != null ? entry.poolSize() : config.poolMax();
        int min = Math.min(max, entry != null && entry.minPoolSize() != null ? entry.minPoolSize() : config.poolMin());
        int reserve = userEntry != null && userEntry.reservePoolSize() != null ? userEntry.reservePoolSize()
                : reservePoolSize(config.limits(), database);
        PoolLimits global = RuntimeConfig.limits(config);
        return new PoolLimits(max, min, global.idleTimeoutMs(), global.serverLifetimeMs(), global.serverCheckDelayMs(),
                global.serverCheckQuery(), reserve, global.reserveTimeoutMs());
    }
}
