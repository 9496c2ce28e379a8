package dev.berth.server.backend;

import dev.berth.core.config.BackendUrl;
import dev.berth.core.config.PoolMode;
import dev.berth.core.pool.CloseReason;
import dev.berth.core.pool.Pool;
import dev.berth.core.pool.PoolRoute;
import dev.berth.core.pool.PooledServer;
import dev.berth.core.pool.ServerAge;
import dev.berth.core.prepared.ClientStatements;
import dev.berth.core.protocol.ErrorResponse;
import dev.berth.core.protocol.MessageType;
import dev.berth.core.protocol.Messages;
import dev.berth.core.protocol.SqlState;
import dev.berth.core.session.SessionStateDetector;
import dev.berth.core.session.TransactionTracker;
import dev.berth.server.metrics.PoolMetrics;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.util.ReferenceCountUtil;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReferenceFieldUpdater;
import java.util.function.Consumer;
import java.util.logging.Logger;

/**
 * One backend connection Berth opened and logged in to PostgreSQL, and the last handler of its channel.
 * It holds the connection's state and hands each phase to its own class: {@link BackendLogin} until the
 * first ReadyForQuery, {@link ServerRelay} while a client is linked, {@link InternalQuery} for Berth's
 * own queries, {@link ServerCleanup} after a client leaves. Every close goes through {@link #close}
 * with a {@link CloseReason}.
 */
public final class ServerConnection extends ChannelInboundHandlerAdapter implements PooledServer {
    private static final Logger LOG = Logger.getLogger(ServerConnection.class.getName());

    enum State { LOGIN, IDLE, INTERNAL_QUERY, LINKED, CLOSED }

    private final Pool<ServerConnection> pool;
    private final PoolRoute route;
    private final PoolMetrics metrics;
    private final BackendLogin login;
    private final ServerRelay relay;
    private final InternalQuery internalQuery = new InternalQuery(this);
    private final TransactionTracker tracker = new TransactionTracker();
    private final ServerParameters parameters = new ServerParameters();
    private final long connectedAtMillis = System.currentTimeMillis();
    private Channel channel;
    private static final AtomicReferenceFieldUpdater<ServerConnection, State> STATE =
            AtomicReferenceFieldUpdater.newUpdater(ServerConnection.class, State.class, "state");
    private volatile State state = State.LOGIN;
    private volatile long idleSinceNanos;
    private CloseReason closeReason;
    /** Why the connection closed if it just goes away: the server closed it, or it died while checked. */
    private CloseReason lostReason = CloseReason.SERVER_CLOSED;
    private String closeDetail;
    private final CancelGate cancels = new CancelGate();
    private volatile ServerAge age;
    /** How long a check may take (the server connect timeout this connection was opened with). */
    private long checkTimeoutMs;

    ServerConnection(Pool<ServerConnection> pool, PoolRoute route, BackendLogin login, ServerRelay relay, PoolMetrics metrics) {
        this.pool = pool;
        this.route = route;
        this.login = login;
        this.relay = relay;
        this.metrics = metrics;
    }

    // ---- login ----

    /** The TCP connection is up: log in with these startup parameters. */
    void startLogin(Channel ch, Map<String, String> startupParameters, long timeoutMs) {
        channel = ch;
        checkTimeoutMs = timeoutMs;
        relay.bind(this, ch);
        login.start(this, ch, startupParameters, timeoutMs);
    }

    /** The login completed with the first ReadyForQuery: the route's connect_query runs first, if it has one. */
    void loggedIn() {
        parameters.loggedIn();
        if (route.connectQuery() != null) {
            ConnectQuery.run(this, route.connectQuery(), checkTimeoutMs);
        } else {
            ready();
        }
    }

    /** Logged in and set up: the pool gets it. */
    void ready() {
        age = ServerAge.bornAt(System.nanoTime());
        state = State.IDLE;
        metrics.serverOpened();
        pool.opened(this);
    }

