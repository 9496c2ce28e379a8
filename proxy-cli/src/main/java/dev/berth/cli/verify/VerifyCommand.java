package dev.berth.cli.verify;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.logging.Level;
import java.util.logging.Logger;

/** {@code berth verify}: drives application-like load at a target and turns the deployment checklist into a report. */
@Command(name = "verify", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Drive application-like load (HikariCP + pgjdbc) at a target, normally Berth, and check the "
                + "deployment criteria: pool utilization, acquire wait p95, error rate, latency p95.",
                "Writes report.md, report.json and report.html. Exit 0 when every criterion passes, 1 when one fails, "
                        + "2 on bad input or an unreachable target."})
public final class VerifyCommand implements Callable<Integer> {
    /** Kept here: java.util.logging holds loggers weakly, and a collected one forgets its level. */
    private static final Logger QUIET_HIKARI = Logger.getLogger("com.zaxxer.hikari");

    @Spec
    CommandSpec spec;

    @Option(names = "--target", required = true, paramLabel = "URL", description = "postgresql://user:password@host:port/database to load (normally Berth).")
    String target;
    @Option(names = "--requests", paramLabel = "N", description = "Requests to send in all (default 500).")
    Long requests;
    @Option(names = "--duration", paramLabel = "TIME", converter = DurationConverter.class, description = "Run for this long instead (e.g. 60m).")
    Duration duration;
    @Option(names = "--concurrency", paramLabel = "N", defaultValue = "20", description = "Requests in flight at once, over all app instances (default ${DEFAULT-VALUE}).")
    int concurrency;
    @Option(names = "--app-instances", paramLabel = "N", defaultValue = "2", description = "Simulated applications, each with its own HikariCP pool (default ${DEFAULT-VALUE}).")
    int appInstances;
    @Option(names = "--app-pool-size", paramLabel = "N", defaultValue = "10", description = "HikariCP maximumPoolSize of each (default ${DEFAULT-VALUE}, the driver's default).")
    int appPoolSize;
    @Option(names = "--workload", paramLabel = "select|tpcb|FILE.sql", defaultValue = "select",
            description = "select: one prepared SELECT; tpcb: pgbench's transaction (creates pgbench's tables at scale 1 when missing); "
                    + "FILE.sql: its statements in order (default ${DEFAULT-VALUE}).")
    String workload;
    @Option(names = "--compare", paramLabel = "URL", description = "The same load against this target too (the 'before'), in interleaved rounds.")
    String compare;
    @Option(names = "--rounds", paramLabel = "N", defaultValue = "4", description = "Rounds with --compare, the targets taking turns (default ${DEFAULT-VALUE}).")
    int rounds;
    @Option(names = "--metrics-url", paramLabel = "URL", description = "Berth's /metrics (e.g. http://127.0.0.1:9930/metrics), read during the run; /config next to it.")
    String metricsUrl;
    @Option(names = "--out", paramLabel = "DIR", defaultValue = "berth-verify", description = "Where the reports go (default ./${DEFAULT-VALUE}).")
    Path out;
    @Option(names = "--max-utilization", paramLabel = "RATIO", defaultValue = "0.7", description = "Highest pool utilization sampled (default ${DEFAULT-VALUE}).")
    double maxUtilization;
    @Option(names = "--max-wait-p95", paramLabel = "TIME", defaultValue = "10ms", converter = DurationConverter.class, description = "Berth's acquire wait p95 (default 10ms).")
    Duration maxWaitP95;
    @Option(names = "--max-error-rate", paramLabel = "RATIO", defaultValue = "0.001", description = "Failed requests / requests (default ${DEFAULT-VALUE}).")
    double maxErrorRate;
    @Option(names = "--max-latency-p95", paramLabel = "TIME", defaultValue = "500ms", converter = DurationConverter.class, description = "Client-side latency p95 (default 500ms).")
    Duration maxLatencyP95;
    @Option(names = "--expect-pool-max", paramLabel = "N", description = "The pool max Berth must run with (default: what /config says).")
    Integer expectPoolMax;
    @Option(names = "--expect-pool-min", paramLabel = "N", description = "The pool min Berth must run with (default: what /config says).")
    Integer expectPoolMin;

