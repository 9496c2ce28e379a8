package dev.berth.core.config;

import dev.berth.core.auth.AuthType;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The effective configuration, immutable once built. {@link Builder#build()} validates it and throws
 * {@link ConfigException} naming the first bad setting.
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
        java.util.Set<String> adminUsers,
        String metricsCompat,
        int workers) {

    public static final int DEFAULT_POOL_MAX = 200;
    public static final int DEFAULT_POOL_MIN = 20;
    public static final long DEFAULT_IDLE_TIMEOUT_MS = 30_000;
    public static final long DEFAULT_CONNECTION_TIMEOUT_MS = 2_000;
    public static final long DEFAULT_SERVER_CONNECT_TIMEOUT_MS = 5_000;
    public static final long DEFAULT_CLIENT_LOGIN_TIMEOUT_MS = 60_000;
    /** PostgreSQL allows 1 GiB; Berth buffers whole messages, so it bounds what one client can make it hold. */
    public static final int DEFAULT_MAX_MESSAGE_SIZE = 256 * 1024 * 1024;
    /** Per server, like pgbouncer's max_prepared_statements. */
    public static final int DEFAULT_MAX_PREPARED_STATEMENTS = 200;
    public static final long DEFAULT_REGISTRY_BYTES = 16L * 1024 * 1024;

    public static Builder builder() {
        return new Builder();
    }

    public static final class Builder {
        private HostPort listen = new HostPort("0.0.0.0", 6432);
        private BackendUrl backend = BackendUrl.parse("postgresql://127.0.0.1:5432");
        private Path authFile;
        private AuthType authType = AuthType.SCRAM_SHA_256;
        private PoolMode poolMode = PoolMode.TRANSACTION;
        private int poolMax = DEFAULT_POOL_MAX;
        private int poolMin = DEFAULT_POOL_MIN;
        private long idleTimeoutMs = DEFAULT_IDLE_TIMEOUT_MS;
        private long connectionTimeoutMs = DEFAULT_CONNECTION_TIMEOUT_MS;
        private Integer maxBackendConnections;
        private HostPort metricsListen = new HostPort("0.0.0.0", 9930);
        private String serverResetQuery = "DISCARD ALL";
        private long serverConnectTimeoutMs = DEFAULT_SERVER_CONNECT_TIMEOUT_MS;
        private long clientLoginTimeoutMs = DEFAULT_CLIENT_LOGIN_TIMEOUT_MS;
        private int maxMessageSize = DEFAULT_MAX_MESSAGE_SIZE;
        private SessionStatePolicy sessionState = SessionStatePolicy.PIN;
        private int maxPreparedStatements = DEFAULT_MAX_PREPARED_STATEMENTS;
        private long preparedStatementRegistryBytes = DEFAULT_REGISTRY_BYTES;
        private java.util.Set<String> adminUsers = java.util.Set.of();
        private String metricsCompat = "none";
        private int workers = 0;

        public Builder listen(HostPort v) { listen = v; return this; }
        public Builder backend(BackendUrl v) { backend = v; return this; }
        public Builder authFile(Path v) { authFile = v; return this; }
        public Builder authType(AuthType v) { authType = v; return this; }
        public Builder poolMode(PoolMode v) { poolMode = v; return this; }
        public Builder poolMax(int v) { poolMax = v; return this; }
        public Builder poolMin(int v) { poolMin = v; return this; }
        public Builder idleTimeoutMs(long v) { idleTimeoutMs = v; return this; }
        public Builder connectionTimeoutMs(long v) { connectionTimeoutMs = v; return this; }
        public Builder maxBackendConnections(Integer v) { maxBackendConnections = v; return this; }
        public Builder metricsListen(HostPort v) { metricsListen = v; return this; }
        public Builder serverResetQuery(String v) { serverResetQuery = v; return this; }
        public Builder serverConnectTimeoutMs(long v) { serverConnectTimeoutMs = v; return this; }
        public Builder clientLoginTimeoutMs(long v) { clientLoginTimeoutMs = v; return this; }
        public Builder maxMessageSize(int v) { maxMessageSize = v; return this; }
        public Builder sessionState(SessionStatePolicy v) { sessionState = v; return this; }
        public Builder maxPreparedStatements(int v) { maxPreparedStatements = v; return this; }
        public Builder preparedStatementRegistryBytes(long v) { preparedStatementRegistryBytes = v; return this; }
        public Builder adminUsers(java.util.Set<String> v) { adminUsers = java.util.Set.copyOf(v); return this; }
        public Builder metricsCompat(String v) { metricsCompat = v == null ? "none" : v.trim().toLowerCase(java.util.Locale.ROOT); return this; }

        /** Event-loop threads; 0 means one per available processor. */
        public Builder workers(int v) { workers = v; return this; }

        /** Builds the configuration; throws the first problem {@link #problems()} finds. */
        public BerthConfig build() {
            List<ConfigException> problems = problems();
            if (!problems.isEmpty()) {
                throw problems.get(0);
            }
            int totalCap = maxBackendConnections == null ? poolMax : maxBackendConnections;
            return new BerthConfig(listen, backend, authFile, authType, poolMode, poolMax, poolMin, idleTimeoutMs,
                    connectionTimeoutMs, totalCap, metricsListen, serverResetQuery == null ? "" : serverResetQuery.trim(),
                    serverConnectTimeoutMs, clientLoginTimeoutMs, maxMessageSize, sessionState, maxPreparedStatements,
                    preparedStatementRegistryBytes, adminUsers, metricsCompat,
                    workers == 0 ? Runtime.getRuntime().availableProcessors() : workers);
        }

        /** Every invalid setting, each naming its setting; empty when the configuration is valid. */
        public List<ConfigException> problems() {
            List<ConfigException> problems = new ArrayList<>();
            if (poolMax < 1) {
                problems.add(new ConfigException("--pool-max", "must be at least 1, got " + poolMax));
            }
            if (poolMin < 0) {
                problems.add(new ConfigException("--pool-min", "must not be negative, got " + poolMin));
            } else if (poolMin > poolMax && poolMax >= 1) {
                problems.add(new ConfigException("--pool-min", "(" + poolMin + ") must not be greater than --pool-max (" + poolMax + ")"));
            }
            positive(problems, "--idle-timeout", idleTimeoutMs);
            positive(problems, "--connection-timeout", connectionTimeoutMs);
            positive(problems, "--server-connect-timeout", serverConnectTimeoutMs);
            positive(problems, "--client-login-timeout", clientLoginTimeoutMs);
            if (maxBackendConnections != null && maxBackendConnections < 1) {
                problems.add(new ConfigException("--max-backend-connections", "must be at least 1, got " + maxBackendConnections));
            }
            if (maxMessageSize < 1024) {
                problems.add(new ConfigException("--max-message-size", "must be at least 1024 bytes, got " + maxMessageSize));
            }
            if (!metricsCompat.equals("none") && !metricsCompat.equals("pgbouncer")) {
                problems.add(new ConfigException("--metrics-compat", "'" + metricsCompat + "' is not none or pgbouncer"));
            }
            if (workers < 0 || workers > 1024) {
                problems.add(new ConfigException("--workers", "must be between 0 (one per processor) and 1024, got " + workers));
            }
            if (maxPreparedStatements < 1) {
                problems.add(new ConfigException("--max-prepared-statements", "must be at least 1, got " + maxPreparedStatements));
            }
            if (preparedStatementRegistryBytes < 0) {
                problems.add(new ConfigException("--prepared-statement-registry-bytes", "must not be negative, got " + preparedStatementRegistryBytes));
            }
            if (authFile != null && !Files.isReadable(authFile)) {
                problems.add(new ConfigException("--auth-file", "cannot read " + authFile));
            }
            if (authFile == null && authType != AuthType.TRUST) {
                problems.add(new ConfigException("--auth-file", "--auth-type " + authType
                        + " needs an auth file with the users' secrets (or use --auth-type trust on a trusted network)"));
            }
            return problems;
        }

        private static void positive(List<ConfigException> problems, String setting, long value) {
            if (value <= 0) {
                problems.add(new ConfigException(setting, "must be a positive number of milliseconds, got " + value));
            }
        }
    }
}
