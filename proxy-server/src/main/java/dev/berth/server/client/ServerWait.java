package dev.berth.server.client;

import dev.berth.core.config.PoolMode;
import dev.berth.core.config.RuntimeConfig;
import dev.berth.core.pool.BackendBudget;
import dev.berth.core.pool.ConnectionBudgets;
import dev.berth.core.pool.Pool;
import dev.berth.core.pool.PoolKey;
import dev.berth.core.pool.PoolRoute;
import dev.berth.core.pool.PoolStats;
import dev.berth.core.pool.Waiter;
import dev.berth.core.protocol.ErrorResponse;
import dev.berth.core.protocol.SqlState;
import dev.berth.core.session.ParameterSync;
import dev.berth.core.session.ParameterView;
import dev.berth.server.PoolRegistry;
import dev.berth.core.session.SetConfigRequest;
import dev.berth.server.ProxyContext;
import dev.berth.server.backend.ServerConnection;
import dev.berth.server.lifecycle.PauseGate;

import java.util.List;
import java.util.Map;
import java.util.logging.Logger;

/**
 * A client's way to a server: it waits in its pool's queue (or at the pause gate while Berth is
 * paused), gets a server or a clear 53300 after the connection timeout, and has the server brought in
 * line with its parameters before anything of its own is sent.
 */
final class ServerWait implements Waiter<ServerConnection>, PauseGate.Held {
    private static final Logger LOG = Logger.getLogger(ServerWait.class.getName());
    private final ClientSession session;
    private long waitStartNanos;
    /** The client is in its pool's queue (or at the pause gate), not granted at once. */
    private boolean queued;
    /** Held at the pause gate, not yet in the pool's queue. */
    private boolean deferredByPause;

    ServerWait(ClientSession session) {
        this.session = session;
    }

    void acquire() {
        ClientSession s = session;
        if (s.pool() == null) {
            ProxyContext proxy = s.proxy();
            PoolRoute route = RuntimeConfig.routeFor(s.config(), s.database(), s.user());
            if (route == null) {
                s.end().failLogin(PoolRegistry.noSuchDatabase(s.config(), s.database()));
                return;
            }
            ErrorResponse refused = proxy.clients().caps().admit(s.config(), route.key().database(), s.user());
            if (refused != null) {
                s.end().failLogin(refused);
                return;
            }
            Pool<ServerConnection> pool = proxy.pools().join(route, s.config().maxPools());
            if (pool == null) {
                proxy.clients().caps().leave(route.key().database(), s.user());
                s.end().failLogin(PoolRegistry.tooManyPools(s.config().maxPools(), route.key()));
                return;
            }
            s.identify(s.user().intern(), s.database().intern()); // one copy of each name for all the clients that use it
            s.joinPool(pool, proxy.clients().countsFor(pool.key()), proxy.metrics().pool(pool.key()));
            if (s.mode() != PoolMode.SESSION && greetedWithoutServer()) {
                return;
            }
        }
        s.moveTo(ClientState.WAITING_FOR_SERVER);
        waitStartNanos = System.nanoTime();
        if (s.proxy().pauseGate().hold(this, waitStartNanos)) {
            queued = true;
            deferredByPause = true;
            return;
        }
        s.pool().acquire(this);
        if (s.state() == ClientState.WAITING_FOR_SERVER) {
            queued = true; // not granted at once: a grant from another loop arrives as a task after this
        }
    }

    /**
     * Transaction pooling: a login whose greeting the pool learned from an earlier login with the same settings
     * completes at once, as in pgbouncer; its parameters are set on a server when it first has work.
     */
    private boolean greetedWithoutServer() {
        ClientSession s = session;
        ServerConnection newest = s.pool().newest();
        if (newest == null) {
            return false; // no server yet: the first login learns from one
        }
        ParameterView view = s.proxy().greetings(s.pool().key()).find(s.login().startupSettings(), newest.parameters().initial());
        if (view == null) {
            return false;
        }
        s.login().complete(view);
        s.moveTo(ClientState.IDLE);
        if (s.end().draining()) {
            s.end().betweenTransactions();
        }
        return true;
    }

    /** RESUME: join the pool's queue, keeping the time the wait began. */
    @Override
    public void resumed() {
        session.executor().execute(() -> {
            if (deferredByPause && session.state() == ClientState.WAITING_FOR_SERVER) {
                deferredByPause = false;
                session.pool().acquire(this, waitStartNanos);
            }
        });
    }

