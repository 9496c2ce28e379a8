package dev.berth.server.lifecycle;

import dev.berth.core.pool.Pool;

import java.util.Collection;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The periodic care of every pool, in the manner of HikariCP's HouseKeeper and pgbouncer's janitor:
 * create the pools that keep a minimum before any client comes, close servers idle beyond the idle timeout
 * above the minimum, open up to the minimum (with backoff after failures), and remove the pools no client
 * uses. A failure is logged and the next round runs as usual.
 */
public final class Housekeeper implements Runnable {
    private static final Logger LOG = Logger.getLogger(Housekeeper.class.getName());
    public static final long PERIOD_MS = 1000;

    private final Supplier<? extends Collection<? extends Pool<?>>> pools;
    private final Runnable createMinimum;
    private final Runnable removeUnused;
    private final PauseGate pauseGate;

    /**
     * @param createMinimum creates the pools that keep a minimum open without a client (first in each round)
     * @param removeUnused drops the pools no client uses any more (after each round of maintenance)
     * @param pauseGate the pools of a paused database are left alone: PAUSE closed their servers, and none is opened
     */
    public Housekeeper(Supplier<? extends Collection<? extends Pool<?>>> pools, Runnable createMinimum, Runnable removeUnused,
                       PauseGate pauseGate) {
        this.pools = pools;
        this.createMinimum = createMinimum;
        this.removeUnused = removeUnused;
        this.pauseGate = pauseGate;
    }

    @Override
    public void run() {
        try {
            createMinimum.run();
            for (Pool<?> pool : pools.get()) {
                if (!pauseGate.paused(pool.key().database())) {
                    pool.janitor().maintain();
                }
            }
            removeUnused.run();
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "housekeeping failed", e);
        }
    }
}
