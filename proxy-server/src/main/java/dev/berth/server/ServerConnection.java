package dev.berth.server;

import dev.berth.core.auth.AuthException;
import dev.berth.core.auth.BackendAuthenticator;
import dev.berth.core.config.PoolMode;
import dev.berth.core.pool.Pool;
import dev.berth.core.prepared.ClientStatements;
import dev.berth.core.prepared.PreparedStatementRegistry;
import dev.berth.core.prepared.ServerStatements;
import dev.berth.core.session.ParameterView;
import dev.berth.core.session.PreparedStatementRelay;
import dev.berth.server.metrics.PoolMetrics;
import dev.berth.core.pool.PooledServer;
import dev.berth.core.protocol.ErrorResponse;
import dev.berth.core.protocol.MessageType;
import dev.berth.core.protocol.Messages;
import dev.berth.core.protocol.SqlState;
import dev.berth.core.session.TransactionTracker;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;

import java.util.concurrent.ConcurrentHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.logging.Logger;

/**
 * One backend connection Berth opened and logged in to PostgreSQL. It is the last handler of the
 * backend channel: during login it answers the server's challenges; afterwards it relays everything to
 * the linked client, tracking ReadyForQuery and ParameterStatus; between clients it runs Berth's own
 * queries (the reset query, startup parameters) and swallows their results.
 */
final class ServerConnection extends ChannelInboundHandlerAdapter implements PooledServer {
    private static final Logger LOG = Logger.getLogger(ServerConnection.class.getName());

    private enum State { LOGIN, IDLE, INTERNAL_QUERY, LINKED, CLOSED }

    private final Pool<ServerConnection> pool;
    private final BackendAuthenticator authenticator;
    private final String address;
    private final PoolMode mode;
    private final PreparedStatementRegistry registry;
    private PreparedStatementRelay relay;
    /** Unreported settings Berth applied for the current or last client (replaced whole, read from client loops). */
    private volatile Map<String, String> applied = Map.of();
    /** The client parameters this server was last brought in line with; null once anything changed since. */
    private volatile ParameterView syncedView;
    /** Client messages processed since the current client was linked; compared with what the client sent. */
    private int consumed;
    /** Writes the relay produces; the client half is flushed after each batch. */
    private final PreparedStatementRelay.Output output = new PreparedStatementRelay.Output() {
        @Override
        public void toServer(ByteBuf frame) {
            toServer.add(frame);
        }

        @Override
        public void toClient(ByteBuf frame) {
            forwardToClient(frame);
        }
    };
    /** Messages on their way to the server and to the linked client, gathered until the next flush. */
    private Coalescer toServer;
    private Coalescer toClient;
    private boolean clientNeedsFlush;
    private final Map<String, String> parameters = new ConcurrentHashMap<>();
    private final TransactionTracker tracker = new TransactionTracker();
    private Channel channel;
    private volatile State state = State.LOGIN;
    private volatile ClientSession client;
    private volatile long idleSinceNanos;
    private int processId;
    private int secretKey;
    private ScheduledFuture<?> loginTimeout;
    private Consumer<ErrorResponse> internalQueryDone;
    private ErrorResponse internalQueryError;
    private String closeReason;

    ServerConnection(Pool<ServerConnection> pool, BackendAuthenticator authenticator, String address, PoolMode mode,
                     PreparedStatementRegistry registry, int maxPreparedStatements, PoolMetrics metrics, BackendHealth health) {
        this.metrics = metrics;
        this.health = health;
        this.pool = pool;
        this.authenticator = authenticator;
        this.address = address;
        this.mode = mode;
        this.registry = registry;
        this.maxPreparedStatements = maxPreparedStatements;
    }

    private final int maxPreparedStatements;
    private final long connectedAtMillis = System.currentTimeMillis();
    private final PoolMetrics metrics;
    private final BackendHealth health;
    /** When the current request/response cycle and the current transaction began (0: none in progress). */
    private long cycleStartNanos;
    private long transactionStartNanos;

    // ---- login ----

    void startLogin(Channel ch, Map<String, String> startupParameters, long timeoutMs) {
        this.channel = ch;
        toServer = new Coalescer(ch.alloc(), frame -> channel.write(frame, channel.voidPromise()));
        toClient = new Coalescer(ch.alloc(), frame -> {
            ClientSession linked = client;
            if (linked != null) {
                linked.forwardFromServer(frame);
            } else {
                frame.release();
            }
        });
        loginTimeout = ch.eventLoop().schedule(() -> loginFailed(ErrorResponse.fatal(SqlState.CONNECTION_FAILURE,
                "backend " + address + " did not complete login within " + timeoutMs + " ms")), timeoutMs, TimeUnit.MILLISECONDS);
        ch.writeAndFlush(Messages.startupMessage(ch.alloc(), startupParameters));
    }

