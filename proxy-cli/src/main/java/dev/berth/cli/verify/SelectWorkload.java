package dev.berth.cli.verify;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.concurrent.ThreadLocalRandom;

/** One parameterised SELECT per request (a prepared statement, server-side from pgjdbc's 5th use). */
final class SelectWorkload implements Workload {

    @Override
    public void run(Connection connection) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement("select ?::int")) {
            ps.setInt(1, ThreadLocalRandom.current().nextInt(1_000_000));
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
            }
        }
    }
}
