package dev.berth.server.lifecycle;

import dev.berth.core.pool.CloseReason;
import dev.berth.core.pool.Pool;
import dev.berth.core.pool.PoolStats;

import java.util.Collection;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.function.Supplier;
import io.netty.util.concurrent.EventExecutor;

/**
 * PAUSE's wait, as pgbouncer's: new work is held at the {@link PauseGate}; the transactions in flight (and
 * the clients already queued) finish; each server is closed once released, so that PostgreSQL can restart
 * or fail over unseen; then PAUSE answers. Checked every few milliseconds on the admin client's loop
 * (nothing is added to the clients' path). A session-mode or pinned client holds its server until it leaves.
 */
public final class PauseWait implements Runnable {
    static final long PERIOD_MS = 10;

    private final EventExecutor executor;
    private final Supplier<? extends Collection<? extends Pool<?>>> pools;
    private final Predicate<String> database;
    private final BooleanSupplier stillPaused;
    private final BooleanSupplier asked;
    private final Consumer<String> done;

    /**
     * @param database     which databases the pause covers
     * @param stillPaused  false once RESUME came first
     * @param asked        false once the one who asked has gone (the wait then ends, the pause stays)
     * @param done         gets null when every server of the paused databases is closed, or why the wait ended
     */
    public PauseWait(EventExecutor executor, Supplier<? extends Collection<? extends Pool<?>>> pools, Predicate<String> database,
                     BooleanSupplier stillPaused, BooleanSupplier asked, Consumer<String> done) {
        this.executor = executor;
        this.pools = pools;
        this.database = database;
        this.stillPaused = stillPaused;
        this.asked = asked;
        this.done = done;
    }

    @Override
    public void run() {
        if (!asked.getAsBoolean()) {
            return;
        }
        if (!stillPaused.getAsBoolean()) {
            done.accept("RESUME came before the paused databases' server connections were all released");
            return;
        }
        boolean busy = false;
        for (Pool<?> pool : pools.get()) {
            if (database.test(pool.key().database())) {
                pool.janitor().closeIdle(CloseReason.PAUSED);
                PoolStats s = pool.stats();
                busy |= s.total() + s.waiting() > 0;
            }
        }
        if (busy) {
            executor.schedule(this, PERIOD_MS, TimeUnit.MILLISECONDS);
        } else {
            done.accept(null);
        }
    }
}
