package dev.berth.cli.verify;

import java.util.List;
import java.util.Map;

/** Everything a verify run found; written as report.json as it is, and rendered as report.md and report.html. */
record Report(String command, String date, String machine, Map<String, Object> settings, boolean passed,
              List<Criterion> criteria, LoadResult target, LoadResult compare, BerthResult berth, List<Sample> series) {

    enum Status { PASS, FAIL, SKIP }

    /** One line of the criteria table; {@code compare} is the same measure on the compare target, when it has one. */
    record Criterion(String name, String threshold, Status status, Double measured, String measuredText,
                     Double compare, String compareText, String note) {
    }

    /** What the simulated applications saw on one target. */
    record LoadResult(String url, long requests, long errors, Map<String, Long> errorsBySqlState, double seconds,
                      double throughput, double latencyP50Ms, double latencyP95Ms, double latencyP99Ms, double latencyMaxMs) {

        double errorRate() {
            return requests == 0 ? 0 : (double) errors / requests;
        }
    }

    /** What Berth's own metrics and /config said; nulls when not measured. */
    record BerthResult(String metricsUrl, String pool, Integer configuredPoolMax, String poolMaxSource,
                       Integer configuredPoolMin, String poolMinSource, Integer poolMaxInEffect, Integer poolMinInEffect,
                       Double utilizationPeak, Double waitP95Ms, Long acquisitions, Double waitingPeak,
                       Double backendConnectionsPeak, Long acquireTimeouts, String note) {
    }

    /** One point of the time series; Berth's values are null for the compare target and without --metrics-url. */
    record Sample(double seconds, String target, double throughput, Double latencyP95Ms, Double utilization,
                  Double waitP95Ms, Double waiting, Double backends) {
    }
}
