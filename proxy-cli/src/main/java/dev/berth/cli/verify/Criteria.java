package dev.berth.cli.verify;

import dev.berth.cli.verify.Report.BerthResult;
import dev.berth.cli.verify.Report.Criterion;
import dev.berth.cli.verify.Report.LoadResult;
import dev.berth.cli.verify.Report.Status;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The deployment checklist as criteria: each threshold against what was measured. */
final class Criteria {
    private static final String NEEDS_METRICS = "needs --metrics-url";

    private Criteria() {
    }

    static List<Criterion> evaluate(VerifyPlan plan, LoadResult target, LoadResult compare, BerthResult berth) {
        List<Criterion> criteria = new ArrayList<>();
        boolean berthMeasured = berth != null && berth.utilizationPeak() != null;
        String berthNote = berth == null ? NEEDS_METRICS : berth.note();
        criteria.add(berthMeasured
                ? atMost("pool utilization (highest sampled)", plan.maxUtilization(), fmt(plan.maxUtilization()),
                        berth.utilizationPeak(), fmt(berth.utilizationPeak()), null, null, berthNote)
                : skipped("pool utilization (highest sampled)", "≤ " + fmt(plan.maxUtilization()), berthNote));
        double maxWaitMs = plan.maxWaitP95().toNanos() / 1e6;
        criteria.add(berth != null && berth.waitP95Ms() != null
                ? atMost("acquire wait p95 (Berth)", maxWaitMs, limitMs(maxWaitMs), berth.waitP95Ms(), ms(berth.waitP95Ms()),
                        null, null, berth.acquisitions() + " acquisitions")
                : skipped("acquire wait p95 (Berth)", "≤ " + limitMs(maxWaitMs), berth == null ? NEEDS_METRICS : "no acquisitions seen"));
        criteria.add(atMost("error rate", plan.maxErrorRate(), fmt(plan.maxErrorRate()),
                target.errorRate(), rate(target), compare == null ? null : compare.errorRate(),
                compare == null ? null : rate(compare), null));
        double maxLatencyMs = plan.maxLatencyP95().toNanos() / 1e6;
        criteria.add(atMost("latency p95 (client)", maxLatencyMs, limitMs(maxLatencyMs), target.latencyP95Ms(),
                ms(target.latencyP95Ms()), compare == null ? null : compare.latencyP95Ms(),
                compare == null ? null : ms(compare.latencyP95Ms()), null));
        if (berth != null) {
            criteria.add(limit("pool max in effect", plan.expectPoolMax(), berth.configuredPoolMax(), berth.poolMaxInEffect(), berth));
            criteria.add(limit("pool min in effect", plan.expectPoolMin(), berth.configuredPoolMin(), berth.poolMinInEffect(), berth));
        }
        return criteria;
    }

    /** The limit Berth's gauges show against --expect-pool-max/min, or else against /config. */
    private static Criterion limit(String name, Integer expected, Integer configured, Integer inEffect, BerthResult berth) {
        Integer wanted = expected != null ? expected : configured;
        String threshold = "= " + wanted + (expected != null ? " (expected)" : " (/config)");
        if (inEffect == null) {
            return skipped(name, threshold, "pool " + berth.pool() + " not in /metrics");
        }
        Status status = inEffect.equals(wanted) ? Status.PASS : Status.FAIL;
        String note = expected != null && !expected.equals(configured) ? "/config says " + configured : null;
        return new Criterion(name, threshold, status, inEffect.doubleValue(), inEffect.toString(), null, null, note);
    }

    private static Criterion atMost(String name, double limit, String threshold, double measured, String measuredText,
                                    Double compare, String compareText, String note) {
        return new Criterion(name, "≤ " + threshold, measured <= limit ? Status.PASS : Status.FAIL, measured, measuredText,
                compare, compareText, note);
    }

    private static Criterion skipped(String name, String threshold, String note) {
        return new Criterion(name, threshold, Status.SKIP, null, "not measured", null, null, note);
    }

    static String ms(double ms) {
        return String.format(Locale.ROOT, ms < 10 ? "%.2f ms" : "%.1f ms", ms);
    }

    /** A threshold as given: 10 ms, 500 ms, 0.5 ms. */
    private static String limitMs(double ms) {
        return fmt(ms) + " ms";
    }

    static String fmt(double v) {
        return String.format(Locale.ROOT, "%.4g", v).replaceAll("(\\.\\d*?)0+$", "$1").replaceAll("\\.$", "");
    }

    private static String rate(LoadResult r) {
        return String.format(Locale.ROOT, "%.4f (%d of %d)", r.errorRate(), r.errors(), r.requests());
    }
}
