package dev.berth.server;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** Runs one of the driver scripts in src/test/resources/drivers and checks its verdict ({@code ok <n>}, exit 0). */
final class DriverScript {
    static final long TIMEOUT_SECONDS = 120;

    private DriverScript() {
    }

    /** The script's path on disk. */
    static Path path(String name) throws URISyntaxException {
        var url = DriverScript.class.getResource("/drivers/" + name);
        assertTrue(url != null, "test resource drivers/" + name);
        return Path.of(url.toURI());
    }

    /**
     * Runs {@code command}; asserts it exits 0 within {@value #TIMEOUT_SECONDS} s and prints the line
     * {@code ok <expectedOk>}. Returns its output (the last 20,000 characters).
     */
    static String run(String name, Map<String, String> env, List<String> command, int expectedOk) throws Exception {
        Path log = Files.createTempFile("berth-driver-" + name, ".log");
        try {
            ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
            pb.environment().putAll(env);
            Process p = pb.start();
            if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                fail(name + " did not finish within " + TIMEOUT_SECONDS + " s:\n" + tail(log));
            }
            String out = tail(log);
            assertEquals(0, p.exitValue(), name + " failed:\n" + out);
            assertTrue(out.lines().anyMatch(l -> l.equals("ok " + expectedOk)), name + " did not report ok " + expectedOk + ":\n" + out);
            return out;
        } finally {
            Files.deleteIfExists(log);
        }
    }

    static String tail(Path log) throws IOException {
        String out = Files.readString(log, StandardCharsets.UTF_8);
        return out.length() > 20_000 ? "...\n" + out.substring(out.length() - 20_000) : out;
    }
}
