package dev.berth.server;

import dev.berth.core.auth.ClientAuthenticator;
import dev.berth.core.config.PoolMode;
import dev.berth.core.config.SessionStatePolicy;
import dev.berth.core.prepared.ClientStatements;
import dev.berth.core.session.ParameterSync;
import dev.berth.core.session.ParameterView;
import dev.berth.core.session.SessionStateDetector;
import dev.berth.core.pool.Pool;
import dev.berth.core.pool.PoolKey;
import dev.berth.core.pool.PoolStats;
import dev.berth.core.pool.Waiter;
import dev.berth.core.protocol.ErrorResponse;
import dev.berth.core.protocol.MessageType;
import dev.berth.core.protocol.Messages;
import dev.berth.core.protocol.ProtocolException;
import dev.berth.core.protocol.SqlState;
import dev.berth.core.protocol.StartupPacket;
import dev.berth.core.session.StartupParameters;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One client connection: startup, authentication, waiting for a server, then relaying. In session mode
 * the client holds its server from login to disconnect; in transaction mode it holds one only while a
 * transaction or protocol work is in flight, and gets one again (brought in line with its parameters)
 * when it next sends something. Every disconnect Berth decides goes through {@link #disconnect}, with a
 * SQLSTATE the client sees and a reason the log records.
 */
final class ClientSession extends ChannelInboundHandlerAdapter implements Waiter<ServerConnection> {
    private static final Logger LOG = Logger.getLogger(ClientSession.class.getName());

    private enum State { STARTUP, AUTHENTICATING, WAITING_FOR_SERVER, SYNCING, LINKED, IDLE, ADMIN, CLOSED }

    private final ProxyContext proxy;
    private ChannelHandlerContext ctx;
    private volatile State state = State.STARTUP;
    private String user;
    private String database;
    private StartupParameters startupParameters;
    private ClientAuthenticator authenticator;
    private volatile Pool<ServerConnection> pool;
    private volatile ServerConnection server;
    private ScheduledFuture<?> loginTimeout;
    /** Only while Berth is paused: the wait's deadline (otherwise the pool's sweep keeps it). */
    private ScheduledFuture<?> waitTimeout;
    /** The client is in its pool's queue (or waiting for RESUME), not granted at once. */
    private boolean queued;
    /** Messages a client sent while it had no server (or before its login completed); sent once it has one. */
    private final ArrayDeque<ByteBuf> early = new ArrayDeque<>(2);
    private long earlyBytes;
    static final int QUEUE_LIMIT_BYTES = 64 * 1024;
    private boolean flushServer;
    private int processId;
    private int secretKey;
    private boolean loggedIn;
    /** Transaction pooling: the client ran something that leaves session state, so it keeps its server. */
    private boolean pinned;
    /** Messages handed to the linked server since it was linked (see {@link #serverAtRest}). */
    private int sent;
    /**
     * The parameter values this client has seen reported and its startup settings (servers are brought
     * in line with them); shared with every client that has the same. Set at login, replaced on each
     * ParameterStatus the client receives (on the server's loop, before the release that orders it).
     */
    private volatile ParameterView view;
    private final ClientStatements statements = new ClientStatements();
    private dev.berth.server.metrics.PoolMetrics metrics;
    private volatile long waitStartNanos;
    private final long connectedAtMillis = System.currentTimeMillis();
    /** Waiting for PAUSE to end, not yet in the pool's queue. */
    private boolean deferredByPause;

    ClientSession(ProxyContext proxy) {
        this.proxy = proxy;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        long timeout = proxy.config().clientLoginTimeoutMs();
        loginTimeout = ctx.executor().schedule(() -> disconnect(SqlState.CONNECTION_FAILURE,
                "login not completed within " + timeout + " ms (--client-login-timeout)", Level.INFO), timeout, TimeUnit.MILLISECONDS);
        proxy.clientOpened(this);
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf frame = (ByteBuf) msg;
        switch (state) {
            case LINKED -> relay(frame);
            case ADMIN -> proxy.admin().handle(ctx, frame, describe());
            case STARTUP -> {
                try {
                    startup(StartupPacket.decode(frame));
                } finally {
                    frame.release();
                }
            }
            case AUTHENTICATING -> {
                try {
                    authStep(authenticator.onPasswordMessage(ctx.alloc(), frame));
                } finally {
                    frame.release();
                }
            }
            case IDLE -> {
                if (!answeredWithoutServer(frame)) {
                    queue(frame);
                    acquireServer();
                }
            }
            case WAITING_FOR_SERVER, SYNCING -> {
                if (early.isEmpty() && MessageType.of(frame) == MessageType.TERMINATE) {
                    frame.release(); // nothing of this client's waits for a server: leave the queue now
                    close();
                } else {
                    queue(frame);
                }
            }
            default -> ReferenceCountUtil.release(frame);
        }
    }

    /**
     * Keeps a message until the client has a server. The client is read on while it waits (most send one
     * request and wait for its answer; toggling reads costs two system calls), until it has queued
     * {@link #QUEUE_LIMIT_BYTES}.
     */
    private void queue(ByteBuf frame) {
        early.add(frame);
        earlyBytes += frame.readableBytes();
        if (earlyBytes > QUEUE_LIMIT_BYTES) {
            ctx.channel().config().setAutoRead(false); // resumed by linked()
        }
    }

    private void relay(ByteBuf frame) {
        byte type = MessageType.of(frame);
        if (type == MessageType.TERMINATE) {
            frame.release();
            close();
            return;
        }
        sent++;
        flushServer = true;
        metrics.fromClient(frame.readableBytes());
        if (proxy.config().poolMode() != PoolMode.SESSION && (type == MessageType.QUERY || type == MessageType.PARSE)
                && mayHaveEffect(frame, type)) {
            SessionStateDetector.Effect effect = inspectSessionState(frame, type);
            if (effect.berthStatement() != null) {
                // Berth's server-side statements are shared; SQL EXECUTE/DEALLOCATE must not reach them
                server.reject(frame, ErrorResponse.error("26000", "prepared statement \"" + effect.berthStatement()
                        + "\" does not exist"), this);
                return;
            }
            if (effect.pins() && proxy.config().sessionState() == SessionStatePolicy.REJECT) {
                LOG.fine(() -> describe() + " statement rejected: " + effect.pinReason());
                server.reject(frame, ErrorResponse.error(SqlState.FEATURE_NOT_SUPPORTED, effect.pinReason()
                        + " is not allowed in transaction pooling: it would leave session state on a shared server connection"
                        + " (--session-state reject)").withHint("use SET LOCAL inside a transaction, or a session-mode pool"), this);
                return;
            }
        }
        server.write(frame, this);
    }

    /**
     * Transaction pooling, no server held: a Parse of a statement Berth already knows, a Close of a
     * statement, a Sync and a Flush need no server, so Berth answers them itself. Besides saving a round
     * trip, this keeps clients that prepare synchronously outside a transaction (pgbench -M prepared,
     * asyncpg) from waiting for a server that other clients hold while they wait on this one.
     */
    private boolean answeredWithoutServer(ByteBuf frame) {
        byte type = MessageType.of(frame);
        switch (type) {
            case MessageType.PARSE -> {
                ByteBuf p = Messages.payload(frame);
                String name = Messages.readCString(p);
                if (name.isEmpty() || statements.get(name) != null) {
                    return false; // the unnamed statement lives on a server; a reused name gets PostgreSQL's own error
                }
                String query = Messages.readCString(p);
                int[] types = new int[p.readUnsignedShort()];
                for (int i = 0; i < types.length; i++) {
                    types[i] = p.readInt();
                }
                dev.berth.core.prepared.StatementKey key = new dev.berth.core.prepared.StatementKey(query, types);
                String serverName = proxy.statementRegistry(pool.key()).knownName(key);
                if (serverName == null) {
                    return false; // never prepared: a server must check it
                }
                if (mayHaveEffect(frame, type)) {
                    inspectSessionState(query);
                }
                statements.put(name, key, serverName);
                ctx.write(Messages.PARSE_COMPLETE.duplicate());
            }
            case MessageType.CLOSE -> {
                ByteBuf p = Messages.payload(frame);
                if (p.readByte() != 'S') {
                    return false;
                }
                statements.remove(Messages.readCString(p));
                ctx.write(Messages.CLOSE_COMPLETE.duplicate());
            }
            case MessageType.SYNC -> ctx.writeAndFlush(Messages.readyForQuery(ctx.alloc(), (byte) 'I'));
            case MessageType.FLUSH -> ctx.flush();
            default -> {
                return false;
            }
        }
        frame.release();
        return true;
    }

    /** Whether a Query or Parse needs the session-state check; a malformed one goes on to it and its error. */
    private static boolean mayHaveEffect(ByteBuf frame, byte type) {
        int start = frame.readerIndex() + 5;
        int end = frame.writerIndex();
        if (type == MessageType.PARSE) {
            start = frame.indexOf(start, end, (byte) 0) + 1; // past the statement name
        }
        int nul = start <= 0 ? -1 : frame.indexOf(start, end, (byte) 0);
        return nul < 0 || SessionStateDetector.mayHaveEffect(frame, start, nul);
    }

    /** Transaction pooling: notices statements that would leave state on the server, and pins the client. */
    private SessionStateDetector.Effect inspectSessionState(ByteBuf frame, byte type) {
        ByteBuf payload = Messages.payload(frame);
        if (type == MessageType.PARSE) {
            Messages.readCString(payload); // statement name
        }
        return inspectSessionState(Messages.readCString(payload));
    }

    private SessionStateDetector.Effect inspectSessionState(String sql) {
        SessionStateDetector.Effect effect = SessionStateDetector.inspect(sql,
                view == null ? Set.of() : view.reportedNamesLower());
        if (effect.pins() && !pinned && proxy.config().sessionState() == SessionStatePolicy.PIN) {
            pinned = true;
            metrics.pinned();
            LOG.fine(() -> describe() + " pinned to its server: " + effect.pinReason());
        }
        return effect;
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (flushServer) {
            flushServer = false;
            ServerConnection s = server;
            if (s != null) {
                s.flush();
            }
        }
    }

    // ---- startup and login ----

    private void startup(StartupPacket packet) {
        switch (packet.kind()) {
            case SSL_REQUEST, GSSENC_REQUEST -> ctx.writeAndFlush(Messages.NO_ENCRYPTION.duplicate());
            case CANCEL_REQUEST -> {
                proxy.cancels().forward(packet.cancelProcessId(), packet.cancelSecretKey(), remote());
                close();
            }
            case STARTUP -> login(packet);
        }
    }

    private void login(StartupPacket packet) {
        Map<String, String> params = packet.parameters();
        user = params.get("user");
        if (user == null || user.isEmpty()) {
            disconnect(SqlState.INVALID_AUTHORIZATION, "no PostgreSQL user name specified in startup packet", Level.INFO);
            return;
        }
        database = params.getOrDefault("database", user);
        if (database.isEmpty()) {
            database = user;
        }
        try {
            startupParameters = StartupParameters.from(params);
        } catch (ProtocolException e) {
            disconnect(SqlState.PROTOCOL_VIOLATION, e.getMessage(), Level.INFO);
            return;
        }
        if (packet.minorVersion() > 0 || !packet.protocolOptions().isEmpty()) {
            ctx.write(Messages.negotiateProtocolVersion(ctx.alloc(), packet.protocolOptions()));
        }
        authenticator = proxy.newAuthenticator(user);
        state = State.AUTHENTICATING;
        authStep(authenticator.start(ctx.alloc()));
    }

    private void authStep(ClientAuthenticator.Step step) {
        if (step instanceof ClientAuthenticator.Challenge challenge) {
            ctx.writeAndFlush(challenge.message());
        } else if (step instanceof ClientAuthenticator.Success success) {
            authenticator = null; // its exchange state is not needed any more
            if (success.finalMessage() != null) {
                ctx.write(success.finalMessage());
            }
            if (success.scramClientKey() != null) {
                proxy.credentials().learnScramClientKey(user, success.scramClientKey());
            }
            if (AdminConsole.DATABASES.contains(database)) {
                startAdmin();
                return;
            }
            acquireServer();
        } else if (step instanceof ClientAuthenticator.Failure failure) {
            LOG.warning(describe() + " login failed: " + failure.logReason());
            disconnect(failure.sqlState(), failure.message(), null);
        }
    }

    private void startAdmin() {
        if (!proxy.config().adminUsers().contains(user)) {
            LOG.warning(describe() + " refused on the admin console: not in --admin-users");
            disconnect(SqlState.INVALID_AUTHORIZATION, "user \"" + user + "\" is not allowed on the admin console (see --admin-users)", null);
            return;
        }
        loginTimeout.cancel(false);
        loginTimeout = null;
        loggedIn = true;
        state = State.ADMIN;
        long keys = proxy.cancels().register(this);
        processId = (int) (keys >>> 32);
        secretKey = (int) keys;
        LOG.info(describe() + " opened the admin console");
        proxy.admin().greet(ctx, processId, secretKey);
    }

    private void acquireServer() {
        if (pool == null) {
            pool = proxy.pools().poolFor(proxy.poolKeyFor(database, user));
            metrics = proxy.metrics().pool(pool.key());
            user = user.intern(); // one copy of each name for all the clients that use it
            database = database.intern();
        }
        state = State.WAITING_FOR_SERVER;
        waitStartNanos = System.nanoTime();
        if (proxy.paused()) {
            queued = true;
            waitTimeout = ctx.executor().schedule(this::waitTimedOut, proxy.config().connectionTimeoutMs(), TimeUnit.MILLISECONDS);
            deferredByPause = true;
            proxy.whenResumed(() -> ctx.executor().execute(() -> {
                if (deferredByPause && state == State.WAITING_FOR_SERVER) {
                    deferredByPause = false;
                    pool.acquire(this);
                }
            }));
            return;
        }
        pool.acquire(this);
        if (state == State.WAITING_FOR_SERVER) {
            queued = true; // not granted at once: a grant from another loop arrives as a task after this
        }
    }

    /** The pool's sweep found this client waiting longer than --connection-timeout, and withdrew it. */
    void waitExpired() {
        ctx.executor().execute(() -> {
            if (state == State.WAITING_FOR_SERVER) {
                timedOut();
            }
        });
    }

    private void waitTimedOut() {
        if (deferredByPause) {
            deferredByPause = false;
            metrics.acquireTimedOut();
            disconnect(SqlState.TOO_MANY_CONNECTIONS, "no backend connection within " + proxy.config().connectionTimeoutMs()
                    + " ms: Berth is paused (RESUME on the admin console)", Level.WARNING);
            return;
        }
        if (state == State.WAITING_FOR_SERVER && pool.cancelWait(this)) {
            timedOut(); // resumed, queued, and the deadline set when it started waiting has passed
        }
    }

    private void timedOut() {
        metrics.acquireTimedOut();
        long timeout = proxy.config().connectionTimeoutMs();
        ErrorResponse lastError = pool.lastOpenError();
        if (pool.hasNoServer() && lastError != null) {
            failLogin(lastError);
            return;
        }
        PoolStats stats = pool.stats();
        if (stats.active() + stats.idle() == 0 && stats.opening() > 0) {
            disconnect(SqlState.CONNECTION_FAILURE, "backend " + proxy.config().backend().address()
                    + " did not accept a connection within " + timeout + " ms (pool " + stats.key() + ")", Level.WARNING);
            return;
        }
        int used = proxy.pools().budget().used();
        int cap = proxy.pools().budget().cap();
        String message = "no backend connection available within " + timeout + " ms (pool " + stats.key() + ": "
                + stats.active() + "/" + stats.max() + " in use, " + stats.waiting() + " waiting"
                + (used >= cap ? "; all " + cap + " connections of --max-backend-connections in use" : "") + ")";
        disconnect(new ErrorResponse("FATAL", SqlState.TOO_MANY_CONNECTIONS, message, null,
                "raise --pool-max or --connection-timeout, or look for clients holding connections"), Level.WARNING);
    }

    /**
     * The pool grants a server: at once when the grant happens on this client's loop (an idle server
     * taken in {@link #acquireServer}, or one another client of this loop released), otherwise as a task.
     */
    @Override
    public void granted(ServerConnection granted) {
        if (ctx.executor().inEventLoop()) {
            link(granted);
        } else {
            ctx.executor().execute(() -> link(granted));
        }
    }

    @Override
    public Object affinity() {
        return ctx.channel().eventLoop();
    }

    private void link(ServerConnection granted) {
        if (state != State.WAITING_FOR_SERVER) {
            pool.release(granted); // never linked, so still at rest
            return;
        }
        if (waitTimeout != null) {
            waitTimeout.cancel(false);
            waitTimeout = null;
        }
        metrics.acquired(queued ? System.nanoTime() - waitStartNanos : 0); // 0: granted at once, within acquireServer
        queued = false;
        server = granted;
        sent = 0;
        state = State.SYNCING;
        granted.link(this, statements);
        Map<String, String> settings = startupParameters.settings();
        ParameterView matched = view;
        if (loggedIn && granted.syncedView() == matched) {
            linked(granted); // the server's last client had the same parameters, and nothing changed since
            return;
        }
        Map<String, String> clientView = loggedIn ? matched.reported() : loginView(granted.parameters(), settings);
        String sql = ParameterSync.query(clientView, settings, granted.parameters(), granted.applied());
        if (sql == null) {
            granted.syncedView(matched);
            linked(granted);
        } else {
            granted.runInternalQuery(sql, error -> ctx.executor().execute(() -> {
                if (state != State.SYNCING) {
                    return;
                }
                if (error != null) {
                    failLogin(error);
                } else {
                    granted.applied(ParameterSync.unreported(settings, granted.parameters()));
                    granted.syncedView(matched);
                    linked(granted);
                }
            }));
        }
    }

    /** At login the client is to see the server's parameters with its startup values applied. */
    private static Map<String, String> loginView(Map<String, String> serverReported, Map<String, String> settings) {
        Map<String, String> view = new HashMap<>(serverReported);
        settings.forEach((name, value) -> {
            if (serverReported.containsKey(name)) {
                view.put(name, value);
            }
        });
        return view;
    }

    /** The server matches this client's parameters: complete the login, or send what the client queued. */
    private void linked(ServerConnection granted) {
        if (!loggedIn) {
            greet();
            if (proxy.config().poolMode() != PoolMode.SESSION && early.isEmpty()) {
                releaseServer(granted);
                ctx.channel().config().setAutoRead(true);
                return;
            }
        }
        state = State.LINKED;
        earlyBytes = 0;
        while (!early.isEmpty()) {
            relay(early.poll());
        }
        channelReadComplete(ctx);
        ctx.channel().config().setAutoRead(true);
    }

    private void releaseServer(ServerConnection s) {
        server = null;
        state = State.IDLE;
        s.releaseFromClient();
    }

    /**
     * Transaction pooling: the server answered with ReadyForQuery idle and nothing outstanding, after
     * {@code consumed} of this client's messages. If the client sent nothing since, the server goes back.
     */
    void serverAtRest(ServerConnection s, int consumed) {
        if (ctx.executor().inEventLoop()) {
            releaseIfAtRest(s, consumed);
        } else {
            ctx.executor().execute(() -> releaseIfAtRest(s, consumed));
        }
    }

    private void releaseIfAtRest(ServerConnection s, int consumed) {
        if (state == State.LINKED && server == s && sent == consumed && !pinned) {
            releaseServer(s);
        }
    }

    /** Statement pooling: the client opened a transaction block. */
    void refuseTransactionBlock() {
        ctx.executor().execute(() -> disconnect(SqlState.FEATURE_NOT_SUPPORTED,
                "transaction blocks are not allowed in statement pooling mode; use --pool-mode transaction", Level.INFO));
    }

    void parameterReported(Map.Entry<String, String> parameter) {
        ParameterView current = view;
        if (current != null) {
            view = current.with(parameter.getKey(), parameter.getValue());
        }
    }

    @Override
    public void failed(ErrorResponse error) {
        ctx.executor().execute(() -> {
            if (state == State.WAITING_FOR_SERVER) {
                if (waitTimeout != null) {
                    waitTimeout.cancel(false);
                }
                failLogin(error);
            }
        });
    }

    private void failLogin(ErrorResponse error) {
        ErrorResponse fatal = new ErrorResponse("FATAL", error.sqlState(), error.message(), error.detail(), error.hint());
        disconnect(fatal, Level.WARNING);
    }

    /** Completes the login as PostgreSQL would: AuthenticationOk, parameters, key data, ReadyForQuery. */
    private void greet() {
        loginTimeout.cancel(false);
        loginTimeout = null;
        loggedIn = true;
        long keys = proxy.cancels().register(this);
        processId = (int) (keys >>> 32);
        secretKey = (int) keys;
        view = ParameterView.of(server.parameters(), startupParameters.settings());
        // some 17 small messages: gathered into one write, as the server's own are
        Coalescer greeting = new Coalescer(ctx.alloc(), buf -> ctx.write(buf, ctx.voidPromise()));
        greeting.add(Messages.AUTHENTICATION_OK.duplicate());
        view.reported().forEach((name, value) -> greeting.add(Messages.parameterStatus(ctx.alloc(), name, value)));
        greeting.add(Messages.backendKeyData(ctx.alloc(), processId, secretKey));
        greeting.add(Messages.readyForQuery(ctx.alloc(), (byte) 'I'));
        greeting.drain();
        ctx.flush();
        LOG.fine(() -> describe() + " logged in");
    }

    // ---- called from the server's event loop ----

    void forwardFromServer(ByteBuf frame) {
        ctx.write(frame, ctx.voidPromise());
    }

    void flushToClient() {
        Channel channel = ctx.channel();
        channel.flush();
        if (!channel.isWritable()) {
            ServerConnection s = server;
            if (s != null) {
                s.channel().config().setAutoRead(false); // resumed by channelWritabilityChanged
            }
        }
    }

    void serverWritabilityChanged(boolean writable) {
        ctx.channel().config().setAutoRead(writable);
    }

    void serverLost(String reason) {
        ctx.executor().execute(() -> {
            server = null;
            disconnect(SqlState.CONNECTION_FAILURE, "server connection lost: " + reason, Level.WARNING);
        });
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        ServerConnection s = server;
        if (s != null) {
            s.channel().config().setAutoRead(ctx.channel().isWritable());
        }
        ctx.fireChannelWritabilityChanged();
    }

    // ---- cancel ----

    int processId() {
        return processId;
    }

    int secretKey() {
        return secretKey;
    }

    /** The server this client is linked to right now, or null (a cancel then has nothing to cancel). */
    ServerConnection linkedServer() {
        return state == State.LINKED ? server : null;
    }

    boolean pinned() {
        return pinned;
    }

    long waitStartNanos() {
        return waitStartNanos;
    }

    long connectedAtMillis() {
        return connectedAtMillis;
    }

    String user() {
        return user;
    }

    String database() {
        return database;
    }

    String stateName() {
        return state.name().toLowerCase(Locale.ROOT);
    }

    String remoteHost() {
        return ctx.channel().remoteAddress() instanceof InetSocketAddress a ? a.getAddress().getHostAddress() : "";
    }

    int remotePort() {
        return ctx.channel().remoteAddress() instanceof InetSocketAddress a ? a.getPort() : 0;
    }

    /** The pool this client uses, or null before its login reached one. */
    PoolKey poolKey() {
        Pool<ServerConnection> p = pool;
        return p == null ? null : p.key();
    }

    /** For the client gauges: "active" (holds a server), "waiting" (for one), "idle" (logged in, holds none). */
    String gaugeState() {
        return switch (state) {
            case LINKED, SYNCING -> "active";
            case WAITING_FOR_SERVER -> "waiting";
            case IDLE -> "idle";
            default -> null;
        };
    }

    // ---- the end ----

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof StartupPacket.UnsupportedProtocolException) {
            disconnect(SqlState.FEATURE_NOT_SUPPORTED, cause.getMessage(), Level.INFO);
        } else if (cause instanceof ProtocolException) {
            disconnect(SqlState.PROTOCOL_VIOLATION, cause.getMessage(), Level.WARNING);
        } else if (cause instanceof IOException) {
            LOG.fine(() -> describe() + " connection error: " + cause.getMessage());
            close();
        } else {
            LOG.log(Level.WARNING, describe() + " internal error", cause);
            disconnect(SqlState.INTERNAL_ERROR, "internal error in Berth: " + cause, null);
        }
    }

    void disconnect(String sqlState, String message, Level logLevel) {
        disconnect(ErrorResponse.fatal(sqlState, message), logLevel);
    }

    /** The one place Berth ends a client connection with an error: the client sees it, the log records it. */
    void disconnect(ErrorResponse error, Level logLevel) {
        if (state == State.CLOSED) {
            return;
        }
        if (logLevel != null) {
            LOG.log(logLevel, describe() + " disconnected: " + error);
        }
        if (metrics != null) {
            metrics.errorToClient(error.sqlState());
        }
        ctx.channel().config().setAutoRead(false);
        ctx.writeAndFlush(error.encode(ctx.alloc())).addListener(ChannelFutureListener.CLOSE);
        cleanUp();
    }

    private void close() {
        ctx.close();
        cleanUp();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        cleanUp();
        proxy.clientClosed(this);
        ctx.fireChannelInactive();
    }

    private void cleanUp() {
        if (state == State.CLOSED) {
            return;
        }
        State previous = state;
        state = State.CLOSED;
        if (loginTimeout != null) {
            loginTimeout.cancel(false);
        }
        if (waitTimeout != null) {
            waitTimeout.cancel(false);
        }
        while (!early.isEmpty()) {
            early.poll().release();
        }
        if (previous == State.WAITING_FOR_SERVER && pool != null) {
            pool.cancelWait(this); // if already granted, granted() sees CLOSED and gives the server back
        }
        proxy.cancels().unregister(this);
        ServerConnection s = server;
        server = null;
        if (s != null) {
            boolean reset = pinned || proxy.config().poolMode() == PoolMode.SESSION
                    || proxy.config().sessionState() == SessionStatePolicy.ALLOW;
            s.releaseAfterClient(proxy.config().serverResetQuery(), reset);
        }
    }

    io.netty.util.concurrent.EventExecutor channelExecutor() {
        return ctx.executor();
    }

    String remote() {
        return ctx.channel().remoteAddress() instanceof InetSocketAddress a
                ? a.getAddress().getHostAddress() + ":" + a.getPort() : String.valueOf(ctx.channel().remoteAddress());
    }

    String describe() {
        return "client " + remote() + (user != null ? " user=" + user + " db=" + database : "");
    }
}
