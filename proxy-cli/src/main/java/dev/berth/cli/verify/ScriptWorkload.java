package dev.berth.cli.verify;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * The statements of a .sql file, run in order as one request (autocommit, so a BEGIN ... COMMIT in the
 * file is one transaction). Each is a prepared statement without parameters; {@code --} comments are dropped.
 */
final class ScriptWorkload implements Workload {
    private final List<String> statements;

    private ScriptWorkload(List<String> statements) {
        this.statements = statements;
    }

    static ScriptWorkload parse(String text) {
        StringBuilder sql = new StringBuilder();
        for (String line : text.split("\\R")) {
            String trimmed = line.strip();
            if (trimmed.startsWith("\\")) {
                throw new IllegalArgumentException("workload file: pgbench meta-commands such as '" + trimmed
                        + "' are not supported; write plain SQL statements ending with ;");
            }
            if (!trimmed.startsWith("--")) {
                sql.append(line).append('\n');
            }
        }
        List<String> statements = new ArrayList<>();
        for (String statement : sql.toString().split(";")) {
            if (!statement.isBlank()) {
                statements.add(statement.strip());
            }
        }
        if (statements.isEmpty()) {
            throw new IllegalArgumentException("workload file holds no SQL statement");
        }
        return new ScriptWorkload(List.copyOf(statements));
    }

    @Override
    public void run(Connection connection) throws SQLException {
        for (String statement : statements) {
            try (PreparedStatement ps = connection.prepareStatement(statement)) {
                ps.execute();
            }
        }
    }
}
