package dev.berth.server.chaos;

import dev.berth.server.FaultyLink;
import dev.berth.server.TestPostgres;

import java.io.IOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Injects faults between Berth and PostgreSQL at random until the deadline: terminated backends, a cut link,
 * all links cut, a "restart" (the port refuses, every backend is terminated and every link cut, then it
 * accepts again), a stalled and a slowed link. The pauses pace the faults; nothing waits on them.
 */
final class ChaosFaults implements Runnable {
    private static final String APP_BACKENDS = "from pg_stat_activity where usename = 'app' and datname = 'appdb'"
            + " and backend_type = 'client backend'";

    final AtomicLong terminated = new AtomicLong();
    final AtomicLong cut = new AtomicLong();
    final AtomicLong restarts = new AtomicLong();
    final AtomicLong stalls = new AtomicLong();
    final AtomicLong slowdowns = new AtomicLong();
    private final FaultyLink link;
    private final Random random;
    private final long deadlineNanos;
    private volatile Throwable failure;

    ChaosFaults(FaultyLink link, long seed, long deadlineNanos) {
        this.link = link;
        this.random = new Random(seed);
        this.deadlineNanos = deadlineNanos;
    }

    long total() {
        return terminated.get() + cut.get() + restarts.get() + stalls.get() + slowdowns.get();
    }

    Throwable failure() {
        return failure;
    }

    @Override
    public void run() {
        try (Connection su = TestPostgres.superuser("postgres"); Statement s = su.createStatement()) {
            while (System.nanoTime() < deadlineNanos) {
                pause(100 + random.nextInt(500));
                int fault = random.nextInt(10);
                if (fault < 4) {
                    s.execute("select pg_terminate_backend(pid) " + APP_BACKENDS + " order by random() limit 1");
                    terminated.incrementAndGet();
                } else if (fault < 7) {
                    if (link.cutOne(random)) {
                        cut.incrementAndGet();
                    }
                } else if (fault == 7) {
                    restart(s);
                } else if (fault == 8) {
                    link.stall(true);
                    stalls.incrementAndGet();
                    pause(100 + random.nextInt(700));
                    link.stall(false);
                } else {
                    link.slow(1 + random.nextInt(5));
                    slowdowns.incrementAndGet();
                    pause(200 + random.nextInt(800));
                    link.slow(0);
                }
            }
        } catch (SQLException | IOException | InterruptedException | RuntimeException e) {
            failure = e;
        } finally {
            link.stall(false);
            link.slow(0);
            try {
                link.refuse(false);
            } catch (IOException e) {
                failure = e;
            }
        }
    }

    /** What a PostgreSQL restart looks like from Berth: connections refused, every backend gone, then back. */
    private void restart(Statement s) throws SQLException, IOException, InterruptedException {
        link.refuse(true);
        s.execute("select pg_terminate_backend(pid) " + APP_BACKENDS);
        link.cutAll();
        restarts.incrementAndGet();
        pause(200 + random.nextInt(1300));
        link.refuse(false);
    }

    private static void pause(long ms) throws InterruptedException {
        TimeUnit.MILLISECONDS.sleep(ms); // pacing the faults, not waiting for a state
    }
}
