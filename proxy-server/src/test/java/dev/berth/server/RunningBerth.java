package dev.berth.server;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.berth.core.auth.AuthType;
import dev.berth.core.config.BackendUrl;
import dev.berth.core.config.BerthConfig;
import dev.berth.core.config.HostPort;
import dev.berth.core.config.SettingsResolver;
import dev.berth.core.config.SettingsTable;
import dev.berth.core.pool.PoolStats;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;

/** A Berth server on a free port in front of {@link TestPostgres}, for one test class or one test. */
public final class RunningBerth implements AutoCloseable {
    /** The auth file every test Berth uses unless told otherwise: each test user with its password. */
    public static final String AUTH_FILE = String.join("\n",
            "\"" + TestPostgres.APP_USER + "\" \"" + TestPostgres.APP_PASSWORD + "\"",
            "\"" + TestPostgres.MD5_USER + "\" \"" + TestPostgres.MD5_PASSWORD + "\"",
            "\"" + TestPostgres.PLAIN_USER + "\" \"" + TestPostgres.PLAIN_PASSWORD + "\"",
            "\"postgres\" \"postgres-pw\"", "");

    private final BerthServer server;

    private RunningBerth(BerthServer server) {
        this.server = server;
    }

    /**
     * Berth with the default test auth file, SCRAM client auth, backend = the embedded PostgreSQL, client user and
     * database, and generous connection timeouts (30 s; 60 s for a client's login), before {@code customize}.
     */
    public static RunningBerth start(UnaryOperator<BerthConfig.Builder> customize) {
        BerthConfig.Builder builder = BerthConfig.builder()
                .listen(new HostPort("127.0.0.1", 0))
                .metricsListen(new HostPort("127.0.0.1", 0))
                .backend(BackendUrl.parse("postgresql://127.0.0.1:" + TestPostgres.port()))
                .authFile(TestPostgres.writeTemp("berth-users", AUTH_FILE))
                .authType(AuthType.SCRAM_SHA_256)
                .poolMin(0)
                .poolMax(10)
                // waits that no test means to run into must never trip on a loaded machine; the tests of the
                // timeouts set short ones themselves
                .connectionTimeoutMs(30_000)
                .serverConnectTimeoutMs(30_000)
                // a login waits for a backend too: past the connection timeout, so that its clear 53300 comes first
                // (the 15 s default expired on logins under a load average of 34 on two cores)
                .clientLoginTimeoutMs(60_000);
        try {
            return new RunningBerth(new BerthServer(customize.apply(builder).build()).start());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static RunningBerth start() {
        return start(b -> b);
    }

    /** Berth as `berth run --config FILE` starts it (no flags, no environment), so RELOAD rereads the file. */
    public static RunningBerth startWithConfig(Path configFile) {
        SettingsResolver resolver = new SettingsResolver(Map.of(SettingsTable.CONFIG, configFile.toString()), Map.of());
        try {
            return new RunningBerth(new BerthServer(resolver.resolve(), resolver).start());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * A backend URL naming the app user (with its password) and appdb: the pool app@appdb is then Berth's
     * default pool, which {@code poolMin(n)} warms at start-up (see {@link #awaitPool}).
     */
    public static BackendUrl appBackend() {
        return BackendUrl.parse("postgresql://" + TestPostgres.APP_USER + ":" + TestPostgres.APP_PASSWORD
                + "@127.0.0.1:" + TestPostgres.port() + "/" + TestPostgres.APP_DB);
    }

    /** Waits (up to 30 s) until the stats of the pool app@appdb satisfy {@code condition}, e.g. {@code p -> p.idle() == 3}. */
    public RunningBerth awaitPool(Predicate<PoolStats> condition, String what) {
        return awaitPool(TestPostgres.APP_USER, TestPostgres.APP_DB, condition, what);
    }

    /** Waits (up to 30 s) until the stats of the pool user@database satisfy {@code condition} (the pool must exist). */
    public RunningBerth awaitPool(String user, String database, Predicate<PoolStats> condition, String what) {
        try {
            waitFor(() -> {
                List<PoolStats> pools = server.poolStats();
                return pools.stream().anyMatch(p -> p.key().user().equals(user) && p.key().database().equals(database)
                        && condition.test(p));
            }, what);
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + " (pools now: " + server.poolStats() + ")", e);
        }
        return this;
    }

    /** Polls {@code condition} every 20 ms until it holds; fails after 30 s naming {@code what}. */
    public static void waitFor(BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after 30 s waiting for: " + what);
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted waiting for: " + what, e);
            }
        }
    }

    public BerthServer server() {
        return server;
    }

    public int port() {
        return server.port();
    }

    public String jdbcUrl(String database) {
        return "jdbc:postgresql://127.0.0.1:" + port() + "/" + database;
    }

    public Connection connect(String user, String password, String database) throws SQLException {
        Properties props = new Properties();
        props.setProperty("user", user);
        props.setProperty("password", password);
        return DriverManager.getConnection(jdbcUrl(database), props);
    }

    /** The app user on appdb, through Berth. */
    public Connection connectApp() throws SQLException {
        return connect(TestPostgres.APP_USER, TestPostgres.APP_PASSWORD, TestPostgres.APP_DB);
    }

    public HikariDataSource hikari(int maxPoolSize) {
        HikariConfig hc = new HikariConfig();
        hc.setJdbcUrl(jdbcUrl(TestPostgres.APP_DB));
        hc.setUsername(TestPostgres.APP_USER);
        hc.setPassword(TestPostgres.APP_PASSWORD);
        hc.setMaximumPoolSize(maxPoolSize);
        hc.setConnectionTimeout(10_000);
        return new HikariDataSource(hc);
    }

    @Override
    public void close() {
        server.close();
    }
}
