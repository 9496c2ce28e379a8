package dev.berth.server;

import dev.berth.core.auth.AuthFile;
import dev.berth.core.auth.AuthType;
import dev.berth.core.auth.ClientAuthenticator;
import dev.berth.core.auth.Secret;
import dev.berth.core.auth.KeyDerivation;
import dev.berth.core.auth.SecretOrigin;
import dev.berth.core.auth.SecretSource;
import dev.berth.core.config.AuthQueryTarget;
import dev.berth.core.config.BerthConfig;
import dev.berth.core.config.RuntimeConfig;
import dev.berth.core.hba.HbaRules;
import dev.berth.core.pool.PoolKey;
import dev.berth.core.prepared.PreparedStatementRegistry;
import dev.berth.server.admin.AdminConsole;
import dev.berth.server.authquery.AuthQuery;
import dev.berth.server.backend.BackendCredentialStore;
import dev.berth.server.backend.BackendHealth;
import dev.berth.server.client.ClientTlsContext;
import dev.berth.server.lifecycle.PauseGate;
import dev.berth.server.metrics.BerthMetrics;

import java.security.SecureRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * What every client session shares: the running configuration, the pools and clients, the secrets and
 * credentials, the clients' TLS context, the cancel registry, the pause gate, the metrics and the admin console.
 */
public final class ProxyContext {
    private final RuntimeConfig config;
    private final PoolRegistry pools;
    private final ClientRegistry clients = new ClientRegistry();
    private final CancelRegistry cancels;
    private final BackendCredentialStore credentials;
    private final BerthMetrics metrics;
    private final BackendHealth health;
    private final PauseGate pauseGate = new PauseGate();
    private final SecureRandom random = new SecureRandom();
    private final byte[] unknownUserKey = new byte[32];
    private final StatementRegistries registries;
    private final ConcurrentHashMap<PoolKey, LoginGreetings> greetings = new ConcurrentHashMap<>();
    private final ClientTlsContext clientTls;
    private volatile SecretSource secrets;
    private volatile AuthQuery authQuery;
    private volatile HbaRules hba;
    private volatile AuthFile authFile;
    private AdminConsole admin;

    ProxyContext(RuntimeConfig config, AuthFile authFile, PoolRegistry pools, StatementRegistries registries,
                 CancelRegistry cancels, BackendCredentialStore credentials, BerthMetrics metrics, BackendHealth health,
                 ClientTlsContext clientTls, HbaRules hba) {
        this.config = config;
        this.clientTls = clientTls;
        this.registries = registries;
        this.hba = hba;
        this.pools = pools;
        this.cancels = cancels;
        this.credentials = credentials;
        this.metrics = metrics;
        this.health = health;
        random.nextBytes(unknownUserKey);
        authSources(authFile, config.current());
    }

    public RuntimeConfig config() {
        return config;
    }

    public PoolRegistry pools() {
        return pools;
    }

    public ClientRegistry clients() {
        return clients;
    }

    public CancelRegistry cancels() {
        return cancels;
    }

    public BackendCredentialStore credentials() {
        return credentials;
    }

    public BerthMetrics metrics() {
        return metrics;
    }

    public BackendHealth health() {
        return health;
    }

    /** The server side of clients' TLS, rebuilt by RELOAD. */
    public ClientTlsContext clientTls() {
        return clientTls;
    }

    public PauseGate pauseGate() {
        return pauseGate;
    }

    public AdminConsole admin() {
        return admin;
    }

    void admin(AdminConsole console) {
        this.admin = console;
    }

    /** Where client secrets come from; null when there is none (trust logins accept every user). */
    public SecretSource secrets() {
        return secrets;
    }

    void secrets(SecretSource source) {
        secrets = source;
    }

    /** The auth file in use, null without one (a reload keeps its derived SCRAM secrets that still apply). */
    AuthFile authFile() {
        return authFile;
    }

    /**
     * RELOAD: a new auth file for logins and backend credentials from now on, and a new auth query (its
     * cached answers forgotten) when {@code config} has an auth_user (global or on a [databases] line).
     */
    void authSources(AuthFile file, BerthConfig config) {
        AuthQuery previous = authQuery;
        authFile = file;
        authQuery = AuthQueryTarget.any(config) ? new AuthQuery(config, file, metrics::authQuery) : null;
        secrets = authQuery != null ? authQuery : file;
        credentials.authFile(file);
        if (previous != null) {
            previous.close();
        }
    }

    /** The hba rules of auth_type hba; null without an hba file. */
    public HbaRules hba() {
        return hba;
    }

    void hba(HbaRules rules) {
        hba = rules;
    }

    void closeAuthQuery() {
        AuthQuery q = authQuery;
        if (q != null) {
            q.close();
        }
    }

    /**
     * Removes the pools no client uses (see {@link PoolRegistry#removeUnused}) with their metrics, statement
     * registry and client counts; confirmed pools after they have been unused for the idle timeout.
     */
    public int removeUnusedPools() {
        long grace = TimeUnit.MILLISECONDS.toNanos(config.current().idleTimeoutMs());
        return pools.removeUnused(System.nanoTime(), grace, key -> {
            metrics.removePool(key);
            registries.remove(key);
            greetings.remove(key);
            clients.forget(key);
        });
    }

    /** What logins to a pool are shown without a server (transaction pooling). */
    public LoginGreetings greetings(PoolKey key) {
        return greetings.computeIfAbsent(key, k -> new LoginGreetings());
    }

    /** The prepared statements known in a pool (transaction pooling). */
    public PreparedStatementRegistry statementRegistry(PoolKey key) {
        return registries.apply(key);
    }

    public ClientAuthenticator newAuthenticator(AuthType type, String user, Secret secret, SecretOrigin origin, boolean usersListed) {
        SecretSource source = secrets;
        return new ClientAuthenticator(type, secret, origin, usersListed, user, random, unknownUserKey,
                source == null || source.mostUsersHaveScramSecrets(), KeyDerivation.executor());
    }
}
