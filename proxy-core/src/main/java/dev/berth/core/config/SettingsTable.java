package dev.berth.core.config;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.stream.Collectors;

import static dev.berth.core.config.AccessSettings.AUTH_DBNAME;
import static dev.berth.core.config.AccessSettings.AUTH_FILE;
import static dev.berth.core.config.AccessSettings.AUTH_HBA_FILE;
import static dev.berth.core.config.AccessSettings.AUTH_QUERY;
import static dev.berth.core.config.AccessSettings.AUTH_QUERY_CACHE_TTL;
import static dev.berth.core.config.AccessSettings.AUTH_TYPE;
import static dev.berth.core.config.AccessSettings.AUTH_USER;
import static dev.berth.core.config.AccessSettings.CLIENT_TLS_MODE;
import static dev.berth.core.config.AccessSettings.TLS_CA;
import static dev.berth.core.config.AccessSettings.TLS_CERT;
import static dev.berth.core.config.AccessSettings.TLS_KEY;
import static dev.berth.core.config.AccessSettings.TLS_PROTOCOLS;
import static dev.berth.core.config.SettingValues.atLeast;
import static dev.berth.core.config.SettingValues.notNegative;
import static dev.berth.core.config.SettingValues.oneOf;
import static dev.berth.core.config.SettingValues.positiveMillis;

/**
 * Every setting of Berth, once: the CLI's flags and environment variables, the builder's defaults and
 * per-setting checks, the config file's [berth] keys, /config and SHOW CONFIG, and README's options table are
 * all made from {@link #ALL}. The settings of client authentication and TLS are defined in {@link AccessSettings}.
 *
 * <p>Reloadable (RELOAD and SIGHUP): what pools, logins and the admin console read afresh at each use —
 * pool sizes and timeouts, the reset query, the session-state policy, the admin users, the auth file and the
 * TLS files. Not reloadable: what is bound or sized at start-up —
 * listening sockets, event-loop threads, the backend (every pool and credential is keyed by it), the
 * client auth method (clients mid-login would change method), message and prepared-statement limits
 * (buffers and per-backend caches are sized by them), metric names (dashboards would see series vanish) and
 * the log format (handlers are installed once). pool_mode is reloadable, as in pgbouncer: a client gets
 * the mode in force when it next asks for a backend.
 */
public final class SettingsTable {
    private SettingsTable() {
    }

    public static final Setting<Path> CONFIG = Setting.<Path>define("config", "BERTH_CONFIG", "FILE")
            .defaults(null, "none").parser(Path::of).read(BerthConfig::configFile)
            .description("a pgbouncer.ini (see \"The config file\"): its [databases], [users] and [pgbouncer] sections,"
                    + " and Berth's own settings in [berth]; flags and environment variables win over it. Given as a flag"
                    + " or variable only").build();

    public static final Setting<HostPort> LISTEN = Setting.<HostPort>define("listen", "BERTH_LISTEN", "HOST:PORT")
            .defaults(new HostPort("0.0.0.0", 6432), "`0.0.0.0:6432`").parser(HostPort::parse).read(BerthConfig::listen)
            .description("where clients connect").build();

    public static final Setting<BackendUrl> BACKEND = Setting.<BackendUrl>define("backend", "DATABASE_URL", "URL")
            .defaults(BackendUrl.parse("postgresql://127.0.0.1:5432"), "`postgresql://127.0.0.1:5432`")
            .parser(BackendUrl::parse).read(c -> c.backend().masked())
            .description("`postgresql://[user[:password]@]host[:port][/database][?sslmode=...]`; no database = the"
                    + " client's database, no user = the client's user; TLS parameters `sslmode` (default `disable`),"
                    + " `sslrootcert`, `sslcert`, `sslkey`, `sslnegotiation`, `channel_binding` as in libpq (see TLS to PostgreSQL)").build();

    public static final Setting<PoolMode> POOL_MODE = Setting.<PoolMode>define("pool_mode", "BERTH_POOL_MODE", "MODE")
            .defaults(PoolMode.TRANSACTION, "`transaction`").parser(PoolMode::parse).read(BerthConfig::poolMode)
            .reloadable(true)
            .description("`transaction`: a backend per transaction; `session`: a backend per client connection;"
                    + " `statement`: a backend per statement, transaction blocks refused (`0A000`)").build();

