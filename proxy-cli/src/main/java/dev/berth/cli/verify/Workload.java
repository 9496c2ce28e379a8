package dev.berth.cli.verify;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;

/** What one request of a simulated application does on a connection borrowed from its pool. */
public interface Workload {

    /** Once per target before the load: creates what the workload needs. */
    default void prepare(Connection connection) throws SQLException {
    }

    void run(Connection connection) throws SQLException;

    /** {@code select}, {@code tpcb} or the path of a {@code .sql} file. */
    static Workload of(String spec) {
        return switch (spec) {
            case "select" -> new SelectWorkload();
            case "tpcb" -> new TpcbWorkload();
            default -> {
                Path file = Path.of(spec);
                if (!Files.isRegularFile(file)) {
                    throw new IllegalArgumentException("workload '" + spec + "' is neither select, tpcb nor a readable .sql file");
                }
                try {
                    yield ScriptWorkload.parse(Files.readString(file));
                } catch (IOException e) {
                    throw new IllegalArgumentException("cannot read workload file " + spec + ": " + e.getMessage());
                }
            }
        };
    }
}