    /** Still paused after the connection timeout: as at the pool's timeout, a logged-in client keeps its connection. */
    @Override
    public void pauseExpired() {
        session.executor().execute(() -> {
            if (deferredByPause && session.state() == ClientState.WAITING_FOR_SERVER) {
                deferredByPause = false;
                session.metrics().acquireTimedOut();
                waitFailed(ErrorResponse.error(SqlState.TOO_MANY_CONNECTIONS, "no backend connection within "
                        + session.config().connectionTimeoutMs() + " ms: Berth is paused (RESUME on the admin console)"));
            }
        });
    }

    /** The client leaves while waiting. */
    void withdraw() {
        if (deferredByPause) {
            session.proxy().pauseGate().leave(this);
        } else if (session.pool() != null) {
            session.pool().cancelWait(this);
        }
    }

    /** The pool's sweep found this client waiting longer than the connection timeout, and withdrew it. */
    @Override
    public void waitExpired() {
        session.executor().execute(() -> {
            if (session.state() == ClientState.WAITING_FOR_SERVER) {
                timedOut();
            }
        });
    }

    /**
     * The wait passed the connection timeout. A client whose login completed keeps its connection: the
     * work it queued fails with the error as ERROR, as a failing statement would (an application's own pool
     * keeps its connections through a burst). Before login there is no session to keep: FATAL.
     */
    private void timedOut() {
        session.metrics().acquireTimedOut();
        waitFailed(timeoutError());
    }

    /** The wait ended without a server: before login FATAL, after it ERROR for the queued work. */
    private void waitFailed(ErrorResponse error) {
        if (!session.login().loggedIn()) {
            session.end().failLogin(error);
            return;
        }
        LOG.warning(() -> session.describe() + " waited past --connection-timeout: " + error);
        session.metrics().errorToClient(error.sqlState());
        session.relay().failQueued(error);
    }

    private ErrorResponse timeoutError() {
        Pool<ServerConnection> pool = session.pool();
        long timeout = session.config().connectionTimeoutMs();
        ErrorResponse lastError = pool.lastOpenError();
        if (pool.hasNoServer() && lastError != null) {
            if (lastError.sqlState().startsWith("08") || lastError.sqlState().equals("57P03")) {
                // retried until now: the backend is down or restarting
                return ErrorResponse.error(SqlState.CONNECTION_FAILURE, "backend " + pool.route().address()
                        + " unavailable: no connection within " + timeout + " ms (pool " + pool.key() + "; last attempt: "
                        + lastError.message() + ")").withHint("Berth keeps retrying; the pool is refilled once PostgreSQL accepts connections");
            }
            return new ErrorResponse("ERROR", lastError.sqlState(), lastError.message(), lastError.detail(), lastError.hint());
        }
        PoolStats stats = pool.stats();
        if (stats.active() + stats.idle() + stats.tested() == 0 && stats.opening() > 0) {
            return ErrorResponse.error(SqlState.CONNECTION_FAILURE, "backend " + pool.route().address()
                    + " did not accept a connection within " + timeout + " ms (pool " + stats.key() + ")");
        }
        String message = "no backend connection available within " + timeout + " ms (pool " + stats.key() + ": "
                + stats.active() + "/" + stats.max() + " in use, " + stats.waiting() + " waiting" + spentCap(stats.key()) + ")";
        return ErrorResponse.error(SqlState.TOO_MANY_CONNECTIONS, message)
                .withHint("raise --pool-max or --connection-timeout, or look for clients holding connections");
    }

    /** Which cap shared with other pools is spent, if one is: the reason the pool could not open more. */
    private String spentCap(PoolKey key) {
        ConnectionBudgets budgets = session.proxy().pools().budgets();
        BackendBudget all = budgets.global();
        BackendBudget database = budgets.database(key.database());
        BackendBudget user = budgets.user(key.user());
        if (all.used() >= all.cap()) {
            return "; all " + all.cap() + " connections of --max-backend-connections in use";
        } else if (database != null && database.used() >= database.cap()) {
            return "; all " + database.cap() + " connections of max_db_connections for database " + key.database() + " in use";
        } else if (user != null && user.used() >= user.cap()) {
            return "; all " + user.cap() + " connections of max_user_connections for user " + key.user() + " in use";
        }
        return "";
    }

