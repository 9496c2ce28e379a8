package dev.berth.server;

import dev.berth.core.config.HostPort;
import dev.berth.core.config.TransportChoice;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.uring.IoUring;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A rolling restart on one host: a second Berth listens on the same port with SO_REUSEPORT while the first
 * drains; clients that connect again when their connection is closed between transactions see no failed
 * transaction and no refused connection.
 */
class RollingRestartTest {
    private static final Logger LOG = Logger.getLogger(RollingRestartTest.class.getName());

    @ParameterizedTest
    @EnumSource(value = TransportChoice.class, names = {"EPOLL", "IO_URING"})
    void aSecondBerthTakesOverThePortWhileTheFirstDrains(TransportChoice transport) throws Exception {
        if (transport == TransportChoice.EPOLL) {
            RequiredTool.require(Epoll.isAvailable(), "native epoll (Linux) is not available, so SO_REUSEPORT cannot be"
                    + " used: " + Epoll.unavailabilityCause());
        } else {
            assumeTrue(IoUring.isAvailable(), () -> "io_uring is not available here: " + IoUring.unavailabilityCause());
        }
        RunningBerth old = RunningBerth.start(b -> b.transport(transport).soReuseport(true).poolMax(4));
        int port = old.port();
        RunningBerth next = null;
        try (TransactionLoad load = TransactionLoad.start("rolling_load_" + transport, 8, () -> connect(port), false)) {
            load.awaitCommits(200);
            next = RunningBerth.start(b -> b.transport(transport).soReuseport(true).poolMax(4)
                    .listen(new HostPort("127.0.0.1", port)));
            assertEquals(port, next.port());
            old.server().drain();
            assertTrue(old.server().awaitTermination(60, TimeUnit.SECONDS), "the old Berth drained and stopped");
            long atHandOver = load.committed.get();
            load.awaitCommits(atHandOver + 200); // served by the new Berth alone
            load.close();
            LOG.info("rolling restart: " + load);
            assertEquals(0, load.failedInFlight.get(), load::toString);
            assertEquals(0, load.refused.get(), load::toString);
            assertTrue(load.notStarted.get() >= 1, "the old Berth closed connections between transactions: " + load);
            assertEquals(2 * load.committed.get(), load.rows(), load::toString);
        } finally {
            old.close();
            if (next != null) {
                next.close();
            }
        }
    }

    @Test
    void soReuseportOnNioFailsToStartSayingWhy() {
        // the NIO transport (--transport nio, or where no native one loads) has no SO_REUSEPORT
        Exception e = assertThrows(Exception.class,
                () -> RunningBerth.start(b -> b.transport(TransportChoice.NIO).soReuseport(true)));
        assertTrue(e.getMessage().contains("--so-reuseport needs a native transport (io_uring or epoll, Linux), and the"
                + " transport in use is nio (--transport nio)"), e.getMessage());
    }

    private static Connection connect(int port) throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", TestPostgres.APP_USER);
        p.setProperty("password", TestPostgres.APP_PASSWORD);
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/" + TestPostgres.APP_DB, p);
    }
}
