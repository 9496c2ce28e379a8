package dev.berth.cli;

import dev.berth.server.RunningBerth;
import dev.berth.server.TestPostgres;
import dev.berth.server.TransactionLoad;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code berth run} as a child process, stopped by signals as systemd and Kubernetes stop it. */
class RunSignalsTest {
    private static final Pattern LISTENING = Pattern.compile("Berth listening on 127\\.0\\.0\\.1:(\\d+)");

    /** A running child and what it wrote to stderr. */
    private record Child(Process process, List<String> log, int port) {
        void awaitLog(String text) {
            RunningBerth.waitFor(() -> log.stream().anyMatch(l -> l.contains(text)), "the log to say \"" + text + "\": " + log);
        }

        Connection connect() throws SQLException {
            Properties p = new Properties();
            p.setProperty("user", TestPostgres.APP_USER);
            p.setProperty("password", TestPostgres.APP_PASSWORD);
            return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/" + TestPostgres.APP_DB, p);
        }
    }

    private static Child start(String... extra) throws IOException {
        Path users = Files.createTempFile("berth-users", ".txt");
        Files.writeString(users, RunningBerth.AUTH_FILE);
        users.toFile().deleteOnExit();
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), BerthCli.class.getName(), "run",
                "--listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0", "--backend", "postgresql://127.0.0.1:" + TestPostgres.port(),
                "--auth-file", users.toString(), "--pool-min", "0", "--pool-max", "4"));
        command.addAll(List.of(extra));
        Process process = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        List<String> log = new CopyOnWriteArrayList<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    log.add(line);
                }
            } catch (IOException ignored) {
                // the child is gone
            }
        }, "berth-child-log");
        reader.setDaemon(true);
        reader.start();
        try {
            RunningBerth.waitFor(() -> log.stream().anyMatch(l -> LISTENING.matcher(l).find()) || !process.isAlive(), "berth run to listen");
        } catch (AssertionError e) {
            process.destroyForcibly(); // not left running after the test
            throw e;
        }
        int port = log.stream().map(LISTENING::matcher).filter(Matcher::find).mapToInt(m -> Integer.parseInt(m.group(1))).findFirst()
                .orElseThrow(() -> new AssertionError("berth run did not start: " + log));
        return new Child(process, log, port);
    }

    @Test
    void sigtermUnderLoadDrainsEveryTransactionAndExitsZero() throws Exception {
        Child child = start("--shutdown-timeout", "20000");
        try (TransactionLoad load = TransactionLoad.start("sigterm_load", 6, child::connect, false)) {
            load.awaitCommits(100);
            child.process().toHandle().destroy(); // SIGTERM (Process.destroy() would also close our end of its stderr)
            assertTrue(child.process().waitFor(60, TimeUnit.SECONDS), "berth run exited: " + child.log());
            assertEquals(0, child.process().exitValue(), child.log()::toString);
            load.close();
            assertEquals(0, load.failedInFlight.get(), load::toString);
            assertEquals(2 * load.committed.get(), load.rows(), "every acknowledged commit, and nothing else: " + load);
            assertTrue(child.log().stream().anyMatch(l -> l.contains("drained: all")), child.log()::toString);
        } finally {
            child.process().destroyForcibly();
        }
    }

    @Test
    void aSecondSigtermStopsAtOnce() throws Exception {
        Child child = start("--shutdown-timeout", "600000");
        try (Connection open = child.connect()) {
            open.setAutoCommit(false);
            try (Statement s = open.createStatement()) {
                s.execute("select 1"); // a transaction in flight, which the drain would wait ten minutes for
            }
            child.process().toHandle().destroy();
            child.awaitLog("SIGTERM: draining");
            try (Statement s = open.createStatement()) {
                s.execute("select 2"); // still served: draining, not stopped
            }
            child.process().toHandle().destroy();
            assertTrue(child.process().waitFor(30, TimeUnit.SECONDS), "the second SIGTERM stopped it: " + child.log());
            assertEquals(0, child.process().exitValue(), child.log()::toString);
        } finally {
            child.process().destroyForcibly();
        }
        assertTrue(child.log().stream().anyMatch(l -> l.contains("again: stopping at once")), child.log()::toString);
    }
}