    public static final Setting<SessionStatePolicy> SESSION_STATE = Setting.<SessionStatePolicy>define("session_state",
                    "BERTH_SESSION_STATE", "POLICY")
            .defaults(SessionStatePolicy.PIN, "`pin`").parser(SessionStatePolicy::parse).read(BerthConfig::sessionState)
            .reloadable(true)
            .description("transaction pooling, a client running something that leaves session state Berth cannot"
                    + " carry (LISTEN, PREPARE, temporary objects, session advisory locks...; SETs are carried): `pin` it"
                    + " to its backend until that state ends or it disconnects; `reject` the statement with `0A000` and a"
                    + " message naming it; `allow` (the state may be seen by other clients)").build();

    public static final Setting<DoBlockPolicy> DO_BLOCKS = Setting.<DoBlockPolicy>define("do_blocks",
                    "BERTH_DO_BLOCKS", "POLICY")
            .defaults(DoBlockPolicy.PIN, "`pin`").parser(DoBlockPolicy::parse).read(BerthConfig::doBlocks)
            .reloadable(true)
            .description("transaction pooling, a client running a `DO` block, whose body Berth does not follow: `pin`"
                    + " it to its backend like other session state; `allow` (for applications whose DO blocks leave no"
                    + " session state: no SET, LISTEN, temporary objects or session locks)").build();

    public static final Setting<Integer> MAX_PREPARED_STATEMENTS = Setting.<Integer>define("max_prepared_statements",
                    "BERTH_MAX_PREPARED_STATEMENTS", "N")
            .defaults(BerthConfig.DEFAULT_MAX_PREPARED_STATEMENTS, "`200`").parser(SettingValues::wholeNumber)
            .check(atLeast(1, "")).read(BerthConfig::maxPreparedStatements)
            .description("transaction pooling: prepared statements kept per backend connection; the least recently"
                    + " used is closed beyond that").build();

    public static final Setting<Long> PREPARED_STATEMENT_REGISTRY_BYTES = Setting.<Long>define(
                    "prepared_statement_registry_bytes", "BERTH_PREPARED_STATEMENT_REGISTRY_BYTES", "BYTES")
            .defaults(BerthConfig.DEFAULT_REGISTRY_BYTES, "`16777216`").parser(SettingValues::bytes)
            .check(notNegative()).read(BerthConfig::preparedStatementRegistryBytes)
            .description("memory per pool for sharing statement names between clients; beyond it new statements"
                    + " are prepared under names of their own (still correct, not shared)").build();

    public static final Setting<Integer> POOL_MAX = Setting.<Integer>define("pool_max", "DB_POOL_MAX", "N")
            .defaults(BerthConfig.DEFAULT_POOL_MAX, "`200`").parser(SettingValues::wholeNumber)
            .check(atLeast(1, "")).read(BerthConfig::poolMax).reloadable(true)
            .description("most backend connections per (database, user) pool; `[databases]` and `[users]` entries"
                    + " (`pool_size`) may set their own").build();

    public static final Setting<Integer> POOL_MIN = Setting.<Integer>define("pool_min", "DB_POOL_MIN", "N")
            .defaults(BerthConfig.DEFAULT_POOL_MIN, "`20`").parser(SettingValues::wholeNumber)
            .check(notNegative()).read(BerthConfig::poolMin).reloadable(true)
            .description("backend connections kept open per pool once it has connected; the pools whose user is known"
                    + " without a client (the `--backend` URL's own user and database, each `[databases]` entry with a"
                    + " `user`) open it before any client comes, at start-up or when a reload adds them").build();

    public static final Setting<Long> IDLE_TIMEOUT = Setting.<Long>define("idle_timeout", "DB_POOL_IDLE_TIMEOUT", "MS")
            .defaults(BerthConfig.DEFAULT_IDLE_TIMEOUT_MS, "`30000`").parser(SettingValues::millis)
            .check(positiveMillis()).read(BerthConfig::idleTimeoutMs).reloadable(true)
            .description("backend connections idle this long above the minimum are closed").build();

