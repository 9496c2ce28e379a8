package dev.berth.server;

import org.junit.jupiter.api.Test;

import java.io.DataOutputStream;
import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The files in deploy/: the alert rules, their unit tests and the scrape config pass promtool (skipped when
 * it is missing, failed under CI=true: {@link RequiredTool}); the Grafana dashboard is well-formed JSON; every PromQL expression in the dashboard and the
 * alert rules names only metrics Berth exports (the list below, which is checked against a real scrape).
 */
class DeployFilesTest {
    /** Maven runs the tests of this module in proxy-server/; the repository root is its parent. */
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    private static final Path DASHBOARD = ROOT.resolve("deploy/grafana/berth-dashboard.json");
    private static final Path ALERTS = ROOT.resolve("deploy/prometheus/berth-alerts.yml");
    private static final Path ALERT_TESTS = ROOT.resolve("deploy/prometheus/berth-alerts.test.yml");

    private static final Set<String> GAUGES = Set.of(
            "berth_pool_server_connections", "berth_pool_max_server_connections", "berth_pool_min_server_connections",
            "berth_pool_utilization_ratio", "berth_pool_clients", "berth_pool_pinned_clients",
            "berth_backend_connections", "berth_backend_connections_max", "berth_ready", "berth_client_connections",
            "berth_client_connections_max");
    private static final Set<String> HISTOGRAMS = Set.of(
            "berth_pool_acquire_wait_seconds", "berth_pool_transaction_duration_seconds", "berth_pool_query_duration_seconds");
    private static final Set<String> COUNTERS = Set.of(
            "berth_pool_transactions_total", "berth_pool_queries_total",
            "berth_pool_client_received_bytes_total", "berth_pool_client_sent_bytes_total",
            "berth_pool_server_connections_opened_total", "berth_pool_server_connections_closed_total",
            "berth_pool_server_connection_failures_total", "berth_pool_acquire_timeouts_total", "berth_client_errors_total",
            "berth_pool_prepared_statement_reprepares_total", "berth_pool_prepared_statement_evictions_total",
            "berth_pool_client_pins_total", "berth_cancel_requests_total", "berth_client_connections_refused_total",
            "berth_client_tls_handshakes_total");

    // ---- promtool ----

    @Test
    void prometheusFilesPassPromtool() throws Exception {
        RequiredTool.requireCommand("promtool", "prometheus");
        promtool("check", "rules", "deploy/prometheus/berth-alerts.yml");
        promtool("test", "rules", "deploy/prometheus/berth-alerts.test.yml");
        promtool("check", "config", "deploy/prometheus/prometheus.yml");
    }

    /** promtool parses every dashboard query (as a recording rule, with Grafana's variables filled in). */
    @Test
    void dashboardQueriesAreValidPromQl() throws Exception {
        RequiredTool.requireCommand("promtool", "prometheus");
        StringBuilder rules = new StringBuilder("groups:\n  - name: berth-dashboard\n    rules:\n");
        int n = 0;
        for (String expr : dashboardExpressions(Json.parse(Files.readString(DASHBOARD)))) {
            String filled = expr.replace("$__rate_interval", "1m").replaceAll("\\$\\{?\\w+}?", ".*");
            rules.append("      - record: dashboard:expr_").append(++n).append('\n')
                    .append("        expr: \"").append(filled.replace("\\", "\\\\").replace("\"", "\\\"")).append("\"\n");
        }
        Path file = Files.createTempFile("berth-dashboard-rules", ".yml");
        try {
            Files.writeString(file, rules);
            promtool("check", "rules", file.toString());
        } finally {
            Files.deleteIfExists(file);
        }
    }

    // ---- the dashboard ----

