package dev.berth.server;

import dev.berth.core.auth.BackendAuthenticator;
import dev.berth.core.config.BerthConfig;
import dev.berth.core.pool.Pool;
import dev.berth.core.pool.ServerOpener;
import dev.berth.core.protocol.ErrorResponse;
import dev.berth.core.protocol.PgFrameDecoder;
import dev.berth.core.protocol.SqlState;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.logging.Logger;

/** Opens backend connections: TCP connect, StartupMessage, authentication, up to the first ReadyForQuery. */
final class BackendConnector implements ServerOpener<ServerConnection> {
    private static final Logger LOG = Logger.getLogger(BackendConnector.class.getName());

    private final BerthConfig config;
    private final BackendCredentialStore credentials;
    private final Bootstrap bootstrap;
    private final java.util.function.Function<dev.berth.core.pool.PoolKey, dev.berth.core.prepared.PreparedStatementRegistry> registries;

    private final dev.berth.server.metrics.BerthMetrics metrics;
    private final BackendHealth health;

    BackendConnector(BerthConfig config, BackendCredentialStore credentials, EventLoopGroup group, Transport transport,
                     java.util.function.Function<dev.berth.core.pool.PoolKey, dev.berth.core.prepared.PreparedStatementRegistry> registries,
                     dev.berth.server.metrics.BerthMetrics metrics, BackendHealth health) {
        this.metrics = metrics;
        this.health = health;
        this.config = config;
        this.credentials = credentials;
        this.registries = registries;
        this.bootstrap = new Bootstrap().group(group).channel(transport.socketChannel())
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.SO_KEEPALIVE, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, config.serverConnectTimeoutMs()));
    }

    @Override
    public void open(Pool<ServerConnection> pool, Object affinity) {
        String address = config.backend().address();
        ServerConnection server = new ServerConnection(pool,
                new BackendAuthenticator(credentials.forUser(pool.key().user())), address, config.poolMode(),
                registries.apply(pool.key()), config.maxPreparedStatements(), metrics.pool(pool.key()), health);
        // on the loop of the client it is opened for, so that the two talk without changing threads
        Bootstrap b = affinity instanceof EventLoop loop ? bootstrap.clone(loop) : bootstrap.clone();
        b.handler(new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel ch) {
                // a server's messages are trusted: PostgreSQL's own limit of 1 GiB applies
                ch.pipeline().addLast(PgFrameDecoder.forServer(Integer.MAX_VALUE), server);
            }
        }).connect(config.backend().host(), config.backend().port()).addListener((ChannelFutureListener) f -> {
            if (f.isSuccess()) {
                Map<String, String> startup = new LinkedHashMap<>();
                startup.put("user", pool.key().user());
                startup.put("database", pool.key().database());
                server.startLogin(f.channel(), startup, config.serverConnectTimeoutMs());
            } else {
                String reason = f.cause() instanceof io.netty.channel.ConnectTimeoutException
                        ? "no answer within " + config.serverConnectTimeoutMs() + " ms (--server-connect-timeout)"
                        : f.cause() instanceof java.net.ConnectException ? "connection refused"
                        : String.valueOf(f.cause());
                LOG.warning("cannot connect to backend " + address + " for pool " + pool.key() + ": " + reason);
                metrics.pool(pool.key()).serverFailed();
                health.backendFailed("cannot connect to " + address + ": " + reason);
                pool.openFailed(ErrorResponse.fatal(SqlState.CLIENT_UNABLE_TO_CONNECT,
                        "cannot connect to backend " + address + ": " + reason));
            }
        });
    }
}
