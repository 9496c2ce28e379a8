package dev.berth.server.client;

import dev.berth.core.config.BerthConfig;
import dev.berth.core.config.PoolMode;
import dev.berth.core.pool.Pool;
import dev.berth.core.pool.PoolKey;
import dev.berth.core.prepared.ClientStatements;
import dev.berth.core.protocol.ErrorResponse;
import dev.berth.core.protocol.MessageType;
import dev.berth.core.session.ParameterView;
import dev.berth.server.ProxyContext;
import dev.berth.server.backend.LinkedClient;
import dev.berth.server.backend.ServerConnection;
import dev.berth.server.metrics.PoolMetrics;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.EventExecutor;

import java.net.InetSocketAddress;
import java.util.logging.Level;

/**
 * One client connection, and the last handler of its channel. It holds the client's state and hands
 * each phase to its own class: {@link ClientLogin} (startup, authentication, the admin hand-off, the
 * greeting), {@link ServerWait} (waiting for a server and bringing it in line), {@link ClientRelay}
 * (messages to the server, the answers transaction pooling gives without one) and {@link ClientLink}
 * (what the server sends back); {@link ClientEnd} ends it, and every disconnect Berth decides goes through
 * its {@link ClientEnd#disconnect}, with a SQLSTATE the client sees and a reason the log records.
 */
public final class ClientSession extends ChannelInboundHandlerAdapter {
    private final ProxyContext proxy;
    /** The settings this client lives by, taken when it connected. */
    private final BerthConfig config;
    private final ClientLogin login;
    private final ServerWait wait;
    private final ClientRelay relay;
    private final ClientLink link;
    private final ClientEnd end;
    private final ClientTls tls = new ClientTls(this);
    private final ClientStatements statements = new ClientStatements();
    private final long connectedAtMillis = System.currentTimeMillis();
    private ChannelHandlerContext ctx;
    private volatile ClientState state = ClientState.STARTUP;
    /** In a read batch (see {@link #reading()}). */
    private boolean reading;
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

    public ClientSession(ProxyContext proxy) {
        this.proxy = proxy;
        this.config = proxy.config().current();
        this.login = new ClientLogin(this);
        this.wait = new ServerWait(this);
        this.relay = new ClientRelay(this);
        this.link = new ClientLink(this);
        this.end = new ClientEnd(this);
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
        reading = true;
        switch (state) {
            case LINKED -> relay.toServer(frame);
            case ADMIN -> proxy.admin().handle(ctx, frame, describe());
            case STARTUP -> login.onStartup(frame);
            case AUTHENTICATING -> login.onPassword(frame);
            case IDLE, WAITING_FOR_SERVER, SYNCING -> {
                if (early.isEmpty() && MessageType.of(frame) == MessageType.TERMINATE) {
                    frame.release(); // nothing of this client's waits for a server, and a goodbye needs none
                    end.close();
                } else if (state != ClientState.IDLE) {
                    queue(frame);
                } else if (end.draining()) {
                    frame.release(); // new work after the drain began is not taken (normally ended before it comes)
                    end.betweenTransactions();
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
        reading = false;
        relay.readComplete();
    }

    /** Between a read's first message and its end: what is sent to the server now is flushed at the end. */
    boolean reading() {
        return reading;
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        ServerConnection s = server;
        if (s != null) {
            s.autoRead(ctx.channel().isWritable());
        }
        ctx.fireChannelWritabilityChanged();
    }

    // ---- the end: see ClientEnd ----

    /** Berth is shutting down: see {@link ClientEnd#drain}. */
    public void drain() {
        end.drain();
    }

    public void disconnect(String sqlState, String message, Level logLevel) {
        end.disconnect(ErrorResponse.fatal(sqlState, message), logLevel);
    }

    /** The one place Berth ends a client connection with an error: the client sees it, the log records it. */
    public void disconnect(ErrorResponse error, Level logLevel) {
        end.disconnect(error, logLevel);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        end.failed(cause);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        end.cleanUp();
        proxy.clients().closed(this);
        ctx.fireChannelInactive();
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

    /** The client is gone: it no longer counts as pinned. */
    void unpinClosed() {
        pins.closed(counts);
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

    ClientEnd end() {
        return end;
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
