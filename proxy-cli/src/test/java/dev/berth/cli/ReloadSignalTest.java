package dev.berth.cli;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * `berth run` reloads on SIGHUP: a real SIGHUP to a process with the handler installed runs the reload, also
 * after a reload that failed; in a process started with SIGHUP ignored (nohup), Berth says it cannot.
 */
class ReloadSignalTest {
    private static final List<String> PROBE = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-cp", System.getProperty("java.class.path"), ReloadSignalProbe.class.getName());

    @Test
    void sighupRunsTheReloadAndAFailingReloadDoesNotEscape() throws Exception {
        String out = run(DefaultSignals.command(PROBE));
        assertTrue(out.contains("installed true"), out);
        assertTrue(out.contains("reloads 2"), out);
    }

    @Test
    void underNohupBerthSaysSighupCannotReload() throws Exception {
        String out = run(DefaultSignals.ignoringHangup(PROBE));
        assertTrue(out.contains("installed false"), out);
        assertTrue(out.contains("SIGHUP is ignored by this process"), out);
        assertTrue(out.contains("reloads 0"), out);
    }

    private static String run(List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the probe did not finish");
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), out);
        return out;
    }
}