    @Test
    void dashboardIsWellFormedGrafanaJson() throws Exception {
        Object parsed = Json.parse(Files.readString(DASHBOARD));
        assertTrue(parsed instanceof Map, "the dashboard is a JSON object");
        Map<?, ?> dashboard = (Map<?, ?>) parsed;
        assertEquals(39.0, dashboard.get("schemaVersion"));

        Map<String, Map<?, ?>> variables = new LinkedHashMap<>();
        for (Object v : list(map(dashboard.get("templating")).get("list"))) {
            variables.put((String) map(v).get("name"), map(v));
        }
        assertEquals("datasource", variables.get("datasource").get("type"));
        assertEquals("prometheus", variables.get("datasource").get("query"));
        for (String name : List.of("database", "user")) {
            Map<?, ?> v = variables.get(name);
            assertTrue(v != null && "query".equals(v.get("type")), "a query variable " + name);
            assertTrue(variableQuery(v).startsWith("label_values("), name + " comes from label_values: " + variableQuery(v));
        }

        Set<Double> ids = new TreeSet<>();
        Set<Double> thresholds = new TreeSet<>();
        int graphs = 0;
        for (Object p : list(dashboard.get("panels"))) {
            Map<?, ?> panel = map(p);
            assertTrue(ids.add((Double) panel.get("id")), "panel ids are unique: " + panel.get("id"));
            if ("row".equals(panel.get("type"))) {
                continue;
            }
            graphs++;
            assertFalse(list(panel.get("targets")).isEmpty(), "panel " + panel.get("title") + " has queries");
            for (Object t : list(panel.get("targets"))) {
                assertTrue(map(t).get("expr") instanceof String, "a PromQL query in panel " + panel.get("title"));
            }
            Object steps = map(map(map(panel.get("fieldConfig")).get("defaults")).get("thresholds")).get("steps");
            for (Object step : list(steps)) {
                if (map(step).get("value") instanceof Double d) {
                    thresholds.add(d);
                }
            }
        }
        assertTrue(graphs >= 12, "the dashboard has its panels: " + graphs);
        assertTrue(thresholds.containsAll(List.of(0.7, 0.01, 0.5, 0.001)),
                "threshold lines for the targets (70 %, 10 ms, 500 ms, 0.1 %): " + thresholds);
        // every Prometheus query goes through the datasource variable
        forEachMap(dashboard, m -> {
            if (m.get("datasource") instanceof Map<?, ?> ds && "prometheus".equals(ds.get("type"))) {
                assertEquals("${datasource}", ds.get("uid"));
            }
        });
    }

    // ---- metric names ----

    @Test
    void everyExpressionUsesOnlyMetricsBerthExports() throws Exception {
        List<String> dashboard = dashboardExpressions(Json.parse(Files.readString(DASHBOARD)));
        List<String> alerts = yamlValues(Files.readString(ALERTS), "expr");
        List<String> series = yamlValues(Files.readString(ALERT_TESTS), "series");
        assertTrue(dashboard.size() >= 20, "dashboard queries found: " + dashboard.size());
        assertEquals(count(Files.readString(ALERTS), "- alert:"), alerts.size(), "one expr per alert: " + alerts);
        assertFalse(series.isEmpty());

        Set<String> unknown = new TreeSet<>();
        Set<String> usedByDashboard = new TreeSet<>();
        for (String expr : dashboard) {
            for (String name : metricNames(expr)) {
                usedByDashboard.add(family(name));
                if (!exported(name)) {
                    unknown.add(name + " (dashboard: " + expr + ")");
                }
            }
        }
        for (String expr : alerts) {
            assertFalse(metricNames(expr).isEmpty(), "an alert without a metric: " + expr);
            metricNames(expr).stream().filter(name -> !exported(name)).forEach(name -> unknown.add(name + " (alert: " + expr.strip() + ")"));
        }
        for (String selector : series) {
            metricNames(selector).stream().filter(name -> !exported(name)).forEach(name -> unknown.add(name + " (alert test series)"));
        }
        assertTrue(unknown.isEmpty(), "metrics Berth does not export: " + unknown);

        Set<String> notShown = new TreeSet<>(GAUGES);
        notShown.addAll(HISTOGRAMS);
        notShown.addAll(COUNTERS);
        notShown.removeAll(usedByDashboard);
        assertTrue(notShown.isEmpty(), "Berth metrics without a dashboard panel: " + notShown);
    }