    /** The login failed: the log and the pool learn why, the connection closes. */
    void loginFailed(ErrorResponse error) {
        if (state != State.LOGIN) {
            return;
        }
        state = State.CLOSED;
        login.failed(error);
        metrics.serverFailed();
        channel.close();
        pool.openFailed(error);
    }

    /** Set-up after the login failed ({@link ConnectQuery}): closed, logged, and a failed open for the pool. */
    void connectFailed(ErrorResponse error) {
        state = State.CLOSED;
        LOG.warning("server connection " + this + " closed: " + error);
        metrics.serverFailed();
        channel.close();
        pool.openFailed(error);
    }

    // ---- what a client does with its server ----

    /**
     * Links a client; from now on server messages go to it. Called on the client's event loop while the
     * server is at rest, before the client writes anything. False when the connection closed before the
     * client could be linked (on its own loop, between the pool's grant and this call): nothing is linked,
     * and the client needs another server. A close racing this call either finds the client in the relay
     * and tells it, or this call sees the close and takes the client back; never neither.
     */
    public boolean link(LinkedClient client, ClientStatements statements, PoolMode mode) {
        relay.link(client, statements, mode);
        State current = state;
        if (current != State.CLOSED && STATE.compareAndSet(this, current, State.LINKED)) {
            return true;
        }
        return !relay.takeBack(client);
    }

    /** Forwards a client's message; the caller flushes once per read batch. */
    public void write(ByteBuf frame, LinkedClient sender) {
        relay.write(frame, sender);
    }

    /**
     * Transaction pooling: the Query or Parse just written changes the client's session ({@link
     * SessionStateDetector.Effect#changesSession}); the client is told what took effect once it has.
     */
    public void expectSessionChange(SessionStateDetector.Effect effect, LinkedClient sender) {
        relay.expectSessionChange(effect, sender);
    }

    /** Transaction pooling, a statement Berth refuses: answers the client's Query or Parse with {@code error}. */
    public void reject(ByteBuf frame, ErrorResponse error, LinkedClient sender) {
        relay.reject(frame, error, sender);
    }

    public void flush() {
        relay.flush();
    }

    /**
     * Transaction pooling: the client at rest gives the server back, at once and on the client's loop, so
     * that the client's next message finds it idle. Safe off this connection's loop: the client's
     * at-rest handshake guarantees nothing of this client is in flight here.
     */
    public void releaseFromClient() {
        unlink();
        if (!deferWhileCancelling(() -> pool.release(this))) {
            pool.release(this);
        }
    }

    /** A drain began: {@code c} hears on this loop whether it holds this server at rest now. */
    public void reportIfAtRest(LinkedClient c) {
        channel.eventLoop().execute(() -> {
            if (state == State.LINKED) {
                relay.reportIfAtRest(c);
            }
        });
    }

    // ---- cancel requests ----

    /**
     * On this connection's loop: registers a cancel request from {@code requester} if a request of that
     * client is in flight here (linked to it, and not yet answered); then the server is not handed on
     * before {@link #cancelAnswered}. False, and nothing registered, otherwise.
     */
    public boolean cancelling(LinkedClient requester) {
        cancels.opened();
        // after opened(): a release that unlinked before it sees the client gone here, one after it sees the gate
        if (state == State.LINKED && relay.linkedTo(requester) && !relay.quiet()) {
            return true;
        }
        cancelAnswered();
        return false;
    }

    /**
     * On this connection's loop: the query timeout passed for the request that was in flight since {@code
     * busySince}. If that request is still the one in flight, the cancel is registered as in {@link #cancelling}
     * and the client will get the server's 57014 as a message naming the timeout; false, nothing registered, if
     * it was answered meanwhile.
     */
    public boolean cancellingForTimeout(LinkedClient requester, long busySince, long timeoutMs) {
        if (relay.activity().busySinceNanos() != busySince || !cancelling(requester)) {
            return false;
        }
        relay.activity().cancelledForTimeout(timeoutMs, System.nanoTime());
        return true;
    }

