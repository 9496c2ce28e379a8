package dev.berth.cli;

import dev.berth.core.auth.AuthType;
import dev.berth.core.config.TransportChoice;
import dev.berth.core.config.DoBlockPolicy;
import dev.berth.core.config.AuthSources;
import dev.berth.core.config.BerthConfig;
import dev.berth.core.config.ConnectionLimits;
import dev.berth.core.config.ClientTlsMode;
import dev.berth.core.config.HostPort;
import dev.berth.core.config.InvalidSettings;
import dev.berth.core.config.PoolMode;
import dev.berth.core.config.SessionStatePolicy;
import dev.berth.server.TestCertificates;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SettingsTest {

    /** In the order of the settings table (README's options table). */
    private static final List<String> FLAGS = List.of("--config", "--listen", "--backend", "--auth-file", "--auth-type",
            "--auth-user", "--auth-query", "--auth-dbname", "--auth-query-cache-ttl", "--auth-hba-file", "--pool-mode", "--session-state", "--do-blocks", "--max-prepared-statements", "--prepared-statement-registry-bytes",
            "--pool-max", "--pool-min", "--idle-timeout", "--connection-timeout", "--max-backend-connections",
            "--max-db-connections", "--max-user-connections", "--reserve-pool-size", "--reserve-pool-timeout",
            "--workers", "--transport", "--metrics-listen", "--metrics-compat", "--admin-users", "--log-format",
            "--server-reset-query", "--server-connect-timeout", "--client-login-timeout", "--max-client-connections",
            "--max-db-client-connections", "--max-user-client-connections", "--max-pools", "--max-message-size", "--server-lifetime", "--server-check-delay", "--server-check-query",
            "--query-timeout", "--idle-transaction-timeout", "--client-idle-timeout", "--transaction-timeout",
            "--tcp-keepalive", "--tcp-keepidle", "--tcp-keepintvl", "--tcp-keepcnt",
            "--shutdown-timeout", "--so-reuseport",
            "--tls-cert", "--tls-key", "--client-tls-mode", "--tls-ca", "--tls-protocols");

    @TempDir
    Path dir;

    private static Settings settings(Map<String, String> env, String... args) {
        return new Settings(SettingOptions.parse(args), env);
    }

    private static BerthConfig resolve(Map<String, String> env, String... args) {
        return settings(env, args).resolve();
    }

    private static List<String> problems(Map<String, String> env, String... args) {
        return assertThrows(InvalidSettings.class, () -> resolve(env, args)).problems();
    }

    private Path userlist() throws IOException {
        return Files.writeString(dir.resolve("userlist.txt"), "\"alice\" \"secret\"\n");
    }

    @Test
    void defaults() {
        Settings s = settings(Map.of(), "--auth-type", "trust");
        BerthConfig c = s.resolve();
        assertAll(
                () -> assertEquals(new HostPort("0.0.0.0", 6432), c.listen()),
                () -> assertEquals("127.0.0.1", c.backend().host()),
                () -> assertEquals(5432, c.backend().port()),
                () -> assertNull(c.backend().user()),
                () -> assertNull(c.backend().database()),
                () -> assertNull(c.authFile()),
                () -> assertEquals(PoolMode.TRANSACTION, c.poolMode()),
                () -> assertEquals(SessionStatePolicy.PIN, c.sessionState()),
                () -> assertEquals(200, c.maxPreparedStatements()),
                () -> assertEquals(16L * 1024 * 1024, c.preparedStatementRegistryBytes()),
                () -> assertEquals("none", c.metricsCompat()),
                () -> assertTrue(c.adminUsers().isEmpty()),
                () -> assertEquals(200, c.poolMax()),
                () -> assertEquals(20, c.poolMin()),
                () -> assertEquals(30_000, c.idleTimeoutMs()),
                () -> assertEquals(2_000, c.connectionTimeoutMs()),
                () -> assertEquals(200, c.maxBackendConnections()),
                () -> assertEquals(new HostPort("0.0.0.0", 9930), c.metricsListen()),
                () -> assertEquals("DISCARD ALL", c.serverResetQuery()),
                () -> assertEquals(5_000, c.serverConnectTimeoutMs()),
                () -> assertEquals(15_000, c.clientLoginTimeoutMs()),
                () -> assertEquals(256 * 1024 * 1024, c.maxMessageSize()),
                () -> assertEquals(30_000, c.shutdownTimeoutMs()),
                () -> assertFalse(c.soReuseport()));
        for (String flag : FLAGS) {
            assertEquals(flag.equals("--auth-type") ? "flag" : "default", s.sources().get(flag), flag);
        }
    }

    @Test
    void authTypeDefaultsToScram() throws IOException {
        Path file = userlist();
        Settings s = settings(Map.of(), "--auth-file", file.toString());
        BerthConfig c = s.resolve();
        assertEquals(AuthType.SCRAM_SHA_256, c.authType());
        assertEquals(file, c.authFile());
        assertEquals("default", s.sources().get("--auth-type"));
    }

    @Test
    void defaultAuthTypeNeedsAnAuthFile() {
        List<String> problems = problems(Map.of());
        assertEquals(1, problems.size(), problems::toString);
        assertTrue(problems.get(0).startsWith("--auth-file: "), problems.get(0));
        assertTrue(problems.get(0).contains("auth_type"), problems.get(0));
    }

    @Test
    void maxBackendConnectionsFollowsPoolMax() {
        assertEquals(50, resolve(Map.of(), "--auth-type", "trust", "--pool-max", "50", "--pool-min", "5")
                .maxBackendConnections());
        assertEquals(60, resolve(Map.of("DB_POOL_MAX", "60", "DB_POOL_MIN", "5"), "--auth-type", "trust")
                .maxBackendConnections());
    }

    @Test
    void maxBackendConnectionsCanBeSetApart() {
        BerthConfig c = resolve(Map.of(), "--auth-type", "trust", "--max-backend-connections", "500");
        assertEquals(500, c.maxBackendConnections());
        assertEquals(200, c.poolMax());
    }

    @Test
    void environmentTakesEffect() throws IOException {
        Path file = userlist();
        TestCertificates ca = TestCertificates.authority("Settings CA");
        TestCertificates.Pem server = ca.server("localhost");
        Path ini = Files.writeString(dir.resolve("empty.ini"), "; nothing here: the environment sets everything\n");
        Map<String, String> env = Map.ofEntries(
                Map.entry("BERTH_CONFIG", ini.toString()),
                Map.entry("BERTH_TLS_CERT", server.cert().toString()),
                Map.entry("BERTH_TLS_KEY", server.key().toString()),
                Map.entry("BERTH_CLIENT_TLS_MODE", "verify-full"),
                Map.entry("BERTH_TLS_CA", ca.ca().toString()),
                Map.entry("BERTH_TLS_PROTOCOLS", "TLSv1.3"),
                Map.entry("BERTH_LISTEN", "127.0.0.1:7000"),
                Map.entry("DATABASE_URL", "postgresql://bob@db.example:5433/app"),
                Map.entry("BERTH_AUTH_FILE", file.toString()),
                Map.entry("BERTH_AUTH_TYPE", "md5"),
                Map.entry("BERTH_POOL_MODE", "session"),
                Map.entry("DB_POOL_MAX", "50"),
                Map.entry("DB_POOL_MIN", "5"),
                Map.entry("DB_POOL_IDLE_TIMEOUT", "1000"),
                Map.entry("DB_POOL_CONNECTION_TIMEOUT", "300"),
                Map.entry("BERTH_MAX_BACKEND_CONNECTIONS", "70"),
                Map.entry("BERTH_METRICS_LISTEN", "127.0.0.1:9000"),
                Map.entry("BERTH_SERVER_RESET_QUERY", "RESET ALL"),
                Map.entry("BERTH_SERVER_CONNECT_TIMEOUT", "400"),
                Map.entry("BERTH_CLIENT_LOGIN_TIMEOUT", "500"),
                Map.entry("BERTH_MAX_MESSAGE_SIZE", "4096"),
                Map.entry("BERTH_MAX_CLIENT_CONNECTIONS", "600"),
                Map.entry("BERTH_MAX_POOLS", "7"),
                Map.entry("BERTH_MAX_DB_CONNECTIONS", "21"),
                Map.entry("BERTH_MAX_USER_CONNECTIONS", "22"),
                Map.entry("BERTH_MAX_DB_CLIENT_CONNECTIONS", "23"),
                Map.entry("BERTH_MAX_USER_CLIENT_CONNECTIONS", "24"),
                Map.entry("BERTH_RESERVE_POOL_SIZE", "25"),
                Map.entry("BERTH_RESERVE_POOL_TIMEOUT", "26"),
                Map.entry("BERTH_ADMIN_USERS", "ops"),
                Map.entry("BERTH_METRICS_COMPAT", "pgbouncer"),
                Map.entry("BERTH_SESSION_STATE", "allow"),
                Map.entry("BERTH_DO_BLOCKS", "allow"),
                Map.entry("BERTH_MAX_PREPARED_STATEMENTS", "10"),
                Map.entry("BERTH_PREPARED_STATEMENT_REGISTRY_BYTES", "2048"),
                Map.entry("BERTH_WORKERS", "3"),
                Map.entry("BERTH_TRANSPORT", "nio"),
                Map.entry("BERTH_LOG_FORMAT", "json"),
                Map.entry("BERTH_SERVER_LIFETIME", "60000"),
                Map.entry("BERTH_SERVER_CHECK_DELAY", "0"),
                Map.entry("BERTH_SERVER_CHECK_QUERY", "select 1"),
                Map.entry("BERTH_QUERY_TIMEOUT", "11"),
                Map.entry("BERTH_IDLE_TRANSACTION_TIMEOUT", "12"),
                Map.entry("BERTH_CLIENT_IDLE_TIMEOUT", "13"),
                Map.entry("BERTH_TRANSACTION_TIMEOUT", "14"),
                Map.entry("BERTH_TCP_KEEPALIVE", "off"),
                Map.entry("BERTH_TCP_KEEPIDLE", "30"),
                Map.entry("BERTH_TCP_KEEPINTVL", "5"),
                Map.entry("BERTH_TCP_KEEPCNT", "3"),
                Map.entry("BERTH_SHUTDOWN_TIMEOUT", "45000"),
                Map.entry("BERTH_SO_REUSEPORT", "on"),
                Map.entry("BERTH_AUTH_USER", "Lookup"),
                Map.entry("BERTH_AUTH_QUERY", "SELECT * FROM pgbouncer.get_auth($1)"),
                Map.entry("BERTH_AUTH_DBNAME", "authdb"),
                Map.entry("BERTH_AUTH_QUERY_CACHE_TTL", "5000"),
                Map.entry("BERTH_AUTH_HBA_FILE", file.toString()));
        Settings s = settings(env);
        BerthConfig c = s.resolve();
        assertAll(
                () -> assertEquals(new HostPort("127.0.0.1", 7000), c.listen()),
                () -> assertEquals("db.example", c.backend().host()),
                () -> assertEquals(5433, c.backend().port()),
                () -> assertEquals("bob", c.backend().user()),
                () -> assertEquals("app", c.backend().database()),
                () -> assertEquals(file, c.authFile()),
                () -> assertEquals(AuthType.MD5, c.authType()),
                () -> assertEquals(PoolMode.SESSION, c.poolMode()),
                () -> assertEquals(50, c.poolMax()),
                () -> assertEquals(5, c.poolMin()),
                () -> assertEquals(1000, c.idleTimeoutMs()),
                () -> assertEquals(300, c.connectionTimeoutMs()),
                () -> assertEquals(70, c.maxBackendConnections()),
                () -> assertEquals(new HostPort("127.0.0.1", 9000), c.metricsListen()),
                () -> assertEquals("RESET ALL", c.serverResetQuery()),
                () -> assertEquals(400, c.serverConnectTimeoutMs()),
                () -> assertEquals(500, c.clientLoginTimeoutMs()),
                () -> assertEquals(4096, c.maxMessageSize()),
                () -> assertEquals(600, c.maxClientConnections()),
                () -> assertEquals(7, c.maxPools()),
                () -> assertEquals(new ConnectionLimits(21, 22, 23, 24, 25, 26), c.limits()),
                () -> assertEquals(java.util.Set.of("ops"), c.adminUsers()),
                () -> assertEquals("pgbouncer", c.metricsCompat()),
                () -> assertEquals(SessionStatePolicy.ALLOW, c.sessionState()),
                () -> assertEquals(DoBlockPolicy.ALLOW, c.doBlocks()),
                () -> assertEquals(10, c.maxPreparedStatements()),
                () -> assertEquals(2048, c.preparedStatementRegistryBytes()),
                () -> assertEquals(3, c.workers()),
                () -> assertEquals(TransportChoice.NIO, c.transport()),
                () -> assertEquals("json", c.logFormat()),
                () -> assertEquals(60000, c.serverLifetimeMs()),
                () -> assertEquals(0, c.serverCheckDelayMs()),
                () -> assertEquals("select 1", c.serverCheckQuery()),
                () -> assertEquals(11, c.queryTimeoutMs()),
                () -> assertEquals(12, c.idleTransactionTimeoutMs()),
                () -> assertEquals(13, c.clientIdleTimeoutMs()),
                () -> assertEquals(14, c.transactionTimeoutMs()),
                () -> assertFalse(c.tcpKeepalive()),
                () -> assertEquals(30, c.tcpKeepidle()),
                () -> assertEquals(5, c.tcpKeepintvl()),
                () -> assertEquals(3, c.tcpKeepcnt()),
                () -> assertEquals(45_000, c.shutdownTimeoutMs()),
                () -> assertTrue(c.soReuseport()),
                () -> assertEquals(server.cert(), c.tlsCert()),
                () -> assertEquals(server.key(), c.tlsKey()),
                () -> assertEquals(ClientTlsMode.VERIFY_FULL, c.clientTlsMode()),
                () -> assertEquals(ca.ca(), c.tlsCa()),
                () -> assertEquals(List.of("TLSv1.3"), c.tlsProtocols()),
                () -> assertEquals(new AuthSources("Lookup", "SELECT * FROM pgbouncer.get_auth($1)", "authdb", 5000, file),
                        c.authSources(), "user names keep their case"));
        assertEquals("environment (DB_POOL_MAX)", s.sources().get("--pool-max"));
        assertEquals("environment (DATABASE_URL)", s.sources().get("--backend"));
        assertEquals("environment (BERTH_MAX_MESSAGE_SIZE)", s.sources().get("--max-message-size"));
        for (String flag : FLAGS) {
            assertTrue(s.sources().get(flag).startsWith("environment ("), flag + ": " + s.sources().get(flag));
        }
    }

    @Test
    void flagsBeatEnvironment() {
        Map<String, String> env = Map.of("BERTH_LISTEN", "127.0.0.1:7000", "DATABASE_URL", "postgresql://env-host",
                "DB_POOL_MAX", "50", "DB_POOL_IDLE_TIMEOUT", "1000", "BERTH_AUTH_TYPE", "md5");
        Settings s = settings(env, "--listen", "127.0.0.1:8000", "--backend", "postgresql://flag-host",
                "--pool-max", "80", "--idle-timeout", "9000", "--auth-type", "trust");
        BerthConfig c = s.resolve();
        assertEquals(new HostPort("127.0.0.1", 8000), c.listen());
        assertEquals("flag-host", c.backend().host());
        assertEquals(80, c.poolMax());
        assertEquals(80, c.maxBackendConnections());
        assertEquals(9000, c.idleTimeoutMs());
        assertEquals(AuthType.TRUST, c.authType());
        for (String flag : List.of("--listen", "--backend", "--pool-max", "--idle-timeout", "--auth-type")) {
            assertEquals("flag", s.sources().get(flag), flag);
        }
    }

    @Test
    void flagHidesAnInvalidEnvironmentValue() {
        assertEquals(80, resolve(Map.of("DB_POOL_MAX", "abc"), "--auth-type", "trust", "--pool-max", "80").poolMax());
    }

    @Test
    void transactionPoolingAndObservabilitySettingsTakeEffectWithTheirSources() {
        Settings s = settings(Map.of("BERTH_SESSION_STATE", "reject", "BERTH_MAX_PREPARED_STATEMENTS", "50",
                        "BERTH_ADMIN_USERS", "ops, dba"), "--auth-type", "trust", "--pool-mode", "statement",
                "--prepared-statement-registry-bytes", "1024", "--metrics-compat", "pgbouncer");
        BerthConfig c = s.resolve();
        assertEquals(PoolMode.STATEMENT, c.poolMode());
        assertEquals(SessionStatePolicy.REJECT, c.sessionState());
        assertEquals(50, c.maxPreparedStatements());
        assertEquals(1024, c.preparedStatementRegistryBytes());
        assertEquals("pgbouncer", c.metricsCompat());
        assertEquals(java.util.Set.of("ops", "dba"), c.adminUsers());
        assertEquals("environment (BERTH_SESSION_STATE)", s.sources().get("--session-state"));
        assertEquals("environment (BERTH_MAX_PREPARED_STATEMENTS)", s.sources().get("--max-prepared-statements"));
        assertEquals("flag", s.sources().get("--prepared-statement-registry-bytes"));
        assertEquals("flag", s.sources().get("--pool-mode"));
        assertEquals("flag", s.sources().get("--metrics-compat"));
    }

    @Test
    void newSettingsFlagsBeatEnvironment() {
        Settings s = settings(Map.of("BERTH_SESSION_STATE", "allow", "BERTH_MAX_PREPARED_STATEMENTS", "5",
                        "BERTH_PREPARED_STATEMENT_REGISTRY_BYTES", "100", "BERTH_POOL_MODE", "session"),
                "--auth-type", "trust", "--session-state", "reject", "--max-prepared-statements", "7",
                "--prepared-statement-registry-bytes", "300", "--pool-mode", "transaction");
        BerthConfig c = s.resolve();
        assertEquals(SessionStatePolicy.REJECT, c.sessionState());
        assertEquals(7, c.maxPreparedStatements());
        assertEquals(300, c.preparedStatementRegistryBytes());
        assertEquals(PoolMode.TRANSACTION, c.poolMode());
        for (String flag : List.of("--session-state", "--max-prepared-statements", "--prepared-statement-registry-bytes", "--pool-mode")) {
            assertEquals("flag", s.sources().get(flag), flag);
        }
    }

    /** transaction and statement are no longer rejected; values are case- and space-insensitive. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "transaction   | TRANSACTION",
            "statement     | STATEMENT",
            "session       | SESSION",
            "' Transaction' | TRANSACTION",
    })
    void everyPoolModeIsAcceptedFromFlagAndEnvironment(String value, PoolMode expected) {
        assertEquals(expected, resolve(Map.of(), "--auth-type", "trust", "--pool-mode", value).poolMode());
        Settings s = settings(Map.of("BERTH_POOL_MODE", value), "--auth-type", "trust");
        assertEquals(expected, s.resolve().poolMode());
        assertEquals("environment (BERTH_POOL_MODE)", s.sources().get("--pool-mode"));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "pin    | PIN",
            "reject | REJECT",
            "ALLOW  | ALLOW",
    })
    void everySessionStatePolicyIsAccepted(String value, SessionStatePolicy expected) {
        assertEquals(expected, resolve(Map.of(), "--auth-type", "trust", "--session-state", value).sessionState());
        assertEquals(expected, resolve(Map.of("BERTH_SESSION_STATE", value, "BERTH_AUTH_TYPE", "trust")).sessionState());
    }

    @Test
    void smallestValidPreparedStatementLimitsAreAccepted() {
        BerthConfig c = resolve(Map.of(), "--auth-type", "trust", "--max-prepared-statements", "1",
                "--prepared-statement-registry-bytes", "0");
        assertEquals(1, c.maxPreparedStatements());
        assertEquals(0, c.preparedStatementRegistryBytes());
        BerthConfig e = resolve(Map.of("BERTH_MAX_PREPARED_STATEMENTS", "1", "BERTH_PREPARED_STATEMENT_REGISTRY_BYTES", "0",
                "BERTH_AUTH_TYPE", "trust"));
        assertEquals(1, e.maxPreparedStatements());
        assertEquals(0, e.preparedStatementRegistryBytes());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "--session-state sometimes                  | --session-state",
            "--max-prepared-statements 0                | --max-prepared-statements",
            "--max-prepared-statements many             | --max-prepared-statements",
            "--prepared-statement-registry-bytes -1     | --prepared-statement-registry-bytes",
            "--prepared-statement-registry-bytes lots   | --prepared-statement-registry-bytes",
            "--max-prepared-statements -3               | --max-prepared-statements",
            "--pool-mode sometimes                      | --pool-mode",
    })
    void invalidTransactionPoolingSettingsNameTheirFlag(String args, String flag) {
        List<String> all = new java.util.ArrayList<>(List.of(args.split(" ")));
        all.addAll(List.of("--auth-type", "trust"));
        List<String> problems = problems(Map.of(), all.toArray(new String[0]));
        assertEquals(1, problems.size(), problems::toString);
        assertTrue(problems.get(0).startsWith(flag + ": "), problems.get(0));
        assertTrue(problems.get(0).contains(all.get(1)), problems.get(0));
        assertFalse(problems.get(0).contains("(from "), problems.get(0));
    }

    @Test
    void connectionLimitsComeFromFlagsAndEnvironment() {
        BerthConfig c = settings(Map.of("BERTH_MAX_DB_CONNECTIONS", "4", "BERTH_MAX_USER_CLIENT_CONNECTIONS", "9"),
                "--auth-type", "trust", "--max-user-connections", "3", "--reserve-pool-size", "2",
                "--reserve-pool-timeout", "250", "--max-db-client-connections", "7").resolve();
        assertEquals(new ConnectionLimits(4, 3, 7, 9, 2, 250), c.limits());
    }

    @Test
    void sourcesNameDefaultEnvironmentAndFlag() {
        Settings s = settings(Map.of("DB_POOL_MAX", "50"), "--auth-type", "trust", "--pool-min", "5");
        s.resolve();
        assertEquals("environment (DB_POOL_MAX)", s.sources().get("--pool-max"));
        assertEquals("flag", s.sources().get("--pool-min"));
        assertEquals("default", s.sources().get("--idle-timeout"));
        assertEquals(FLAGS, List.copyOf(s.sources().keySet()));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "--pool-min 30 --pool-max 20           | --pool-min",
            "--pool-max 0                          | --pool-max",
            "--pool-max abc                        | --pool-max",
            "--pool-min -1                         | --pool-min",
            "--idle-timeout -5                     | --idle-timeout",
            "--idle-timeout 0                      | --idle-timeout",
            "--idle-timeout abc                    | --idle-timeout",
            "--connection-timeout abc              | --connection-timeout",
            "--connection-timeout -1               | --connection-timeout",
            "--server-connect-timeout -1           | --server-connect-timeout",
            "--client-login-timeout x              | --client-login-timeout",
            "--backend notaurl                     | --backend",
            "--backend http://host                 | --backend",
            "--backend postgresql://host:x         | --backend",
            "--listen nonsense                     | --listen",
            "--metrics-listen 0.0.0.0:99999        | --metrics-listen",
            "--pool-mode bogus                     | --pool-mode",
            "--max-backend-connections 0           | --max-backend-connections",
            "--max-message-size 10                 | --max-message-size",
    })
    void invalidFlagIsReportedByName(String args, String flag) {
        List<String> all = new java.util.ArrayList<>(List.of(args.trim().split(" +")));
        all.addAll(List.of("--auth-type", "trust"));
        List<String> problems = problems(Map.of(), all.toArray(String[]::new));
        assertEquals(1, problems.size(), problems::toString);
        assertTrue(problems.get(0).startsWith(flag + ": "), problems.get(0));
        assertFalse(problems.get(0).contains("\n"), problems.get(0));
    }

    @Test
    void invalidAuthTypeIsReportedByName() {
        List<String> problems = problems(Map.of(), "--auth-type", "bogus");
        assertEquals(1, problems.size(), problems::toString);
        assertTrue(problems.get(0).startsWith("--auth-type: "), problems.get(0));
    }

    @Test
    void unreadableAuthFileIsReportedByName() {
        List<String> problems = problems(Map.of(), "--auth-file", "/nonexistent");
        assertEquals(1, problems.size(), problems::toString);
        assertTrue(problems.get(0).startsWith("--auth-file: "), problems.get(0));
        assertTrue(problems.get(0).contains("/nonexistent"), problems.get(0));
    }

    @Test
    void minGreaterThanMaxNamesBothValues() {
        String problem = problems(Map.of(), "--auth-type", "trust", "--pool-min", "30", "--pool-max", "20").get(0);
        assertEquals("--pool-min: (30) must not be greater than pool_max (20)", problem);
    }

    /** README's example line. */
    @Test
    void problemFromTheEnvironmentNamesFlagAndVariable() {
        assertEquals(List.of("--pool-min: (30) must not be greater than pool_max (20) (from DB_POOL_MIN)"),
                problems(Map.of("DB_POOL_MIN", "30", "BERTH_AUTH_TYPE", "trust"), "--pool-max", "20"));
    }

    @Test
    void logFormatIsASetting() {
        Settings s = settings(Map.of("BERTH_LOG_FORMAT", "JSON"), "--auth-type", "trust");
        assertEquals("json", s.resolve().logFormat());
        assertEquals("environment (BERTH_LOG_FORMAT)", s.sources().get("--log-format"));
        assertEquals("text", resolve(Map.of(), "--auth-type", "trust").logFormat());
        assertEquals(List.of("--log-format: 'xml' is not text or json"), problems(Map.of(), "--auth-type", "trust", "--log-format", "xml"));
        assertEquals(List.of("--log-format: 'xml' is not text or json (from BERTH_LOG_FORMAT)"),
                problems(Map.of("BERTH_LOG_FORMAT", "xml"), "--auth-type", "trust"));
    }

    @Test
    void noProblemNamesAFlagOtherThanItsOwn() {
        List<String> problems = problems(Map.of("DB_POOL_MIN", "30"), "--pool-max", "20", "--pool-mode", "x",
                "--listen", "y", "--workers", "-1");
        for (String p : problems) {
            assertFalse(p.substring(p.indexOf(':')).contains("--"), p);
        }
    }

    /** Values rejected while parsing: the problem names the flag and the environment variable. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "DB_POOL_IDLE_TIMEOUT       | -5      | --idle-timeout",
            "DB_POOL_CONNECTION_TIMEOUT | abc     | --connection-timeout",
            "DB_POOL_MAX                | abc     | --pool-max",
            "DB_POOL_MIN                | x       | --pool-min",
            "DATABASE_URL               | notaurl | --backend",
            "BERTH_LISTEN               | nowhere | --listen",
            "BERTH_METRICS_LISTEN       | h:70000 | --metrics-listen",
            "BERTH_POOL_MODE            | bogus   | --pool-mode",
            "BERTH_AUTH_TYPE            | bogus   | --auth-type",
            "BERTH_SESSION_STATE        | sometimes | --session-state",
            "BERTH_MAX_PREPARED_STATEMENTS | many | --max-prepared-statements",
            "BERTH_PREPARED_STATEMENT_REGISTRY_BYTES | lots | --prepared-statement-registry-bytes",
            "BERTH_SO_REUSEPORT         | maybe   | --so-reuseport",
            "BERTH_TRANSPORT            | uring   | --transport",
            "BERTH_SHUTDOWN_TIMEOUT     | soon    | --shutdown-timeout",
    })
    void invalidEnvironmentValueNamesFlagAndVariable(String var, String value, String flag) {
        Map<String, String> env = var.equals("BERTH_AUTH_TYPE") ? Map.of(var, value) : Map.of(var, value, "BERTH_AUTH_TYPE", "trust");
        List<String> problems = problems(env);
        assertEquals(1, problems.size(), problems::toString);
        assertTrue(problems.get(0).startsWith(flag + ": "), problems.get(0));
        assertTrue(problems.get(0).contains(var), problems.get(0));
    }

    /** Values that parse but fail validation in BerthConfig.Builder#problems: the problem still names the env var. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "DB_POOL_MIN            | 300         | --pool-min",
            "DB_POOL_MAX            | 0           | --pool-max",
            "BERTH_AUTH_FILE        | /nonexistent | --auth-file",
            "BERTH_MAX_MESSAGE_SIZE | 10          | --max-message-size",
            "BERTH_MAX_PREPARED_STATEMENTS | 0    | --max-prepared-statements",
            "BERTH_PREPARED_STATEMENT_REGISTRY_BYTES | -1 | --prepared-statement-registry-bytes",
            "BERTH_METRICS_COMPAT   | graphite    | --metrics-compat",
            "BERTH_SHUTDOWN_TIMEOUT | -1          | --shutdown-timeout",
    })
    void invalidEnvironmentValueCaughtAtBuildNamesFlagAndVariable(String var, String value, String flag) {
        Map<String, String> env = var.equals("BERTH_AUTH_FILE") ? Map.of(var, value) : Map.of(var, value, "BERTH_AUTH_TYPE", "trust");
        List<String> problems = problems(env);
        assertEquals(1, problems.size(), problems::toString);
        assertTrue(problems.get(0).startsWith(flag + ": "), problems.get(0));
        assertTrue(problems.get(0).contains(var), problems.get(0));
    }

    @Test
    void independentParseErrorsAreReportedTogether() {
        List<String> problems = problems(Map.of("DB_POOL_MAX", "many"), "--auth-type", "trust",
                "--idle-timeout", "-5", "--connection-timeout", "abc", "--backend", "notaurl");
        assertEquals(4, problems.size(), problems::toString);
        assertTrue(problems.get(0).startsWith("--backend: "), problems.get(0));
        assertTrue(problems.get(1).startsWith("--pool-max: ") && problems.get(1).contains("DB_POOL_MAX"), problems.get(1));
        assertTrue(problems.get(2).startsWith("--idle-timeout: "), problems.get(2));
        assertTrue(problems.get(3).startsWith("--connection-timeout: "), problems.get(3));
    }

    @Test
    void everyIndependentProblemIsReportedTogether() {
        List<String> problems = problems(Map.of(), "--idle-timeout", "-5", "--pool-min", "30", "--pool-max", "20",
                "--auth-file", "/nonexistent");
        assertEquals(3, problems.size(), problems::toString);
        assertTrue(problems.stream().anyMatch(p -> p.startsWith("--idle-timeout: ")), problems::toString);
        assertTrue(problems.stream().anyMatch(p -> p.startsWith("--pool-min: ")), problems::toString);
        assertTrue(problems.stream().anyMatch(p -> p.startsWith("--auth-file: ")), problems::toString);
    }
}
