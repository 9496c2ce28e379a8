package dev.berth.server;

import dev.berth.core.auth.AuthFile;
import dev.berth.core.config.BerthConfig;
import dev.berth.core.pool.BackendBudget;
import dev.berth.core.pool.Pool;
import dev.berth.core.pool.Waiter;
import dev.berth.core.pool.PoolKey;
import dev.berth.core.pool.PoolLimits;
import dev.berth.core.protocol.ErrorResponse;
import dev.berth.core.protocol.PgFrameDecoder;
import dev.berth.core.protocol.SqlState;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.util.concurrent.ScheduledFuture;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import dev.berth.core.pool.PoolStats;
import dev.berth.server.metrics.BerthMetrics;
import java.util.logging.Level;
import java.util.logging.Logger;

/** The Berth daemon: the client listener, the pools and their housekeeping. */
public final class BerthServer implements AutoCloseable, AdminConsole.Actions {
    private static final Logger LOG = Logger.getLogger(BerthServer.class.getName());
    private static final long HOUSEKEEPING_PERIOD_MS = 1000;
    /** How often waits are checked against --connection-timeout: a wait ends at most this much late. */
    private static final long WAIT_SWEEP_MS = 25;

    private final BerthConfig config;
    private final Transport transport = Transport.best();
    private final EventLoopGroup acceptGroup;
    private final EventLoopGroup workerGroup;
    private final ProxyContext proxy;
    private final BerthMetrics metrics;
    private final Map<String, String> sources;
    private Channel listener;
    private HttpEndpoints http;
    private ScheduledFuture<?> housekeeping;
    private ScheduledFuture<?> waitSweep;
    private volatile boolean closing;
    private final java.util.concurrent.CountDownLatch terminated = new java.util.concurrent.CountDownLatch(1);

    public BerthServer(BerthConfig config) throws IOException {
        this(config, Map.of());
    }

    /** @param sources where each setting came from (flag name to "default", "flag", "environment (VAR)"), for /config */
    public BerthServer(BerthConfig config, Map<String, String> sources) throws IOException {
        this.config = config;
        this.sources = sources;
        this.metrics = new BerthMetrics(this::liveState);
        metrics.registerReadiness(this::notReadyReason);
        if (config.metricsCompat().equals("pgbouncer")) {
            metrics.registerPgbouncerCompat(this::liveState);
        }
        BackendHealth health = new BackendHealth();
        AuthFile authFile = config.authFile() == null ? null : AuthFile.load(config.authFile());
        this.acceptGroup = transport.newGroup(1);
        this.workerGroup = transport.newGroup(config.workers());
        BackendCredentialStore credentials = new BackendCredentialStore(config.backend(), authFile);
        java.util.concurrent.ConcurrentHashMap<PoolKey, dev.berth.core.prepared.PreparedStatementRegistry> registries =
                new java.util.concurrent.ConcurrentHashMap<>();
        java.util.concurrent.atomic.AtomicLong statementNames = new java.util.concurrent.atomic.AtomicLong();
        java.util.function.Function<PoolKey, dev.berth.core.prepared.PreparedStatementRegistry> registryFor =
                key -> registries.computeIfAbsent(key, k -> new dev.berth.core.prepared.PreparedStatementRegistry(
                        config.preparedStatementRegistryBytes(), statementNames));
        BackendConnector connector = new BackendConnector(config, credentials, workerGroup, transport, registryFor, metrics, health);
        PoolRegistry pools = new PoolRegistry(new PoolLimits(config.poolMax(), config.poolMin(), config.idleTimeoutMs()),
                new BackendBudget(config.maxBackendConnections()), connector);
        CancelRegistry cancels = new CancelRegistry(new SecureRandom(), workerGroup, transport,
                config.backend().host(), config.backend().port(), metrics);
        this.proxy = new ProxyContext(config, authFile, pools, cancels, credentials, registryFor, metrics, health);
        proxy.admin(new AdminConsole(proxy, this));
    }

