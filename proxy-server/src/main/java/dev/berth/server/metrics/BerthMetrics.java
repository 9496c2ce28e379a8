package dev.berth.server.metrics;

import dev.berth.core.pool.PoolKey;
import dev.berth.core.pool.PoolStats;
import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.Unit;

import java.util.Collection;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.IntSupplier;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;

/**
 * Berth's Prometheus metrics. Gauges are read from the live state (pool lists, client sessions) at
 * scrape time, so they cannot drift; counters and histograms are recorded on the hot path through
 * {@link PoolMetrics}. Labels are the pool's database and user only: cardinality stays bounded.
 */
public final class BerthMetrics {
    /** Fine near 1-10 ms, where the wait target (p95 under 10 ms) sits. */
    private static final double[] WAIT_BUCKETS = {0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.005, 0.0075, 0.01, 0.02,
            0.05, 0.1, 0.25, 0.5, 1, 2, 5};
    /** Up to the latency target (p95 under 500 ms) and beyond. */
    private static final double[] DURATION_BUCKETS = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
            0.5, 1, 2.5, 5, 10, 30};

    /** Client counts of one pool, by state, read from the client sessions at scrape time. */
    public record ClientCounts(int active, int waiting, int idle, int pinned, long maxWaitNanos) {
    }

    /** What the metrics read at scrape time. */
    public interface LiveState {
        Collection<PoolStats> pools();

        Map<PoolKey, ClientCounts> clients();

        int backendConnectionsInUse();

        int backendConnectionsCap();
    }

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final ConcurrentHashMap<PoolKey, PoolMetrics> pools = new ConcurrentHashMap<>();

    final Histogram acquireWait = histogram("berth_pool_acquire_wait", "Time clients waited for a backend connection", WAIT_BUCKETS);
    final Histogram transactionDuration = histogram("berth_pool_transaction_duration",
            "Time from a transaction's first message to ReadyForQuery idle", DURATION_BUCKETS);
    final Histogram queryDuration = histogram("berth_pool_query_duration",
            "Time from a request's first message to its ReadyForQuery", DURATION_BUCKETS);
    final Counter transactions = counter("berth_pool_transactions", "Transactions completed (ReadyForQuery back to idle)");
    final Counter queries = counter("berth_pool_queries", "Request/response cycles completed (each ReadyForQuery)");
    final Counter bytesFromClients = counter("berth_pool_client_received_bytes", "Bytes received from clients", Unit.BYTES);
    final Counter bytesToClients = counter("berth_pool_client_sent_bytes", "Bytes sent to clients", Unit.BYTES);
    final Counter serversOpened = counter("berth_pool_server_connections_opened", "Backend connections opened and logged in");
    final Counter serverFailures = counter("berth_pool_server_connection_failures", "Backend connection attempts that failed");
    final Counter serversClosed = Counter.builder().name("berth_pool_server_connections_closed")
            .help("Backend connections closed, by reason").labelNames("database", "user", "reason").register(registry);
    final Counter acquireTimeouts = counter("berth_pool_acquire_timeouts", "Clients that got 53300 after waiting --connection-timeout");
    final Counter clientErrors = Counter.builder().name("berth_client_errors")
            .help("ErrorResponses sent to clients, by SQLSTATE class").labelNames("database", "user", "sqlstate_class").register(registry);
    final Counter reprepares = counter("berth_pool_prepared_statement_reprepares", "Statements prepared again on another backend");
    final Counter evictions = counter("berth_pool_prepared_statement_evictions", "Statements closed to stay within --max-prepared-statements");
    final Counter pins = Counter.builder().name("berth_pool_client_pins")
            .help("Clients pinned to their backend for leaving session state Berth cannot carry, by reason")
            .labelNames("database", "user", "reason").register(registry);
    private final Counter cancels = Counter.builder().name("berth_cancel_requests")
            .help("Cancel requests received, by result").labelNames("result").register(registry);
    private final Counter backendTls = Counter.builder().name("berth_backend_tls_handshakes")
            .help("TLS negotiations with backends, by result: ok, failed, not_supported (the server answered N)")
            .labelNames("result").register(registry);
    private final Counter clientTlsHandshakes = Counter.builder().name("berth_client_tls_handshakes")
            .help("TLS handshakes with clients, by result").labelNames("result").register(registry);
    private final CounterDataPoint clientTlsOk = clientTlsHandshakes.labelValues("ok");
    private final CounterDataPoint clientTlsFailed = clientTlsHandshakes.labelValues("failed");
    private final Counter authQueries = Counter.builder().name("berth_auth_queries")
            .help("Client secret lookups by --auth-query, by result: hit (cached), found, unknown (no such user), failed")
            .labelNames("result").register(registry);
    private final Counter clientConnectionsRefused = Counter.builder().name("berth_client_connections_refused")
            .help("Client connections refused with 53300 at --max-client-connections").register(registry);

    public BerthMetrics(Supplier<LiveState> state) {
        JvmMetrics.builder().register(registry);
        GaugeWithCallback.builder().name("berth_pool_server_connections").help("Backend connections by state")
                .labelNames("database", "user", "state").callback(cb -> {
                    for (PoolStats p : state.get().pools()) {
                        cb.call(p.active(), p.key().database(), p.key().user(), "active");
                        cb.call(p.idle(), p.key().database(), p.key().user(), "idle");
                        cb.call(p.tested(), p.key().database(), p.key().user(), "tested");
                        cb.call(p.opening(), p.key().database(), p.key().user(), "login");
                    }
                }).register(registry);
        GaugeWithCallback.builder().name("berth_pool_max_server_connections").help("Configured --pool-max")
                .labelNames("database", "user").callback(cb -> state.get().pools()
                        .forEach(p -> cb.call(p.max(), p.key().database(), p.key().user()))).register(registry);
        GaugeWithCallback.builder().name("berth_pool_min_server_connections").help("Configured --pool-min")
                .labelNames("database", "user").callback(cb -> state.get().pools()
                        .forEach(p -> cb.call(p.min(), p.key().database(), p.key().user()))).register(registry);
        GaugeWithCallback.builder().name("berth_pool_utilization_ratio")
                .help("Backend connections in use (held by a client or being cleaned up after one) / pool max")
                .labelNames("database", "user").callback(cb -> state.get().pools()
                        .forEach(p -> cb.call((double) (p.active() + p.tested()) / p.max(), p.key().database(), p.key().user()))).register(registry);
        GaugeWithCallback.builder().name("berth_pool_clients").help("Client connections by state: active holds a backend, waiting waits for one, idle holds none")
                .labelNames("database", "user", "state").callback(cb -> state.get().clients().forEach((key, c) -> {
                    cb.call(c.active(), key.database(), key.user(), "active");
                    cb.call(c.waiting(), key.database(), key.user(), "waiting");
                    cb.call(c.idle(), key.database(), key.user(), "idle");
                })).register(registry);
        GaugeWithCallback.builder().name("berth_pool_pinned_clients").help("Clients pinned to their backend (transaction pooling)")
                .labelNames("database", "user").callback(cb -> state.get().clients()
                        .forEach((key, c) -> cb.call(c.pinned(), key.database(), key.user()))).register(registry);
        GaugeWithCallback.builder().name("berth_backend_connections").help("Backend connections across all pools (counted against --max-backend-connections)")
                .callback(cb -> cb.call(state.get().backendConnectionsInUse())).register(registry);
        GaugeWithCallback.builder().name("berth_backend_connections_max").help("--max-backend-connections")
                .callback(cb -> cb.call(state.get().backendConnectionsCap())).register(registry);
    }

    /**
     * --metrics-compat pgbouncer: the pool gauges and totals also under the names of
     * prometheus-community/pgbouncer_exporter, so existing dashboards and alerts keep working.
     */
    public void registerPgbouncerCompat(Supplier<LiveState> state) {
        String[] poolGauges = {"client_active", "client_waiting", "server_active", "server_idle", "server_testing",
                "server_login"};
        for (String gauge : poolGauges) {
            GaugeWithCallback.builder().name("pgbouncer_pools_" + gauge + "_connections")
                    .help("pgbouncer_exporter compatible: " + gauge.replace('_', ' ') + " connections")
                    .labelNames("database", "user").callback(cb -> {
                        LiveState live = state.get();
                        Map<PoolKey, ClientCounts> clients = live.clients();
                        for (PoolStats p : live.pools()) {
                            ClientCounts c = clients.getOrDefault(p.key(), new ClientCounts(0, 0, 0, 0, 0));
                            double v = switch (gauge) {
                                case "client_active" -> c.active() + c.idle();
                                case "client_waiting" -> c.waiting();
                                case "server_active" -> p.active();
                                case "server_idle" -> p.idle();
                                case "server_testing" -> p.tested();
                                default -> p.opening(); // server_login
                            };
                            cb.call(v, p.key().database(), p.key().user());
                        }
                    }).register(registry);
        }
        GaugeWithCallback.builder().name("pgbouncer_pools_client_maxwait_seconds")
                .help("pgbouncer_exporter compatible: age of the oldest waiting client").labelNames("database", "user")
                .callback(cb -> state.get().clients().forEach((k, c) -> cb.call(c.maxWaitNanos() / 1e9, k.database(), k.user())))
                .register(registry);
        statsTotal("pgbouncer_stats_queries_pooled_total", "SQL queries pooled", t -> t.queries());
        statsTotal("pgbouncer_stats_queries_total", "SQL requests pooled", t -> t.queries());
        statsTotal("pgbouncer_stats_sql_transactions_pooled_total", "SQL transactions pooled", t -> t.transactions());
        statsTotal("pgbouncer_stats_queries_duration_seconds_total", "seconds spent executing queries", t -> t.querySeconds());
        statsTotal("pgbouncer_stats_server_in_transaction_seconds_total", "seconds spent in transactions", t -> t.transactionSeconds());
        statsTotal("pgbouncer_stats_client_wait_seconds_total", "seconds clients waited for a server", t -> t.waitSeconds());
        statsTotal("pgbouncer_stats_received_bytes_total", "bytes received from clients", t -> t.bytesReceived());
        statsTotal("pgbouncer_stats_sent_bytes_total", "bytes sent to clients", t -> t.bytesSent());
        GaugeWithCallback.builder().name("pgbouncer_up").help("pgbouncer_exporter compatible: 1 while serving")
                .callback(cb -> cb.call(1)).register(registry);
    }

    /** A pgbouncer_exporter "stats" counter: per database, summed over the database's pools. */
    private void statsTotal(String name, String help, ToDoubleFunction<PoolMetrics.Totals> value) {
        CounterWithCallback.builder().name(name.substring(0, name.length() - "_total".length()))
                .help("pgbouncer_exporter compatible: " + help).labelNames("database").callback(cb -> {
                    Map<String, Double> byDatabase = new TreeMap<>();
                    pools.forEach((key, m) -> byDatabase.merge(key.database(), value.applyAsDouble(m.totals()), Double::sum));
                    byDatabase.forEach((db, v) -> cb.call(v, db));
                }).register(registry);
    }

    /** berth_ready: 1 when /readyz would answer 200, else 0 (so alerts can see readiness, not only liveness). */
    public void registerReadiness(Supplier<String> notReadyReason) {
        GaugeWithCallback.builder().name("berth_ready").help("1 when Berth can serve (what /readyz reports), else 0")
                .callback(cb -> cb.call(notReadyReason.get() == null ? 1 : 0)).register(registry);
    }

    /** berth_client_connections and berth_client_connections_max: client connections open, against --max-client-connections. */
    public void registerClientConnections(IntSupplier open, IntSupplier max) {
        GaugeWithCallback.builder().name("berth_client_connections").help("Client connections open, logged in or not")
                .callback(cb -> cb.call(open.getAsInt())).register(registry);
        GaugeWithCallback.builder().name("berth_client_connections_max").help("--max-client-connections")
                .callback(cb -> cb.call(max.getAsInt())).register(registry);
    }

    public void clientConnectionRefused() {
        clientConnectionsRefused.inc();
    }

    public void clientTlsHandshake(boolean ok) {
        (ok ? clientTlsOk : clientTlsFailed).inc();
    }

    public PrometheusRegistry registry() {
        return registry;
    }

    public PoolMetrics pool(PoolKey key) {
        return pools.computeIfAbsent(key, k -> new PoolMetrics(this, k.database(), k.user()));
    }

    /** A pool was removed: its label sets go too, so that series of pools that no longer exist do not pile up. */
    public void removePool(PoolKey key) {
        pools.remove(key);
        for (Histogram h : new Histogram[] {acquireWait, transactionDuration, queryDuration}) {
            h.remove(key.database(), key.user());
        }
        for (Counter c : new Counter[] {transactions, queries, bytesFromClients, bytesToClients, serversOpened, serverFailures,
                acquireTimeouts, reprepares, evictions}) {
            c.remove(key.database(), key.user());
        }
        for (Counter c : new Counter[] {serversClosed, clientErrors, pins}) {
            c.removeIf(labels -> labels.get(0).equals(key.database()) && labels.get(1).equals(key.user()));
        }
    }

    /** A backend TLS negotiation ended: {@code ok}, {@code failed} or {@code not_supported}. */
    public void backendTls(String result) {
        backendTls.labelValues(result).inc();
    }

    public void cancelRequest(String result) {
        cancels.labelValues(result).inc();
    }

    private Histogram histogram(String name, String help, double[] buckets) {
        return Histogram.builder().name(name).help(help).unit(Unit.SECONDS).classicOnly().classicUpperBounds(buckets)
                .labelNames("database", "user").register(registry);
    }

    private Counter counter(String name, String help) {
        return Counter.builder().name(name).help(help).labelNames("database", "user").register(registry);
    }

    private Counter counter(String name, String help, Unit unit) {
        return Counter.builder().name(name).help(help).unit(unit).labelNames("database", "user").register(registry);
    }

    /** One auth query lookup: hit, found, unknown or failed. */
    public void authQuery(String result) {
        authQueries.labelValues(result).inc();
    }
}