    private void loginMessage(ChannelHandlerContext ctx, ByteBuf frame) {
        switch (MessageType.of(frame)) {
            case MessageType.AUTHENTICATION -> {
                try {
                    ByteBuf response = authenticator.onAuthenticationRequest(ctx.alloc(), frame);
                    if (response != null) {
                        ctx.writeAndFlush(response);
                    }
                } catch (AuthException e) {
                    loginFailed(ErrorResponse.fatal(e.sqlState(), e.getMessage()));
                }
            }
            case MessageType.PARAMETER_STATUS -> parameterStatus(frame);
            case MessageType.BACKEND_KEY_DATA -> {
                processId = frame.getInt(frame.readerIndex() + 5);
                secretKey = frame.getInt(frame.readerIndex() + 9);
            }
            case MessageType.READY_FOR_QUERY -> {
                loginTimeout.cancel(false);
                relay = new PreparedStatementRelay(new ServerStatements(maxPreparedStatements), ctx.alloc(), metrics);
                state = State.IDLE;
                metrics.serverOpened();
                health.backendAnswered();
                pool.opened(this);
            }
            case MessageType.ERROR_RESPONSE -> loginFailed(ErrorResponse.decode(frame));
            default -> { } // NoticeResponse, NegotiateProtocolVersion: nothing to do
        }
    }

    private void loginFailed(ErrorResponse error) {
        if (state != State.LOGIN) {
            return;
        }
        loginTimeout.cancel(false);
        state = State.CLOSED;
        LOG.warning("backend login to " + address + " for pool " + pool.key() + " failed: " + error);
        metrics.serverFailed();
        health.backendFailed(error.message());
        channel.close();
        pool.openFailed(error);
    }

    // ---- relay ----

    /**
     * Links a client; from now on server messages go to it. Called on the client's event loop while the
     * server is at rest, before the client writes anything.
     */
    void link(ClientSession session, ClientStatements statements) {
        consumed = 0;
        client = session;
        state = State.LINKED;
        if (mode != PoolMode.SESSION) {
            relay.attach(statements, registry);
        }
    }

    /** Unlinks the client; server messages are no longer forwarded. */
    private void unlink() {
        client = null;
        if (state == State.LINKED) {
            state = State.IDLE;
        }
        if (relay != null) {
            relay.detach();
        }
        channel.config().setAutoRead(true);
    }

    /**
     * Forwards a client's message; the caller flushes once per read batch. The tracker and the relay are
     * confined to this connection's event loop, so a write from another loop is handed over as one task
     * (as Netty itself would do for a foreign write).
     */
    void write(ByteBuf frame, ClientSession sender) {
        if (!channel.eventLoop().inEventLoop()) {
            channel.eventLoop().execute(() -> write(frame, sender));
            return;
        }
        if (client != sender) {
            frame.release(); // the client was unlinked meanwhile (it is closing)
            return;
        }
        consumed++;
        if (cycleStartNanos == 0) {
            cycleStartNanos = System.nanoTime();
            if (transactionStartNanos == 0) {
                transactionStartNanos = cycleStartNanos;
            }
        }
        tracker.clientMessage(MessageType.of(frame));
        if (mode == PoolMode.SESSION) {
            toServer.add(frame);
        } else {
            relay.fromClient(frame, output);
        }
    }

    /** Transaction pooling, --session-state reject: answers the client's Query or Parse with {@code error}. */
    void reject(ByteBuf frame, ErrorResponse error, ClientSession sender) {
        if (!channel.eventLoop().inEventLoop()) {
            channel.eventLoop().execute(() -> reject(frame, error, sender));
            return;
        }
        if (client != sender) {
            frame.release();
            return;
        }
        consumed++;
        tracker.clientMessage(MessageType.of(frame));
        relay.reject(frame, error.encode(channel.alloc()), output);
    }

    void flush() {
        if (!channel.eventLoop().inEventLoop()) {
            channel.eventLoop().execute(this::flush);
            return;
        }
        toServer.drain();
        channel.flush();
        if (clientNeedsFlush) {
            flushClient();
        }
    }

    private void forwardToClient(ByteBuf frame) {
        if (client != null) {
            metrics.toClient(frame.readableBytes());
            toClient.add(frame);
            clientNeedsFlush = true;
        } else {
            frame.release();
        }
    }

    /** Sends the linked client what it has been forwarded so far. */
    private void flushClient() {
        clientNeedsFlush = false;
        toClient.drain();
        ClientSession linked = client;
        if (linked != null) {
            linked.flushToClient();
        }
    }

    /**
     * Transaction pooling: the client at rest gives the server back, at once and on the client's loop, so
     * that the client's next message finds it idle. Safe off this connection's loop: the handshake in
     * {@link ClientSession#serverAtRest} guarantees nothing of this client is in flight here.
     */
    void releaseFromClient() {
        unlink();
        pool.release(this);
    }

