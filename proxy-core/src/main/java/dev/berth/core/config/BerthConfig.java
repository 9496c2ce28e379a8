package dev.berth.core.config;

import dev.berth.core.auth.AuthType;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

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
import static dev.berth.core.config.SettingsTable.ADMIN_USERS;
import static dev.berth.core.config.SettingsTable.ALL;
import static dev.berth.core.config.SettingsTable.BACKEND;
import static dev.berth.core.config.SettingsTable.CLIENT_LOGIN_TIMEOUT;
import static dev.berth.core.config.SettingsTable.CONFIG;
import static dev.berth.core.config.SettingsTable.CONNECTION_TIMEOUT;
import static dev.berth.core.config.SettingsTable.IDLE_TIMEOUT;
import static dev.berth.core.config.SettingsTable.LISTEN;
import static dev.berth.core.config.SettingsTable.LOG_FORMAT;
import static dev.berth.core.config.SettingsTable.MAX_BACKEND_CONNECTIONS;
import static dev.berth.core.config.SettingsTable.MAX_CLIENT_CONNECTIONS;
import static dev.berth.core.config.SettingsTable.MAX_DB_CLIENT_CONNECTIONS;
import static dev.berth.core.config.SettingsTable.MAX_DB_CONNECTIONS;
import static dev.berth.core.config.SettingsTable.MAX_USER_CLIENT_CONNECTIONS;
import static dev.berth.core.config.SettingsTable.MAX_USER_CONNECTIONS;
import static dev.berth.core.config.SettingsTable.RESERVE_POOL_SIZE;
import static dev.berth.core.config.SettingsTable.RESERVE_POOL_TIMEOUT;
import static dev.berth.core.config.SettingsTable.MAX_MESSAGE_SIZE;
import static dev.berth.core.config.SettingsTable.MAX_POOLS;
import static dev.berth.core.config.SettingsTable.MAX_PREPARED_STATEMENTS;
import static dev.berth.core.config.SettingsTable.METRICS_COMPAT;
import static dev.berth.core.config.SettingsTable.METRICS_LISTEN;
import static dev.berth.core.config.SettingsTable.POOL_MAX;
import static dev.berth.core.config.SettingsTable.POOL_MIN;
import static dev.berth.core.config.SettingsTable.POOL_MODE;
import static dev.berth.core.config.SettingsTable.PREPARED_STATEMENT_REGISTRY_BYTES;
import static dev.berth.core.config.SettingsTable.SERVER_CONNECT_TIMEOUT;
import static dev.berth.core.config.SettingsTable.SERVER_RESET_QUERY;
import static dev.berth.core.config.SettingsTable.SESSION_STATE;
import static dev.berth.core.config.SettingsTable.SHUTDOWN_TIMEOUT;
import static dev.berth.core.config.SettingsTable.SO_REUSEPORT;
import static dev.berth.core.config.SettingsTable.TRANSPORT;
import static dev.berth.core.config.SettingsTable.DO_BLOCKS;
import static dev.berth.core.config.SettingsTable.WORKERS;
import static dev.berth.core.config.SettingsTable.SERVER_LIFETIME;
import static dev.berth.core.config.SettingsTable.SERVER_CHECK_DELAY;
import static dev.berth.core.config.SettingsTable.SERVER_CHECK_QUERY;
import static dev.berth.core.config.SettingsTable.QUERY_TIMEOUT;
import static dev.berth.core.config.SettingsTable.IDLE_TRANSACTION_TIMEOUT;
import static dev.berth.core.config.SettingsTable.CLIENT_IDLE_TIMEOUT;
import static dev.berth.core.config.SettingsTable.TRANSACTION_TIMEOUT;
import static dev.berth.core.config.SettingsTable.TCP_KEEPALIVE;
import static dev.berth.core.config.SettingsTable.TCP_KEEPIDLE;
import static dev.berth.core.config.SettingsTable.TCP_KEEPINTVL;
import static dev.berth.core.config.SettingsTable.TCP_KEEPCNT;