    public static final Setting<Long> CONNECTION_TIMEOUT = Setting.<Long>define("connection_timeout",
                    "DB_POOL_CONNECTION_TIMEOUT", "MS")
            .defaults(BerthConfig.DEFAULT_CONNECTION_TIMEOUT_MS, "`2000`").parser(SettingValues::millis)
            .check(positiveMillis()).read(BerthConfig::connectionTimeoutMs).reloadable(true)
            .description("longest a client waits for a backend connection; then `53300`").build();

    /** Its default is null: the pool max, filled in by {@link BerthConfig.Builder#build()}. */
    public static final Setting<Integer> MAX_BACKEND_CONNECTIONS = Setting.<Integer>define("max_backend_connections",
                    "BERTH_MAX_BACKEND_CONNECTIONS", "N")
            .defaults(null, "the pool max").parser(SettingValues::wholeNumber)
            .check(atLeast(1, "")).read(BerthConfig::maxBackendConnections).reloadable(true)
            .description("cap on backend connections across all pools; when it is reached an idle connection of"
                    + " another pool is closed to make room").build();

    public static final Setting<Integer> MAX_DB_CONNECTIONS = Setting.<Integer>define("max_db_connections",
                    "BERTH_MAX_DB_CONNECTIONS", "N")
            .defaults(0, "`0` (no cap)").parser(SettingValues::wholeNumber)
            .check(notNegative()).read(c -> c.limits().maxDbConnections()).reloadable(true)
            .description("cap on backend connections to one database (the name clients ask for) across its pools;"
                    + " a pool at the cap waits as at its own max, and an idle connection of another pool of the"
                    + " database is closed to make room. `[databases]` entries may set their own").build();

    public static final Setting<Integer> MAX_USER_CONNECTIONS = Setting.<Integer>define("max_user_connections",
                    "BERTH_MAX_USER_CONNECTIONS", "N")
            .defaults(0, "`0` (no cap)").parser(SettingValues::wholeNumber)
            .check(notNegative()).read(c -> c.limits().maxUserConnections()).reloadable(true)
            .description("cap on backend connections of one user (the pool's user) across databases, as"
                    + " `--max-db-connections` per database; `[users]` entries may set their own").build();

    public static final Setting<Integer> RESERVE_POOL_SIZE = Setting.<Integer>define("reserve_pool_size",
                    "BERTH_RESERVE_POOL_SIZE", "N")
            .defaults(0, "`0` (none)").parser(SettingValues::wholeNumber)
            .check(notNegative()).read(c -> c.limits().reservePoolSize()).reloadable(true)
            .description("backend connections a pool may open beyond its max once a client has waited"
                    + " `--reserve-pool-timeout` (still within the other caps); closed when released with nobody"
                    + " waiting. `[databases]` and `[users]` entries may set their own").build();

    public static final Setting<Long> RESERVE_POOL_TIMEOUT = Setting.<Long>define("reserve_pool_timeout",
                    "BERTH_RESERVE_POOL_TIMEOUT", "MS")
            .defaults(ConnectionLimits.DEFAULT_RESERVE_POOL_TIMEOUT_MS, "`5000`").parser(SettingValues::millis)
            .check(notNegative()).read(c -> c.limits().reservePoolTimeoutMs()).reloadable(true)
            .description("how long a client waits before its pool may use the reserve pool").build();

    public static final Setting<Integer> WORKERS = Setting.<Integer>define("workers", "BERTH_WORKERS", "N")
            .defaults(0, "`0`").parser(SettingValues::wholeNumber)
            .check(v -> v >= 0 && v <= 1024 ? null : "must be between 0 (one per processor) and 1024, got " + v)
            .read(BerthConfig::workers)
            .description("event-loop threads for clients and backends; `0` = one per available processor").build();

