package dev.berth.core.config;

import dev.berth.core.auth.AuthType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BerthConfigTest {

    /** A builder that is valid as it is. */
    private static BerthConfig.Builder trust() {
        return BerthConfig.builder().authType(AuthType.TRUST);
    }

    private static void rejects(BerthConfig.Builder builder, String setting, String detail) {
        ConfigException e = assertThrows(ConfigException.class, builder::build);
        assertEquals(setting, e.setting(), e.getMessage());
        assertTrue(e.getMessage().startsWith(setting + ": "), e.getMessage());
        assertFalse(e.problem().contains("--"), "core names settings, not flags: " + e.getMessage());
        assertTrue(e.getMessage().contains(detail), e.getMessage());
    }

    @Test
    void defaults() {
        BerthConfig c = trust().build();
        assertEquals(new HostPort("0.0.0.0", 6432), c.listen());
        assertEquals(BackendUrl.parse("postgresql://127.0.0.1:5432"), c.backend());
        assertEquals(PoolMode.TRANSACTION, c.poolMode());
        assertEquals(200, c.poolMax());
        assertEquals(20, c.poolMin());
        assertEquals(30_000, c.idleTimeoutMs());
        assertEquals(2_000, c.connectionTimeoutMs());
        assertEquals(5_000, c.serverConnectTimeoutMs());
        assertEquals(15_000, c.clientLoginTimeoutMs());
        assertEquals(256 * 1024 * 1024, c.maxMessageSize());
        assertEquals("DISCARD ALL", c.serverResetQuery());
        assertEquals(null, c.authFile());
        assertEquals("text", c.logFormat());
    }

    @Test
    void logFormatIsOneOfTextOrJson() {
        assertEquals("json", trust().logFormat(" JSON ").build().logFormat());
        rejects(trust().logFormat("xml"), "log_format", "'xml' is not text or json");
    }

    @Test
    void anySettingCanBeSetThroughTheTable() {
        BerthConfig c = trust().set(SettingsTable.POOL_MAX, 9).set(SettingsTable.POOL_MIN, SettingsTable.POOL_MIN.parse(" 3 ")).build();
        assertEquals(9, c.poolMax());
        assertEquals(3, c.poolMin());
        rejects(trust().set(SettingsTable.WORKERS, 2000), "workers", "between 0 (one per processor) and 1024, got 2000");
    }

    @Test
    void maxBackendConnectionsDefaultsToPoolMax() {
        assertEquals(37, trust().poolMax(37).poolMin(0).build().maxBackendConnections());
        assertEquals(5, trust().poolMax(37).maxBackendConnections(5).build().maxBackendConnections());
    }

    @Test
    void poolMinAbovePoolMaxIsRejected() {
        rejects(trust().poolMax(5).poolMin(6), "pool_min", "(6) must not be greater than pool_max (5)");
        assertEquals(5, trust().poolMax(5).poolMin(5).build().poolMin());
    }

    @Test
    void poolMaxBelowOneAndNegativePoolMinAreRejected() {
        rejects(trust().poolMax(0).poolMin(0), "pool_max", "must be at least 1, got 0");
        rejects(trust().poolMin(-1), "pool_min", "must not be negative, got -1");
    }

    @Test
    void nonPositiveTimeoutsAreRejected() {
        rejects(trust().idleTimeoutMs(-1), "idle_timeout", "got -1");
        rejects(trust().connectionTimeoutMs(0), "connection_timeout", "got 0");
        rejects(trust().serverConnectTimeoutMs(-5), "server_connect_timeout", "got -5");
        rejects(trust().clientLoginTimeoutMs(-1000), "client_login_timeout", "got -1000");
    }

    @Test
    void maxBackendConnectionsBelowOneIsRejected() {
        rejects(trust().maxBackendConnections(0), "max_backend_connections", "must be at least 1, got 0");
    }

    @Test
    void smallMaxMessageSizeIsRejected() {
        rejects(trust().maxMessageSize(1023), "max_message_size", "got 1023");
        assertEquals(1024, trust().maxMessageSize(1024).build().maxMessageSize());
    }

    @Test
    void everyPoolModeIsAccepted() {
        for (PoolMode mode : PoolMode.values()) {
            assertEquals(mode, trust().poolMode(mode).build().poolMode());
        }
    }

    @Test
    void preparedStatementLimitsAreValidated() {
        rejects(trust().maxPreparedStatements(0), "max_prepared_statements", "got 0");
        rejects(trust().preparedStatementRegistryBytes(-1), "prepared_statement_registry_bytes", "got -1");
    }

    @Test
    void passwordAuthTypesNeedAnAuthFile() {
        rejects(BerthConfig.builder(), "auth_file", "auth_type scram-sha-256 needs an auth file");
        rejects(trust().authType(AuthType.MD5), "auth_file", "auth_type md5 needs an auth file");
        rejects(trust().authType(AuthType.PLAIN), "auth_file", "auth_type plain needs an auth file");
    }

    @Test
    void unreadableAuthFileIsRejected(@TempDir Path dir) {
        Path missing = dir.resolve("nope.txt");
        rejects(BerthConfig.builder().authFile(missing), "auth_file", "cannot read " + missing);
    }

    @Test
    void readableAuthFileIsAccepted(@TempDir Path dir) throws IOException {
        Path file = Files.writeString(dir.resolve("userlist.txt"), "\"u\" \"p\"\n");
        BerthConfig c = BerthConfig.builder().authFile(file).build();
        assertEquals(file, c.authFile());
        assertEquals(AuthType.SCRAM_SHA_256, c.authType());
    }

    @Test
    void serverResetQueryIsTrimmedAndNullMeansNone() {
        assertEquals("RESET ALL", trust().serverResetQuery("  RESET ALL \n").build().serverResetQuery());
        assertEquals("", trust().serverResetQuery(null).build().serverResetQuery());
    }

    @Test
    void problemsListsEveryInvalidSettingAndBuildThrowsTheFirst() {
        BerthConfig.Builder b = BerthConfig.builder().poolMax(0).idleTimeoutMs(0).maxPreparedStatements(0);
        List<String> settings = b.problems().stream().map(ConfigException::setting).toList();
        // each setting's own check in table order, then the checks across settings
        assertEquals(List.of("max_prepared_statements", "pool_max", "idle_timeout", "auth_file"), settings);
        ConfigException first = assertThrows(ConfigException.class, b::build);
        assertEquals(b.problems().get(0).getMessage(), first.getMessage());
        assertTrue(trust().problems().isEmpty());
    }

    @Test
    void poolModeParse() {
        assertEquals(PoolMode.SESSION, PoolMode.parse(" Session "));
        assertEquals(PoolMode.TRANSACTION, PoolMode.parse("transaction"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PoolMode.parse("bogus"));
        assertEquals("'bogus' is not one of session, transaction, statement", e.getMessage());
        ConfigException named = assertThrows(ConfigException.class, () -> SettingsTable.POOL_MODE.parse("bogus"));
        assertEquals("pool_mode: 'bogus' is not one of session, transaction, statement", named.getMessage());
    }

    @Test
    void clientTlsIsOffWithoutACertificateAndAModeThatNeedsOneNamesWhatIsMissing(@TempDir Path dir) throws IOException {
        assertEquals(ClientTlsMode.DISABLE, trust().build().clientTlsMode());
        assertEquals(List.of("TLSv1.2", "TLSv1.3"), trust().build().tlsProtocols());
        rejects(trust().clientTlsMode(ClientTlsMode.REQUIRE), "client_tls_mode",
                "require needs a server certificate: set tls_cert and tls_key (PEM files)");
        rejects(trust().clientTlsMode(ClientTlsMode.PREFER), "client_tls_mode", "prefer needs a server certificate");
        Path garbage = Files.writeString(dir.resolve("cert.pem"), "not a certificate\n");
        rejects(trust().tlsCert(garbage), "tls_key", "is needed with tls_cert");
        rejects(trust().tlsKey(garbage), "tls_cert", "is needed with tls_key");
        rejects(trust().tlsCert(garbage).tlsKey(garbage), "tls_cert", garbage + " holds no PEM certificate");
        rejects(trust().tlsCert(dir.resolve("missing.pem")).tlsKey(garbage), "tls_cert", "cannot read " + dir.resolve("missing.pem"));
        Path pkcs1 = Files.writeString(dir.resolve("key.pem"), "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n");
        List<ConfigException> problems = trust().tlsCert(garbage).tlsKey(pkcs1).problems();
        assertTrue(problems.stream().anyMatch(p -> p.setting().equals("tls_key")
                && p.problem().contains("convert it with openssl pkcs8 -topk8 -nocrypt")), problems.toString());
        rejects(trust().clientTlsMode(ClientTlsMode.VERIFY_CA).tlsCert(garbage).tlsKey(garbage), "tls_ca",
                "is needed by client_tls_mode verify-ca (the CA bundle that signs client certificates)");
        assertTrue(trust().clientTlsMode(ClientTlsMode.VERIFY_FULL).problems().stream()
                .anyMatch(p -> p.setting().equals("tls_ca") && p.problem().contains("is needed by client_tls_mode verify-full")));
    }

    @Test
    void tlsSettingsParse() {
        assertEquals(ClientTlsMode.VERIFY_FULL, AccessSettings.CLIENT_TLS_MODE.parse(" Verify-Full "));
        assertEquals("client_tls_mode: 'on' is not one of disable, allow, prefer, require, verify-ca, verify-full",
                assertThrows(ConfigException.class, () -> AccessSettings.CLIENT_TLS_MODE.parse("on")).getMessage());
        assertEquals(List.of("TLSv1.3"), AccessSettings.TLS_PROTOCOLS.parse(" tlsv1.3, "));
        assertTrue(AccessSettings.TLS_PROTOCOLS.problem(List.of("TLSv1.1")).problem().startsWith("'TLSv1.1' is not TLSv1.2 or TLSv1.3"));
        assertEquals("verify-ca", ClientTlsMode.VERIFY_CA.toString());
    }
}
