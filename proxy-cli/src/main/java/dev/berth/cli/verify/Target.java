package dev.berth.cli.verify;

import dev.berth.core.config.BackendUrl;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Properties;

/** A database the load is sent to, from a {@code postgresql://user:password@host:port/database} URL. */
public record Target(String role, BackendUrl url) {

    /** @throws IllegalArgumentException saying what is wrong with the URL (password masked) */
    public static Target parse(String role, String value) {
        BackendUrl url = BackendUrl.parse(value);
        if (url.user() == null) {
            throw new IllegalArgumentException("'" + url.masked() + "' names no user (postgresql://user:password@host:port/database)");
        }
        return new Target(role, url);
    }

    public String user() {
        return url.user();
    }

    /** As libpq: no database in the URL means the user's name. */
    public String database() {
        return url.database() != null ? url.database() : url.user();
    }

    public String jdbcUrl() {
        return "jdbc:postgresql://" + url.address() + "/" + database() + "?sslmode=" + url.tls().mode().label()
                + (url.tls().rootCert() != null ? "&sslrootcert=" + url.tls().rootCert() : "");
    }

    public Properties properties() {
        Properties p = new Properties();
        p.setProperty("user", url.user());
        if (url.password() != null) {
            p.setProperty("password", url.password());
        }
        p.setProperty("ApplicationName", "berth verify");
        p.setProperty("connectTimeout", "10");
        return p;
    }

    /** One connection outside the application pools: to check the target is there and to set up a workload. */
    public Connection connect() throws SQLException {
        return DriverManager.getConnection(jdbcUrl(), properties());
    }

    public String masked() {
        return url.masked();
    }
}
