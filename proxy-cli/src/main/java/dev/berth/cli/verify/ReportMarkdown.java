package dev.berth.cli.verify;

import dev.berth.cli.verify.Report.BerthResult;
import dev.berth.cli.verify.Report.Criterion;
import dev.berth.cli.verify.Report.LoadResult;

import java.util.Locale;
import java.util.Map;

/** report.md: the criteria table, the load on each target, what Berth said, and the settings used. */
final class ReportMarkdown {
    private ReportMarkdown() {
    }

    static String render(Report r) {
        StringBuilder md = new StringBuilder("# berth verify: ").append(r.passed() ? "PASS" : "FAIL").append("\n\n")
                .append("`").append(r.command()).append("`  \n")
                .append(r.date()).append(", ").append(r.machine()).append("\n\n");
        md.append(criteriaTable(r)).append('\n');
        md.append("## Load\n\n");
        boolean compare = r.compare() != null;
        md.append(compare ? "| | target | compare |\n|---|--:|--:|\n" : "| | target |\n|---|--:|\n");
        row(md, "url", r.target().url(), compare ? r.compare().url() : null);
        row(md, "requests", Long.toString(r.target().requests()), compare ? Long.toString(r.compare().requests()) : null);
        row(md, "errors", errors(r.target()), compare ? errors(r.compare()) : null);
        row(md, "throughput", perSecond(r.target()), compare ? perSecond(r.compare()) : null);
        row(md, "latency p50", Criteria.ms(r.target().latencyP50Ms()), compare ? Criteria.ms(r.compare().latencyP50Ms()) : null);
        row(md, "latency p95", Criteria.ms(r.target().latencyP95Ms()), compare ? Criteria.ms(r.compare().latencyP95Ms()) : null);
        row(md, "latency p99", Criteria.ms(r.target().latencyP99Ms()), compare ? Criteria.ms(r.compare().latencyP99Ms()) : null);
        row(md, "latency max", Criteria.ms(r.target().latencyMaxMs()), compare ? Criteria.ms(r.compare().latencyMaxMs()) : null);
        if (r.berth() != null) {
            BerthResult b = r.berth();
            md.append("\n## Berth (").append(b.metricsUrl()).append(", pool ").append(b.pool()).append(")\n\n")
                    .append("| | |\n|---|--:|\n");
            row(md, "pool max: /config, in effect", b.configuredPoolMax() + " (" + b.poolMaxSource() + "), " + orDash(b.poolMaxInEffect()), null);
            row(md, "pool min: /config, in effect", b.configuredPoolMin() + " (" + b.poolMinSource() + "), " + orDash(b.poolMinInEffect()), null);
            row(md, "utilization, highest sampled", orDash(b.utilizationPeak()), null);
            row(md, "acquire wait p95", b.waitP95Ms() == null ? "-" : Criteria.ms(b.waitP95Ms()), null);
            row(md, "acquisitions", orDash(b.acquisitions()), null);
            row(md, "waiting clients, highest sampled", orDash(b.waitingPeak()), null);
            row(md, "backend connections, highest sampled", orDash(b.backendConnectionsPeak()), null);
            row(md, "acquire timeouts (53300)", orDash(b.acquireTimeouts()), null);
            if (b.note() != null) {
                row(md, "note", b.note(), null);
            }
        }
        md.append("\n## Settings\n\n| | |\n|---|---|\n");
        for (Map.Entry<String, Object> e : r.settings().entrySet()) {
            if (e.getValue() != null) {
                row(md, e.getKey(), e.getValue().toString(), null);
            }
        }
        return md.toString();
    }

    /** The criteria table alone (README quotes it). */
    static String criteriaTable(Report r) {
        boolean compare = r.compare() != null;
        StringBuilder md = new StringBuilder(compare
                ? "| criterion | threshold | target | compare | result |\n|---|---|--:|--:|---|\n"
                : "| criterion | threshold | measured | result |\n|---|---|--:|---|\n");
        for (Criterion c : r.criteria()) {
            md.append("| ").append(c.name()).append(" | ").append(c.threshold()).append(" | ").append(c.measuredText());
            if (compare) {
                md.append(" | ").append(c.compareText() == null ? "-" : c.compareText());
            }
            md.append(" | **").append(c.status()).append("**").append(c.note() == null ? "" : " (" + c.note() + ")").append(" |\n");
        }
        return md.toString();
    }

    private static void row(StringBuilder md, String name, String value, String compare) {
        md.append("| ").append(name).append(" | ").append(value.replace("|", "\\|"));
        if (compare != null) {
            md.append(" | ").append(compare.replace("|", "\\|"));
        }
        md.append(" |\n");
    }

    static String errors(LoadResult r) {
        return r.errors() + (r.errorsBySqlState().isEmpty() ? "" : " " + r.errorsBySqlState());
    }

    static String perSecond(LoadResult r) {
        return String.format(Locale.ROOT, "%,.0f/s", r.throughput());
    }

    private static String orDash(Object v) {
        if (v instanceof Double d) {
            return Criteria.fmt(d);
        }
        return v == null ? "-" : v.toString();
    }
}
