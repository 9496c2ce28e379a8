package dev.berth.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Runs {@link BerthCli#execute} in process. These read the real environment: they assume no BERTH_*, DB_POOL_*
 * or DATABASE_URL variables are set.
 */
class BerthCliTest {

    record Result(int exit, List<String> out, List<String> err) {
        @Override
        public String toString() {
            return "exit " + exit + "\nout: " + String.join("\n", out) + "\nerr: " + String.join("\n", err);
        }
    }

    /** Runs with stdout and stderr captured; a time limit so that a run that wrongly starts cannot hang the build. */
    private static Result berth(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        int exit;
        try {
            exit = assertTimeoutPreemptively(Duration.ofSeconds(20), () -> BerthCli.execute(args));
        } finally {
            System.out.flush();
            System.err.flush();
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
        return new Result(exit, lines(out), lines(err));
    }

    private static List<String> lines(ByteArrayOutputStream bytes) {
        String s = bytes.toString(StandardCharsets.UTF_8);
        return s.isEmpty() ? List.of() : List.of(s.split("\\R"));
    }

    @Test
    void help() {
        Result r = berth("--help");
        assertEquals(0, r.exit(), r::toString);
        assertTrue(r.out().get(0).startsWith("Usage: berth"), r::toString);
        String all = String.join("\n", r.out());
        assertTrue(all.contains("run") && all.contains("check-config") && all.contains("verify") && all.contains("demo"), r::toString);
        assertTrue(r.err().isEmpty(), r::toString);
    }

    @Test
    void runHelpListsEveryFlagWithItsVariable() {
        Result r = berth("run", "--help");
        assertEquals(0, r.exit(), r::toString);
        String all = String.join(" ", r.out()).replaceAll("\\s+", " ");
        for (String flag : List.of("--listen", "--backend", "--auth-file", "--auth-type", "--pool-mode", "--pool-max",
                "--pool-min", "--idle-timeout", "--connection-timeout", "--max-backend-connections",
                "--metrics-listen", "--server-reset-query", "--server-connect-timeout", "--client-login-timeout",
                "--max-message-size", "BERTH_LISTEN", "DATABASE_URL", "BERTH_AUTH_FILE", "BERTH_AUTH_TYPE",
                "BERTH_POOL_MODE", "DB_POOL_MAX", "DB_POOL_MIN", "DB_POOL_IDLE_TIMEOUT", "DB_POOL_CONNECTION_TIMEOUT",
                "BERTH_MAX_BACKEND_CONNECTIONS", "BERTH_METRICS_LISTEN", "--session-state", "BERTH_SESSION_STATE",
                "--max-prepared-statements", "BERTH_MAX_PREPARED_STATEMENTS", "--prepared-statement-registry-bytes",
                "BERTH_PREPARED_STATEMENT_REGISTRY_BYTES", "--metrics-compat", "BERTH_METRICS_COMPAT",
                "--admin-users", "BERTH_ADMIN_USERS", "--workers", "BERTH_WORKERS", "--log-format", "BERTH_LOG_FORMAT")) {
            assertTrue(all.contains(flag), flag);
        }
        assertTrue(all.contains("The operator's HTTP port: /metrics, /healthz, /readyz, /config. Env BERTH_METRICS_LISTEN,"
                + " default 0.0.0.0:9930."), all);
        assertFalse(all.contains("not served yet"), all);
    }

    @Test
    void checkConfigHasTheSameSettingFlagsAsRun() {
        String run = String.join(" ", berth("run", "--help").out());
        String check = String.join(" ", berth("check-config", "--help").out());
        for (String flag : List.of("--pool-max", "--log-format", "--metrics-compat", "--max-message-size")) {
            assertTrue(run.contains(flag) && check.contains(flag), flag);
        }
    }

    @Test
    void settingsMarkdownPrintsReadmesBlock() {
        Result r = berth("settings", "--markdown");
        assertEquals(0, r.exit(), r::toString);
        assertEquals(SettingsMarkdown.block(), String.join("\n", r.out()) + "\n");
        Result plain = berth("settings");
        assertTrue(plain.out().get(0).startsWith("config "), plain::toString);
    }

    @Test
    void invalidLogFormatExitsTwo() {
        Result r = berth("check-config", "--auth-type", "trust", "--log-format", "xml");
        assertEquals(2, r.exit(), r::toString);
        assertEquals(List.of("berth: invalid setting --log-format: 'xml' is not text or json"), r.err(), r::toString);
    }

    @Test
    void aTlsModeWithoutACertificateExitsTwoNamingWhatIsMissing() {
        Result r = berth("run", "--auth-type", "trust", "--client-tls-mode", "require");
        assertEquals(2, r.exit(), r::toString);
        assertEquals(List.of("berth: invalid setting --client-tls-mode: require needs a server certificate: set tls_cert"
                + " and tls_key (PEM files)"), r.err(), r::toString);
    }

    @Test
    void version() {
        Result r = berth("--version");
        assertEquals(0, r.exit(), r::toString);
        assertEquals(1, r.out().size(), r::toString);
        assertTrue(r.out().get(0).startsWith("berth "), r::toString);
        assertFalse(r.out().get(0).startsWith("berth unknown"), r::toString);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "run --pool-min 30 --pool-max 20 --auth-type trust | --pool-min",
            "run --idle-timeout -5 --auth-type trust           | --idle-timeout",
            "run --backend notaurl --auth-type trust           | --backend",
            "run --auth-file /nonexistent                      | --auth-file",
            "run --connection-timeout abc --auth-type trust    | --connection-timeout",
            "check-config --pool-max x --auth-type trust       | --pool-max",
            "check-config --session-state sometimes --auth-type trust | --session-state",
            "check-config --max-prepared-statements 0 --auth-type trust | --max-prepared-statements",
            "run --prepared-statement-registry-bytes -1 --auth-type trust | --prepared-statement-registry-bytes",
            "run --workers -1 --auth-type trust                | --workers",
    })
    void invalidSettingExitsTwoWithOneLine(String args, String flag) {
        Result r = berth(args.trim().split(" +"));
        assertEquals(2, r.exit(), r::toString);
        assertEquals(1, r.err().size(), r::toString);
        assertTrue(r.err().get(0).startsWith("berth: invalid setting " + flag + ": "), r::toString);
        assertTrue(r.out().isEmpty(), r::toString);
    }

    @Test
    void severalInvalidSettingsGiveOneLineEach() {
        Result r = berth("run", "--auth-type", "trust", "--idle-timeout", "-5", "--connection-timeout", "abc");
        assertEquals(2, r.exit(), r::toString);
        assertEquals(2, r.err().size(), r::toString);
        assertTrue(r.err().get(0).startsWith("berth: invalid setting --idle-timeout: "), r::toString);
        assertTrue(r.err().get(1).startsWith("berth: invalid setting --connection-timeout: "), r::toString);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "run --bogus --auth-type trust | --bogus",
            "--bogus                       | --bogus",
            "run --pool-max                | --pool-max",
    })
    void usageErrorExitsTwoNamingTheOption(String args, String option) {
        Result r = berth(args.trim().split(" +"));
        assertEquals(2, r.exit(), r::toString);
        assertTrue(r.err().get(0).startsWith("berth: ") && r.err().get(0).contains(option), r::toString);
        assertEquals(1, r.err().stream().filter(l -> l.startsWith("berth: ")).count(), r::toString);
        assertTrue(r.out().isEmpty(), r::toString);
    }

    @Test
    void usageErrorInSubcommandPointsToItsHelp() {
        Result r = berth("run", "--bogus");
        assertEquals(List.of("Try 'berth run --help'."), r.err().subList(1, r.err().size()), r::toString);
    }

    @Test
    void usageErrorAtTopLevelPointsToBerthHelp() {
        Result r = berth("--bogus");
        assertEquals(List.of("Try 'berth --help'."), r.err().subList(1, r.err().size()), r::toString);
    }

    @Test
    void checkConfigPrintsEveryFlagWithValueAndSource() {
        Result r = berth("check-config", "--auth-type", "trust", "--pool-max", "50", "--pool-min", "5");
        assertEquals(0, r.exit(), r::toString);
        assertTrue(r.err().isEmpty(), r::toString);
        Map<String, String> expected = new LinkedHashMap<>();
        expected.put("--config", "none default");
        expected.put("--listen", "0.0.0.0:6432 default");
        expected.put("--backend", "postgresql://127.0.0.1:5432 default");
        expected.put("--auth-file", "none default");
        expected.put("--auth-type", "trust flag");
        expected.put("--auth-user", "none default");
        expected.put("--auth-query", "SELECT usename, passwd FROM pg_shadow WHERE usename=$1 default");
        expected.put("--auth-dbname", "none default");
        expected.put("--auth-query-cache-ttl", "30000 default");
        expected.put("--auth-hba-file", "none default");
        expected.put("--pool-mode", "transaction default");
        expected.put("--session-state", "pin default");
        expected.put("--do-blocks", "pin default");
        expected.put("--max-prepared-statements", "200 default");
        expected.put("--prepared-statement-registry-bytes", "16777216 default");
        expected.put("--pool-max", "50 flag");
        expected.put("--pool-min", "5 flag");
        expected.put("--idle-timeout", "30000 default");
        expected.put("--connection-timeout", "2000 default");
        expected.put("--max-backend-connections", "50 default");
        expected.put("--max-db-connections", "0 default");
        expected.put("--max-user-connections", "0 default");
        expected.put("--reserve-pool-size", "0 default");
        expected.put("--reserve-pool-timeout", "5000 default");
        expected.put("--workers", Runtime.getRuntime().availableProcessors() + " default");
        expected.put("--transport", "auto default");
        expected.put("--metrics-listen", "0.0.0.0:9930 default");
        expected.put("--metrics-compat", "none default");
        expected.put("--admin-users", "none default");
        expected.put("--log-format", "text default");
        expected.put("--server-reset-query", "DISCARD ALL default");
        expected.put("--server-connect-timeout", "5000 default");
        expected.put("--client-login-timeout", "15000 default");
        expected.put("--max-client-connections", "10000 default");
        expected.put("--max-db-client-connections", "0 default");
        expected.put("--max-user-client-connections", "0 default");
        expected.put("--max-pools", "1000 default");
        expected.put("--max-message-size", "268435456 default");
        expected.put("--server-lifetime", "3600000 default");
        expected.put("--server-check-delay", "30000 default");
        expected.put("--server-check-query", "; default");
        expected.put("--query-timeout", "0 default");
        expected.put("--idle-transaction-timeout", "0 default");
        expected.put("--client-idle-timeout", "0 default");
        expected.put("--transaction-timeout", "0 default");
        expected.put("--tcp-keepalive", "true default");
        expected.put("--tcp-keepidle", "0 default");
        expected.put("--tcp-keepintvl", "0 default");
        expected.put("--tcp-keepcnt", "0 default");
        expected.put("--shutdown-timeout", "30000 default");
        expected.put("--so-reuseport", "false default");
        expected.put("--tls-cert", "none default");
        expected.put("--tls-key", "none default");
        expected.put("--client-tls-mode", "disable default");
        expected.put("--tls-ca", "none default");
        expected.put("--tls-protocols", "TLSv1.2,TLSv1.3 default");
        assertEquals(expected.size(), r.out().size(), r::toString);
        int i = 0;
        for (Map.Entry<String, String> e : expected.entrySet()) {
            String line = r.out().get(i++);
            assertTrue(line.startsWith(e.getKey() + " "), line);
            assertEquals(e.getValue(), line.substring(e.getKey().length()).trim().replaceAll("\\s+", " "), line);
        }
    }

    @Test
    void checkConfigShowsPoolingFlagsWithTheirSource() {
        Result r = berth("check-config", "--auth-type", "trust", "--pool-mode", "statement", "--session-state", "reject",
                "--max-prepared-statements", "10", "--prepared-statement-registry-bytes", "0");
        assertEquals(0, r.exit(), r::toString);
        assertTrue(r.err().isEmpty(), r::toString);
        Map<String, String> byFlag = new LinkedHashMap<>();
        for (String line : r.out()) {
            String[] parts = line.trim().split("\\s+", 2);
            byFlag.put(parts[0], parts[1].replaceAll("\\s+", " "));
        }
        assertEquals("statement flag", byFlag.get("--pool-mode"), r::toString);
        assertEquals("reject flag", byFlag.get("--session-state"), r::toString);
        assertEquals("10 flag", byFlag.get("--max-prepared-statements"), r::toString);
        assertEquals("0 flag", byFlag.get("--prepared-statement-registry-bytes"), r::toString);
    }

    @Test
    void checkConfigMasksTheBackendPassword() {
        Result r = berth("check-config", "--auth-type", "trust", "--backend", "postgresql://app:s3cret@db:5433/shop");
        assertEquals(0, r.exit(), r::toString);
        String all = String.join("\n", r.out());
        assertTrue(all.contains("postgresql://app:****@db:5433/shop"), r::toString);
        assertFalse(all.contains("s3cret"), r::toString);
    }
}
