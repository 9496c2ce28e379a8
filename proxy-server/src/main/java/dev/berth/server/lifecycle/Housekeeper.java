package dev.berth.server.lifecycle;

import dev.berth.core.pool.Pool;

import java.util.Collection;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The periodic care of every pool, in the manner of HikariCP's HouseKeeper and pgbouncer's janitor:
 * close servers idle beyond the idle timeout above the minimum, open up to the minimum (with backoff
 * after failures). A failure is logged and the next round runs as usual.
 */
public final class Housekeeper implements Runnable {
    private static final Logger LOG = Logger.getLogger(Housekeeper.class.getName());
    public static final long PERIOD_MS = 1000;

    private final Supplier<? extends Collection<? extends Pool<?>>> pools;

    public Housekeeper(Supplier<? extends Collection<? extends Pool<?>>> pools) {
        this.pools = pools;
    }

    @Override
    public void run() {
        try {
            pools.get().forEach(Pool::maintain);
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "housekeeping failed", e);
        }
    }
}
