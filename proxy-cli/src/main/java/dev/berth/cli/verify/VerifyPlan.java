package dev.berth.cli.verify;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A verify run as asked for: the targets, the load (a number of requests, or a duration when
 * {@code requests} is negative) and the criteria's thresholds.
 */
record VerifyPlan(String command, Target target, Target compare, long requests, Duration duration, int concurrency,
                  int appInstances, int appPoolSize, String workloadName, Workload workload, URI metricsUrl, Path out,
                  int rounds, double maxUtilization, Duration maxWaitP95, double maxErrorRate, Duration maxLatencyP95,
                  Integer expectPoolMax, Integer expectPoolMin) {

    /** The settings as the report lists them. */
    Map<String, Object> settings() {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("target", target.masked());
        s.put("compare", compare == null ? null : compare.masked());
        s.put("load", requests >= 0 ? requests + " requests" : DurationConverter.format(duration));
        s.put("concurrency", concurrency);
        s.put("app instances", appInstances);
        s.put("app pool size", appPoolSize);
        s.put("workload", workloadName);
        s.put("rounds", rounds);
        s.put("metrics url", metricsUrl == null ? null : metricsUrl.toString());
        s.put("max utilization", maxUtilization);
        s.put("max wait p95", DurationConverter.format(maxWaitP95));
        s.put("max error rate", maxErrorRate);
        s.put("max latency p95", DurationConverter.format(maxLatencyP95));
        return s;
    }
}
