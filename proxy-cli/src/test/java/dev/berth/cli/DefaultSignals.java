package dev.berth.cli;

import dev.berth.server.RequiredTool;

import java.util.ArrayList;
import java.util.List;

/**
 * Starts a child process with SIGINT, SIGHUP and SIGTERM at their defaults. A process inherits ignored
 * signals: a build started in the background from a script ignores SIGINT, one started under nohup SIGHUP,
 * and a JVM does not handle a signal it was started ignoring (as PostgreSQL would not). A user's terminal
 * or systemd starts Berth with the defaults; tests of what a signal does must too. Java cannot reset them,
 * so a one-line python3 exec does.
 */
public final class DefaultSignals {
    private static final String RESET_AND_EXEC = "import os, signal, sys\n"
            + "for s in (signal.SIGINT, signal.SIGHUP, signal.SIGTERM):\n"
            + "    signal.signal(s, signal.SIG_DFL)\n"
            + "os.execvp(sys.argv[1], sys.argv[1:])\n";

    private DefaultSignals() {
    }

    /** {@code command}, run with the signals at their defaults. */
    public static List<String> command(List<String> command) {
        RequiredTool.requireCommand("python3", "python3");
        List<String> wrapped = new ArrayList<>(List.of("python3", "-c", RESET_AND_EXEC));
        wrapped.addAll(command);
        return wrapped;
    }

    /** {@code command}, run with SIGHUP ignored, as under nohup. */
    public static List<String> ignoringHangup(List<String> command) {
        RequiredTool.requireCommand("python3", "python3");
        List<String> wrapped = new ArrayList<>(List.of("python3", "-c", RESET_AND_EXEC.replace(
                "os.execvp", "signal.signal(signal.SIGHUP, signal.SIG_IGN)\nos.execvp")));
        wrapped.addAll(command);
        return wrapped;
    }
}
