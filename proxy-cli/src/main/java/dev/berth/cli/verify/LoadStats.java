package dev.berth.cli.verify;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * What one target's simulated applications measured: latency of each request in microseconds (recorded
 * wait-free by the workers, taken out in intervals by the sampler), completed requests, errors by SQLSTATE.
 */
final class LoadStats {
    private final Recorder recorder = new Recorder(3);
    private final Histogram total = new Histogram(3);
    private final LongAdder requests = new LongAdder();
    private final LongAdder errors = new LongAdder();
    private final Map<String, LongAdder> errorsByState = new ConcurrentHashMap<>();
    private long activeNanos;
    private Histogram interval;

    void success(long nanos) {
        recorder.recordValue(Math.max(1, TimeUnit.NANOSECONDS.toMicros(nanos)));
        requests.increment();
    }

    void error(String sqlState) {
        errors.increment();
        requests.increment();
        errorsByState.computeIfAbsent(sqlState == null ? "none" : sqlState, s -> new LongAdder()).increment();
    }

    /** The latencies recorded since the last call (also added to the total); for the sampler thread only. */
    synchronized Histogram takeInterval() {
        interval = recorder.getIntervalHistogram(interval);
        total.add(interval);
        return interval;
    }

    synchronized Histogram total() {
        return total.copy();
    }

    long requests() {
        return requests.sum();
    }

    long errors() {
        return errors.sum();
    }

    Map<String, Long> errorsByState() {
        Map<String, Long> copy = new TreeMap<>();
        errorsByState.forEach((state, n) -> copy.put(state, n.sum()));
        return copy;
    }

    synchronized void addActive(long nanos) {
        activeNanos += nanos;
    }

    synchronized double activeSeconds() {
        return activeNanos / 1e9;
    }
}