    @Override
    public Integer call() {
        PrintStream err = System.err;
        QUIET_HIKARI.setLevel(Level.SEVERE);
        VerifyPlan plan;
        try {
            plan = plan();
        } catch (IllegalArgumentException e) {
            err.println("berth verify: " + e.getMessage());
            return 2;
        }
        Report report;
        try {
            report = new Verifier(plan, err).run();
        } catch (Verifier.UnusableTarget e) {
            err.println("berth verify: " + e.getMessage());
            return 2;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            err.println("berth verify: interrupted");
            return 1;
        }
        try {
            write(report, plan);
        } catch (IOException e) {
            err.println("berth verify: cannot write the report to " + plan.out() + ": " + Problems.describe(e));
            return 2;
        }
        System.out.print(ReportMarkdown.criteriaTable(report));
        System.out.println((report.passed() ? "PASS" : "FAIL") + ": report in " + plan.out().resolve("report.html"));
        return report.passed() ? 0 : 1;
    }

    /** @throws IllegalArgumentException naming the option that is wrong and what would be right */
    VerifyPlan plan() {
        if (requests != null && duration != null) {
            throw new IllegalArgumentException("give --requests or --duration, not both");
        }
        positive("--concurrency", concurrency);
        positive("--app-instances", appInstances);
        positive("--app-pool-size", appPoolSize);
        positive("--rounds", rounds);
        if (requests != null && requests < 1 || duration != null && duration.isZero()) {
            throw new IllegalArgumentException("--requests and --duration must be more than 0");
        }
        if (maxUtilization <= 0 || maxErrorRate < 0) {
            throw new IllegalArgumentException("--max-utilization must be more than 0 and --max-error-rate not negative");
        }
        Target primary = target("--target", "target", target);
        Target before = compare == null ? null : target("--compare", "compare", compare);
        URI metrics = null;
        if (metricsUrl != null) {
            try {
                metrics = new URI(metricsUrl);
            } catch (URISyntaxException e) {
                throw new IllegalArgumentException("--metrics-url: '" + metricsUrl + "' is not a URL");
            }
            if (!"http".equals(metrics.getScheme()) || metrics.getHost() == null) {
                throw new IllegalArgumentException("--metrics-url: '" + metricsUrl + "' is not http://host:port/metrics");
            }
        }
        long total = duration != null ? -1 : requests != null ? requests : 500;
        int roundCount = before == null ? 1 : rounds;
        if (total >= 0 && total < roundCount * 2L) {
            throw new IllegalArgumentException("--requests " + total + " is too few for " + roundCount + " rounds");
        }
        return new VerifyPlan(command(), primary, before, total, duration, concurrency, appInstances, appPoolSize,
                workload, Workload.of(workload), metrics, out, roundCount, maxUtilization, maxWaitP95, maxErrorRate,
                maxLatencyP95, expectPoolMax, expectPoolMin);
    }

    private static Target target(String option, String role, String url) {
        try {
            return Target.parse(role, url);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(option + ": " + e.getMessage());
        }
    }

    private static void positive(String option, int value) {
        if (value < 1) {
            throw new IllegalArgumentException(option + " must be at least 1, not " + value);
        }
    }

    /** The command line as given, passwords masked, for the report. */
    private String command() {
        // the parse result holds the whole command line: "verify ..." under berth, the options alone under demo
        List<String> given = spec.commandLine().getParseResult().originalArgs();
        List<String> args = !given.isEmpty() && given.get(0).equals(spec.name()) ? given.subList(1, given.size()) : given;
        return ("berth verify " + String.join(" ", args)).replaceAll("(://[^:/@\\s]*:)[^@\\s]*@", "$1****@");
    }

    private static void write(Report report, VerifyPlan plan) throws IOException {
        Files.createDirectories(plan.out());
        Files.writeString(plan.out().resolve("report.md"), ReportMarkdown.render(report));
        Files.writeString(plan.out().resolve("report.html"), ReportHtml.render(report, plan));
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(plan.out().resolve("report.json").toFile(), report);
    }
}
