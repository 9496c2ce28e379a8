package dev.berth.cli.verify;

import org.HdrHistogram.Histogram;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Takes a point of the time series every interval while a target is under load: that interval's
 * throughput and latency p95 from the applications, and for the primary target Berth's pool utilization,
 * acquire-wait p95, waiting clients and backend connections from /metrics.
 */
final class Sampler implements AutoCloseable {
    private final long startNanos = System.nanoTime();
    private final BerthEndpoint berth;
    private final Progress progress;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "verify-sampler");
        t.setDaemon(true);
        return t;
    });
    private final List<Report.Sample> samples = new ArrayList<>();
    private AppFleet active;
    private long lastRequests;
    private long lastTick;
    private BerthSnapshot first;
    private BerthSnapshot last;
    private BerthSnapshot previous;
    private double utilizationPeak;
    private double waitingPeak;
    private double backendsPeak;
    private int failedScrapes;
    private String scrapeError;

    /** @param berth null without --metrics-url; otherwise scraped once now, as the baseline of the run */
    Sampler(BerthEndpoint berth, Progress progress, long intervalMillis) throws IOException {
        this.berth = berth;
        this.progress = progress;
        if (berth != null) {
            first = last = previous = berth.scrape();
        }
        timer.scheduleAtFixedRate(this::tick, intervalMillis, intervalMillis, TimeUnit.MILLISECONDS);
    }

    synchronized void begin(AppFleet fleet) {
        active = fleet;
        lastRequests = fleet.stats.requests();
        lastTick = System.nanoTime();
    }

    /** The last point of the fleet's round, then no target until the next {@link #begin}. */
    synchronized void end() {
        sample();
        active = null;
    }

    private synchronized void tick() {
        if (active != null) {
            sample();
        }
    }

    private void sample() {
        long now = System.nanoTime();
        double intervalSeconds = Math.max(1e-3, (now - lastTick) / 1e9);
        long requests = active.stats.requests();
        Histogram interval = active.stats.takeInterval();
        Double latencyP95 = interval.getTotalCount() == 0 ? null : interval.getValueAtPercentile(95) / 1000.0;
        Double utilization = null;
        Double waitP95 = null;
        Double waiting = null;
        Double backends = null;
        if (berth != null && active.target.role().equals("target")) {
            try {
                BerthSnapshot snapshot = berth.scrape();
                utilization = snapshot.utilization();
                waitP95 = snapshot.waitP95MillisSince(previous);
                waiting = snapshot.waiting();
                backends = snapshot.backends();
                utilizationPeak = Math.max(utilizationPeak, utilization);
                waitingPeak = Math.max(waitingPeak, waiting);
                backendsPeak = Math.max(backendsPeak, backends);
                previous = last = snapshot;
            } catch (IOException | RuntimeException e) {
                failedScrapes++;
                scrapeError = e.getMessage();
            }
        }
        samples.add(new Report.Sample(round((now - startNanos) / 1e9), active.target.role(),
                round((requests - lastRequests) / intervalSeconds), latencyP95, utilization, waitP95, waiting, backends));
        lastRequests = requests;
        lastTick = now;
        progress.update((now - startNanos) / 1e9, active.target.role(), requests,
                latencyP95 == null ? 0 : latencyP95, active.stats.errors());
    }

    private static double round(double v) {
        return Math.round(v * 1000) / 1000.0;
    }

    synchronized List<Report.Sample> samples() {
        return List.copyOf(samples);
    }

    synchronized BerthSnapshot first() {
        return first;
    }

    synchronized BerthSnapshot last() {
        return last;
    }

    synchronized double utilizationPeak() {
        return utilizationPeak;
    }

    synchronized double waitingPeak() {
        return waitingPeak;
    }

    synchronized double backendsPeak() {
        return backendsPeak;
    }

    /** Null when every scrape succeeded. */
    synchronized String scrapeProblem() {
        return failedScrapes == 0 ? null : failedScrapes + " scrapes of /metrics failed (last: " + scrapeError + ")";
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
