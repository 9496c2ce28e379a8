package dev.berth.server.backend;

import dev.berth.core.auth.BackendAuthenticator;
import dev.berth.core.config.BerthConfig;
import dev.berth.core.config.PoolMode;
import dev.berth.core.config.RuntimeConfig;
import dev.berth.core.pool.Pool;
import dev.berth.core.pool.PoolKey;
import dev.berth.core.pool.PoolRoute;
import dev.berth.core.pool.ServerOpener;
import dev.berth.core.prepared.PreparedStatementRegistry;
import dev.berth.core.protocol.ErrorResponse;
import dev.berth.core.protocol.PgFrameDecoder;
import dev.berth.core.protocol.SqlState;
import dev.berth.server.TcpKeepalive;
import dev.berth.server.Transport;
import dev.berth.server.metrics.BerthMetrics;
import dev.berth.server.metrics.PoolMetrics;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.ssl.SslContext;

import javax.net.ssl.SSLException;

import java.net.ConnectException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.logging.Logger;

/**
 * Opens backend connections to where each pool's route points: TCP connect, then {@link BackendLogin}
 * (TLS as the route says, then login) up to the first ReadyForQuery. Timeouts and statement limits come from the configuration current
 * when the connection is opened.
 */
public final class BackendConnector implements ServerOpener<ServerConnection> {
    private static final Logger LOG = Logger.getLogger(BackendConnector.class.getName());

    private final RuntimeConfig config;
    private final BackendCredentialStore credentials;
    private final List<EventLoop> loops = new ArrayList<>();
    private final AtomicInteger turn = new AtomicInteger();
    private final Transport transport;
    private final Function<PoolKey, PreparedStatementRegistry> registries;
    private final BerthMetrics metrics;
    private final BackendHealth health;
    private final BackendTlsContexts tlsContexts;

    public BackendConnector(RuntimeConfig config, BackendCredentialStore credentials, EventLoopGroup group, Transport transport,
                            Function<PoolKey, PreparedStatementRegistry> registries, BerthMetrics metrics, BackendHealth health,
                            BackendTlsContexts tlsContexts) {
        this.config = config;
        this.credentials = credentials;
        group.forEach(loop -> loops.add((EventLoop) loop));
        this.transport = transport;
        this.registries = registries;
        this.metrics = metrics;
        this.health = health;
        this.tlsContexts = tlsContexts;
    }

    /**
     * A session-mode server serves the one client it is opened for: on that client's loop, so that the two talk
     * without changing threads. A transaction-mode server serves each loop's clients in turn: servers go to the
     * loops in turn, as clients do, so that every loop's clients find servers of their own. (Opened on the
     * waiter's loop, a pool piled up on whichever loop's clients came first, 15 of 20 on one loop, and a third
     * of all transactions then crossed loops, a hand-off between threads for each message.)
     */
    private EventLoop loopFor(PoolRoute route, Object affinity) {
        if (route.mode() == PoolMode.SESSION && affinity instanceof EventLoop l) {
            return l;
        }
        return loops.get(Math.floorMod(turn.getAndIncrement(), loops.size()));
    }

    @Override
    public void open(Pool<ServerConnection> pool, Object affinity) {
        BerthConfig settings = config.current();
        PoolRoute route = pool.route();
        PoolMetrics poolMetrics = metrics.pool(route.key());
        long timeoutMs = settings.serverConnectTimeoutMs();
        SslContext tlsContext = null;
        if (route.tls().attempts()) {
            try {
                tlsContext = tlsContexts.context(route.tls());
            } catch (SSLException e) {
                String message = "TLS to backend " + route.address() + " cannot be set up: " + e.getMessage();
                LOG.warning(message + " (pool " + route.key() + ")");
                failed(pool, poolMetrics, message, ErrorResponse.fatal(SqlState.CONNECTION_FAILURE, message));
                return;
            }
        }
        ServerConnection server = new ServerConnection(pool, route,
                new BackendLogin(new BackendAuthenticator(credentials.forServer(route.server()), route.tls().channelBinding()), route, health, tlsContext, metrics),
                new ServerRelay(registries.apply(route.key()), settings.maxPreparedStatements(), poolMetrics), poolMetrics);
        EventLoop loop = loopFor(route, affinity);
        new Bootstrap().group(loop).channel(transport.socketChannel())
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT) // as the clients' (BerthServer)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, timeoutMs))
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        TcpKeepalive.apply(ch, settings);
                        // a server's messages are trusted: PostgreSQL's own limit of 1 GiB applies
                        ch.pipeline().addLast(PgFrameDecoder.forServer(Integer.MAX_VALUE), server);
                    }
                }).connect(route.host(), route.port()).addListener((ChannelFutureListener) f -> {
                    if (f.isSuccess()) {
                        Map<String, String> startup = new LinkedHashMap<>();
                        startup.put("user", route.server().user());
                        startup.put("database", route.server().database());
                        server.startLogin(f.channel(), startup, timeoutMs);
                    } else {
                        connectFailed(pool, route, poolMetrics, timeoutMs, f.cause());
                    }
                });
    }

    private void connectFailed(Pool<ServerConnection> pool, PoolRoute route, PoolMetrics poolMetrics, long timeoutMs, Throwable cause) {
        String reason = cause instanceof ConnectTimeoutException
                ? "no answer within " + timeoutMs + " ms (--server-connect-timeout)"
                : cause instanceof ConnectException ? "connection refused" : String.valueOf(cause);
        LOG.warning("cannot connect to backend " + route.address() + " for pool " + route.key() + ": " + reason);
        failed(pool, poolMetrics, "cannot connect to " + route.address() + ": " + reason,
                ErrorResponse.fatal(SqlState.CLIENT_UNABLE_TO_CONNECT, "cannot connect to backend " + route.address() + ": " + reason));
    }

    private void failed(Pool<ServerConnection> pool, PoolMetrics poolMetrics, String healthProblem, ErrorResponse error) {
        poolMetrics.serverFailed();
        health.backendFailed(healthProblem);
        pool.openFailed(error);
    }
}