    /**
     * The pool could not open a server and has none that could come free. Before login: FATAL. A logged-in
     * client keeps its connection, as at the connection timeout: its work fails with the error as ERROR.
     */
    @Override
    public void failed(ErrorResponse error) {
        session.executor().execute(() -> {
            if (session.state() != ClientState.WAITING_FOR_SERVER) {
                return;
            }
            if (!session.login().loggedIn()) {
                session.end().failLogin(error);
                return;
            }
            ErrorResponse asError = new ErrorResponse("ERROR", error.sqlState(), error.message(), error.detail(), error.hint());
            LOG.warning(() -> session.describe() + " got no server: " + asError);
            session.metrics().errorToClient(asError.sqlState());
            session.relay().failQueued(asError);
        });
    }

    /**
     * The pool grants a server: at once when the grant happens on this client's loop (an idle server
     * taken in {@link #acquire}, or one another client of this loop released), otherwise as a task.
     */
    @Override
    public void granted(ServerConnection granted) {
        if (session.executor().inEventLoop()) {
            link(granted);
        } else {
            session.executor().execute(() -> link(granted));
        }
    }

    /** Where the client runs: the pool prefers a server of the same event loop. */
    @Override
    public Object affinity() {
        return session.ctx().channel().eventLoop();
    }

    @Override
    public PoolKey poolKey() {
        return session.poolKey();
    }

    private void link(ServerConnection granted) {
        ClientSession s = session;
        if (s.state() != ClientState.WAITING_FOR_SERVER) {
            s.pool().release(granted); // never linked, so still at rest
            return;
        }
        if (!granted.link(s.link(), s.statements(), s.mode())) {
            // it closed between the grant and now (the pool has removed it): wait on for another, as before
            s.pool().acquire(this, waitStartNanos);
            if (s.state() == ClientState.WAITING_FOR_SERVER) {
                queued = true;
            }
            return;
        }
        s.metrics().acquired(queued ? System.nanoTime() - waitStartNanos : 0); // 0: granted at once, within acquire
        queued = false;
        s.server(granted);
        s.relay().linked();
        s.moveTo(ClientState.SYNCING);
        ClientLogin login = s.login();
        ParameterView matched = s.view();
        // once logged in, the view's settings: the startup settings with what the client SET since
        Map<String, String> settings = login.loggedIn() ? matched.settings() : login.startupSettings();
        if (login.loggedIn() && granted.parameters().syncedView() == matched) {
            inLine(granted); // the server's last client had the same parameters, and nothing changed since
            return;
        }
        Map<String, String> clientView = login.loggedIn() ? matched.reported() : loginView(granted, settings);
        List<ParameterSync.Change> changes = ParameterSync.changes(clientView, settings, granted.parameters().reported(), granted.parameters().applied());
        if (changes.isEmpty()) {
            granted.parameters().syncedView(matched);
            inLine(granted);
            return;
        }
        granted.runInternalRequest(SetConfigRequest.set(s.ctx().alloc(), changes), error -> s.executor().execute(() -> {
            if (s.state() != ClientState.SYNCING) {
                return;
            }
            if (error != null) {
                s.end().failLogin(error);
            } else {
                granted.parameters().applied(ParameterSync.unreported(settings, granted.parameters().reported()));
                granted.parameters().syncedView(matched);
                inLine(granted);
            }
        }));
    }

    /**
     * At login the client is to see what PostgreSQL gives a new connection: the values this pool's server
     * reported when it logged in (never what its last client left), with the client's startup settings.
     */
    private static Map<String, String> loginView(ServerConnection granted, Map<String, String> settings) {
        return ParameterSync.loginView(granted.parameters().initial(), settings);
    }

    /** The server matches this client's parameters: complete the login, or send what the client queued. */
    private void inLine(ServerConnection granted) {
        ClientSession s = session;
        if (!s.login().loggedIn()) {
            ParameterView view = ParameterView.of(granted.parameters().reported(), s.login().startupSettings());
            s.login().complete(view);
            if (s.mode() != PoolMode.SESSION) {
                s.proxy().greetings(s.pool().key()).learn(s.login().startupSettings(), granted.parameters().initial(), view);
                if (s.queued().isEmpty()) {
                    s.relay().release(granted);
                    s.ctx().channel().config().setAutoRead(true);
                    return;
                }
            }
        }
        s.moveTo(ClientState.LINKED);
        s.relay().sendQueued();
        if (s.end().draining()) {
            granted.reportIfAtRest(s.link()); // a session-mode login with nothing queued is at rest already
        }
    }
}
