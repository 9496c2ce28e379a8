package dev.berth.server;

import dev.berth.core.auth.AuthFile;
import dev.berth.core.auth.SecretSource;
import dev.berth.core.hba.HbaRules;
import dev.berth.core.config.BerthConfig;
import dev.berth.core.config.ConfigException;
import dev.berth.core.config.RuntimeConfig;
import dev.berth.core.config.SettingsResolver;
import dev.berth.core.pool.CloseReason;
import dev.berth.core.pool.PoolStats;
import dev.berth.core.protocol.ErrorResponse;
import dev.berth.core.protocol.PgFrameDecoder;
import dev.berth.core.protocol.SqlState;
import dev.berth.server.admin.AdminConsole;
import dev.berth.server.backend.BackendConnector;
import dev.berth.server.backend.BackendCredentialStore;
import dev.berth.server.backend.BackendHealth;
import dev.berth.server.backend.BackendTlsContexts;
import dev.berth.server.client.ClientSession;
import dev.berth.server.client.ClientTlsContext;
import dev.berth.server.client.DirectTlsDetector;
import dev.berth.server.http.ConfigJson;
import dev.berth.server.http.HttpEndpoints;
import dev.berth.server.lifecycle.Drain;
import dev.berth.server.lifecycle.Housekeeper;
import dev.berth.server.lifecycle.TimeoutSweeper;
import dev.berth.server.lifecycle.WaitSweeper;
import dev.berth.server.metrics.BerthMetrics;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ScheduledFuture;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * The Berth daemon: wires the pools, the client listener, the operator's HTTP port and the periodic
 * tasks together, and stops them. What each connection does lives in {@code server.client} and
 * {@code server.backend}; the periodic work in {@code server.lifecycle}.
 */
public final class BerthServer implements AutoCloseable, AdminConsole.Actions {
    private static final Logger LOG = Logger.getLogger(BerthServer.class.getName());
    /** Longest close() waits for each event loop group to stop (its graceful shutdown takes at most 5.1 s). */
    static final long LOOPS_STOP_WAIT_MS = 10_000;

    private final RuntimeConfig config;
    private final Transport transport;
    private final EventLoopGroup workerGroup;
    private final ProxyContext proxy;
    private final BerthMetrics metrics;
    private final PoolsLiveState liveState;
    private final ClientConnectionLimit connectionLimit;
    private final ConfigReload reload;
    private final List<String> startupWarnings;
    private final List<ScheduledFuture<?>> tasks = new ArrayList<>();
    private final CountDownLatch terminated = new CountDownLatch(1);
    private Channel listener;
    private HttpEndpoints http;
    private volatile boolean closing;
    /** A graceful shutdown began: /readyz says so from this moment. */
    private volatile boolean draining;

    public BerthServer(BerthConfig config) throws IOException {
        this(config, Map.of());
    }

    /** @param sources where each setting came from (flag name to "default", "flag", "environment (VAR)"), for /config */
    public BerthServer(BerthConfig initial, Map<String, String> sources) throws IOException {
        this(new SettingsResolver.Resolved(initial, sources, List.of()), null);
    }

    /**
     * Berth with settings resolved from flags, environment and a config file; RELOAD and SIGHUP resolve them
     * again with {@code resolver} (null: RELOAD rereads the auth file only).
     */
    public BerthServer(SettingsResolver.Resolved resolved, SettingsResolver resolver) throws IOException {
        BerthConfig initial = resolved.config();
        this.config = new RuntimeConfig(initial);
        this.startupWarnings = resolved.warnings();
        AuthFile authFile = initial.authFile() == null ? null : AuthFile.load(initial.authFile());
        HbaRules hba = HbaFiles.load(initial); // a bad line stops start-up, naming it
        BackendTlsContexts tlsContexts = new BackendTlsContexts();
        if (initial.backend().tls().attempts()) {
            tlsContexts.context(initial.backend().tls()); // a certificate that cannot be read stops start-up
        }
        ClientTlsContext clientTls = new ClientTlsContext(initial); // a bad file stops start-up here, before any socket
        this.transport = Transport.select(initial.transport());
        this.workerGroup = transport.newGroup(initial.workers());
        BackendHealth health = new BackendHealth();
        BackendCredentialStore credentials = new BackendCredentialStore(authFile);
        StatementRegistries registries = new StatementRegistries(config);
        this.metrics = new BerthMetrics(this::liveState); // read at scrape time only, once all is wired
        BackendConnector connector = new BackendConnector(config, credentials, workerGroup, transport, registries, metrics, health,
                tlsContexts);
        PoolRegistry pools = new PoolRegistry(PoolRegistry.budgets(initial), connector);
        CancelRegistry cancels = new CancelRegistry(new SecureRandom(), config, transport, metrics);
        this.proxy = new ProxyContext(config, authFile, pools, registries, cancels, credentials, metrics, health, clientTls, hba);
        this.liveState = new PoolsLiveState(proxy);
        this.connectionLimit = new ClientConnectionLimit(config, metrics);
        metrics.registerReadiness(this::notReadyReason);
        if (initial.metricsCompat().equals("pgbouncer")) {
            metrics.registerPgbouncerCompat(this::liveState);
        }
        this.reload = new ConfigReload(resolver, proxy, resolved.sources(), this::reconfigure);
        proxy.admin(new AdminConsole(proxy, liveState, this));
    }