    public static final Setting<TransportChoice> TRANSPORT = Setting.<TransportChoice>define("transport",
                    "BERTH_TRANSPORT", "NAME")
            .defaults(TransportChoice.AUTO, "`auto`").parser(TransportChoice::parse).read(BerthConfig::transport)
            .description("the sockets' I/O: `auto`, `io_uring`, `epoll` or `nio`; `auto` takes `epoll` where it loads,"
                    + " else `nio` (`io_uring` measured no faster and can hang at shutdown, so it runs only when named;"
                    + " the start-up log and `/config` say which is in use); naming one that cannot load stops"
                    + " start-up, saying why")
            .build();

    public static final Setting<HostPort> METRICS_LISTEN = Setting.<HostPort>define("metrics_listen",
                    "BERTH_METRICS_LISTEN", "HOST:PORT")
            .defaults(new HostPort("0.0.0.0", 9930), "`0.0.0.0:9930`").parser(HostPort::parse)
            .read(BerthConfig::metricsListen)
            .description("the operator's HTTP port: `/metrics`, `/healthz`, `/readyz`, `/config`").build();

    public static final Setting<String> METRICS_COMPAT = Setting.<String>define("metrics_compat", "BERTH_METRICS_COMPAT",
                    "NAME")
            .defaults("none", "`none`").parser(SettingValues::word).check(oneOf("none", "pgbouncer"))
            .read(BerthConfig::metricsCompat)
            .description("`pgbouncer`: also export the pool gauges and totals under"
                    + " prometheus-community/pgbouncer_exporter's names (`pgbouncer_pools_client_active_connections`,"
                    + " `pgbouncer_pools_server_idle_connections`, `pgbouncer_stats_queries_pooled_total`, ...), so"
                    + " existing pgbouncer dashboards and alerts keep working").build();

    public static final Setting<Set<String>> ADMIN_USERS = Setting.<Set<String>>define("admin_users", "BERTH_ADMIN_USERS",
                    "USER,...")
            .defaults(Set.of(), "none").parser(SettingValues::names)
            .read(c -> String.join(",", new TreeSet<>(c.adminUsers()))).reloadable(true)
            .description("users allowed on the admin console (database `berth` or `pgbouncer`); they log in with the"
                    + " auth file like everyone else").build();

    public static final Setting<String> LOG_FORMAT = Setting.<String>define("log_format", "BERTH_LOG_FORMAT", "FORMAT")
            .defaults("text", "`text`").parser(SettingValues::word).check(oneOf("text", "json"))
            .read(BerthConfig::logFormat)
            .description("`text`: one line per event on stderr; `json`: one JSON object per line (time, level,"
                    + " logger, message, error)").build();

    public static final Setting<String> SERVER_RESET_QUERY = Setting.<String>define("server_reset_query",
                    "BERTH_SERVER_RESET_QUERY", "SQL")
            .defaults("DISCARD ALL", "`DISCARD ALL`").parser(Function.identity()).read(BerthConfig::serverResetQuery)
            .reloadable(true)
            .description("run on a backend connection before another client gets it, after a session-mode or"
                    + " pinned client; empty for none").build();

    public static final Setting<Long> SERVER_CONNECT_TIMEOUT = Setting.<Long>define("server_connect_timeout",
                    "BERTH_SERVER_CONNECT_TIMEOUT", "MS")
            .defaults(BerthConfig.DEFAULT_SERVER_CONNECT_TIMEOUT_MS, "`5000`").parser(SettingValues::millis)
            .check(positiveMillis()).read(BerthConfig::serverConnectTimeoutMs).reloadable(true)
            .description("longest a backend TCP connect plus login may take").build();

    public static final Setting<Long> CLIENT_LOGIN_TIMEOUT = Setting.<Long>define("client_login_timeout",
                    "BERTH_CLIENT_LOGIN_TIMEOUT", "MS")
            .defaults(BerthConfig.DEFAULT_CLIENT_LOGIN_TIMEOUT_MS, "`15000`").parser(SettingValues::millis)
            .check(positiveMillis()).read(BerthConfig::clientLoginTimeoutMs).reloadable(true)
            .description("a client that has not completed its login by then is disconnected (`08006`)").build();

