package dev.berth.server.client;

import dev.berth.core.config.BerthConfig;
import dev.berth.core.config.PoolMode;
import dev.berth.core.config.SessionStatePolicy;
import dev.berth.core.pool.Pool;
import dev.berth.core.pool.PoolKey;
import dev.berth.core.prepared.ClientStatements;
import dev.berth.core.protocol.ErrorResponse;
import dev.berth.core.protocol.MessageType;
import dev.berth.core.protocol.ProtocolException;
import dev.berth.core.protocol.SqlState;
import dev.berth.core.protocol.StartupPacket;
import dev.berth.core.session.ParameterView;
import dev.berth.server.ProxyContext;
import dev.berth.server.backend.LinkedClient;
import dev.berth.server.backend.ServerConnection;
import dev.berth.server.metrics.PoolMetrics;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.EventExecutor;

import javax.net.ssl.SSLException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One client connection, and the last handler of its channel. It holds the client's state and hands
 * each phase to its own class: {@link ClientLogin} (startup, authentication, the admin hand-off, the
 * greeting), {@link ServerWait} (waiting for a server and bringing it in line), {@link ClientRelay}
 * (messages to the server, the answers transaction pooling gives without one) and {@link ClientLink}
 * (what the server sends back). Every disconnect Berth
 * decides goes through {@link #disconnect}, with a SQLSTATE the client sees and a reason the log records.
 */
public final class ClientSession extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = Logger.getLogger(ClientSession.class.getName());
    /** What a drain tells a client it ends between transactions: PostgreSQL's shutdown message, and what it means here. */
    private static final ErrorResponse SHUTDOWN_BETWEEN_TRANSACTIONS = new ErrorResponse("FATAL", SqlState.ADMIN_SHUTDOWN,
            "terminating connection due to administrator command",
            "Berth is shutting down; this connection was between transactions, so no work of it was lost.",
            "Connect again: another Berth instance (or this one after its restart) serves the next transaction.");

    private final ProxyContext proxy;
    /** The settings this client lives by, taken when it connected. */
    private final BerthConfig config;
    private final ClientLogin login;
    private final ServerWait wait;
    private final ClientRelay relay;
    private final ClientLink link;
    private final ClientTls tls = new ClientTls(this);
    private final ClientStatements statements = new ClientStatements();
    private final long connectedAtMillis = System.currentTimeMillis();
    private ChannelHandlerContext ctx;
    private volatile ClientState state = ClientState.STARTUP;
    /** When the client last went idle without a server (the client idle timeout). */
    private volatile long idleSinceNanos;
    private String user;
    private String database;
    private volatile Pool<ServerConnection> pool;
    /** This client's pool's client counts; null until it has a pool. */
    private PoolClients counts;
    private PoolMetrics metrics;
    private PoolMode mode;
    private volatile ServerConnection server;
    private final QueuedMessages early = new QueuedMessages();
    private int processId;
    private int secretKey;
    private final ClientPins pins = new ClientPins();
    /**
     * The parameter values this client has seen reported and its startup settings (servers are brought
     * in line with them); shared with every client that has the same. Set at login, replaced on each
     * ParameterStatus the client receives (on the server's loop, before the release that orders it).
     */
    private volatile ParameterView view;
    /** Berth is shutting down: the client is ended once it is between transactions. */
    private volatile boolean draining;

    public ClientSession(ProxyContext proxy) {
        this.proxy = proxy;
        this.config = proxy.config().current();
        this.login = new ClientLogin(this);
        this.wait = new ServerWait(this);
        this.relay = new ClientRelay(this);
        this.link = new ClientLink(this);
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        login.startTimer();
        proxy.clients().opened(this);
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf frame = (ByteBuf) msg;
        switch (state) {
            case LINKED -> relay.toServer(frame);
            case ADMIN -> proxy.admin().handle(ctx, frame, describe());
            case STARTUP -> login.onStartup(frame);
            case AUTHENTICATING -> login.onPassword(frame);
            case IDLE, WAITING_FOR_SERVER, SYNCING -> {
                if (early.isEmpty() && MessageType.of(frame) == MessageType.TERMINATE) {
                    frame.release(); // nothing of this client's waits for a server, and a goodbye needs none
                    close();
                } else if (state != ClientState.IDLE) {
                    queue(frame);
                } else if (draining) {
                    frame.release(); // new work after the drain began is not taken (normally ended before it comes)
                    endBetweenTransactions();
                } else if (!relay.answeredWithoutServer(frame)) {
                    queue(frame);
                    wait.acquire();
                }
            }
            default -> ReferenceCountUtil.release(frame);
        }
    }

    /** Keeps a message until the client has a server. */
    void queue(ByteBuf frame) {
        if (early.add(frame)) {
            ctx.channel().config().setAutoRead(false); // resumed by ClientRelay.sendQueued()
        }
    }

    /** What the client sent while it had no server. */
    QueuedMessages queued() {
        return early;
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        relay.readComplete();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        ServerConnection s = server;
        if (s != null) {
            s.autoRead(ctx.channel().isWritable());
        }
        ctx.fireChannelWritabilityChanged();
    }

    // ---- the end ----

    /**
     * Berth is shutting down (on this client's loop): a client between transactions is ended now; one with
     * work accepted (logging in, waiting for a server, in a transaction, requests outstanding) once that work
     * is done and it is at rest, as PostgreSQL's smart shutdown lets sessions finish.
     */
    public void drain() {
        draining = true;
        switch (state) {
            case IDLE, ADMIN -> endBetweenTransactions();
            case LINKED -> {
                ServerConnection s = server;
                if (s != null) {
                    s.reportIfAtRest(link); // pinned or session-mode clients hold their server at rest
                }
            }
            default -> { } // STARTUP, AUTHENTICATING, WAITING_FOR_SERVER, SYNCING: served, then ended at rest
        }
    }

    boolean draining() {
        return draining;
    }

    /** The drain ends a client at rest. */
    void endBetweenTransactions() {
        disconnect(SHUTDOWN_BETWEEN_TRANSACTIONS, Level.FINE); // one line for the whole drain, logged by Drain
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof StartupPacket.UnsupportedProtocolException) {
            disconnect(SqlState.FEATURE_NOT_SUPPORTED, cause.getMessage(), Level.INFO);
        } else if (cause instanceof ProtocolException) {
            disconnect(SqlState.PROTOCOL_VIOLATION, cause.getMessage(), Level.WARNING);
        } else if (cause instanceof SSLException || cause.getCause() instanceof SSLException) {
            close(); // a failed handshake: logged once by ClientTls
        } else if (cause instanceof IOException) {
            LOG.fine(() -> describe() + " connection error: " + cause.getMessage());
            close();
        } else {
            LOG.log(Level.WARNING, describe() + " internal error", cause);
            disconnect(SqlState.INTERNAL_ERROR, "internal error in Berth: " + cause, null);
        }
    }

    public void disconnect(String sqlState, String message, Level logLevel) {
        disconnect(ErrorResponse.fatal(sqlState, message), logLevel);
    }

    /** The one place Berth ends a client connection with an error: the client sees it, the log records it. */
    public void disconnect(ErrorResponse error, Level logLevel) {
        if (state == ClientState.CLOSED) {
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

    /** The server ended the session with a FATAL error the client already got: close, without a second one. */
    void closeAfterServerError(String reason) {
        if (state == ClientState.CLOSED) {
            return;
        }
        LOG.info(describe() + " disconnected after its server's FATAL error (" + reason + ")");
        ctx.channel().config().setAutoRead(false);
        ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        cleanUp();
    }

    /** A login that cannot complete: the error as FATAL. */
    void failLogin(ErrorResponse error) {
        disconnect(new ErrorResponse("FATAL", error.sqlState(), error.message(), error.detail(), error.hint()), Level.WARNING);
    }

    void close() {
        ctx.close();
        cleanUp();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        cleanUp();
        proxy.clients().closed(this);
        ctx.fireChannelInactive();
    }

    private void cleanUp() {
        if (state == ClientState.CLOSED) {
            return;
        }
        ClientState previous = state;
        moveTo(ClientState.CLOSED);
        pins.closed(counts);
        login.cancelTimer();
        early.releaseAll();
        if (previous == ClientState.WAITING_FOR_SERVER) {
            wait.withdraw(); // if already granted, granted() sees CLOSED and gives the server back
        }
        proxy.cancels().unregister(this);
        ServerConnection s = server;
        server = null;
        if (s != null) {
            boolean reset = pins.pinned() || mode == PoolMode.SESSION || config.sessionState() == SessionStatePolicy.ALLOW;
            s.releaseAfterClient(config.serverResetQuery(), reset);
        }
        if (pool != null) {
            proxy.clients().caps().leave(pool.key().database(), user);
            proxy.pools().leave(pool.key()); // last: its server is back in (or on its way to) the pool
        }
    }

    // ---- state shared by the phases ----

    /** Moves to {@code next}, keeping the pool's client counts in step. */
    void moveTo(ClientState next) {
        ClientState previous = state;
        if (next == ClientState.IDLE) {
            idleSinceNanos = System.nanoTime(); // once per transaction, not per message
        }
        state = next;
        if (counts != null) {
            counts.moved(previous, next);
        }
    }

    ClientState state() {
        return state;
    }

    long idleSinceNanos() {
        return idleSinceNanos;
    }

    /** The client now uses {@code p}: its counts and mode come with it. */
    void joinPool(Pool<ServerConnection> p, PoolClients poolCounts, PoolMetrics poolMetrics) {
        pool = p;
        mode = p.route().mode();
        metrics = poolMetrics;
        counts = poolCounts;
        counts.moved(ClientState.STARTUP, state); // counted from now on, in whatever state it is
    }

    Pool<ServerConnection> pool() {
        return pool;
    }

    PoolMetrics metrics() {
        return metrics;
    }

    PoolMode mode() {
        return mode;
    }

    ServerConnection server() {
        return server;
    }

    void server(ServerConnection s) {
        server = s;
    }

    /** Adds pin causes; each new one is counted. */
    void pin(int causes) {
        pins.pin(causes, counts, metrics);
    }

    /** Ends pin causes that ended on the server; the client keeps its server while others remain. */
    void unpin(int causes) {
        pins.unpin(causes, counts);
    }

    ParameterView view() {
        return view;
    }

    void view(ParameterView v) {
        view = v;
    }

    ClientStatements statements() {
        return statements;
    }

    void identify(String userName, String databaseName) {
        user = userName;
        database = databaseName;
    }

    void keys(int pid, int key) {
        processId = pid;
        secretKey = key;
    }

    ProxyContext proxy() {
        return proxy;
    }

    BerthConfig config() {
        return config;
    }

    ChannelHandlerContext ctx() {
        return ctx;
    }

    ClientTls tls() {
        return tls;
    }

    ClientLogin login() {
        return login;
    }

    ServerWait serverWait() {
        return wait;
    }

    ClientRelay relay() {
        return relay;
    }

    /** What the server connection talks to. */
    ClientLink link() {
        return link;
    }

    // ---- read-outs for cancel requests, SHOW CLIENTS and the metrics ----

    public int processId() {
        return processId;
    }

    public int secretKey() {
        return secretKey;
    }

    /** The server this client is linked to right now, or null (a cancel then has nothing to cancel). */
    public ServerConnection linkedServer() {
        return state == ClientState.LINKED ? server : null;
    }

    /** What this client's server knows it as: a cancel request is checked against it ({@link ServerConnection#cancelling}). */
    public LinkedClient cancelRequester() {
        return link;
    }

    public boolean pinned() {
        return pins.pinned();
    }

    /** For SHOW CLIENTS: what keeps this client on its server ("" when nothing). */
    public String pinReason() {
        return pins.labels();
    }

    /** For SHOW CLIENTS: TLS protocol and cipher, or "" without TLS. */
    public String tlsDescription() {
        return tls.description();
    }

    public long connectedAtMillis() {
        return connectedAtMillis;
    }

    public String user() {
        return user;
    }

    public String database() {
        return database;
    }

    /** For SHOW CLIENTS: active, waiting, idle, or the login phase. */
    public String stateName() {
        return state.label();
    }

    /** The pool this client uses, or null before its login reached one. */
    public PoolKey poolKey() {
        Pool<ServerConnection> p = pool;
        return p == null ? null : p.key();
    }

    public EventExecutor executor() {
        return ctx.executor();
    }

    /** Where the client connects from (SHOW CLIENTS, logs); null if not an IP socket. */
    public InetSocketAddress remoteAddress() {
        return ctx.channel().remoteAddress() instanceof InetSocketAddress a ? a : null;
    }

    String remote() {
        InetSocketAddress a = remoteAddress();
        return a != null ? a.getAddress().getHostAddress() + ":" + a.getPort() : String.valueOf(ctx.channel().remoteAddress());
    }

    public String describe() {
        return "client " + remote() + (user != null ? " user=" + user + " db=" + database : "");
    }
}
