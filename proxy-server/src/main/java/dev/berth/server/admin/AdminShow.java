package dev.berth.server.admin;

import dev.berth.core.config.BerthConfig;
import dev.berth.core.config.ConnectionLimits;
import dev.berth.core.config.DatabaseEntry;
import dev.berth.core.config.DatabaseMap;
import dev.berth.core.config.UserEntry;
import dev.berth.core.pool.Pool;
import dev.berth.core.pool.PoolKey;
import dev.berth.core.pool.PoolRoute;
import dev.berth.core.pool.PoolStats;
import dev.berth.server.PoolsLiveState;
import dev.berth.server.ProxyContext;
import dev.berth.server.backend.ServerConnection;
import dev.berth.server.client.ClientSession;
import dev.berth.server.metrics.BerthMetrics;
import dev.berth.server.metrics.PoolMetrics;

import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The SHOW commands' rows, with pgbouncer's column names where the concept is the same. Pool and
 * client counts are read from the pools' lists and the clients' per-pool counts, as the gauges are.
 */
final class AdminShow {
    private final ProxyContext proxy;
    private final PoolsLiveState live;

    AdminShow(ProxyContext proxy, PoolsLiveState live) {
        this.proxy = proxy;
        this.live = live;
    }

    record Table(List<String> columns, List<List<Object>> rows) {
    }

    Table pools() {
        List<List<Object>> rows = new ArrayList<>();
        long now = System.nanoTime();
        for (Pool<ServerConnection> pool : proxy.pools().all()) {
            PoolStats s = pool.stats();
            BerthMetrics.ClientCounts c = live.clientsOf(pool, now);
            rows.add(List.of(s.key().database(), s.key().user(), c.active(), c.waiting(), c.idle(), s.active(), s.idle(),
                    s.tested(), s.opening(), c.maxWaitNanos() / 1_000_000_000L, (c.maxWaitNanos() / 1000) % 1_000_000,
                    pool.route().mode().toString(), c.pinned()));
        }
        return new Table(List.of("database", "user", "cl_active", "cl_waiting", "cl_idle", "sv_active", "sv_idle",
                "sv_tested", "sv_login", "maxwait", "maxwait_us", "pool_mode", "cl_pinned"), rows);
    }

    Table stats() {
        List<List<Object>> rows = new ArrayList<>();
        for (Pool<ServerConnection> pool : proxy.pools().all()) {
            PoolMetrics.Totals t = proxy.metrics().pool(pool.key()).totals();
            rows.add(List.of(pool.key().database(), pool.key().user(), t.transactions(), t.queries(), t.bytesReceived(), t.bytesSent(),
                    micros(t.transactionSeconds()), micros(t.querySeconds()), micros(t.waitSeconds()),
                    t.transactions() == 0 ? 0 : micros(t.transactionSeconds()) / t.transactions(),
                    t.queries() == 0 ? 0 : micros(t.querySeconds()) / t.queries(),
                    t.waits() == 0 ? 0 : micros(t.waitSeconds()) / t.waits()));
        }
        return new Table(List.of("database", "user", "total_xact_count", "total_query_count", "total_received", "total_sent",
                "total_xact_time", "total_query_time", "total_wait_time", "avg_xact_time", "avg_query_time", "avg_wait_time"), rows);
    }

    Table clients() {
        List<List<Object>> rows = new ArrayList<>();
        for (ClientSession c : proxy.clients().all()) {
            PoolKey key = c.poolKey();
            InetSocketAddress address = c.remoteAddress();
            rows.add(List.of("C", c.user() == null ? "" : c.user(), c.database() == null ? "" : c.database(),
                    c.stateName(), address == null ? "" : address.getAddress().getHostAddress(), address == null ? 0 : address.getPort(),
                    Instant.ofEpochMilli(c.connectedAtMillis()).toString(), c.pinned() ? "yes" : "no", key == null ? "" : key.toString(),
                    c.pinReason(), c.tlsDescription()));
        }
        return new Table(List.of("type", "user", "database", "state", "addr", "port", "connect_time", "pinned", "pool",
                "pin_reason", "tls"), rows);
    }

    Table servers() {
        List<List<Object>> rows = new ArrayList<>();
        for (Pool<ServerConnection> pool : proxy.pools().all()) {
            for (Map.Entry<ServerConnection, String> e : pool.servers()) {
                ServerConnection s = e.getKey();
                rows.add(List.of("S", pool.key().user(), pool.key().database(), e.getValue(), s.route().host(),
                        s.route().port(), Instant.ofEpochMilli(s.connectedAtMillis()).toString(), s.processId(), s.tls()));
            }
        }
        return new Table(List.of("type", "user", "database", "state", "addr", "port", "connect_time", "backend_pid", "tls"), rows);
    }