    /** The name extraction itself, so that the check above cannot pass by finding nothing. */
    @Test
    void metricNamesAreFoundInPromQl() {
        assertEquals(Set.of("berth_pool_acquire_wait_seconds_bucket"), metricNames(
                "histogram_quantile(0.95, sum by (le, database, user) (rate(berth_pool_acquire_wait_seconds_bucket{database=~\"$database\",le!=\"x\"}[$__rate_interval]))) > 0.01"));
        assertEquals(Set.of("a_total", "b_total"), metricNames(
                "sum by (database, user, sqlstate_class) (rate(a_total[5m])) / ignoring(sqlstate_class) group_left sum by (database, user) (rate(b_total[5m] offset 1h)) > bool 1e-3"));
        assertEquals(Set.of("f_total", "up"), metricNames(
                "sum(increase(f_total{reason=\"x y\"}[5m])) by (job) > 0 unless on (job) up{job='berth'} == 0 and Inf > NaN"));
        assertEquals(Set.of("berth_pool_utilization_ratio"), metricNames("avg_over_time(berth_pool_utilization_ratio[5m:1m])"));
        assertTrue(exported("berth_pool_query_duration_seconds_bucket"));
        assertTrue(exported("jvm_memory_used_bytes") && exported("process_cpu_seconds_total") && exported("up"));
        assertFalse(exported("berth_pool_query_duration_seconds"), "a classic histogram has no series of its bare name");
        assertFalse(exported("berth_pool_queries"));
        assertFalse(exported("pg_up"));
        assertEquals(List.of("a > 1\n  unless b\n", "c == 0", "d"),
                yamlValues("- expr: |\n    a > 1\n      unless b\n  for: 1m\n- expr: c == 0\n  x:\n    expr: 'd'\n", "expr"));
    }

    /** The list above is what Berth really exports: every listed metric is in a scrape, and every berth_ metric is listed. */
    @Test
    void theListedMetricsAreTheOnesBerthExports() throws Exception {
        Set<String> scraped = new TreeSet<>();
        try (RunningBerth berth = RunningBerth.start(); Connection c = berth.connectApp(); Statement s = c.createStatement()) {
            s.execute("select 1");
            assertThrows(SQLException.class, () -> s.execute("select 1/0"));              // berth_client_errors_total
            try (Connection su = TestPostgres.superuser("postgres"); Statement t = su.createStatement()) {
                t.execute("select pg_terminate_backend(pid) from pg_stat_activity where usename = '"
                        + TestPostgres.APP_USER + "' and datname = '" + TestPostgres.APP_DB + "'");
            }
            PoolLimitsTest.waitFor(() -> berth.server().poolStats().get(0).total() == 0,
                    "the terminated server left the pool");                                  // ..._closed_total{reason}
            try (Socket socket = new Socket("127.0.0.1", berth.port());                      // berth_cancel_requests_total
                 DataOutputStream out = new DataOutputStream(socket.getOutputStream())) {
                out.writeInt(16);
                out.writeInt(80877102);
                out.writeInt(4242);
                out.writeInt(4242);
                out.flush();
            }
            PoolLimitsTest.waitFor(() -> scrape(berth).contains("berth_cancel_requests_total{"), "the cancel request is counted");
            for (String line : scrape(berth).split("\n")) {
                if (!line.isEmpty() && !line.startsWith("#")) {
                    scraped.add(line.split("[{ ]", 2)[0]);
                }
            }
        }
        Set<String> missing = new TreeSet<>();
        GAUGES.stream().filter(name -> !scraped.contains(name)).forEach(missing::add);
        COUNTERS.stream().filter(name -> !scraped.contains(name)).forEach(missing::add);
        for (String h : HISTOGRAMS) {
            for (String suffix : List.of("_bucket", "_sum", "_count")) {
                if (!scraped.contains(h + suffix)) {
                    missing.add(h + suffix);
                }
            }
        }
        assertTrue(missing.isEmpty(), "listed but not exported: " + missing + "\nexported: " + scraped);
        Set<String> unlisted = new TreeSet<>();
        scraped.stream().filter(name -> name.startsWith("berth_") && !exported(name)).forEach(unlisted::add);
        assertTrue(unlisted.isEmpty(), "exported but not in this test's list (add them, and to the dashboard): " + unlisted);
        assertTrue(scraped.stream().anyMatch(name -> name.startsWith("jvm_")) && scraped.contains("process_cpu_seconds_total"),
                "the JVM and process metrics: " + scraped);
    }

    // ---- helpers ----

