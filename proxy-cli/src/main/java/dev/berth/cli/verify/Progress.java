package dev.berth.cli.verify;

import java.io.PrintStream;

/** The progress line on stderr: rewritten in place on a terminal, a line every 10 s otherwise. */
final class Progress {
    private static final long QUIET_INTERVAL_NANOS = 10_000_000_000L;
    private final PrintStream err;
    private final boolean terminal = System.console() != null;
    private long lastPrinted = System.nanoTime();
    private int width;

    Progress(PrintStream err) {
        this.err = err;
    }

    synchronized void update(double seconds, String role, long requests, double p95Ms, long errors) {
        String line = String.format("berth verify: %5.0fs  %-7s %,9d requests  p95 %8.2f ms  %,d errors",
                seconds, role, requests, p95Ms, errors);
        if (terminal) {
            err.print("\r" + line + " ".repeat(Math.max(0, width - line.length())));
            width = line.length();
            err.flush();
        } else if (System.nanoTime() - lastPrinted >= QUIET_INTERVAL_NANOS) {
            err.println(line);
            lastPrinted = System.nanoTime();
        }
    }

    synchronized void done() {
        if (terminal && width > 0) {
            err.println();
            width = 0;
        }
    }
}