    /** When this connection's requests, transactions and rests began (read by the timeout sweep). */
    public ServerActivity activity() {
        return relay.activity();
    }

    /** A cancel registered by {@link #cancelling} was answered (or never sent): what waited for it runs, on this loop. */
    public void cancelAnswered() {
        cancels.answered(channel.eventLoop());
    }

    /** While a cancel to this backend is unanswered, keeps {@code next} until it is; false (run it now) otherwise. */
    boolean deferWhileCancelling(Runnable next) {
        return cancels.defer(next);
    }

    public EventLoop eventLoop() {
        return channel.eventLoop();
    }

    /** The client disconnected while linked: clean up (see {@link ServerCleanup}), then back to the pool. */
    public void releaseAfterClient(String resetQuery, boolean reset) {
        channel.eventLoop().execute(() -> ServerCleanup.afterClient(this, resetQuery, reset));
    }

    /**
     * Runs one of Berth's own simple queries and swallows its results; {@code done} gets null on success
     * or the first error, on this connection's event loop.
     */
    public void runInternalQuery(String sql, Consumer<ErrorResponse> done) {
        channel.eventLoop().execute(() -> internalQuery.run(sql, done));
    }

    /**
     * Runs one of Berth's own extended-protocol requests ({@code pipeline} ends with a Sync, and is taken
     * over) and swallows its results; {@code done} as for {@link #runInternalQuery}.
     */
    public void runInternalRequest(ByteBuf pipeline, Consumer<ErrorResponse> done) {
        channel.eventLoop().execute(() -> internalQuery.run(pipeline, done));
    }

    /**
     * Sends one of Berth's own requests ({@code pipeline}, ending with a Sync) right after what the linked
     * client sent so far; its answers are swallowed but for ParameterStatus (see {@link ServerRelay}), which
     * replaces what the client's request reported of the parameters it {@code sets} (lower-case names).
     */
    public void appendRequest(ByteBuf pipeline, Set<String> sets, LinkedClient sender) {
        relay.appendOwn(pipeline, sets, sender);
    }

    /** Unlinks the client; server messages are no longer forwarded. */
    void unlink() {
        if (state == State.LINKED) {
            state = State.IDLE;
        }
        relay.unlink();
        channel.config().setAutoRead(true);
    }

