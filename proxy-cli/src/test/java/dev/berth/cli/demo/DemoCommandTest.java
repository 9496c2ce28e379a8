package dev.berth.cli.demo;

import dev.berth.cli.DefaultSignals;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code berth demo} as a user runs it: a process of its own, used with pgjdbc, stopped with SIGINT (Ctrl-C). */
class DemoCommandTest {

    @TempDir
    Path logs;

    @Test
    void servesThroughBerthAndCtrlCStopsBothAndDeletesTheData() throws Exception {
        Path stderr = logs.resolve("demo.err");
        // with SIGINT at its default, as in a terminal (a build run in the background would pass it on ignored)
        Process demo = new ProcessBuilder(DefaultSignals.command(List.of(Path.of(System.getProperty("java.home"), "bin",
                "java").toString(), "-cp", System.getProperty("java.class.path"), "dev.berth.cli.BerthCli",
                "demo", "--listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0")))
                .redirectError(stderr.toFile()).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(demo.getInputStream(), StandardCharsets.UTF_8));
            List<String> printed = new ArrayList<>();
            String line;
            while ((line = out.readLine()) != null && !line.startsWith("Ctrl-C")) {
                printed.add(line);
            }
            assertNotNull(line, () -> "the demo ended before it was ready: " + printed + "\n" + read(stderr));
            String all = String.join("\n", printed);
            Matcher data = Pattern.compile("\\(data in (\\S+)\\)").matcher(all);
            Matcher jdbc = Pattern.compile("(jdbc:postgresql://\\S+)").matcher(all);
            Matcher config = Pattern.compile("config: (http://\\S+)").matcher(all);
            assertTrue(data.find() && jdbc.find() && config.find(), all);
            Path directory = Path.of(data.group(1));
            assertTrue(Files.isDirectory(directory.resolve("data")), all);

            try (Connection c = DriverManager.getConnection(jdbc.group(1)); Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("select current_user, current_database(), version()")) {
                rs.next();
                assertEquals("demo", rs.getString(1));
                assertEquals("demo", rs.getString(2));
                assertTrue(rs.getString(3).startsWith("PostgreSQL 17"), rs.getString(3));
            }
            HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(config.group(1))).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, response.statusCode());
            assertTrue(response.body().contains("\"pool-max\""), response.body());

            new ProcessBuilder("kill", "-INT", Long.toString(demo.pid())).start().waitFor();
            assertTrue(demo.waitFor(60, TimeUnit.SECONDS), "the demo did not stop on SIGINT");
            String rest = new String(demo.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(rest.contains("berth demo: stopped; deleted " + directory), rest + "\n" + read(stderr));
            assertFalse(Files.exists(directory), "the temporary data is gone");
            assertFalse(read(stderr).contains("Exception"), read(stderr));
        } finally {
            demo.destroyForcibly();
        }
    }

    private static String read(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file) : "";
        } catch (IOException e) {
            return "(cannot read " + file + ": " + e + ")";
        }
    }
}
