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

/**
 * One backend connection Berth opened and logged in to PostgreSQL, and the last handler of its channel.
 * It holds the connection's state and hands each phase to its own class: {@link BackendLogin} until the
 * first ReadyForQuery, {@link ServerRelay} while a client is linked, {@link InternalQuery} for Berth's
 * own queries, {@link ServerCleanup} after a client leaves; {@link ServerLifecycle} takes it into the pool
 * and out, every close with a {@link CloseReason}; {@link CancelGate} holds it back for cancel requests.
 */
public final class ServerConnection extends ChannelInboundHandlerAdapter implements PooledServer {
    enum State { LOGIN, IDLE, INTERNAL_QUERY, LINKED, CLOSED }

    private final Pool<ServerConnection> pool;
    private final PoolRoute route;
    private final BackendLogin login;
    private final ServerLifecycle lifecycle;
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
    private final CancelGate cancels = new CancelGate(this);
    /** How long a check may take (the server connect timeout this connection was opened with). */
    private long checkTimeoutMs;

    ServerConnection(Pool<ServerConnection> pool, PoolRoute route, BackendLogin login, ServerRelay relay, PoolMetrics metrics) {
        this.pool = pool;
        this.route = route;
        this.login = login;
        this.relay = relay;
        this.lifecycle = new ServerLifecycle(this, pool, route, metrics, login);
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
            lifecycle.ready();
        }
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
        if (!cancels.defer(() -> pool.release(this))) {
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

    /** On this connection's loop: see {@link CancelGate#cancelling}. */
    public boolean cancelling(LinkedClient requester) {
        return cancels.cancelling(requester);
    }

    /** On this connection's loop: see {@link CancelGate#cancellingForTimeout}. */
    public boolean cancellingForTimeout(LinkedClient requester, long busySince, long timeoutMs) {
        return cancels.cancellingForTimeout(requester, busySince, timeoutMs);
    }

    /** When this connection's requests, transactions and rests began (read by the timeout sweep). */
    public ServerActivity activity() {
        return relay.activity();
    }

    /** A cancel registered by {@link #cancelling} was answered (or never sent): what waited for it runs, on this loop. */
    public void cancelAnswered() {
        cancels.answered();
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
        lifecycle.closed();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        lifecycle.failed(cause);
    }

    // ---- PooledServer ----

    @Override
    public boolean isUsable() {
        State current = state;
        return (current == State.IDLE || current == State.LINKED) && channel.isActive();
    }

    @Override
    public void close(CloseReason reason, String detail) {
        lifecycle.close(reason, detail);
    }

    @Override
    public Object affinity() {
        return channel.eventLoop();
    }

    @Override
    public ServerAge age() {
        return lifecycle.age();
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

    ServerLifecycle lifecycle() {
        return lifecycle;
    }

    CancelGate cancels() {
        return cancels;
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