    public static final Setting<Integer> MAX_CLIENT_CONNECTIONS = Setting.<Integer>define("max_client_connections",
                    "BERTH_MAX_CLIENT_CONNECTIONS", "N")
            .defaults(BerthConfig.DEFAULT_MAX_CLIENT_CONNECTIONS, "`10000`").parser(SettingValues::wholeNumber)
            .check(atLeast(1, "")).read(BerthConfig::maxClientConnections).reloadable(true)
            .description("most client connections open at once, logged in or not; beyond it a new connection gets"
                    + " `53300` at once and is closed. Keep it below the process's open-file limit (`ulimit -n`) minus"
                    + " the backend connections").build();

    public static final Setting<Integer> MAX_DB_CLIENT_CONNECTIONS = Setting.<Integer>define("max_db_client_connections",
                    "BERTH_MAX_DB_CLIENT_CONNECTIONS", "N")
            .defaults(0, "`0` (no cap)").parser(SettingValues::wholeNumber)
            .check(notNegative()).read(c -> c.limits().maxDbClientConnections()).reloadable(true)
            .description("most logged-in clients of one database; beyond it a new client gets `53300` at login and"
                    + " is closed. `[databases]` entries may set their own").build();

    public static final Setting<Integer> MAX_USER_CLIENT_CONNECTIONS = Setting.<Integer>define(
                    "max_user_client_connections", "BERTH_MAX_USER_CLIENT_CONNECTIONS", "N")
            .defaults(0, "`0` (no cap)").parser(SettingValues::wholeNumber)
            .check(notNegative()).read(c -> c.limits().maxUserClientConnections()).reloadable(true)
            .description("most logged-in clients of one user; beyond it a new client gets `53300` at login and is"
                    + " closed. `[users]` entries may set their own").build();

    public static final Setting<Integer> MAX_POOLS = Setting.<Integer>define("max_pools", "BERTH_MAX_POOLS", "N")
            .defaults(BerthConfig.DEFAULT_MAX_POOLS, "`1000`").parser(SettingValues::wholeNumber)
            .check(atLeast(1, "")).read(BerthConfig::maxPools).reloadable(true)
            .description("most (database, user) pools at once; a login that needs another gets `53400`. Pools"
                    + " with no clients and no backend connections are removed (see Limits and hardening)").build();

    public static final Setting<Integer> MAX_MESSAGE_SIZE = Setting.<Integer>define("max_message_size",
                    "BERTH_MAX_MESSAGE_SIZE", "BYTES")
            .defaults(BerthConfig.DEFAULT_MAX_MESSAGE_SIZE, "`268435456` (256 MiB)").parser(SettingValues::wholeNumber)
            .check(atLeast(1024, " bytes")).read(BerthConfig::maxMessageSize)
            .description("largest message a logged-in client may send (before login: 8192 bytes); PostgreSQL allows"
                    + " 1 GiB, but Berth holds a whole message in memory while forwarding it, so the default bounds what"
                    + " one client can make it buffer. Larger messages get `08P01` and a close").build();

    public static final Setting<Long> SERVER_LIFETIME = Setting.<Long>define("server_lifetime", "BERTH_SERVER_LIFETIME", "MS")
            .defaults(BerthConfig.DEFAULT_SERVER_LIFETIME_MS, "`3600000` (1 h)").parser(SettingValues::millis)
            .check(notNegative()).read(BerthConfig::serverLifetimeMs).reloadable(true)
            .description("a backend connection older than this is closed when it is next released (never while a client"
                    + " uses it) and replaced; each connection's own lifetime is drawn from 90-100 % of this, so that"
                    + " connections opened together do not all reconnect at once. `0`: used once (as pgbouncer)").build();

    public static final Setting<Long> SERVER_CHECK_DELAY = Setting.<Long>define("server_check_delay",
                    "BERTH_SERVER_CHECK_DELAY", "MS")
            .defaults(BerthConfig.DEFAULT_SERVER_CHECK_DELAY_MS, "`30000`").parser(SettingValues::millis)
            .check(notNegative()).read(BerthConfig::serverCheckDelayMs).reloadable(true)
            .description("a backend connection idle longer than this is checked with `--server-check-query` before a"
                    + " client gets it; a dead one is closed and the client gets another. `0`: check every time").build();