    // ---- the server's messages ----

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf frame = (ByteBuf) msg;
        State current = state;
        if (current == State.LINKED && relay.fromServer(frame)) {
            return;
        }
        try {
            switch (current) {
                case LOGIN -> login.onMessage(ctx, frame);
                case INTERNAL_QUERY -> internalQuery.onMessage(frame);
                case IDLE -> idleMessage(frame);
                default -> { }
            }
        } finally {
            ReferenceCountUtil.release(frame);
        }
    }

    private void idleMessage(ByteBuf frame) {
        byte type = MessageType.of(frame);
        if (type == MessageType.PARAMETER_STATUS) {
            parameters.record(frame);
        } else if (type == MessageType.ERROR_RESPONSE) {
            // e.g. the server is shutting down or terminated this backend: it will close the connection
            close(CloseReason.SERVER_CLOSED, "server sent " + ErrorResponse.decode(frame) + " while idle");
        } else if (type != MessageType.NOTICE_RESPONSE && type != MessageType.NOTIFICATION_RESPONSE) {
            close(CloseReason.SERVER_CLOSED, "server sent unexpected message '" + (char) type + "' while idle");
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        relay.serverWritabilityChanged(ctx.channel().isWritable());
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (state == State.LINKED) {
            relay.readComplete();
        }
    }

    // ---- the end ----

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        State previous = state;
        state = State.CLOSED;
        if (previous == State.LOGIN) {
            login.connectionLost();
            pool.openFailed(ErrorResponse.fatal(SqlState.CONNECTION_FAILURE,
                    "backend " + route.address() + " closed the connection during login"));
            return;
        }
        if (closeReason == null) {
            closeReason = lostReason;
        }
        String why = describeClose();
        LOG.fine(() -> "server connection " + this + " closed: " + why);
        if (age != null) { // else its login failed: counted then as a failure, and never as opened
            metrics.serverClosed(closeReason.label());
        }
        relay.closed(why);
        pool.removed(this);
        internalQuery.connectionClosed(why);
    }

    private String describeClose() {
        return closeReason.description() + (closeDetail == null ? "" : ": " + closeDetail);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (state == State.LOGIN) {
            loginFailed(ErrorResponse.fatal(SqlState.CONNECTION_FAILURE, "backend " + route.address() + ": " + cause.getMessage()));
        } else {
            // a reset during a check is the check failing (lostReason), as a close then is
            close(lostReason == CloseReason.SERVER_CLOSED ? CloseReason.ERROR : lostReason, cause.getMessage());
        }
    }

    // ---- PooledServer ----

    @Override
    public boolean isUsable() {
        State current = state;
        return (current == State.IDLE || current == State.LINKED) && channel.isActive();
    }

    @Override
    public void close(CloseReason reason, String detail) {
        if (state == State.LOGIN) {
            channel.eventLoop().execute(() -> loginFailed(ErrorResponse.fatal(SqlState.ADMIN_SHUTDOWN,
                    reason.description() + (detail == null ? "" : ": " + detail))));
            return;
        }
        state = State.CLOSED; // unusable from now on, though the socket closes asynchronously
        if (closeReason == null) {
            closeReason = reason;
            closeDetail = detail;
        }
        if (channel.isOpen()) {
            channel.writeAndFlush(Messages.TERMINATE.duplicate()).addListener(f -> channel.close());
        }
    }

    @Override
    public Object affinity() {
        return channel.eventLoop();
    }

    @Override
    public ServerAge age() {
        return age;
    }

    /** Idle longer than the check delay: see {@link ServerCheck}. */
    @Override
    public void check(String query) {
        channel.eventLoop().execute(() -> ServerCheck.run(this, query, checkTimeoutMs));
    }

    @Override
    public long idleSinceNanos() {
        return idleSinceNanos;
    }

    @Override
    public void idleSinceNanos(long nanos) {
        idleSinceNanos = nanos;
    }

    // ---- read-outs ----

    State state() {
        return state;
    }

    void lostReason(CloseReason reason) {
        lostReason = reason;
    }

    /** Berth closed this connection for {@code reason} (on this loop). */
    boolean closedFor(CloseReason reason) {
        return closeReason == reason;
    }

    void state(State next) {
        state = next;
    }

    Channel channel() {
        return channel;
    }

    Pool<ServerConnection> pool() {
        return pool;
    }

    TransactionTracker tracker() {
        return tracker;
    }

    ServerRelay relay() {
        return relay;
    }

    InternalQuery internalQuery() {
        return internalQuery;
    }

    /** What the server reported and what Berth applied on it. */
    public ServerParameters parameters() {
        return parameters;
    }

    /** Stops or resumes reading from the server (backpressure from a slow client). */
    public void autoRead(boolean on) {
        channel.config().setAutoRead(on);
    }

    public PoolRoute route() {
        return route;
    }

    @Override
    public BackendUrl server() {
        return route.server();
    }

    public long connectedAtMillis() {
        return connectedAtMillis;
    }

    public int processId() {
        return login.processId();
    }

    public int secretKey() {
        return login.secretKey();
    }

    /** TLS protocol/cipher suite towards the backend, or empty. */
    public String tls() {
        return login.tls();
    }

    @Override
    public String toString() {
        return pool.key() + "/" + route.address() + "/pid " + login.processId();
    }
}
