package dev.berth.server;

import dev.berth.core.config.PoolMode;
import dev.berth.core.config.TransportChoice;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.uring.IoUring;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** {@code --transport}: each transport this machine can load carries real clients, cancels and /config. */
class TransportTest {

    private static boolean loads(TransportChoice t) {
        return switch (t) {
            case IO_URING -> IoUring.isAvailable();
            case EPOLL -> Epoll.isAvailable();
            default -> true;
        };
    }

    @ParameterizedTest
    @EnumSource(value = TransportChoice.class, names = {"IO_URING", "EPOLL", "NIO"})
    void aRealClientRunsThroughEachTransport(TransportChoice choice) throws Exception {
        assumeTrue(loads(choice), choice + " does not load on this machine");
        try (RunningBerth berth = RunningBerth.start(b -> b.transport(choice).poolMode(PoolMode.TRANSACTION).poolMax(2))) {
            assertEquals(choice.toString(), berth.server().transportName());
            assertTrue(ObservabilityTest.get(berth.server(), "/config").body()
                    .contains("\"transport\": \"" + choice + "\""));
            try (Connection a = berth.connectApp(); Connection b = berth.connectApp();
                 PreparedStatement pa = a.prepareStatement("select ?::int + 1");
                 PreparedStatement pb = b.prepareStatement("select ?::int * 2")) {
                // past pgjdbc's prepareThreshold: named statements, Parse/Bind/Execute/Sync interleaved on 2 backends
                for (int i = 0; i < 50; i++) {
                    assertEquals(i + 1, one(pa, i));
                    assertEquals(i * 2, one(pb, i));
                }
                try (Statement s = a.createStatement()) {
                    s.setQueryTimeout(1); // pgjdbc cancels: the cancel request goes out on this transport too
                    SQLException e = assertThrows(SQLException.class,
                            () -> s.execute("select pg_sleep(60)"));
                    assertEquals("57014", e.getSQLState(), e.getMessage());
                }
                assertEquals(8, one(pa, 7));
            }
        }
    }

    @Test
    void autoTakesEpollWhereItLoads() throws Exception {
        String expected = Epoll.isAvailable() ? "epoll" : "nio";
        try (RunningBerth berth = RunningBerth.start(b -> b)) {
            assertEquals(expected, berth.server().transportName());
        }
    }

    private static int one(PreparedStatement ps, int arg) throws SQLException {
        ps.setInt(1, arg);
        try (ResultSet rs = ps.executeQuery()) {
            assertTrue(rs.next());
            return rs.getInt(1);
        }
    }
}