    /**
     * The client disconnected while linked. A server at rest goes back to the pool, after the reset query
     * when the client may have left session state ({@code reset}); one left inside a transaction block is
     * rolled back first; one with work in flight is closed, so that no client ever gets another's
     * half-done state.
     */
    void releaseAfterClient(String resetQuery, boolean reset) {
        channel.eventLoop().execute(() -> {
            unlink();
            toClient.discard(); // what the client left unread
            if (!isUsable()) {
                pool.release(this);
                return;
            }
            boolean quiet = tracker.outstanding() == 0 && !tracker.extendedOpen() && (relay == null || relay.isEmpty());
            if (!quiet) {
                close("client left with work in flight (" + tracker.outstanding() + " outstanding)");
                pool.release(this);
                return;
            }
            String sql = (tracker.transactionStatus() != 'I' ? "ROLLBACK;" : "") + (reset ? resetQuery : "");
            if (sql.isEmpty()) {
                pool.release(this);
                return;
            }
            runInternalQuery(sql, error -> {
                if (error != null) {
                    close("cleanup after client failed: " + error);
                } else if (reset && !resetQuery.isEmpty()) {
                    applied(Map.of());
                    if (relay != null) {
                        relay.serverStatementsLost();
                    }
                }
                pool.release(this);
            });
        });
    }

    /**
     * Runs one of Berth's own simple queries and swallows its results; {@code done} gets null on success
     * or the first error, on this connection's event loop.
     */
    void runInternalQuery(String sql, Consumer<ErrorResponse> done) {
        channel.eventLoop().execute(() -> {
            if (state == State.CLOSED || !channel.isActive()) {
                done.accept(ErrorResponse.fatal(SqlState.CONNECTION_FAILURE, "server connection closed"));
                return;
            }
            state = State.INTERNAL_QUERY;
            toServer.drain();
            internalQueryDone = done;
            internalQueryError = null;
            channel.config().setAutoRead(true);
            tracker.clientMessage(MessageType.QUERY);
            channel.writeAndFlush(Messages.query(channel.alloc(), sql));
        });
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf frame = (ByteBuf) msg;
        byte type = MessageType.of(frame);
        State current = state;
        ClientSession linked = client;
        if (current == State.LINKED && linked != null) {
            byte status = 0;
            if (type == MessageType.READY_FOR_QUERY) {
                status = frame.getByte(frame.readerIndex() + 5);
                tracker.readyForQuery(status);
                cycleEnded(status);
            } else if (type == MessageType.PARAMETER_STATUS) {
                linked.parameterReported(parameterStatus(frame));
            } else if (type == MessageType.ERROR_RESPONSE) {
                metrics.errorToClient(ErrorResponse.sqlState(frame));
            } else if (type == 'C' && mode != PoolMode.SESSION && PreparedStatementRelay.deallocatedAll(frame)) {
                applied(Map.of()); // DISCARD ALL also reset the settings Berth applied: apply them again next time
            }
            if (mode == PoolMode.SESSION) {
                forwardToClient(frame);
            } else {
                relay.fromServer(frame, output);
                if (status != 0 && tracker.isIdle() && relay.isEmpty()) {
                    // flush now: once the client takes the release, channelReadComplete no longer knows it
                    flushClient();
                    linked.serverAtRest(this, consumed);
                } else if (status == 'T' && mode == PoolMode.STATEMENT) {
                    linked.refuseTransactionBlock();
                }
            }
            return;
        }
        try {
            switch (current) {
                case LOGIN -> loginMessage(ctx, frame);
                case INTERNAL_QUERY -> internalQueryMessage(type, frame);
                case IDLE -> idleMessage(type, frame);
                default -> { }
            }
        } finally {
            ReferenceCountUtil.release(frame);
        }
    }

    /** A ReadyForQuery ended a request/response cycle, and with status 'I' a transaction. */
    private void cycleEnded(byte status) {
        long now = System.nanoTime();
        metrics.query(cycleStartNanos == 0 ? 0 : now - cycleStartNanos);
        cycleStartNanos = 0;
        if (status == 'I' && transactionStartNanos != 0) {
            metrics.transaction(now - transactionStartNanos);
            transactionStartNanos = 0;
        }
    }

    private void internalQueryMessage(byte type, ByteBuf frame) {
        switch (type) {
            case MessageType.PARAMETER_STATUS -> parameterStatus(frame);
            case MessageType.ERROR_RESPONSE -> {
                if (internalQueryError == null) {
                    internalQueryError = ErrorResponse.decode(frame);
                }
            }
            case MessageType.READY_FOR_QUERY -> {
                tracker.readyForQuery(frame.getByte(frame.readerIndex() + 5));
                Consumer<ErrorResponse> done = internalQueryDone;
                internalQueryDone = null;
                state = client != null ? State.LINKED : State.IDLE;
                done.accept(internalQueryError);
            }
            default -> { }
        }
    }