    public static final Setting<String> SERVER_CHECK_QUERY = Setting.<String>define("server_check_query",
                    "BERTH_SERVER_CHECK_QUERY", "SQL")
            .defaults(";", "`;` (an empty query)").parser(Function.identity()).read(BerthConfig::serverCheckQuery)
            .reloadable(true)
            .description("the query that checks an idle backend connection (see `--server-check-delay`); empty: no"
                    + " checks").build();

    public static final Setting<Long> QUERY_TIMEOUT = Setting.<Long>define("query_timeout", "BERTH_QUERY_TIMEOUT", "MS")
            .defaults(0L, "`0` (off)").parser(SettingValues::millis)
            .check(notNegative()).read(BerthConfig::queryTimeoutMs).reloadable(true)
            .description("a request running longer than this is cancelled (a CancelRequest, as Ctrl-C): the client gets"
                    + " `57014` naming the setting and keeps its connection; if the backend still has not answered"
                    + " another timeout later, it is closed and the client gets `08006`. Meant as a safety net somewhat"
                    + " above PostgreSQL's `statement_timeout`").build();

    public static final Setting<Long> IDLE_TRANSACTION_TIMEOUT = Setting.<Long>define("idle_transaction_timeout",
                    "BERTH_IDLE_TRANSACTION_TIMEOUT", "MS")
            .defaults(0L, "`0` (off)").parser(SettingValues::millis)
            .check(notNegative()).read(BerthConfig::idleTransactionTimeoutMs).reloadable(true)
            .description("a client idle inside a transaction longer than this is disconnected (`25P03`); its backend"
                    + " connection is rolled back and reused").build();

    public static final Setting<Long> CLIENT_IDLE_TIMEOUT = Setting.<Long>define("client_idle_timeout",
                    "BERTH_CLIENT_IDLE_TIMEOUT", "MS")
            .defaults(0L, "`0` (off)").parser(SettingValues::millis)
            .check(notNegative()).read(BerthConfig::clientIdleTimeoutMs).reloadable(true)
            .description("a logged-in client idle outside a transaction longer than this is disconnected (`57P05`, as"
                    + " PostgreSQL's `idle_session_timeout`)").build();

    public static final Setting<Long> TRANSACTION_TIMEOUT = Setting.<Long>define("transaction_timeout",
                    "BERTH_TRANSACTION_TIMEOUT", "MS")
            .defaults(0L, "`0` (off)").parser(SettingValues::millis)
            .check(notNegative()).read(BerthConfig::transactionTimeoutMs).reloadable(true)
            .description("a client whose transaction (or single statement) has been open longer than this is"
                    + " disconnected (`25P04`, as PostgreSQL's `transaction_timeout`); its backend connection is rolled"
                    + " back, or closed if a query is still running").build();

    public static final Setting<Boolean> TCP_KEEPALIVE = Setting.<Boolean>define("tcp_keepalive", "BERTH_TCP_KEEPALIVE",
                    "BOOL")
            .defaults(true, "`true`").parser(SettingValues::bool).read(BerthConfig::tcpKeepalive).reloadable(true)
            .description("TCP keepalive on client and backend connections, so that a peer gone silent behind a dead"
                    + " network is noticed").build();

    public static final Setting<Integer> TCP_KEEPIDLE = Setting.<Integer>define("tcp_keepidle", "BERTH_TCP_KEEPIDLE",
                    "SECONDS")
            .defaults(0, "`0` (the OS's)").parser(SettingValues::wholeNumber)
            .check(notNegative()).read(BerthConfig::tcpKeepidle).reloadable(true)
            .description("idle time before the first keepalive probe; `0`: the operating system's default").build();

    public static final Setting<Integer> TCP_KEEPINTVL = Setting.<Integer>define("tcp_keepintvl", "BERTH_TCP_KEEPINTVL",
                    "SECONDS")
            .defaults(0, "`0` (the OS's)").parser(SettingValues::wholeNumber)
            .check(notNegative()).read(BerthConfig::tcpKeepintvl).reloadable(true)
            .description("time between keepalive probes; `0`: the operating system's default").build();