    private PoolsLiveState liveState() {
        return liveState;
    }

    /** Binds the listen address, warms the default pool and starts the periodic tasks. */
    public BerthServer start() throws IOException {
        BerthConfig c = config.current();
        ServerBootstrap bootstrap = new ServerBootstrap()
                // accepted on a worker loop, not a thread of its own: no wake-up of a separate thread per
                // connection, and a client that loop accepts registers there without a hand-off
                .group(workerGroup.next(), workerGroup)
                .channel(transport.serverChannel())
                .option(ChannelOption.SO_BACKLOG, 4096)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                // Netty 4.2's default (adaptive) allocator allocates an object per slice and per copy into a
                // buffer; the pooled one recycles its slices: per message nothing (bench/RESULTS.md, issue 16)
                .childOption(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
                // one allocator for all clients (the default is one per channel; it holds no state)
                .childOption(ChannelOption.RCVBUF_ALLOCATOR, new AdaptiveRecvByteBufAllocator())
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        if (connectionLimit.admit(ch)) {
                            TcpKeepalive.apply(ch, config.current());
                            ClientSession session = new ClientSession(proxy);
                            ch.pipeline().addLast(new DirectTlsDetector(session),
                                    PgFrameDecoder.forClient(config.current().maxMessageSize()), session);
                        }
                    }
                });
        if (c.soReuseport()) {
            try {
                transport.reusePort(bootstrap);
            } catch (IOException e) {
                close();
                throw e;
            }
        }
        try {
            listener = bootstrap.bind(c.listen().host(), c.listen().port()).sync().channel();
        } catch (Exception e) {
            close();
            throw new IOException("cannot listen on " + c.listen() + ": " + e.getMessage(), e);
        }
        connectionLimit.checkFileLimit(c.maxBackendConnections());
        if (c.metricsListen().port() >= 0) {
            try {
                http = new HttpEndpoints(c.metricsListen().host(), c.metricsListen().port(), transport.ioHandlerFactory(),
                        transport.serverChannel(), metrics.registry(), this::notReadyReason,
                        () -> ConfigJson.render(config.current(), reload.sources(), transport.name()));
            } catch (IOException e) {
                close();
                throw new IOException("cannot serve metrics on " + c.metricsListen() + ": " + e.getMessage(), e);
            }
        }
        startupWarnings.forEach(LOG::warning);
        LOG.info("Berth listening on " + c.listen().host() + ":" + port() + " (" + transport.describe() + "), "
                + (c.databases().isEmpty() ? "backend " + c.backend().masked()
                : c.databases().databases().size() + " databases from " + c.configFile())
                + ", pool mode " + c.poolMode() + ", pool max " + c.poolMax() + " min " + c.poolMin()
                + ", " + proxy.clientTls().describe(c.clientTlsMode()));
        MinimumPools minimumPools = new MinimumPools(config::current, proxy.pools(), proxy.pauseGate(), () -> draining || closing);
        minimumPools.run();
        schedule(new Housekeeper(proxy.pools()::all, minimumPools, proxy::removeUnusedPools, proxy.pauseGate()),
                Housekeeper.PERIOD_MS);
        schedule(new WaitSweeper(config, proxy.pools()::all, proxy.pauseGate()), WaitSweeper.PERIOD_MS);
        schedule(new TimeoutSweeper(config, proxy.clients()::all), TimeoutSweeper.PERIOD_MS);
        return this;
    }

    private void schedule(Runnable task, long periodMs) {
        tasks.add(workerGroup.next().scheduleAtFixedRate(task, periodMs, periodMs, TimeUnit.MILLISECONDS));
    }

    /**
     * Runs with a new configuration from now on: every pool takes its new route (limits apply at its
     * next decision) and the backend cap changes; clients keep the settings they logged in with.
     * Settings that only apply at start-up (listen addresses, workers) keep their old values. The TLS
     * files are read first: a {@link ConfigException} for one of them leaves everything as it was.
     */
    public void reconfigure(BerthConfig next) {
        proxy.clientTls().reload(next);
        config.replace(next);
        proxy.pools().recap(next);
        proxy.pools().reroute(key -> RuntimeConfig.routeFor(next, key.database(), key.user()));
        LOG.info("configuration changed: pool max " + next.poolMax() + " min " + next.poolMin()
                + ", backend connections " + next.maxBackendConnections());
    }

    /**
     * Replaces where client secrets come from (the auth file by default): the seam an auth query uses.
     * RELOAD goes back to the auth file.
     */
    public void secrets(SecretSource source) {
        proxy.secrets(source);
    }

    /** The port actually bound (useful with port 0). */
    public int port() {
        return ((InetSocketAddress) listener.localAddress()).getPort();
    }

    public BerthConfig config() {
        return config.current();
    }

    public String transportName() {
        return transport.name();
    }

    /** Why Berth cannot serve right now (for /readyz), or null when it can. */
    String notReadyReason() {
        if (closing || draining) {
            return "shutting down";
        }
        if (listener == null || !listener.isActive()) {
            return "not listening";
        }
        if (proxy.pauseGate().paused()) {
            return "paused";
        }
        return proxy.health().problem();
    }

    /** The port of the metrics endpoint actually bound, or -1 when it is off. */
    public int metricsPort() {
        return http == null ? -1 : http.port();
    }

    public void pause(boolean paused) {
        proxy.pauseGate().pause(paused);
    }

    // ---- admin console actions ----

    @Override
    public void shutdown() {
        drain();
    }

    /** RELOAD and SIGHUP: see {@link ConfigReload}; throws saying why nothing changed. */
    @Override
    public String reload() throws IOException {
        return reload.reload();
    }

    @Override
    public Map<String, String> settings() {
        Map<String, String> settings = new LinkedHashMap<>();
        ConfigJson.values(config.current()).forEach((flag, value) -> settings.put(flag.substring(2), String.valueOf(value)));
        return settings;
    }

    @Override
    public Map<String, String> sources() {
        return reload.sources();
    }

    /** Blocks until Berth has stopped (SIGTERM, SHUTDOWN on the admin console, or {@link #close()}). */
    public void awaitTermination() throws InterruptedException {
        terminated.await();
    }

    /**
     * The graceful shutdown (SIGTERM, SIGINT, SHUTDOWN), in the background: /readyz answers 503 at once,
     * the listener closes, each client is ended (57P01) once it is between transactions and the rest when
     * --shutdown-timeout passes; then {@link #close()}. A second call does nothing; {@link #close()} cuts it short.
     */
    public void drain() {
        synchronized (this) {
            if (draining || closing) {
                return;
            }
            draining = true;
        }
        new Thread(this::drainThenClose, "berth-drain").start();
    }

    private void drainThenClose() {
        try {
            stopListening(LOOPS_STOP_WAIT_MS); // no new client while the others drain
            new Drain(proxy.clients(), proxy.pools()).run(config.current().shutdownTimeoutMs());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            close();
        }
    }

    /** Waits up to the given time for Berth to stop; true if it has. */
    public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
        return terminated.await(timeout, unit);
    }

    /**
     * Stops at once: stops accepting, ends every client with 57P01, closes every backend connection
     * (with Terminate). The end of a drain, and the way to cut one short.
     */
    @Override
    public synchronized void close() {
        if (closing) {
            return;
        }
        closing = true;
        if (http != null) {
            http.close();
        }
        tasks.forEach(t -> t.cancel(false));
        stopListening(0); // the loops' shutdown below waits, bounded, for the close as for all else
        for (ClientSession client : proxy.clients().all()) {
            client.executor().execute(() -> client.disconnect(SqlState.ADMIN_SHUTDOWN, "Berth is shutting down", null));
        }
        proxy.closeAuthQuery();
        proxy.pools().closeAll(CloseReason.SHUTDOWN, ErrorResponse.fatal(SqlState.ADMIN_SHUTDOWN, "Berth is shutting down"));
        awaitStopped(workerGroup.shutdownGracefully(100, 5000, TimeUnit.MILLISECONDS), "worker");
        LOG.info("Berth stopped");
        terminated.countDown();
    }

    /**
     * Closes the listening socket, waiting at most {@code waitMs} for it: the socket lives on a worker loop, and
     * a loop stuck in a task must not hold the shutdown.
     */
    private void stopListening(long waitMs) {
        if (listener != null && !listener.close().awaitUninterruptibly(waitMs) && waitMs > 0) {
            LOG.warning("the listening socket did not close within " + waitMs + " ms: its event loop is stuck");
        }
    }

    /**
     * Waits a bounded time for event loops to stop: a loop stuck in its transport (seen once with io_uring, in
     * its teardown) must not keep Berth from exiting; the process exits after close() all the same.
     */
    private static void awaitStopped(Future<?> termination, String which) {
        if (!termination.awaitUninterruptibly(LOOPS_STOP_WAIT_MS)) {
            LOG.warning(which + " event loops did not stop within " + LOOPS_STOP_WAIT_MS + " ms of the shutdown; exiting without them");
        }
    }

    // ---- for tests and the admin console ----

    /** A reading of every pool's lists. */
    public List<PoolStats> poolStats() {
        return liveState.poolStats();
    }

    public int backendConnectionsInUse() {
        return proxy.pools().budget().used();
    }

    public int clientCount() {
        return proxy.clients().size();
    }

    /** The clients, for tests that need to reach one's event loop. */
    Iterable<ClientSession> clients() {
        return proxy.clients().all();
    }
}