    private static String scrape(RunningBerth berth) {
        try {
            return ObservabilityTest.get(berth.server(), "/metrics").body();
        } catch (IOException e) {
            throw new AssertionError(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** A series name Berth exports: a listed gauge or counter, a listed histogram's _bucket/_sum/_count, jvm_*, process_*, or Prometheus' own up. */
    static boolean exported(String name) {
        if (GAUGES.contains(name) || COUNTERS.contains(name) || name.equals("up")
                || name.startsWith("jvm_") || name.startsWith("process_")) {
            return true;
        }
        Matcher m = Pattern.compile("(.+)_(bucket|sum|count)").matcher(name);
        return m.matches() && HISTOGRAMS.contains(m.group(1));
    }

    private static String family(String name) {
        return name.replaceAll("_(bucket|sum|count)$", "");
    }

    private static final Set<String> KEYWORDS = Set.of("and", "or", "unless", "by", "without", "on", "ignoring",
            "group_left", "group_right", "bool", "offset", "inf", "nan", "atan2", "start", "end");
    private static final Set<String> LABEL_LISTS = Set.of("by", "without", "on", "ignoring", "group_left", "group_right");

    /**
     * The metric names a PromQL expression selects: identifiers outside strings, label matchers, ranges,
     * label lists and Grafana variables that are neither a function or aggregation (followed by a
     * parenthesis or a by/without clause) nor a keyword.
     */
    static Set<String> metricNames(String expr) {
        Set<String> names = new TreeSet<>();
        int i = 0;
        int n = expr.length();
        while (i < n) {
            char c = expr.charAt(i);
            if (c == '"' || c == '\'' || c == '`') {
                i = skipString(expr, i);
            } else if (c == '{') {
                i = skipPast(expr, i, '}');
            } else if (c == '[') {
                i = skipPast(expr, i, ']');
            } else if (c == '#') {
                while (i < n && expr.charAt(i) != '\n') {
                    i++;
                }
            } else if (c == '$') {
                i++;
                if (i < n && expr.charAt(i) == '{') {
                    i = skipPast(expr, i, '}');
                } else {
                    while (i < n && isIdentifierPart(expr.charAt(i))) {
                        i++;
                    }
                }
            } else if (Character.isDigit(c) || (c == '.' && i + 1 < n && Character.isDigit(expr.charAt(i + 1)))) {
                while (i < n && (Character.isLetterOrDigit(expr.charAt(i)) || expr.charAt(i) == '.')) {
                    i++;   // numbers, durations (5m), hex
                }
            } else if (Character.isLetter(c) || c == '_' || c == ':') {
                int start = i;
                while (i < n && isIdentifierPart(expr.charAt(i))) {
                    i++;
                }
                String word = expr.substring(start, i);
                String lower = word.toLowerCase(Locale.ROOT);
                int next = i;
                while (next < n && Character.isWhitespace(expr.charAt(next))) {
                    next++;
                }
                // a function or aggregation: followed by its parenthesis, or (aggregations) by `by (...)`/`without (...)`
                boolean call = next < n && expr.charAt(next) == '('
                        || Pattern.compile("(?i)(by|without)\\s*\\(").matcher(expr).region(next, n).lookingAt();
                if (call && LABEL_LISTS.contains(lower)) {
                    i = skipPast(expr, next, ')');
                } else if (!call && !KEYWORDS.contains(lower)) {
                    names.add(word);
                }
            } else {
                i++;
            }
        }
        return names;
    }

    private static boolean isIdentifierPart(char c) {
        return Character.isLetterOrDigit(c) || c == '_' || c == ':';
    }

    private static int skipString(String s, int i) {
        char quote = s.charAt(i++);
        while (i < s.length() && s.charAt(i) != quote) {
            i += s.charAt(i) == '\\' && quote != '`' ? 2 : 1;
        }
        return i + 1;
    }

    /** From an opening bracket to just past its closing one, skipping quoted strings in between. */
    private static int skipPast(String s, int i, char close) {
        i++;
        while (i < s.length() && s.charAt(i) != close) {
            char c = s.charAt(i);
            i = c == '"' || c == '\'' || c == '`' ? skipString(s, i) : i + 1;
        }
        return i + 1;
    }

    /** The PromQL of a dashboard: every target's expr, and the metric selector of each label_values() variable. */
    private static List<String> dashboardExpressions(Object dashboard) {
        List<String> exprs = new ArrayList<>();
        forEachMap(dashboard, m -> {
            if (m.get("expr") instanceof String expr) {
                exprs.add(expr);
            }
        });
        for (Object v : list(map(map(dashboard).get("templating")).get("list"))) {
            if ("query".equals(map(v).get("type"))) {
                Matcher m = Pattern.compile("label_values\\((.+),\\s*\\w+\\s*\\)\\s*").matcher(variableQuery(map(v)));
                if (m.matches()) {
                    exprs.add(m.group(1));
                }
            }
        }
        return exprs;
    }

    private static String variableQuery(Map<?, ?> variable) {
        Object query = variable.get("query");
        return query instanceof Map<?, ?> m ? (String) m.get("query") : (String) query;
    }

    /**
     * The values of a key anywhere in a YAML file: plain, single- or double-quoted on the key's line, or a
     * block scalar (| or >) on the lines indented deeper than the key. Enough for the files in deploy/.
     */
    static List<String> yamlValues(String yaml, String key) {
        List<String> values = new ArrayList<>();
        Pattern keyLine = Pattern.compile("^(\\s*(?:-\\s+)?)" + Pattern.quote(key) + ":\\s*(.*?)\\s*$");
        String[] lines = yaml.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            Matcher m = keyLine.matcher(lines[i]);
            if (!m.matches()) {
                continue;
            }
            int indent = m.group(1).length();
            String value = m.group(2);
            if (value.matches("[|>][+-]?")) {
                StringBuilder block = new StringBuilder();
                int blockIndent = -1;
                while (i + 1 < lines.length) {
                    String line = lines[i + 1];
                    int lineIndent = line.length() - line.stripLeading().length();
                    if (!line.isBlank() && lineIndent <= indent) {
                        break;
                    }
                    i++;
                    if (!line.isBlank() && blockIndent < 0) {
                        blockIndent = lineIndent;
                    }
                    block.append(line.isBlank() ? "" : line.substring(Math.min(blockIndent, lineIndent))).append('\n');
                }
                values.add(block.toString());
            } else if (value.startsWith("'")) {
                values.add(value.substring(1, value.lastIndexOf('\'')).replace("''", "'"));
            } else if (value.startsWith("\"")) {
                values.add(value.substring(1, value.lastIndexOf('"')).replace("\\\"", "\"").replace("\\\\", "\\"));
            } else {
                values.add(value.replaceFirst("\\s+#.*$", ""));
            }
        }
        return values;
    }

    private static int count(String text, String what) {
        int n = 0;
        for (int i = text.indexOf(what); i >= 0; i = text.indexOf(what, i + 1)) {
            n++;
        }
        return n;
    }

    private static Map<?, ?> map(Object o) {
        assertTrue(o instanceof Map, "expected a JSON object: " + o);
        return (Map<?, ?>) o;
    }

    private static List<?> list(Object o) {
        assertTrue(o instanceof List, "expected a JSON array: " + o);
        return (List<?>) o;
    }

    private static void forEachMap(Object node, java.util.function.Consumer<Map<?, ?>> action) {
        if (node instanceof Map<?, ?> m) {
            action.accept(m);
            m.values().forEach(v -> forEachMap(v, action));
        } else if (node instanceof List<?> l) {
            l.forEach(v -> forEachMap(v, action));
        }
    }

    /** Runs promtool in the repository root; exit code 0 or a failure showing its output. */
    private static void promtool(String... args) throws Exception {
        List<String> command = new ArrayList<>();
        command.add("promtool");
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).directory(ROOT.toFile()).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail(String.join(" ", command) + " did not finish:\n" + out);
        }
        assertEquals(0, p.exitValue(), String.join(" ", command) + " (in " + ROOT + "):\n" + out);
    }

