package dev.berth.server.authquery;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.berth.core.auth.AuthFile;
import dev.berth.core.auth.Secret;
import dev.berth.core.config.AuthQueryTarget;
import dev.berth.core.config.BackendTls;
import dev.berth.core.config.BackendUrl;
import dev.berth.core.config.BerthConfig;
import dev.berth.core.config.RuntimeConfig;
import dev.berth.core.pool.PoolRoute;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * The auth query's connections for one {@link AuthQueryTarget}: a small HikariCP pool of pgjdbc connections
 * as its auth user, to where a client of its database would be routed, opened at the first lookup (a control plane that is down does not
 * stop Berth from starting). Blocking: called on the auth query's own threads only.
 */
final class ControlPlane implements AutoCloseable {
    private static final int CONNECTIONS = 2;

    private final String query;
    private final BackendUrl server;
    private final String password;
    private final long budgetMs;
    private HikariDataSource pool;
    private boolean closed;

    ControlPlane(BerthConfig config, AuthQueryTarget target, AuthFile authFile, long budgetMs) {
        String user = target.authUser();
        PoolRoute route = RuntimeConfig.routeFor(config, target.database(), user);
        BackendUrl url = route != null ? route.server() : new BackendUrl(config.backend().host(), config.backend().port(),
                user, config.backend().password(), target.database(), config.backend().tls());
        // the auth user itself, not the route's user: a [databases] entry may name another
        this.server = new BackendUrl(url.host(), url.port(), user, url.user().equals(user) ? url.password() : null,
                url.database(), url.tls());
        Secret listed = authFile == null ? null : authFile.lookup(user);
        this.password = server.password() != null ? server.password() : listed instanceof Secret.Plain p ? p.password() : null;
        // pgbouncer's queries say $1; pgjdbc's placeholder is ?
        this.query = target.authQuery().replaceAll("\\$1(?![0-9])", "?");
        this.budgetMs = budgetMs;
    }

    /** "as auth_user on host:port/database", for messages. */
    String describe() {
        return "(as " + server.user() + " on " + server.address() + "/" + server.database() + ")";
    }

    /** The user's secret, or null when the query returns no row or no password for it. */
    Secret lookup(String user) {
        try (Connection c = pool().getConnection(); PreparedStatement statement = c.prepareStatement(query)) {
            statement.setString(1, user);
            statement.setQueryTimeout(seconds(budgetMs));
            try (ResultSet rows = statement.executeQuery()) {
                if (!rows.next()) {
                    return null;
                }
                String secret = rows.getString(2);
                return secret == null || secret.isEmpty() ? null : Secret.parse(secret);
            }
        } catch (SQLException e) {
            throw new AuthQueryException("auth_query " + describe() + " failed: " + reason(e), e);
        } catch (IllegalArgumentException e) {
            throw new AuthQueryException("auth_query " + describe() + " returned a secret Berth cannot use for user \""
                    + user + "\": " + e.getMessage(), e);
        }
    }

    /** HikariCP's "request timed out" hides the connection error in its cause: the cause says what happened. */
    private static String reason(SQLException e) {
        Throwable cause = e;
        while (cause.getCause() != null && cause.getCause() != cause) {
            cause = cause.getCause();
        }
        String state = e.getSQLState() == null || e.getSQLState().startsWith("08") ? "" : " (SQLSTATE " + e.getSQLState() + ")";
        return (cause == e ? e.getMessage() : e.getMessage() + ": " + cause.getMessage()) + state;
    }

    private synchronized HikariDataSource pool() {
        if (closed) {
            throw new AuthQueryException("auth_query " + describe() + ": closed by a reload", null);
        }
        if (pool == null) {
            pool = new HikariDataSource(hikariConfig());
        }
        return pool;
    }

    private HikariConfig hikariConfig() {
        HikariConfig c = new HikariConfig();
        c.setPoolName("berth-auth-query");
        c.setJdbcUrl("jdbc:postgresql://" + server.address() + "/" + server.database());
        c.setUsername(server.user());
        if (password != null) {
            c.setPassword(password);
        }
        c.setMaximumPoolSize(CONNECTIONS);
        c.setMinimumIdle(0);
        // half the budget: HikariCP's error, which carries the connection's, comes before the lookup gives up
        c.setConnectionTimeout(Math.max(250, budgetMs / 2));
        c.setValidationTimeout(Math.max(250, Math.min(budgetMs, 5_000)));
        c.setInitializationFailTimeout(-1); // a control plane that is down fails lookups, not Berth
        c.setReadOnly(true);
        c.addDataSourceProperty("connectTimeout", seconds(budgetMs));
        c.addDataSourceProperty("loginTimeout", seconds(budgetMs));
        c.addDataSourceProperty("socketTimeout", seconds(budgetMs));
        c.addDataSourceProperty("ApplicationName", "berth auth_query");
        tls(c, server.tls());
        return c;
    }

    /** The backend's TLS settings in pgjdbc's terms; without sslrootcert, the JDK's trust store (as Berth's own connections). */
    private static void tls(HikariConfig c, BackendTls tls) {
        c.addDataSourceProperty("sslmode", tls.mode().label());
        c.addDataSourceProperty("channelBinding", tls.channelBinding().label());
        if (!tls.attempts()) {
            return;
        }
        if (tls.rootCert() != null) {
            c.addDataSourceProperty("sslrootcert", tls.rootCert().toString());
        } else {
            c.addDataSourceProperty("sslfactory", "org.postgresql.ssl.DefaultJavaSSLFactory");
        }
        if (tls.negotiation() == BackendTls.Negotiation.DIRECT) {
            c.addDataSourceProperty("sslNegotiation", "direct");
        }
    }

    private static int seconds(long ms) {
        return (int) Math.max(1, (ms + 999) / 1000);
    }

    @Override
    public synchronized void close() {
        closed = true;
        if (pool != null) {
            pool.close();
        }
    }
}
