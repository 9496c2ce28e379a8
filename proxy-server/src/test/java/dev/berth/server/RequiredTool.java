package dev.berth.server;

import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * External tools some tests drive (pgbench, promtool, Python and Node drivers). Locally a test whose tool
 * is missing is skipped; under {@code CI=true} it fails instead, so a CI run cannot go green while testing
 * less ({@code .ci/run} installs every tool and sets {@code CI=true}).
 */
public final class RequiredTool {
    private RequiredTool() {
    }

    /** True when the environment variable CI is {@code true} (as GitHub Actions, GitLab CI and .ci/run set it). */
    public static boolean ci() {
        return "true".equalsIgnoreCase(System.getenv("CI"));
    }

    /**
     * Goes on when {@code present}; otherwise skips the test, or fails it under {@code CI=true}.
     *
     * @param what the missing tool and how to get it, e.g. {@code "promtool is not installed (Debian package prometheus)"}
     */
    public static void require(boolean present, String what) {
        require(present, what, ci());
    }

    static void require(boolean present, String what, boolean ci) {
        if (present) {
            return;
        }
        if (ci) {
            fail(what + " — required when CI=true (.ci/run installs it); the test is not skipped in CI");
        }
        Assumptions.abort(what + " — skipped (with CI=true this fails)");
    }

    /** Requires {@code command} on the PATH; {@code debianPackage} is named in the message. */
    public static void requireCommand(String command, String debianPackage) {
        require(onPath(command), command + " is not installed (Debian package " + debianPackage + ")");
    }

    /** Whether {@code command} starts and exits 0 within 30 s. */
    public static boolean runs(String... command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return false;
            }
            return p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Whether {@code command} is on the PATH (sh's {@code command -v}). */
    public static boolean onPath(String command) {
        return runs("sh", "-c", "command -v '" + command.replace("'", "") + "'");
    }
}
