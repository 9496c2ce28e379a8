package dev.berth.server;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongFunction;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A log line for an event that anyone can cause many times a second (refused connections, unknown cancel
 * requests): at most one line per interval, saying how many events it stands for. The first event logs
 * at once; later ones are counted, and the first event after the interval logs the count.
 */
public final class ThrottledLog {
    public static final long DEFAULT_INTERVAL_MS = 10_000;

    private final Logger log;
    private final Level level;
    private final long intervalNanos;
    private final AtomicLong nextLineNanos = new AtomicLong(System.nanoTime());
    private final AtomicLong count = new AtomicLong();

    public ThrottledLog(Logger log, Level level, long intervalMs) {
        this.log = log;
        this.level = level;
        this.intervalNanos = TimeUnit.MILLISECONDS.toNanos(intervalMs);
    }

    /** Counts an event; logs {@code line(n)} (n: the events since the last line, this one included) when a line is due. */
    public void event(LongFunction<String> line) {
        count.incrementAndGet();
        long now = System.nanoTime();
        long next = nextLineNanos.get();
        if (now - next >= 0 && nextLineNanos.compareAndSet(next, now + intervalNanos)) {
            long n = count.getAndSet(0);
            log.logp(level, log.getName(), null, () -> line.apply(n)); // named after the logger, not this class
        }
    }
}
