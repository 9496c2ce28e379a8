package dev.berth.server;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The files in deploy/: alert rules and scrape config pass promtool, and refer only to metrics Berth exports. */
class DeployFilesTest {
    private static final Path DEPLOY = Path.of("..", "deploy").toAbsolutePath().normalize();

    @Test
    void alertRulesAndScrapeConfigPassPromtool() throws Exception {
        assumeTrue(ObservabilityTest.commandExists("promtool"), "promtool is not installed (Debian package prometheus)");
        Path prometheus = DEPLOY.resolve("prometheus");
        promtool(prometheus, "check", "rules", "berth-alerts.yml");
        promtool(prometheus, "test", "rules", "berth-alerts.test.yml");
        promtool(prometheus, "check", "config", "prometheus.yml");
    }

    @Test
    void dashboardIsValidJsonAndEveryMetricItUsesIsExported() throws Exception {
        String dashboard = Files.readString(DEPLOY.resolve("grafana/berth-dashboard.json"));
        new JsonChecker(dashboard).check();
        String alerts = Files.readString(DEPLOY.resolve("prometheus/berth-alerts.yml"));
        Set<String> exported = exportedFamilies();
        Set<String> unknown = new TreeSet<>();
        Matcher m = Pattern.compile("\\b((?:berth|jvm|process)_[a-z_]+)").matcher(dashboard + "\n" + alerts);
        while (m.find()) {
            String name = m.group(1).replaceAll("_(bucket|count|sum)$", "");
            if (!exported.contains(name) && !exported.contains(name.replaceAll("_total$", ""))) {
                unknown.add(m.group(1));
            }
        }
        assertTrue(unknown.isEmpty(), "metrics used in deploy/ but not exported: " + unknown);
    }

    /** The metric family names in a real scrape (from the TYPE lines), after events that create every series. */
    private static Set<String> exportedFamilies() throws Exception {
        try (RunningBerth berth = RunningBerth.start(); var c = berth.connectApp(); var s = c.createStatement()) {
            s.execute("select 1");
            org.junit.jupiter.api.Assertions.assertThrows(java.sql.SQLException.class, () -> s.execute("select 1/0"));
            try (var su = TestPostgres.superuser("postgres"); var t = su.createStatement()) {
                t.execute("select pg_terminate_backend(pid) from pg_stat_activity where usename = 'app' and datname = 'appdb'");
            }
            PoolLimitsTest.waitFor(() -> berth.server().poolStats().get(0).total() == 0, "the terminated server left the pool");
            Set<String> names = new TreeSet<>();
            for (String line : ObservabilityTest.get(berth.server(), "/metrics").body().split("\n")) {
                if (line.startsWith("# TYPE ")) {
                    String name = line.split(" ")[2];
                    names.add(name);
                    names.add(name + "_total");
                }
            }
            return names;
        }
    }

    private static void promtool(Path dir, String... args) throws Exception {
        java.util.List<String> command = new java.util.ArrayList<>();
        command.add("promtool");
        command.addAll(java.util.List.of(args));
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), String.join(" ", command) + ":\n" + out);
    }

    /** A strict recursive-descent JSON syntax check (the project has no JSON library, and needs none). */
    private static final class JsonChecker {
        private final String s;
        private int i;

        JsonChecker(String s) {
            this.s = s;
        }

        void check() {
            value();
            space();
            assertEquals(s.length(), i, "trailing content at " + i);
        }

        private void value() {
            space();
            char c = s.charAt(i);
            if (c == '{') {
                i++;
                space();
                if (s.charAt(i) == '}') {
                    i++;
                    return;
                }
                do {
                    space();
                    string();
                    space();
                    expect(':');
                    value();
                    space();
                } while (s.charAt(i++) == ',');
                assertEquals('}', s.charAt(i - 1), "object not closed at " + i);
            } else if (c == '[') {
                i++;
                space();
                if (s.charAt(i) == ']') {
                    i++;
                    return;
                }
                do {
                    value();
                    space();
                } while (s.charAt(i++) == ',');
                assertEquals(']', s.charAt(i - 1), "array not closed at " + i);
            } else if (c == '"') {
                string();
            } else if (s.startsWith("true", i) || s.startsWith("null", i)) {
                i += 4;
            } else if (s.startsWith("false", i)) {
                i += 5;
            } else {
                int start = i;
                while (i < s.length() && "+-0123456789.eE".indexOf(s.charAt(i)) >= 0) {
                    i++;
                }
                assertTrue(i > start, "unexpected '" + c + "' at " + start);
                Double.parseDouble(s.substring(start, i));
            }
        }

        private void string() {
            expect('"');
            while (s.charAt(i) != '"') {
                i += s.charAt(i) == '\\' ? 2 : 1;
            }
            i++;
        }

        private void expect(char c) {
            assertEquals(c, s.charAt(i), "expected '" + c + "' at " + i);
            i++;
        }

        private void space() {
            while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
                i++;
            }
        }
    }
}
