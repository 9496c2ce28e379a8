package dev.berth.cli.verify;

import dev.berth.cli.verify.Report.Criterion;
import dev.berth.cli.verify.Report.Sample;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * report.html: the criteria, one chart per series (utilization, wait p95, latency p95, throughput over
 * time) as inline SVG, and report.md below. Well-formed XHTML, viewable without a network.
 */
final class ReportHtml {
    private static final String TARGET_COLOR = "#1f77b4";
    private static final String COMPARE_COLOR = "#ff7f0e";

    private ReportHtml() {
    }

    static String render(Report r, VerifyPlan plan) {
        StringBuilder html = new StringBuilder("<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n<head>\n")
                .append("<meta charset=\"utf-8\"/>\n<title>berth verify: ").append(r.passed() ? "PASS" : "FAIL").append("</title>\n")
                .append("<style>body{font-family:sans-serif;margin:2em;max-width:60em}table{border-collapse:collapse}")
                .append("td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left}.PASS{color:#080}.FAIL{color:#c00}.SKIP{color:#888}")
                .append("pre{background:#f6f6f6;padding:1em;overflow-x:auto}</style>\n</head>\n<body>\n")
                .append("<h1>berth verify: <span class=\"").append(r.passed() ? "PASS" : "FAIL").append("\">")
                .append(r.passed() ? "PASS" : "FAIL").append("</span></h1>\n")
                .append("<p><code>").append(Html.escape(r.command())).append("</code><br/>")
                .append(Html.escape(r.date() + ", " + r.machine())).append("</p>\n");
        boolean compare = r.compare() != null;
        html.append("<table>\n<tr><th>criterion</th><th>threshold</th><th>").append(compare ? "target" : "measured").append("</th>")
                .append(compare ? "<th>compare</th>" : "").append("<th>result</th></tr>\n");
        for (Criterion c : r.criteria()) {
            html.append("<tr><td>").append(Html.escape(c.name())).append("</td><td>").append(Html.escape(c.threshold()))
                    .append("</td><td>").append(Html.escape(c.measuredText())).append("</td>");
            if (compare) {
                html.append("<td>").append(Html.escape(c.compareText() == null ? "-" : c.compareText())).append("</td>");
            }
            html.append("<td class=\"").append(c.status()).append("\">").append(c.status())
                    .append(c.note() == null ? "" : " (" + Html.escape(c.note()) + ")").append("</td></tr>\n");
        }
        html.append("</table>\n<h2>Over time</h2>\n");
        html.append(chart("Pool utilization (Berth)", r, Sample::utilization, false, plan.maxUtilization()));
        html.append(chart("Acquire wait p95, ms (Berth)", r, Sample::waitP95Ms, false, plan.maxWaitP95().toNanos() / 1e6));
        html.append(chart("Latency p95, ms (client)", r, Sample::latencyP95Ms, compare, plan.maxLatencyP95().toNanos() / 1e6));
        html.append(chart("Throughput, requests/s", r, s -> s.throughput(), compare, null));
        return html.append("<h2>Report</h2>\n<pre>").append(Html.escape(ReportMarkdown.render(r))).append("</pre>\n</body>\n</html>\n")
                .toString();
    }

    private static String chart(String title, Report r, Function<Sample, Double> value, boolean compare, Double threshold) {
        List<SvgChart.Series> series = new ArrayList<>();
        series.add(new SvgChart.Series("target", TARGET_COLOR, points(r.series(), "target", value)));
        if (compare) {
            series.add(new SvgChart.Series("compare", COMPARE_COLOR, points(r.series(), "compare", value)));
        }
        return "<div>" + SvgChart.render(title, series, threshold) + "</div>\n";
    }

    /** The role's points in time order, with a break wherever the other target's turn came between. */
    private static List<double[]> points(List<Sample> samples, String role, Function<Sample, Double> value) {
        List<double[]> points = new ArrayList<>();
        String previousRole = null;
        for (Sample s : samples) {
            Double v = value.apply(s);
            if (s.target().equals(role) && v != null) {
                if (previousRole != null && !previousRole.equals(role)) {
                    points.add(new double[] {Double.NaN, Double.NaN});
                }
                points.add(new double[] {s.seconds(), v});
            }
            previousRole = s.target();
        }
        return points;
    }
}
