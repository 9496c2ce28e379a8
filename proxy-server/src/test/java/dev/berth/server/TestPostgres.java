package dev.berth.server;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;

/**
 * One embedded PostgreSQL 17 for the whole test JVM, with users that each need a different login
 * method from Berth: {@code app} (SCRAM), {@code md5user} (md5), {@code plainuser} (cleartext password),
 * {@code postgres} (trust), and the database {@code appdb}.
 */
public final class TestPostgres {
    public static final String APP_USER = "app";
    public static final String APP_PASSWORD = "app-secret";
    public static final String MD5_USER = "md5user";
    public static final String MD5_PASSWORD = "md5-secret";
    public static final String PLAIN_USER = "plainuser";
    public static final String PLAIN_PASSWORD = "plain-secret";
    public static final String APP_DB = "appdb";

    private static EmbeddedPostgres postgres;

    private TestPostgres() {
    }

    public static synchronized EmbeddedPostgres get() {
        if (postgres == null) {
            try {
                Path hba = TempFiles.file("berth-test-hba", ".conf");
                Files.writeString(hba, String.join("\n",
                        "local all all trust",
                        "host all " + APP_USER + " 127.0.0.1/32 scram-sha-256",
                        "host all " + MD5_USER + " 127.0.0.1/32 md5",
                        "host all " + PLAIN_USER + " 127.0.0.1/32 password",
                        "host all all 127.0.0.1/32 trust",
                        "host all all ::1/128 trust", ""));
                postgres = EmbeddedPostgres.builder()
                        .setServerConfig("hba_file", hba.toString())
                        .setServerConfig("max_connections", "300")
                        .setServerConfig("listen_addresses", "127.0.0.1")
                        .start();
                Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                    try {
                        postgres.close();
                    } catch (IOException ignored) {
                        // best effort at JVM exit
                    }
                }));
                createUsers();
            } catch (IOException | SQLException e) {
                throw new IllegalStateException("cannot start embedded PostgreSQL", e);
            }
        }
        return postgres;
    }

    public static int port() {
        return get().getPort();
    }

    /** A direct connection as the superuser, bypassing Berth. */
    public static Connection superuser(String database) throws SQLException {
        Properties props = new Properties();
        props.setProperty("user", "postgres");
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port() + "/" + database, props);
    }

    /** Runs one statement as the superuser on the postgres database, bypassing Berth. */
    public static void execute(String statement) throws SQLException {
        try (Connection c = superuser("postgres"); Statement s = c.createStatement()) {
            s.execute(statement);
        }
    }

    /** The number of rows in a table of the postgres database, read directly. */
    public static long rowCount(String table) throws SQLException {
        try (Connection c = superuser("postgres"); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("select count(*) from " + table)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** The SCRAM secret PostgreSQL stores for a user (for SCRAM passthrough tests). */
    public static String storedSecret(String user) throws SQLException {
        try (Connection c = superuser("postgres"); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("select rolpassword from pg_authid where rolname = '" + user + "'")) {
            rs.next();
            return rs.getString(1);
        }
    }

    /** Number of backend sessions PostgreSQL has for a user. */
    public static int backendCount(String user) throws SQLException {
        try (Connection c = superuser("postgres"); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("select count(*) from pg_stat_activity where usename = '" + user + "'")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    private static void createUsers() throws SQLException {
        try (Connection c = superuser("postgres"); Statement s = c.createStatement()) {
            s.execute("set password_encryption = 'scram-sha-256'");
            s.execute("create role " + APP_USER + " login password '" + APP_PASSWORD + "'");
            s.execute("create role " + PLAIN_USER + " login password '" + PLAIN_PASSWORD + "'");
            s.execute("set password_encryption = 'md5'");
            s.execute("create role " + MD5_USER + " login password '" + MD5_PASSWORD + "'");
            s.execute("create database " + APP_DB + " owner " + APP_USER);
            s.execute("grant all on database " + APP_DB + " to " + MD5_USER + ", " + PLAIN_USER);
        }
    }

    static Path writeTemp(String prefix, String content) {
        try {
            return Files.writeString(TempFiles.file(prefix, ".txt"), content);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