    public static final Setting<Integer> TCP_KEEPCNT = Setting.<Integer>define("tcp_keepcnt", "BERTH_TCP_KEEPCNT", "N")
            .defaults(0, "`0` (the OS's)").parser(SettingValues::wholeNumber)
            .check(notNegative()).read(BerthConfig::tcpKeepcnt).reloadable(true)
            .description("unanswered keepalive probes before the connection is dropped; `0`: the operating system's"
                    + " default").build();

    public static final Setting<Long> SHUTDOWN_TIMEOUT = Setting.<Long>define("shutdown_timeout",
                    "BERTH_SHUTDOWN_TIMEOUT", "MS")
            .defaults(BerthConfig.DEFAULT_SHUTDOWN_TIMEOUT_MS, "`30000`").parser(SettingValues::millis)
            .check(notNegative()).read(BerthConfig::shutdownTimeoutMs).reloadable(true)
            .description("SIGTERM, SIGINT or `SHUTDOWN`: how long transactions in flight may take to finish; each"
                    + " client is ended (`57P01`) once it is between transactions, and those still in one after this"
                    + " are ended too. `0`: end every client at once").build();

    public static final Setting<Boolean> SO_REUSEPORT = Setting.<Boolean>define("so_reuseport", "BERTH_SO_REUSEPORT", "BOOL")
            .defaults(false, "`false`").parser(SettingValues::bool).read(BerthConfig::soReuseport)
            .description("listen with `SO_REUSEPORT` (Linux, a native transport: io_uring or epoll), so that a new Berth can listen on the same"
                    + " port while the old one drains: a rolling restart on one host with no refused connection").build();

    /** Every setting, in the order of README's options table (and of check-config, /config, SHOW CONFIG). */
    public static final List<Setting<?>> ALL = List.of(CONFIG, LISTEN, BACKEND, AUTH_FILE, AUTH_TYPE, AUTH_USER,
            AUTH_QUERY, AUTH_DBNAME, AUTH_QUERY_CACHE_TTL, AUTH_HBA_FILE, POOL_MODE, SESSION_STATE,
            DO_BLOCKS, MAX_PREPARED_STATEMENTS, PREPARED_STATEMENT_REGISTRY_BYTES, POOL_MAX, POOL_MIN, IDLE_TIMEOUT,
            CONNECTION_TIMEOUT, MAX_BACKEND_CONNECTIONS, MAX_DB_CONNECTIONS, MAX_USER_CONNECTIONS,
            RESERVE_POOL_SIZE, RESERVE_POOL_TIMEOUT, WORKERS, TRANSPORT, METRICS_LISTEN, METRICS_COMPAT, ADMIN_USERS,
            LOG_FORMAT, SERVER_RESET_QUERY, SERVER_CONNECT_TIMEOUT, CLIENT_LOGIN_TIMEOUT, MAX_CLIENT_CONNECTIONS,
            MAX_DB_CLIENT_CONNECTIONS, MAX_USER_CLIENT_CONNECTIONS, MAX_POOLS,
            MAX_MESSAGE_SIZE, SERVER_LIFETIME, SERVER_CHECK_DELAY, SERVER_CHECK_QUERY, QUERY_TIMEOUT,
            IDLE_TRANSACTION_TIMEOUT, CLIENT_IDLE_TIMEOUT, TRANSACTION_TIMEOUT, TCP_KEEPALIVE, TCP_KEEPIDLE, TCP_KEEPINTVL,
            TCP_KEEPCNT, SHUTDOWN_TIMEOUT, SO_REUSEPORT, TLS_CERT, TLS_KEY, CLIENT_TLS_MODE, TLS_CA,
            TLS_PROTOCOLS);

    private static final Map<String, Setting<?>> BY_NAME = ALL.stream()
            .collect(Collectors.toUnmodifiableMap(Setting::name, s -> s));

    /** The setting with this table name ({@link ConfigException#setting()}); null if there is none. */
    public static Setting<?> byName(String name) {
        return BY_NAME.get(name);
    }
}
