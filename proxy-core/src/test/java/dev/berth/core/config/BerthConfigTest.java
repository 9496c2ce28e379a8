package dev.berth.core.config;

import dev.berth.core.auth.AuthType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BerthConfigTest {

    /** A builder that is valid as it is. */
    private static BerthConfig.Builder trust() {
        return BerthConfig.builder().authType(AuthType.TRUST);
    }

    private static void rejects(BerthConfig.Builder builder, String setting, String detail) {
        ConfigException e = assertThrows(ConfigException.class, builder::build);
        assertTrue(e.getMessage().startsWith(setting + ": "), e.getMessage());
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
        assertEquals(60_000, c.clientLoginTimeoutMs());
        assertEquals(256 * 1024 * 1024, c.maxMessageSize());
        assertEquals("DISCARD ALL", c.serverResetQuery());
        assertEquals(null, c.authFile());
    }

    @Test
    void maxBackendConnectionsDefaultsToPoolMax() {
        assertEquals(37, trust().poolMax(37).poolMin(0).build().maxBackendConnections());
        assertEquals(5, trust().poolMax(37).maxBackendConnections(5).build().maxBackendConnections());
    }

    @Test
    void poolMinAbovePoolMaxIsRejected() {
        rejects(trust().poolMax(5).poolMin(6), "--pool-min", "(6) must not be greater than --pool-max (5)");
        assertEquals(5, trust().poolMax(5).poolMin(5).build().poolMin());
    }

    @Test
    void poolMaxBelowOneAndNegativePoolMinAreRejected() {
        rejects(trust().poolMax(0).poolMin(0), "--pool-max", "must be at least 1, got 0");
        rejects(trust().poolMin(-1), "--pool-min", "must not be negative, got -1");
    }

    @Test
    void nonPositiveTimeoutsAreRejected() {
        rejects(trust().idleTimeoutMs(-1), "--idle-timeout", "got -1");
        rejects(trust().connectionTimeoutMs(0), "--connection-timeout", "got 0");
        rejects(trust().serverConnectTimeoutMs(-5), "--server-connect-timeout", "got -5");
        rejects(trust().clientLoginTimeoutMs(-1000), "--client-login-timeout", "got -1000");
    }

    @Test
    void maxBackendConnectionsBelowOneIsRejected() {
        rejects(trust().maxBackendConnections(0), "--max-backend-connections", "must be at least 1, got 0");
    }

    @Test
    void smallMaxMessageSizeIsRejected() {
        rejects(trust().maxMessageSize(1023), "--max-message-size", "got 1023");
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
        rejects(trust().maxPreparedStatements(0), "--max-prepared-statements", "got 0");
        rejects(trust().preparedStatementRegistryBytes(-1), "--prepared-statement-registry-bytes", "got -1");
    }

    @Test
    void passwordAuthTypesNeedAnAuthFile() {
        rejects(BerthConfig.builder(), "--auth-file", "--auth-type scram-sha-256 needs an auth file");
        rejects(trust().authType(AuthType.MD5), "--auth-file", "--auth-type md5 needs an auth file");
        rejects(trust().authType(AuthType.PLAIN), "--auth-file", "--auth-type plain needs an auth file");
    }

    @Test
    void unreadableAuthFileIsRejected(@TempDir Path dir) {
        Path missing = dir.resolve("nope.txt");
        rejects(BerthConfig.builder().authFile(missing), "--auth-file", "cannot read " + missing);
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
        List<String> settings = b.problems().stream().map(e -> e.getMessage().substring(0, e.getMessage().indexOf(':'))).toList();
        assertEquals(List.of("--pool-max", "--idle-timeout", "--max-prepared-statements", "--auth-file"), settings);
        ConfigException first = assertThrows(ConfigException.class, b::build);
        assertEquals(b.problems().get(0).getMessage(), first.getMessage());
        assertTrue(trust().problems().isEmpty());
    }

    @Test
    void poolModeParse() {
        assertEquals(PoolMode.SESSION, PoolMode.parse(" Session "));
        assertEquals(PoolMode.TRANSACTION, PoolMode.parse("transaction"));
        ConfigException e = assertThrows(ConfigException.class, () -> PoolMode.parse("bogus"));
        assertEquals("--pool-mode: 'bogus' is not one of session, transaction, statement", e.getMessage());
    }
}