    /**
     * pgbouncer's SHOW DATABASES: each [databases] entry (the {@code *} fallback shows as the databases it
     * served), else each pool of the --backend URL; pools of removed entries stay listed while they live.
     */
    Table databases() {
        List<List<Object>> rows = new ArrayList<>();
        BerthConfig config = proxy.config().current();
        DatabaseMap map = config.databases();
        int paused = proxy.pauseGate().paused() ? 1 : 0;
        Map<String, Integer> current = new TreeMap<>();
        Map<String, Pool<ServerConnection>> byName = new TreeMap<>();
        for (Pool<ServerConnection> pool : proxy.pools().all()) {
            current.merge(pool.key().database(), pool.stats().total(), Integer::sum);
            byName.putIfAbsent(pool.key().database(), pool);
        }
        Map<String, DatabaseEntry> entries = new TreeMap<>(map.databases());
        entries.remove(DatabaseEntry.FALLBACK);
        for (DatabaseEntry e : entries.values()) {
            int size = e.poolSize() != null ? e.poolSize() : config.poolMax();
            int min = Math.min(size, e.minPoolSize() != null ? e.minPoolSize() : config.poolMin());
            rows.add(row(e.name(), e.host(), e.port(), e.dbname() != null ? e.dbname() : e.name(),
                    e.user() != null ? e.user() : "", size, min, (e.poolMode() != null ? e.poolMode() : config.poolMode()).toString(),
                    config, current.getOrDefault(e.name(), 0), paused));
        }
        byName.forEach((name, pool) -> {
            if (!entries.containsKey(name)) {
                PoolRoute route = pool.route();
                String forceUser = map.isEmpty() && config.backend().user() != null ? config.backend().user() : "";
                rows.add(row(name, route.host(), route.port(), route.server().database(), forceUser, route.limits().max(),
                        route.limits().min(), route.mode().toString(), config, current.getOrDefault(name, 0), paused));
            }
        });
        return new Table(List.of("name", "host", "port", "database", "force_user", "pool_size", "min_pool_size", "reserve_pool",
                "pool_mode", "max_connections", "current_connections", "max_client_connections", "current_client_connections",
                "paused", "disabled"), rows);
    }

    /**
     * pgbouncer's SHOW USERS: each user with a [users] entry or a pool; {@code pool_size}, {@code reserve_pool_size}
     * and {@code pool_mode} are the entry's own (empty: not set, the database's or the global applies), the
     * caps the effective ones (0: none), current_connections the user's backend connections across its pools.
     */
    Table users() {
        BerthConfig config = proxy.config().current();
        DatabaseMap map = config.databases();
        Map<String, Integer> current = new TreeMap<>();
        for (Pool<ServerConnection> pool : proxy.pools().all()) {
            current.merge(pool.key().user(), pool.stats().total(), Integer::sum);
        }
        TreeSet<String> names = new TreeSet<>(map.users().keySet());
        names.addAll(current.keySet());
        List<List<Object>> rows = new ArrayList<>();
        for (String name : names) {
            UserEntry e = map.users().get(name);
            rows.add(List.of(name, e == null || e.poolSize() == null ? "" : e.poolSize(),
                    e == null || e.reservePoolSize() == null ? "" : e.reservePoolSize(),
                    e == null || e.poolMode() == null ? "" : e.poolMode().toString(),
                    map.maxUserConnections(config.limits(), name), current.getOrDefault(name, 0),
                    map.maxUserClientConnections(config.limits(), name), proxy.clients().caps().ofUser(name)));
        }
        return new Table(List.of("name", "pool_size", "reserve_pool_size", "pool_mode", "max_user_connections",
                "current_connections", "max_user_client_connections", "current_client_connections"), rows);
    }

    /** A SHOW DATABASES row: the caps are the database's own (max_db_connections, else the global cap across pools). */
    private List<Object> row(String name, String host, int port, String database, String forceUser, int size, int min,
                             String mode, BerthConfig config, int currentConnections, int paused) {
        ConnectionLimits limits = config.limits();
        DatabaseMap map = config.databases();
        int maxDb = map.maxDbConnections(limits, name);
        return List.of(name, host, port, database, forceUser, size, min, map.reservePoolSize(limits, name), mode,
                maxDb > 0 ? maxDb : config.maxBackendConnections(), currentConnections,
                map.maxDbClientConnections(limits, name), proxy.clients().caps().ofDatabase(name), paused, 0);
    }

    private static long micros(double seconds) {
        return (long) (seconds * 1_000_000);
    }
}