/**
 * The effective configuration, immutable once built. {@link Builder#build()} validates it and throws
 * {@link ConfigException} naming the first bad setting. The settings themselves (defaults, parsing, checks,
 * display) are described by {@link SettingsTable}.
 */
public record BerthConfig(
        HostPort listen,
        BackendUrl backend,
        Path authFile,
        AuthType authType,
        PoolMode poolMode,
        int poolMax,
        int poolMin,
        long idleTimeoutMs,
        long connectionTimeoutMs,
        int maxBackendConnections,
        HostPort metricsListen,
        String serverResetQuery,
        long serverConnectTimeoutMs,
        long clientLoginTimeoutMs,
        int maxMessageSize,
        SessionStatePolicy sessionState,
        int maxPreparedStatements,
        long preparedStatementRegistryBytes,
        Set<String> adminUsers,
        String metricsCompat,
        int workers,
        TransportChoice transport,
        String logFormat,
        int maxClientConnections,
        int maxPools,
        DoBlockPolicy doBlocks,
        Path configFile,
        DatabaseMap databases,
        long serverLifetimeMs,
        long serverCheckDelayMs,
        String serverCheckQuery,
        long queryTimeoutMs,
        long idleTransactionTimeoutMs,
        long clientIdleTimeoutMs,
        long transactionTimeoutMs,
        boolean tcpKeepalive,
        int tcpKeepidle,
        int tcpKeepintvl,
        int tcpKeepcnt,
        long shutdownTimeoutMs,
        boolean soReuseport,
        Path tlsCert,
        Path tlsKey,
        ClientTlsMode clientTlsMode,
        Path tlsCa,
        List<String> tlsProtocols,
        ConnectionLimits limits,
        AuthSources authSources) {

    public static final int DEFAULT_POOL_MAX = 200;
    public static final int DEFAULT_POOL_MIN = 20;
    public static final long DEFAULT_IDLE_TIMEOUT_MS = 30_000;
    public static final long DEFAULT_CONNECTION_TIMEOUT_MS = 2_000;
    public static final long DEFAULT_SERVER_CONNECT_TIMEOUT_MS = 5_000;
    /** Short, so that connections that never log in hold a file descriptor briefly (pgbouncer's is 60 s). */
    public static final long DEFAULT_CLIENT_LOGIN_TIMEOUT_MS = 15_000;
    /**
     * A sidecar serves one application's connections, so pgbouncer's 100 is too few; at about 4 KB per idle
     * client 10,000 cost some 40 MB, and they fit the open-file limits containers are given (1,048,576 usually).
     */
    public static final int DEFAULT_MAX_CLIENT_CONNECTIONS = 10_000;
    /** Each pool costs its metrics' label sets and a statement registry: bounded so logins cannot grow them without end. */
    public static final int DEFAULT_MAX_POOLS = 1_000;
    /** PostgreSQL allows 1 GiB; Berth buffers whole messages, so it bounds what one client can make it hold. */
    public static final int DEFAULT_MAX_MESSAGE_SIZE = 256 * 1024 * 1024;
    /** Per server, like pgbouncer's max_prepared_statements. */
    public static final int DEFAULT_MAX_PREPARED_STATEMENTS = 200;
    public static final long DEFAULT_REGISTRY_BYTES = 16L * 1024 * 1024;
    /** pgbouncer's server_lifetime (3600 s). */
    public static final long DEFAULT_SERVER_LIFETIME_MS = 3_600_000;
    /** pgbouncer's server_check_delay (30 s). */
    public static final long DEFAULT_SERVER_CHECK_DELAY_MS = 30_000;
    /** Below Kubernetes' default terminationGracePeriodSeconds (30 s) plus a preStop sleep, as deploy/ sets them. */
    public static final long DEFAULT_SHUTDOWN_TIMEOUT_MS = 30_000;

    public static Builder builder() {
        return new Builder();
    }

    /**
     * This configuration with the values of the settings a reload may not change ({@link Setting#reloadable()}
     * false) taken from {@code running}: what is bound or sized at start-up keeps its value until a restart.
     */
    public BerthConfig keepingStartupSettingsOf(BerthConfig running) {
        return new BerthConfig(running.listen, running.backend, authFile, running.authType, poolMode, poolMax, poolMin,
                idleTimeoutMs, connectionTimeoutMs, maxBackendConnections, running.metricsListen, serverResetQuery,
                serverConnectTimeoutMs, clientLoginTimeoutMs, running.maxMessageSize, sessionState,
                running.maxPreparedStatements, running.preparedStatementRegistryBytes, adminUsers, running.metricsCompat,
                running.workers, running.transport, running.logFormat, maxClientConnections, maxPools, doBlocks, running.configFile, databases,
                serverLifetimeMs, serverCheckDelayMs, serverCheckQuery, queryTimeoutMs, idleTransactionTimeoutMs,
                clientIdleTimeoutMs, transactionTimeoutMs, tcpKeepalive, tcpKeepidle, tcpKeepintvl, tcpKeepcnt,
                shutdownTimeoutMs, running.soReuseport, tlsCert, tlsKey, clientTlsMode, tlsCa, tlsProtocols, limits,
                authSources);
    }

    /** Holds values by setting; what was not set keeps the table's default. */
    public static final class Builder {
        private final Map<Setting<?>, Object> values = new HashMap<>();
        private DatabaseMap databases = DatabaseMap.NONE;

        /** Sets any setting of the table (the value as {@link Setting#parse} returns it). */
        public <T> Builder set(Setting<T> setting, T value) {
            values.put(Objects.requireNonNull(setting), value);
            return this;
        }

        @SuppressWarnings("unchecked") // set() only stores a Setting<T> with a T
        private <T> T get(Setting<T> setting) {
            return values.containsKey(setting) ? (T) values.get(setting) : setting.defaultValue();
        }

        /** The config file's [databases] and [users]; none: the backend URL routes every client. */
        public Builder databases(DatabaseMap v) {
            databases = Objects.requireNonNull(v);
            return this;
        }

        public Builder configFile(Path v) { return set(CONFIG, v); }
        public Builder listen(HostPort v) { return set(LISTEN, v); }
        public Builder backend(BackendUrl v) { return set(BACKEND, v); }
        public Builder authFile(Path v) { return set(AUTH_FILE, v); }
        public Builder authType(AuthType v) { return set(AUTH_TYPE, v); }
        public Builder authUser(String v) { return set(AUTH_USER, v); }
        public Builder authQuery(String v) { return set(AUTH_QUERY, v); }
        public Builder authDbname(String v) { return set(AUTH_DBNAME, v); }
        public Builder authQueryCacheTtlMs(long v) { return set(AUTH_QUERY_CACHE_TTL, v); }
        public Builder authHbaFile(Path v) { return set(AUTH_HBA_FILE, v); }
        public Builder poolMode(PoolMode v) { return set(POOL_MODE, v); }
        public Builder poolMax(int v) { return set(POOL_MAX, v); }
        public Builder poolMin(int v) { return set(POOL_MIN, v); }
        public Builder idleTimeoutMs(long v) { return set(IDLE_TIMEOUT, v); }
        public Builder connectionTimeoutMs(long v) { return set(CONNECTION_TIMEOUT, v); }
        /** Null: the pool max. */
        public Builder maxBackendConnections(Integer v) { return set(MAX_BACKEND_CONNECTIONS, v); }
        public Builder metricsListen(HostPort v) { return set(METRICS_LISTEN, v); }
        public Builder serverResetQuery(String v) { return set(SERVER_RESET_QUERY, v); }
        public Builder serverConnectTimeoutMs(long v) { return set(SERVER_CONNECT_TIMEOUT, v); }
        public Builder clientLoginTimeoutMs(long v) { return set(CLIENT_LOGIN_TIMEOUT, v); }
        public Builder maxMessageSize(int v) { return set(MAX_MESSAGE_SIZE, v); }
        public Builder maxClientConnections(int v) { return set(MAX_CLIENT_CONNECTIONS, v); }
        public Builder maxPools(int v) { return set(MAX_POOLS, v); }
        public Builder maxDbConnections(int v) { return set(MAX_DB_CONNECTIONS, v); }
        public Builder maxUserConnections(int v) { return set(MAX_USER_CONNECTIONS, v); }
        public Builder maxDbClientConnections(int v) { return set(MAX_DB_CLIENT_CONNECTIONS, v); }
        public Builder maxUserClientConnections(int v) { return set(MAX_USER_CLIENT_CONNECTIONS, v); }
        public Builder reservePoolSize(int v) { return set(RESERVE_POOL_SIZE, v); }
        public Builder reservePoolTimeoutMs(long v) { return set(RESERVE_POOL_TIMEOUT, v); }
        public Builder sessionState(SessionStatePolicy v) { return set(SESSION_STATE, v); }
        public Builder doBlocks(DoBlockPolicy v) { return set(DO_BLOCKS, v); }
        public Builder shutdownTimeoutMs(long v) { return set(SHUTDOWN_TIMEOUT, v); }
        public Builder soReuseport(boolean v) { return set(SO_REUSEPORT, v); }
        public Builder maxPreparedStatements(int v) { return set(MAX_PREPARED_STATEMENTS, v); }
        public Builder preparedStatementRegistryBytes(long v) { return set(PREPARED_STATEMENT_REGISTRY_BYTES, v); }
        public Builder adminUsers(Set<String> v) { return set(ADMIN_USERS, Set.copyOf(v)); }
        public Builder metricsCompat(String v) { return set(METRICS_COMPAT, v == null ? "none" : v.trim().toLowerCase(Locale.ROOT)); }
        /** Event-loop threads; 0 means one per available processor. */
        public Builder workers(int v) { return set(WORKERS, v); }
        public Builder transport(TransportChoice v) { return set(TRANSPORT, v); }
        /** text or json. */
        public Builder serverLifetimeMs(long v) { return set(SERVER_LIFETIME, v); }
        public Builder serverCheckDelayMs(long v) { return set(SERVER_CHECK_DELAY, v); }
        public Builder serverCheckQuery(String v) { return set(SERVER_CHECK_QUERY, v); }
        public Builder queryTimeoutMs(long v) { return set(QUERY_TIMEOUT, v); }
        public Builder idleTransactionTimeoutMs(long v) { return set(IDLE_TRANSACTION_TIMEOUT, v); }
        public Builder clientIdleTimeoutMs(long v) { return set(CLIENT_IDLE_TIMEOUT, v); }
        public Builder transactionTimeoutMs(long v) { return set(TRANSACTION_TIMEOUT, v); }
        public Builder tcpKeepalive(boolean v) { return set(TCP_KEEPALIVE, v); }
        public Builder tcpKeepidle(int v) { return set(TCP_KEEPIDLE, v); }
        public Builder tcpKeepintvl(int v) { return set(TCP_KEEPINTVL, v); }
        public Builder tcpKeepcnt(int v) { return set(TCP_KEEPCNT, v); }
        public Builder logFormat(String v) { return set(LOG_FORMAT, v == null ? "text" : v.trim().toLowerCase(Locale.ROOT)); }

        public Builder tlsCert(Path v) { return set(TLS_CERT, v); }
        public Builder tlsKey(Path v) { return set(TLS_KEY, v); }
        /** Null: prefer with a certificate, else disable. */
        public Builder clientTlsMode(ClientTlsMode v) { return set(CLIENT_TLS_MODE, v); }
        public Builder tlsCa(Path v) { return set(TLS_CA, v); }
        public Builder tlsProtocols(List<String> v) { return set(TLS_PROTOCOLS, List.copyOf(v)); }

        /** Builds the configuration; throws the first problem {@link #problems()} finds. */
        public BerthConfig build() {
            List<ConfigException> problems = problems();
            if (!problems.isEmpty()) {
                throw problems.get(0);
            }
            Integer totalCap = get(MAX_BACKEND_CONNECTIONS);
            String resetQuery = get(SERVER_RESET_QUERY);
            String checkQuery = get(SERVER_CHECK_QUERY);
            int workers = get(WORKERS);
            return new BerthConfig(get(LISTEN), get(BACKEND), get(AUTH_FILE), get(AUTH_TYPE), get(POOL_MODE),
                    get(POOL_MAX), get(POOL_MIN), get(IDLE_TIMEOUT), get(CONNECTION_TIMEOUT),
                    totalCap == null ? get(POOL_MAX) : totalCap, get(METRICS_LISTEN),
                    resetQuery == null ? "" : resetQuery.trim(), get(SERVER_CONNECT_TIMEOUT), get(CLIENT_LOGIN_TIMEOUT),
                    get(MAX_MESSAGE_SIZE), get(SESSION_STATE), get(MAX_PREPARED_STATEMENTS),
                    get(PREPARED_STATEMENT_REGISTRY_BYTES), get(ADMIN_USERS), get(METRICS_COMPAT),
                    workers == 0 ? Runtime.getRuntime().availableProcessors() : workers, get(TRANSPORT), get(LOG_FORMAT),
                    get(MAX_CLIENT_CONNECTIONS), get(MAX_POOLS), get(DO_BLOCKS), get(CONFIG), databases,
                    get(SERVER_LIFETIME),
                    get(SERVER_CHECK_DELAY), checkQuery == null ? "" : checkQuery.trim(), get(QUERY_TIMEOUT),
                    get(IDLE_TRANSACTION_TIMEOUT), get(CLIENT_IDLE_TIMEOUT), get(TRANSACTION_TIMEOUT), get(TCP_KEEPALIVE),
                    get(TCP_KEEPIDLE), get(TCP_KEEPINTVL), get(TCP_KEEPCNT),
                    get(SHUTDOWN_TIMEOUT), get(SO_REUSEPORT), get(TLS_CERT), get(TLS_KEY), tlsMode(),
                    get(TLS_CA), get(TLS_PROTOCOLS), new ConnectionLimits(get(MAX_DB_CONNECTIONS), get(MAX_USER_CONNECTIONS),
                    get(MAX_DB_CLIENT_CONNECTIONS), get(MAX_USER_CLIENT_CONNECTIONS), get(RESERVE_POOL_SIZE),
                    get(RESERVE_POOL_TIMEOUT)),
                    new AuthSources(blankToNull(get(AUTH_USER)), get(AUTH_QUERY),
                    blankToNull(get(AUTH_DBNAME)), get(AUTH_QUERY_CACHE_TTL), get(AUTH_HBA_FILE)));
        }

        private static String blankToNull(String s) {
            return s == null || s.isBlank() ? null : s;
        }

        /** A certificate means TLS is wanted: prefer it unless told otherwise (pgbouncer needs two settings for that). */
        private ClientTlsMode tlsMode() {
            ClientTlsMode mode = get(CLIENT_TLS_MODE);
            return mode != null ? mode : get(TLS_CERT) != null ? ClientTlsMode.PREFER : ClientTlsMode.DISABLE;
        }

        /**
         * Every invalid setting, each naming its setting; empty when the configuration is valid. First each
         * setting's own check (from the table, in table order), then the checks that involve several.
         */
        public List<ConfigException> problems() {
            List<ConfigException> problems = new ArrayList<>();
            for (Setting<?> setting : ALL) {
                ConfigException problem = problemOf(setting);
                if (problem != null) {
                    problems.add(problem);
                }
            }
            int poolMax = get(POOL_MAX);
            int poolMin = get(POOL_MIN);
            if (poolMin > poolMax && poolMin >= 0 && poolMax >= 1) {
                problems.add(new ConfigException(POOL_MIN.name(), "(" + poolMin + ") must not be greater than "
                        + POOL_MAX.name() + " (" + poolMax + ")"));
            }
            Path authFile = get(AUTH_FILE);
            AuthType authType = get(AUTH_TYPE);
            if (authFile != null && !Files.isReadable(authFile)) {
                problems.add(new ConfigException(AUTH_FILE.name(), "cannot read " + authFile));
            }
            boolean lineAuthUser = databases.entries().stream().anyMatch(e -> e.auth() != null && e.auth().authUser() != null);
            if (authFile == null && authType != AuthType.TRUST && authType != AuthType.HBA && blankToNull(get(AUTH_USER)) == null
                    && !lineAuthUser) {
                problems.add(new ConfigException(AUTH_FILE.name(), AUTH_TYPE.name() + " " + authType
                        + " needs an auth file with the users' secrets, or " + AUTH_USER.name() + " to look them up with "
                        + AUTH_QUERY.name() + " (or " + AUTH_TYPE.name() + " trust on a trusted network)"));
            }
            Path hbaFile = get(AUTH_HBA_FILE);
            if (authType == AuthType.HBA && hbaFile == null) {
                problems.add(new ConfigException(AUTH_HBA_FILE.name(), "is needed by " + AUTH_TYPE.name()
                        + " hba (the pg_hba.conf rules)"));
            } else if (hbaFile != null && !Files.isReadable(hbaFile)) {
                problems.add(new ConfigException(AUTH_HBA_FILE.name(), "cannot read " + hbaFile));
            }
            problems.addAll(tlsProblems());
            return problems;
        }

        private List<ConfigException> tlsProblems() {
            List<ConfigException> problems = new ArrayList<>();
            Path cert = get(TLS_CERT);
            Path key = get(TLS_KEY);
            Path ca = get(TLS_CA);
            ClientTlsMode mode = tlsMode();
            if (cert != null && key == null) {
                problems.add(new ConfigException(TLS_KEY.name(), "is needed with " + TLS_CERT.name() + " (the certificate's private key)"));
            } else if (key != null && cert == null) {
                problems.add(new ConfigException(TLS_CERT.name(), "is needed with " + TLS_KEY.name() + " (the certificate of that key)"));
            } else if (mode.enabled() && cert == null) {
                problems.add(new ConfigException(CLIENT_TLS_MODE.name(), mode + " needs a server certificate: set "
                        + TLS_CERT.name() + " and " + TLS_KEY.name() + " (PEM files)"));
            }
            if (mode.verifiesClients() && ca == null) {
                problems.add(new ConfigException(TLS_CA.name(), "is needed by " + CLIENT_TLS_MODE.name() + " " + mode
                        + " (the CA bundle that signs client certificates)"));
            }
            X509Certificate leaf = null;
            if (cert != null) {
                try {
                    leaf = PemFiles.certificates(cert).get(0);
                } catch (IllegalArgumentException e) {
                    problems.add(new ConfigException(TLS_CERT.name(), e.getMessage()));
                }
            }
            if (key != null) {
                try {
                    PrivateKey privateKey = PemFiles.privateKey(key);
                    String mismatch = leaf == null ? null : PemFiles.mismatch(privateKey, leaf);
                    if (mismatch != null) {
                        problems.add(new ConfigException(TLS_KEY.name(), key + ": " + mismatch + " (" + cert + ")"));
                    }
                } catch (IllegalArgumentException e) {
                    problems.add(new ConfigException(TLS_KEY.name(), e.getMessage()));
                }
            }
            if (ca != null) {
                try {
                    PemFiles.certificates(ca);
                } catch (IllegalArgumentException e) {
                    problems.add(new ConfigException(TLS_CA.name(), e.getMessage()));
                }
            }
            return problems;
        }

        private <T> ConfigException problemOf(Setting<T> setting) {
            return setting.problem(get(setting));
        }
    }
}
