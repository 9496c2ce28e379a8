package dev.berth.server;

import dev.berth.core.auth.AuthType;
import io.netty.buffer.PooledByteBufAllocator;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A client that asks for a result of about 1.6 GB and reads none of it: Berth stops reading from its backend
 * (PostgreSQL waits on ClientWrite) instead of buffering it, its memory stays put, and other clients on
 * the same Berth are served meanwhile.
 */
class SlowReaderTest {
    private static final long BOUND = 64L << 20;
    private static final String HUGE = "select repeat('x', 8192) from generate_series(1, 200000)";

    @Test
    void aClientThatDoesNotReadHoldsBackItsBackendNotBerthsMemory() throws Exception {
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        try (RunningBerth berth = RunningBerth.start(b -> b.authType(AuthType.TRUST).authFile(null).poolMax(4))) {
            try (RawClient warm = RawClient.login(berth.port(), "postgres", "postgres")) {
                warm.query("select 1");
                warm.readUntil('Z');
            }
            System.gc();
            long heapBefore = memory.getHeapMemoryUsage().getUsed();
            long directBefore = PooledByteBufAllocator.DEFAULT.metric().usedDirectMemory();

            RawClient slow = RawClient.login(berth.port(), "postgres", "postgres");
            slow.query(HUGE);
            // PostgreSQL blocked writing to Berth, seen on several polls in a row: Berth has stopped reading
            int[] inARow = {0};
            RunningBerth.waitFor(() -> (inARow[0] = waitingOnClientWrite() ? inARow[0] + 1 : 0) >= 5,
                    "the slow client's backend waits on ClientWrite");

            // the others are served meanwhile
            try (RawClient other = RawClient.login(berth.port(), "postgres", "postgres")) {
                for (int i = 0; i < 200; i++) {
                    other.query("select 'other " + i + "'");
                    assertEquals(List.of("other " + i), RawClient.firstColumns(other.readUntil('Z')));
                }
            }
            assertTrue(waitingOnClientWrite(), "still held back");
            System.gc();
            long heapGrowth = memory.getHeapMemoryUsage().getUsed() - heapBefore;
            long directGrowth = PooledByteBufAllocator.DEFAULT.metric().usedDirectMemory() - directBefore;
            System.out.printf("slow reader: heap +%d KiB, Netty direct +%d KiB while a 1.6 GB result waits%n",
                    heapGrowth >> 10, directGrowth >> 10);
            assertTrue(heapGrowth < BOUND, "heap grew by " + heapGrowth);
            assertTrue(directGrowth < BOUND, "direct memory grew by " + directGrowth);

            slow.reset();
            berth.awaitPool("postgres", "postgres", p -> p.active() == 0 && p.tested() == 0,
                    "the slow client's backend is closed or cleaned up");
            RunningBerth.waitFor(() -> !queryRuns(), "the huge query ended with its client");
        }
    }

    private static boolean waitingOnClientWrite() {
        return count("select count(*) from pg_stat_activity where query = '" + HUGE.replace("'", "''")
                + "' and wait_event = 'ClientWrite'") == 1;
    }

    private static boolean queryRuns() {
        return count("select count(*) from pg_stat_activity where query = '" + HUGE.replace("'", "''")
                + "' and state = 'active'") > 0;
    }

    private static long count(String sql) {
        try (Connection c = TestPostgres.superuser("postgres"); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