    /** Binds the listen address, warms the default pool and starts housekeeping. */
    public BerthServer start() throws IOException {
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(acceptGroup, workerGroup)
                .channel(transport.serverChannel())
                .option(ChannelOption.SO_BACKLOG, 4096)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                // one allocator for all clients (the default is one per channel; it holds no state)
                .childOption(ChannelOption.RCVBUF_ALLOCATOR, new AdaptiveRecvByteBufAllocator())
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
        if (config.metricsListen().port() >= 0) {
            try {
                http = new HttpEndpoints(config.metricsListen().host(), config.metricsListen().port(), metrics.registry(),
                        this::notReadyReason, () -> ConfigJson.render(config, sources));
            } catch (IOException e) {
                close();
                throw new IOException("cannot serve metrics on " + config.metricsListen() + ": " + e.getMessage(), e);
            }
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
        waitSweep = workerGroup.next().scheduleAtFixedRate(this::expireWaits, WAIT_SWEEP_MS, WAIT_SWEEP_MS, TimeUnit.MILLISECONDS);
        return this;
    }

    /** Ends the waits longer than --connection-timeout (one sweep instead of a timer per wait). */
    private void expireWaits() {
        long timeoutNanos = TimeUnit.MILLISECONDS.toNanos(config.connectionTimeoutMs());
        for (Pool<ServerConnection> pool : proxy.pools().all()) {
            for (Waiter<ServerConnection> waiter : pool.expireWaiters(timeoutNanos)) {
                if (waiter instanceof ClientSession client) {
                    client.waitExpired();
                }
            }
        }
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

    /** Why Berth cannot serve right now (for /readyz), or null when it can. */
    String notReadyReason() {
        if (closing) {
            return "shutting down";
        }
        if (listener == null || !listener.isActive()) {
            return "not listening";
        }
        if (proxy.paused()) {
            return "paused";
        }
        return proxy.health().problem();
    }

    private BerthMetrics.LiveState liveState() {
        return new BerthMetrics.LiveState() {
            @Override
            public java.util.Collection<PoolStats> pools() {
                return poolStats();
            }

            @Override
            public Map<PoolKey, BerthMetrics.ClientCounts> clients() {
                Map<PoolKey, long[]> counts = new HashMap<>();
                long now = System.nanoTime();
                for (ClientSession client : proxy.clients()) {
                    PoolKey key = client.poolKey();
                    String state = client.gaugeState();
                    if (key == null || state == null) {
                        continue;
                    }
                    long[] c = counts.computeIfAbsent(key, k -> new long[5]);
                    c[state.equals("active") ? 0 : state.equals("waiting") ? 1 : 2]++;
                    if (client.pinned()) {
                        c[3]++;
                    }
                    if (state.equals("waiting")) {
                        c[4] = Math.max(c[4], now - client.waitStartNanos());
                    }
                }
                for (PoolStats p : poolStats()) {
                    counts.computeIfAbsent(p.key(), k -> new long[5]);
                }
                Map<PoolKey, BerthMetrics.ClientCounts> result = new HashMap<>();
                counts.forEach((k, c) -> result.put(k, new BerthMetrics.ClientCounts((int) c[0], (int) c[1], (int) c[2], (int) c[3], c[4])));
                return result;
            }

            @Override
            public int backendConnectionsInUse() {
                return proxy.pools().budget().used();
            }

            @Override
            public int backendConnectionsCap() {
                return proxy.pools().budget().cap();
            }
        };
    }

    /** The port of the metrics endpoint actually bound, or -1 when it is off. */
    public int metricsPort() {
        return http == null ? -1 : http.port();
    }

    public void pause(boolean paused) {
        proxy.paused(paused);
    }

    // ---- admin console actions ----

    @Override
    public void shutdown() {
        Thread t = new Thread(this::close, "berth-shutdown-by-admin");
        t.start();
    }

    @Override
    public String reload() throws IOException {
        if (config.authFile() == null) {
            return "nothing to reload: no auth file";
        }
        AuthFile file = AuthFile.load(config.authFile());
        proxy.authFile(file);
        LOG.info("auth file " + config.authFile() + " reloaded: " + file.size() + " users");
        return "auth file reloaded: " + file.size() + " users";
    }

    @Override
    public Map<String, String> settings() {
        Map<String, String> settings = new java.util.LinkedHashMap<>();
        ConfigJson.values(config).forEach((flag, value) -> settings.put(flag.substring(2), String.valueOf(value)));
        return settings;
    }

    @Override
    public Map<String, String> sources() {
        return sources;
    }

    /** Blocks until Berth has stopped (SIGTERM, SHUTDOWN on the admin console, or {@link #close()}). */
    public void awaitTermination() throws InterruptedException {
        terminated.await();
    }

    /** Stops accepting, ends every client with 57P01, closes every backend connection. */
    @Override
    public synchronized void close() {
        if (closing) {
            return;
        }
        closing = true;
        if (http != null) {
            http.close();
        }
        if (waitSweep != null) {
            waitSweep.cancel(false);
        }
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
        terminated.countDown();
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
