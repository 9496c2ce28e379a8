package dev.berth.cli.verify;

import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;

/**
 * One scrape of Berth's /metrics, reduced to the pool under test ({@code database}, {@code user} labels).
 * {@code waitBuckets} is the cumulative acquire-wait histogram, upper bound in seconds to count.
 */
record BerthSnapshot(boolean poolSeen, double utilization, double waiting, double backends, double poolMax,
                     double poolMin, NavigableMap<Double, Double> waitBuckets, double acquireTimeouts) {

    static BerthSnapshot of(List<PromText.Sample> samples, String database, String user) {
        boolean seen = false;
        double utilization = 0;
        double waiting = 0;
        double backends = 0;
        double poolMax = 0;
        double poolMin = 0;
        double timeouts = 0;
        NavigableMap<Double, Double> buckets = new TreeMap<>();
        for (PromText.Sample s : samples) {
            if (s.name().equals("berth_backend_connections")) {
                backends = s.value();
            }
            if (!s.label("database").equals(database) || !s.label("user").equals(user)) {
                continue;
            }
            switch (s.name()) {
                case "berth_pool_utilization_ratio" -> {
                    seen = true;
                    utilization = s.value();
                }
                case "berth_pool_clients" -> waiting += s.label("state").equals("waiting") ? s.value() : 0;
                case "berth_pool_max_server_connections" -> poolMax = s.value();
                case "berth_pool_min_server_connections" -> poolMin = s.value();
                case "berth_pool_acquire_timeouts_total" -> timeouts = s.value();
                case "berth_pool_acquire_wait_seconds_bucket" -> buckets.merge(bound(s.label("le")), s.value(), Double::sum);
                default -> {
                }
            }
        }
        return new BerthSnapshot(seen, utilization, waiting, backends, poolMax, poolMin, buckets, timeouts);
    }

    private static double bound(String le) {
        return le.equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(le);
    }

    /** Acquisitions between {@code earlier} and this scrape. */
    long acquisitionsSince(BerthSnapshot earlier) {
        return Math.round(count(waitBuckets) - count(earlier.waitBuckets));
    }

    /**
     * The 95th percentile of the waits recorded between {@code earlier} and this scrape, in milliseconds,
     * interpolated within its bucket as Prometheus' histogram_quantile does; null when there were none.
     */
    Double waitP95MillisSince(BerthSnapshot earlier) {
        double total = count(waitBuckets) - count(earlier.waitBuckets);
        if (total <= 0) {
            return null;
        }
        double rank = 0.95 * total;
        double lowerBound = 0;
        double below = 0;
        for (Map.Entry<Double, Double> bucket : waitBuckets.entrySet()) {
            double cumulative = bucket.getValue() - earlier.waitBuckets.getOrDefault(bucket.getKey(), 0.0);
            if (cumulative >= rank) {
                if (bucket.getKey().isInfinite()) {
                    return lowerBound * 1000; // beyond the last bound: its bound is all that is known
                }
                double within = cumulative - below;
                double fraction = within <= 0 ? 1 : (rank - below) / within;
                return (lowerBound + (bucket.getKey() - lowerBound) * fraction) * 1000;
            }
            lowerBound = bucket.getKey();
            below = cumulative;
        }
        return lowerBound * 1000;
    }

    private static double count(NavigableMap<Double, Double> buckets) {
        return buckets.isEmpty() ? 0 : buckets.lastEntry().getValue();
    }
}
