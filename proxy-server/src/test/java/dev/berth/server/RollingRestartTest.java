package dev.berth.server;

import dev.berth.core.config.HostPort;
import io.netty.channel.epoll.Epoll;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A rolling restart on one host: a second Berth listens on the same port with SO_REUSEPORT while the first
 * drains; clients that connect again when their connection is closed between transactions see no failed
 * transaction and no refused connection.
 */
class RollingRestartTest {
    private static final Logger LOG = Logger.getLogger(RollingRestartTest.class.getName());

    @Test
    void aSecondBerthTakesOverThePortWhileTheFirstDrains() throws Exception {
        RequiredTool.require(Epoll.isAvailable(), "native epoll (Linux) is not available, so SO_REUSEPORT cannot be used: "
                + Epoll.unavailabilityCause());
        RunningBerth old = RunningBerth.start(b -> b.soReuseport(true).poolMax(4));
        int port = old.port();
        RunningBerth next = null;
        try (TransactionLoad load = TransactionLoad.start("rolling_load", 8, () -> connect(port), false)) {
            load.awaitCommits(200);
            next = RunningBerth.start(b -> b.soReuseport(true).poolMax(4).listen(new HostPort("127.0.0.1", port)));
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
    void soReuseportWithoutEpollFailsToStartSayingWhy() {
        // the NIO transport (chosen with -Dberth.nio=true, or where epoll does not load) has no SO_REUSEPORT
        String before = System.getProperty("berth.nio");
        System.setProperty("berth.nio", "true");
        try {
            Exception e = assertThrows(Exception.class,
                    () -> RunningBerth.start(b -> b.soReuseport(true)));
            assertTrue(e.getMessage().contains("--so-reuseport needs the native epoll transport"), e.getMessage());
        } finally {
            if (before == null) {
                System.clearProperty("berth.nio");
            } else {
                System.setProperty("berth.nio", before);
            }
        }
    }

    private static Connection connect(int port) throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", TestPostgres.APP_USER);
        p.setProperty("password", TestPostgres.APP_PASSWORD);
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/" + TestPostgres.APP_DB, p);
    }
}
