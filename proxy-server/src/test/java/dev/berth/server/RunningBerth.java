package dev.berth.server;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.berth.core.auth.AuthType;
import dev.berth.core.config.BackendUrl;
import dev.berth.core.config.BerthConfig;
import dev.berth.core.config.HostPort;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Properties;
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

    /** Berth with the default test auth file, SCRAM client auth, backend = the embedded PostgreSQL, client user and database. */
    public static RunningBerth start(UnaryOperator<BerthConfig.Builder> customize) {
        BerthConfig.Builder builder = BerthConfig.builder()
                .listen(new HostPort("127.0.0.1", 0))
                .metricsListen(new HostPort("127.0.0.1", 0))
                .backend(BackendUrl.parse("postgresql://127.0.0.1:" + TestPostgres.port()))
                .authFile(TestPostgres.writeTemp("berth-users", AUTH_FILE))
                .authType(AuthType.SCRAM_SHA_256)
                .poolMin(0)
                .poolMax(10);
        try {
            return new RunningBerth(new BerthServer(customize.apply(builder).build()).start());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static RunningBerth start() {
        return start(b -> b);
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