    /**
     * A strict recursive-descent JSON parser (RFC 8259; the project has no JSON library and needs none):
     * objects become maps (duplicate keys refused), arrays lists, numbers doubles.
     */
    static final class Json {
        private final String s;
        private int i;

        private Json(String s) {
            this.s = s;
        }

        static Object parse(String text) {
            Json json = new Json(text);
            Object value = json.value();
            json.space();
            if (json.i != text.length()) {
                throw json.error("trailing content");
            }
            return value;
        }

        private Object value() {
            space();
            if (i >= s.length()) {
                throw error("unexpected end");
            }
            char c = s.charAt(i);
            switch (c) {
                case '{':
                    return object();
                case '[':
                    return array();
                case '"':
                    return string();
                case 't':
                    return literal("true", Boolean.TRUE);
                case 'f':
                    return literal("false", Boolean.FALSE);
                case 'n':
                    return literal("null", null);
                default:
                    if (c == '-' || (c >= '0' && c <= '9')) {
                        return number();
                    }
                    throw error("unexpected '" + c + "'");
            }
        }

        private Map<String, Object> object() {
            Map<String, Object> map = new LinkedHashMap<>();
            i++;
            space();
            if (peek() == '}') {
                i++;
                return map;
            }
            while (true) {
                space();
                if (peek() != '"') {
                    throw error("expected a string key");
                }
                int at = i;
                String key = string();
                space();
                expect(':');
                if (map.containsKey(key)) {
                    i = at;
                    throw error("duplicate key \"" + key + "\"");
                }
                map.put(key, value());
                space();
                char c = next();
                if (c == '}') {
                    return map;
                }
                if (c != ',') {
                    i--;
                    throw error("expected ',' or '}'");
                }
            }
        }

