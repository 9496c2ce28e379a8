package dev.berth.server;

import dev.berth.core.auth.AuthFile;
import dev.berth.core.config.BerthConfig;
import dev.berth.core.pool.BackendBudget;
import dev.berth.core.pool.PoolKey;
import dev.berth.core.pool.PoolLimits;
import dev.berth.core.protocol.ErrorResponse;
import dev.berth.core.protocol.PgFrameDecoder;
import dev.berth.core.protocol.SqlState;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.util.concurrent.ScheduledFuture;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/** The Berth daemon: the client listener, the pools and their housekeeping. */
public final class BerthServer implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(BerthServer.class.getName());
    private static final long HOUSEKEEPING_PERIOD_MS = 1000;

    private final BerthConfig config;
    private final Transport transport = Transport.best();
    private final EventLoopGroup acceptGroup;
    private final EventLoopGroup workerGroup;
    private final ProxyContext proxy;
    private Channel listener;
    private ScheduledFuture<?> housekeeping;

    public BerthServer(BerthConfig config) throws IOException {
        this.config = config;
        AuthFile authFile = config.authFile() == null ? null : AuthFile.load(config.authFile());
        this.acceptGroup = transport.newGroup(1);
        this.workerGroup = transport.newGroup(Runtime.getRuntime().availableProcessors());
        BackendCredentialStore credentials = new BackendCredentialStore(config.backend(), authFile);
        java.util.concurrent.ConcurrentHashMap<PoolKey, dev.berth.core.prepared.PreparedStatementRegistry> registries =
                new java.util.concurrent.ConcurrentHashMap<>();
        java.util.concurrent.atomic.AtomicLong statementNames = new java.util.concurrent.atomic.AtomicLong();
        java.util.function.Function<PoolKey, dev.berth.core.prepared.PreparedStatementRegistry> registryFor =
                key -> registries.computeIfAbsent(key, k -> new dev.berth.core.prepared.PreparedStatementRegistry(
                        config.preparedStatementRegistryBytes(), statementNames));
        BackendConnector connector = new BackendConnector(config, credentials, workerGroup, transport, registryFor);
        PoolRegistry pools = new PoolRegistry(new PoolLimits(config.poolMax(), config.poolMin(), config.idleTimeoutMs()),
                new BackendBudget(config.maxBackendConnections()), connector);
        CancelRegistry cancels = new CancelRegistry(new SecureRandom(), workerGroup, transport,
                config.backend().host(), config.backend().port());
        this.proxy = new ProxyContext(config, authFile, pools, cancels, credentials, registryFor);
    }

    /** Binds the listen address, warms the default pool and starts housekeeping. */
    public BerthServer start() throws IOException {
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(acceptGroup, workerGroup)
                .channel(transport.serverChannel())
                .option(ChannelOption.SO_BACKLOG, 4096)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(PgFrameDecoder.forClient(config.maxMessageSize()), new ClientSession(proxy));
                    }
                });
        try {
            listener = bootstrap.bind(config.listen().host(), config.listen().port()).sync().channel();
        } catch (Exception e) {
            close();
            throw new IOException("cannot listen on " + config.listen() + ": " + e.getMessage(), e);
        }
        LOG.info("Berth listening on " + config.listen().host() + ":" + port() + " (" + transport.name()
                + "), backend " + config.backend().masked() + ", pool mode " + config.poolMode()
                + ", pool max " + config.poolMax() + " min " + config.poolMin());
        if (config.backend().user() != null) {
            String database = config.backend().database() != null ? config.backend().database() : config.backend().user();
            proxy.pools().poolFor(new PoolKey(database, config.backend().user())).warmUp();
        }
        housekeeping = workerGroup.next().scheduleAtFixedRate(this::maintain, HOUSEKEEPING_PERIOD_MS,
                HOUSEKEEPING_PERIOD_MS, TimeUnit.MILLISECONDS);
        return this;
    }

    private void maintain() {
        try {
            proxy.pools().maintainAll();
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "housekeeping failed", e);
        }
    }

    /** The port actually bound (useful with port 0). */
    public int port() {
        return ((InetSocketAddress) listener.localAddress()).getPort();
    }

    public BerthConfig config() {
        return config;
    }

    public String transportName() {
        return transport.name();
    }

    /** Stops accepting, ends every client with 57P01, closes every backend connection. */
    @Override
    public void close() {
        if (housekeeping != null) {
            housekeeping.cancel(false);
        }
        if (listener != null) {
            listener.close().syncUninterruptibly();
        }
        for (ClientSession client : proxy.clients()) {
            client.channelExecutor().execute(() ->
                    client.disconnect(SqlState.ADMIN_SHUTDOWN, "Berth is shutting down", null));
        }
        proxy.pools().closeAll("Berth is shutting down",
                ErrorResponse.fatal(SqlState.ADMIN_SHUTDOWN, "Berth is shutting down"));
        acceptGroup.shutdownGracefully(0, 2000, TimeUnit.MILLISECONDS).syncUninterruptibly();
        workerGroup.shutdownGracefully(100, 5000, TimeUnit.MILLISECONDS).syncUninterruptibly();
        LOG.info("Berth stopped");
    }

    // ---- for tests and the admin console ----

    /** A reading of every pool's lists. */
    public java.util.List<dev.berth.core.pool.PoolStats> poolStats() {
        return proxy.pools().all().stream().map(p -> p.stats()).toList();
    }

    public int backendConnectionsInUse() {
        return proxy.pools().budget().used();
    }

    public int clientCount() {
        return proxy.clients().size();
    }
}
