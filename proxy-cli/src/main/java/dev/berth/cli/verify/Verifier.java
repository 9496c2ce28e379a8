package dev.berth.cli.verify;

import dev.berth.cli.verify.Report.BerthResult;
import dev.berth.cli.verify.Report.LoadResult;
import org.HdrHistogram.Histogram;

import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs a {@link VerifyPlan}: sets the workload up on each target, drives the load in rounds (with
 * {@code --compare}, the two targets take turns, ABBA, so that machine noise hits both alike), samples
 * as it goes, and judges the result.
 */
final class Verifier {
    private final VerifyPlan plan;
    private final PrintStream err;

    Verifier(VerifyPlan plan, PrintStream err) {
        this.plan = plan;
        this.err = err;
    }

    /** @throws UnusableTarget when a target or Berth's port cannot be used (exit 2) */
    Report run() throws InterruptedException {
        List<Target> targets = new ArrayList<>(List.of(plan.target()));
        if (plan.compare() != null) {
            targets.add(plan.compare());
        }
        for (Target t : targets) {
            prepare(t);
        }
        BerthEndpoint berth = plan.metricsUrl() == null ? null : new BerthEndpoint(plan.metricsUrl(), plan.target());
        BerthEndpoint.ConfiguredLimits limits = berth == null ? null : operatorPort(berth::readConfig);
        Progress progress = new Progress(err);
        try (AppFleet primary = fleet(plan.target()); AppFleet compare = plan.compare() == null ? null : fleet(plan.compare())) {
            primary.awaitConnections();
            if (compare != null) {
                compare.awaitConnections();
            }
            // the baseline scrape after the applications' logins: what follows is the load alone
            try (Sampler sampler = operatorPort(() -> new Sampler(berth, progress, sampleIntervalMillis()))) {
                for (int round = 0; round < plan.rounds(); round++) {
                    boolean compareFirst = compare != null && round % 2 == 1;
                    if (compareFirst) {
                        runRound(compare, round, sampler);
                    }
                    runRound(primary, round, sampler);
                    if (compare != null && !compareFirst) {
                        runRound(compare, round, sampler);
                    }
                }
                progress.done();
                LoadResult target = result(primary);
                LoadResult compared = compare == null ? null : result(compare);
                BerthResult berthResult = berth == null ? null : berthResult(berth, limits, sampler);
                var criteria = Criteria.evaluate(plan, target, compared, berthResult);
                boolean passed = criteria.stream().noneMatch(c -> c.status() == Report.Status.FAIL);
                return new Report(plan.command(), OffsetDateTime.now(ZoneOffset.UTC).truncatedTo(ChronoUnit.SECONDS).toString(),
                        machine(), plan.settings(), passed, criteria, target, compared, berthResult, sampler.samples());
            }
        }
    }

    private interface PortRead<T> {
        T read() throws IOException;
    }

    private <T> T operatorPort(PortRead<T> read) {
        try {
            return read.read();
        } catch (IOException | IllegalArgumentException e) {
            throw new UnusableTarget("cannot read Berth's operator port " + plan.metricsUrl() + ": " + Problems.describe(e));
        }
    }

    private void prepare(Target t) {
        try (Connection c = t.connect()) {
            plan.workload().prepare(c);
        } catch (SQLException e) {
            throw new UnusableTarget("cannot use " + t.role() + " " + t.masked() + ": " + Problems.describe(e));
        }
    }

    private AppFleet fleet(Target t) {
        return new AppFleet(t, plan.appInstances(), plan.appPoolSize(), plan.workload());
    }

    private void runRound(AppFleet fleet, int round, Sampler sampler) throws InterruptedException {
        long requests = -1;
        long deadline = 0;
        if (plan.requests() >= 0) {
            long share = plan.requests() / plan.rounds();
            requests = round == plan.rounds() - 1 ? plan.requests() - share * (plan.rounds() - 1) : share;
        } else {
            deadline = System.nanoTime() + plan.duration().toNanos() / plan.rounds();
        }
        sampler.begin(fleet);
        fleet.run(plan.concurrency(), requests, deadline);
        sampler.end();
    }

    /** Every 250 ms for a short run, so that a 500-request run still shows a curve; about 300 points for a long one. */
    private long sampleIntervalMillis() {
        return plan.requests() >= 0 ? 250 : Math.max(1_000, plan.duration().toMillis() / 300);
    }

    private static LoadResult result(AppFleet fleet) {
        LoadStats s = fleet.stats;
        Histogram h = s.total();
        double seconds = s.activeSeconds();
        return new LoadResult(fleet.target.masked(), s.requests(), s.errors(), s.errorsByState(), round(seconds),
                round(seconds == 0 ? 0 : (s.requests() - s.errors()) / seconds), ms(h, 50), ms(h, 95), ms(h, 99),
                round(h.getMaxValue() / 1000.0));
    }

    private static BerthResult berthResult(BerthEndpoint berth, BerthEndpoint.ConfiguredLimits limits, Sampler sampler) {
        BerthSnapshot first = sampler.first();
        BerthSnapshot last = sampler.last();
        boolean seen = last.poolSeen();
        String note = sampler.scrapeProblem();
        if (!seen) {
            note = "pool " + berth.pool() + " never appeared in /metrics" + (note == null ? "" : "; " + note);
        }
        return new BerthResult(berth.toString(), berth.pool(), limits.poolMax(), limits.poolMaxSource(), limits.poolMin(),
                limits.poolMinSource(), seen ? (int) last.poolMax() : null, seen ? (int) last.poolMin() : null,
                seen ? sampler.utilizationPeak() : null, last.waitP95MillisSince(first), last.acquisitionsSince(first),
                seen ? sampler.waitingPeak() : null, sampler.backendsPeak(),
                Math.round(last.acquireTimeouts() - first.acquireTimeouts()), note);
    }

    private static double ms(Histogram h, double percentile) {
        return h.getTotalCount() == 0 ? 0 : round(h.getValueAtPercentile(percentile) / 1000.0);
    }

    private static double round(double v) {
        return Math.round(v * 1000) / 1000.0;
    }

    private static String machine() {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            host = "unknown host";
        }
        return host + ", " + Runtime.getRuntime().availableProcessors() + " cores, " + System.getProperty("os.name") + " "
                + System.getProperty("os.arch") + ", Java " + System.getProperty("java.version");
    }

    /** A target or Berth's port cannot be used: one line, exit 2. */
    static final class UnusableTarget extends RuntimeException {
        UnusableTarget(String message) {
            super(message);
        }
    }
}