        private List<Object> array() {
            List<Object> list = new ArrayList<>();
            i++;
            space();
            if (peek() == ']') {
                i++;
                return list;
            }
            while (true) {
                list.add(value());
                space();
                char c = next();
                if (c == ']') {
                    return list;
                }
                if (c != ',') {
                    i--;
                    throw error("expected ',' or ']'");
                }
            }
        }

        private String string() {
            expect('"');
            StringBuilder sb = new StringBuilder();
            while (true) {
                char c = next();
                if (c == '"') {
                    return sb.toString();
                }
                if (c < 0x20) {
                    i--;
                    throw error("control character in a string");
                }
                if (c != '\\') {
                    sb.append(c);
                    continue;
                }
                char e = next();
                switch (e) {
                    case '"', '\\', '/' -> sb.append(e);
                    case 'b' -> sb.append('\b');
                    case 'f' -> sb.append('\f');
                    case 'n' -> sb.append('\n');
                    case 'r' -> sb.append('\r');
                    case 't' -> sb.append('\t');
                    case 'u' -> {
                        if (i + 4 > s.length() || !s.substring(i, i + 4).matches("[0-9a-fA-F]{4}")) {
                            throw error("bad \\u escape");
                        }
                        sb.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
                        i += 4;
                    }
                    default -> {
                        i--;
                        throw error("bad escape \\" + e);
                    }
                }
            }
        }

        private Double number() {
            Matcher m = Pattern.compile("-?(0|[1-9][0-9]*)(\\.[0-9]+)?([eE][+-]?[0-9]+)?").matcher(s).region(i, s.length());
            if (!m.lookingAt()) {
                throw error("bad number");
            }
            i = m.end();
            return Double.parseDouble(m.group());
        }

        private Object literal(String word, Object value) {
            if (!s.startsWith(word, i)) {
                throw error("unexpected '" + s.charAt(i) + "'");
            }
            i += word.length();
            return value;
        }

        private char peek() {
            if (i >= s.length()) {
                throw error("unexpected end");
            }
            return s.charAt(i);
        }

        private char next() {
            char c = peek();
            i++;
            return c;
        }

        private void expect(char c) {
            if (peek() != c) {
                throw error("expected '" + c + "'");
            }
            i++;
        }

        private void space() {
            while (i < s.length() && " \t\r\n".indexOf(s.charAt(i)) >= 0) {
                i++;
            }
        }

        private AssertionError error(String what) {
            int line = 1;
            int column = 1;
            for (int k = 0; k < Math.min(i, s.length()); k++) {
                if (s.charAt(k) == '\n') {
                    line++;
                    column = 1;
                } else {
                    column++;
                }
            }
            return new AssertionError("invalid JSON at line " + line + ", column " + column + ": " + what);
        }
    }
}
