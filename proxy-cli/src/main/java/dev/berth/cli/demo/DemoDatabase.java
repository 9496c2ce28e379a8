package dev.berth.cli.demo;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * PostgreSQL 17 from the io.zonky binaries in a temporary directory, with a {@code demo} user (password
 * {@code demo}) owning a {@code demo} database. Closing stops it and deletes the directory.
 */
final class DemoDatabase implements AutoCloseable {
    static final String USER = "demo";
    static final String PASSWORD = "demo";
    static final String DATABASE = "demo";

    private final Path directory;
    private final EmbeddedPostgres postgres;

    private DemoDatabase(Path directory, EmbeddedPostgres postgres) {
        this.directory = directory;
        this.postgres = postgres;
    }

    static DemoDatabase start() throws IOException {
        Path directory = Files.createTempDirectory("berth-demo-");
        try {
            EmbeddedPostgres postgres = EmbeddedPostgres.builder()
                    .setDataDirectory(directory.resolve("data"))
                    .setCleanDataDirectory(true)
                    .setRegisterShutdownHook(false) // the demo stops Berth first, then PostgreSQL
                    .setServerConfig("listen_addresses", "127.0.0.1")
                    .start();
            DemoDatabase db = new DemoDatabase(directory, postgres);
            try (Connection c = postgres.getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
                s.execute("create role " + USER + " login password '" + PASSWORD + "'");
                s.execute("create database " + DATABASE + " owner " + USER);
            } catch (SQLException e) {
                db.close();
                throw new IOException("cannot create the demo user and database: " + e.getMessage(), e);
            }
            return db;
        } catch (IOException | RuntimeException e) {
            delete(directory);
            throw e;
        }
    }

    int port() {
        return postgres.getPort();
    }

    Path directory() {
        return directory;
    }

    @Override
    public void close() {
        try {
            postgres.close();
        } catch (IOException e) {
            System.err.println("berth demo: stopping PostgreSQL: " + e.getMessage());
        } finally {
            delete(directory);
        }
    }

    private static void delete(Path directory) {
        if (!Files.exists(directory)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(directory)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            System.err.println("berth demo: cannot delete " + directory + ": " + e.getMessage());
        }
    }
}