    private void idleMessage(byte type, ByteBuf frame) {
        if (type == MessageType.PARAMETER_STATUS) {
            parameterStatus(frame);
        } else if (type == MessageType.ERROR_RESPONSE) {
            // e.g. the server is shutting down or terminated this backend: it will close the connection
            close("server sent " + ErrorResponse.decode(frame) + " while idle");
        } else if (type != MessageType.NOTICE_RESPONSE && type != MessageType.NOTIFICATION_RESPONSE) {
            close("server sent unexpected message '" + (char) type + "' while idle");
        }
    }

    /** Records a ParameterStatus; returns (name, value). */
    private Map.Entry<String, String> parameterStatus(ByteBuf frame) {
        ByteBuf payload = Messages.payload(frame);
        String name = Messages.readCString(payload);
        String value = Messages.readCString(payload);
        parameters.put(name, value);
        syncedView = null;
        return Map.entry(name, value);
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        ClientSession linked = client;
        if (linked != null) {
            linked.serverWritabilityChanged(ctx.channel().isWritable());
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (client != null && state == State.LINKED) {
            flushClient();
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        State previous = state;
        state = State.CLOSED;
        if (previous == State.LOGIN) {
            loginTimeout.cancel(false);
            pool.openFailed(ErrorResponse.fatal(SqlState.CONNECTION_FAILURE,
                    "backend " + address + " closed the connection during login"));
            return;
        }
        if (closeReason == null) {
            closeReason = "server closed the connection";
        }
        LOG.fine(() -> "server connection " + this + " closed: " + closeReason);
        metrics.serverClosed(reasonLabel(closeReason));
        if (relay != null) {
            relay.close();
        }
        toServer.discard();
        toClient.discard();
        pool.removed(this);
        ClientSession linked = client;
        if (linked != null) {
            linked.serverLost(closeReason);
        }
        if (internalQueryDone != null) {
            Consumer<ErrorResponse> done = internalQueryDone;
            internalQueryDone = null;
            done.accept(ErrorResponse.fatal(SqlState.CONNECTION_FAILURE, "server connection closed: " + closeReason));
        }
    }

    /** A low-cardinality label for why a server connection closed. */
    static String reasonLabel(String reason) {
        if (reason.startsWith("idle for longer")) {
            return "idle_timeout";
        } else if (reason.startsWith("client left")) {
            return "client_left_busy";
        } else if (reason.startsWith("reset query") || reason.startsWith("cleanup after client")) {
            return "reset_failed";
        } else if (reason.startsWith("reclaimed")) {
            return "reclaimed";
        } else if (reason.startsWith("server ")) {
            return "server_closed";
        } else if (reason.startsWith("found dead") || reason.startsWith("released in an unusable")) {
            return "dead";
        } else if (reason.contains("shutting down")) {
            return "shutdown";
        }
        return "error";
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (state == State.LOGIN) {
            loginFailed(ErrorResponse.fatal(SqlState.CONNECTION_FAILURE, "backend " + address + ": " + cause.getMessage()));
        } else {
            close("error: " + cause.getMessage());
        }
    }

    // ---- PooledServer ----

    @Override
    public boolean isUsable() {
        State current = state;
        return (current == State.IDLE || current == State.LINKED) && channel.isActive();
    }

    @Override
    public void close(String reason) {
        if (state == State.LOGIN) {
            channel.eventLoop().execute(() -> loginFailed(ErrorResponse.fatal(SqlState.ADMIN_SHUTDOWN, reason)));
            return;
        }
        state = State.CLOSED; // unusable from now on, though the socket closes asynchronously
        if (closeReason == null) {
            closeReason = reason;
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
    public long idleSinceNanos() {
        return idleSinceNanos;
    }

    @Override
    public void idleSinceNanos(long nanos) {
        idleSinceNanos = nanos;
    }

    /** The parameters the server last reported. Read from a client's loop between the server's messages. */
    Map<String, String> parameters() {
        return parameters;
    }

    Map<String, String> applied() {
        return applied;
    }

    void applied(Map<String, String> settings) {
        applied = Map.copyOf(settings);
        syncedView = null;
    }

    ParameterView syncedView() {
        return syncedView;
    }

    /** The server now matches {@code view}: the next client with the same view needs no sync. */
    void syncedView(ParameterView view) {
        syncedView = view;
    }

    long connectedAtMillis() {
        return connectedAtMillis;
    }

    int processId() {
        return processId;
    }

    int secretKey() {
        return secretKey;
    }

    Channel channel() {
        return channel;
    }


    @Override
    public String toString() {
        return pool.key() + "/" + address + "/pid " + processId;
    }
}
