package dev.berth.server;

import dev.berth.core.auth.AuthFile;
import dev.berth.core.auth.ClientAuthenticator;
import dev.berth.core.config.BerthConfig;
import dev.berth.core.pool.PoolKey;

import java.security.SecureRandom;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** What every client session shares: configuration, pools, credentials, the cancel registry. */
final class ProxyContext {
    private final BerthConfig config;
    private final AuthFile authFile;
    private final PoolRegistry pools;
    private final CancelRegistry cancels;
    private final BackendCredentialStore credentials;
    private final SecureRandom random = new SecureRandom();
    private final byte[] unknownUserKey = new byte[32];
    private final Set<ClientSession> clients = ConcurrentHashMap.newKeySet();
    private final java.util.function.Function<PoolKey, dev.berth.core.prepared.PreparedStatementRegistry> registries;

    private final dev.berth.server.metrics.BerthMetrics metrics;
    private final BackendHealth health;
    private volatile boolean paused;
    private final java.util.List<Runnable> onResume = new java.util.ArrayList<>();
    private volatile AuthFile currentAuthFile;
    private AdminConsole admin;

    ProxyContext(BerthConfig config, AuthFile authFile, PoolRegistry pools, CancelRegistry cancels, BackendCredentialStore credentials,
                 java.util.function.Function<PoolKey, dev.berth.core.prepared.PreparedStatementRegistry> registries,
                 dev.berth.server.metrics.BerthMetrics metrics, BackendHealth health) {
        this.registries = registries;
        this.currentAuthFile = authFile;
        this.metrics = metrics;
        this.health = health;
        this.config = config;
        this.authFile = authFile;
        this.pools = pools;
        this.cancels = cancels;
        this.credentials = credentials;
        random.nextBytes(unknownUserKey);
    }

    BerthConfig config() {
        return config;
    }

    PoolRegistry pools() {
        return pools;
    }

    CancelRegistry cancels() {
        return cancels;
    }

    BackendCredentialStore credentials() {
        return credentials;
    }

    dev.berth.server.metrics.BerthMetrics metrics() {
        return metrics;
    }

    BackendHealth health() {
        return health;
    }

    boolean paused() {
        return paused;
    }

    /** PAUSE: new transactions wait (up to --connection-timeout) until RESUME. */
    void paused(boolean value) {
        java.util.List<Runnable> wake;
        synchronized (onResume) {
            paused = value;
            if (value) {
                return;
            }
            wake = new java.util.ArrayList<>(onResume);
            onResume.clear();
        }
        wake.forEach(Runnable::run);
    }

    /** Runs {@code action} when Berth is resumed (at once if it is not paused any more). */
    void whenResumed(Runnable action) {
        synchronized (onResume) {
            if (paused) {
                onResume.add(action);
                return;
            }
        }
        action.run();
    }

    AdminConsole admin() {
        return admin;
    }

    void admin(AdminConsole console) {
        this.admin = console;
    }

    /** RELOAD: a new auth file for logins from now on. */
    void authFile(AuthFile file) {
        currentAuthFile = file;
        credentials.authFile(file);
    }

    /** The prepared statements known in a pool (transaction pooling). */
    dev.berth.core.prepared.PreparedStatementRegistry statementRegistry(PoolKey key) {
        return registries.apply(key);
    }

    ClientAuthenticator newAuthenticator(String user) {
        return new ClientAuthenticator(config.authType(), currentAuthFile, user, random, unknownUserKey);
    }

    /** The pool for a client's (database, user): the --backend URL's database and user win when it has them. */
    PoolKey poolKeyFor(String database, String user) {
        String db = config.backend().database() != null ? config.backend().database() : database;
        String u = config.backend().user() != null ? config.backend().user() : user;
        return new PoolKey(db, u);
    }

    void clientOpened(ClientSession client) {
        clients.add(client);
    }

    void clientClosed(ClientSession client) {
        clients.remove(client);
    }

    Set<ClientSession> clients() {
        return clients;
    }
}
