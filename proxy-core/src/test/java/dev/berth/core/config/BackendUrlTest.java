package dev.berth.core.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BackendUrlTest {

    /** Parsed as the backend setting, so the problem names it. */
    private static ConfigException invalid(String url) {
        assertThrows(IllegalArgumentException.class, () -> BackendUrl.parse(url));
        ConfigException e = assertThrows(ConfigException.class, () -> SettingsTable.BACKEND.parse(url));
        assertEquals("backend", e.setting());
        assertTrue(e.getMessage().startsWith("backend: "), e.getMessage());
        return e;
    }

    @Test
    void parsesAFullUrl() {
        BackendUrl u = BackendUrl.parse("postgresql://app:s%40cr%3At%2Fx@db.example.com:6543/app%20db?sslmode=prefer");
        assertEquals(new BackendUrl("db.example.com", 6543, "app", "s@cr:t/x", "app db",
                new BackendTls(BackendTls.Mode.PREFER, null, null, null, BackendTls.Negotiation.POSTGRES)), u);
    }

    @Test
    void parsesAMinimalUrl() {
        assertEquals(new BackendUrl("localhost", 5432, null, null, null, BackendTls.DISABLED), BackendUrl.parse("postgresql://localhost"));
        assertEquals(new BackendUrl("localhost", 5432, null, null, null, BackendTls.DISABLED), BackendUrl.parse("  postgres://localhost/  "));
    }

    @Test
    void userWithoutPassword() {
        BackendUrl u = BackendUrl.parse("postgresql://bob@h/db");
        assertEquals("bob", u.user());
        assertEquals(null, u.password());
        assertEquals("db", u.database());
        assertEquals("postgresql://bob@h:5432/db", u.masked());
    }

    @Test
    void emptyPasswordIsKeptAsEmpty() {
        BackendUrl u = BackendUrl.parse("postgresql://bob:@h");
        assertEquals("", u.password());
    }

    @Test
    void plusInThePasswordIsAPlus() {
        assertEquals("a+b c", BackendUrl.parse("postgresql://u:a+b%20c@h").password());
    }

    @Test
    void ipv6Host() {
        BackendUrl u = BackendUrl.parse("postgresql://u:pw@[::1]:6000/db");
        assertEquals("::1", u.host());
        assertEquals(6000, u.port());
        assertEquals("[::1]:6000", u.address());
        assertEquals("postgresql://u:****@[::1]:6000/db", u.masked());
    }

    @Test
    void ipv6HostWithDefaultPort() {
        BackendUrl u = BackendUrl.parse("postgresql://[2001:db8::5]");
        assertEquals("2001:db8::5", u.host());
        assertEquals(5432, u.port());
    }

    @Test
    void passwordIsMaskedInMaskedAndToString() {
        BackendUrl u = BackendUrl.parse("postgresql://app:hunter2@db:5433/shop");
        assertEquals("postgresql://app:****@db:5433/shop", u.masked());
        assertEquals(u.masked(), u.toString());
        assertFalse(u.toString().contains("hunter2"));
        assertEquals("db:5433", u.address());
    }

    @Test
    void emptyOrBlankIsRejected() {
        assertEquals("backend: is empty", invalid("").getMessage());
        assertEquals("backend: is empty", invalid("   ").getMessage());
        assertEquals("backend: is empty", invalid(null).getMessage());
    }

    @Test
    void otherSchemesAreRejected() {
        assertTrue(invalid("mysql://h/db").getMessage().contains("must start with postgresql://"));
        assertTrue(invalid("h:5432").getMessage().contains("must start with postgresql://"));
    }

    @Test
    void missingHostIsRejected() {
        assertTrue(invalid("postgresql:///db").getMessage().contains("has no host"));
        assertTrue(invalid("postgresql://u@/db").getMessage().contains("has no host"));
    }

    @Test
    void nonNumericPortIsRejected() {
        assertTrue(invalid("postgresql://h:abc/db").getMessage().contains("has a non-numeric port"));
        assertTrue(invalid("postgresql://h:70000/db").getMessage().contains("outside 1-65535"));
    }

    @Test
    void pathThatIsNotADatabaseIsRejected() {
        assertTrue(invalid("postgresql://h/a/b").getMessage().contains("has a path that is not a database name"));
    }

    @Test
    void everySslModeIsAccepted() {
        for (BackendTls.Mode mode : BackendTls.Mode.values()) {
            assertEquals(mode, BackendUrl.parse("postgresql://h/db?sslmode=" + mode.label()).tls().mode());
        }
        assertEquals(BackendTls.DISABLED, BackendUrl.parse("postgresql://h/db").tls());
        assertTrue(invalid("postgresql://h/db?sslmode=on").getMessage().contains("sslmode=on is not one of disable, allow,"));
    }

    @Test
    void whatEachModeChecks() {
        BackendTls prefer = BackendUrl.parse("postgresql://h?sslmode=prefer").tls();
        assertTrue(prefer.attempts() && !prefer.required() && !prefer.verifiesChain());
        assertFalse(BackendUrl.parse("postgresql://h?sslmode=allow").tls().attempts());
        BackendTls require = BackendUrl.parse("postgresql://h?sslmode=require").tls();
        assertTrue(require.required() && !require.verifiesChain() && !require.verifiesHost());
        BackendTls verifyCa = BackendUrl.parse("postgresql://h?sslmode=verify-ca").tls();
        assertTrue(verifyCa.verifiesChain() && !verifyCa.verifiesHost());
        assertNull(verifyCa.rootCert(), "no sslrootcert: the JDK's trust store");
        assertTrue(BackendUrl.parse("postgresql://h?sslmode=verify-full&sslrootcert=system").tls().verifiesHost());
    }

    @Test
    void requireWithARootCertificateChecksTheChainAsInLibpq(@TempDir Path dir) throws IOException {
        Path ca = Files.writeString(dir.resolve("ca.pem"), "x");
        BackendTls tls = BackendUrl.parse("postgresql://h?sslmode=require&sslrootcert=" + ca).tls();
        assertEquals(ca, tls.rootCert());
        assertTrue(tls.verifiesChain() && !tls.verifiesHost());
    }

    @Test
    void tlsParametersAreShownMaskedUrlAndChecked(@TempDir Path dir) throws IOException {
        Path cert = Files.writeString(dir.resolve("c.pem"), "x");
        Path key = Files.writeString(dir.resolve("k.pem"), "x");
        BackendUrl u = BackendUrl.parse("postgresql://u:pw@h/db?sslmode=verify-full&sslcert=" + cert + "&sslkey=" + key
                + "&sslnegotiation=direct");
        assertEquals(new BackendTls(BackendTls.Mode.VERIFY_FULL, null, cert, key, BackendTls.Negotiation.DIRECT), u.tls());
        assertEquals("postgresql://u:****@h:5432/db?sslmode=verify-full&sslcert=" + cert + "&sslkey=" + key
                + "&sslnegotiation=direct", u.masked());
        assertTrue(invalid("postgresql://h?sslmode=require&sslcert=" + cert).getMessage()
                .contains("sslcert and sslkey go together"));
        assertTrue(invalid("postgresql://h?sslmode=verify-ca&sslrootcert=" + dir.resolve("missing.pem")).getMessage()
                .contains("missing.pem: no such file, or it is not readable"));
        assertTrue(invalid("postgresql://h?sslmode=prefer&sslnegotiation=direct").getMessage()
                .contains("sslnegotiation=direct needs sslmode=require, verify-ca or verify-full (it is prefer)"));
        assertTrue(invalid("postgresql://h?sslmode=require&sslnegotiation=tls").getMessage()
                .contains("sslnegotiation=tls is not one of postgres, direct"));
    }

    @Test
    void channelBindingAsInLibpq() {
        assertEquals(BackendTls.ChannelBinding.PREFER, BackendUrl.parse("postgresql://h?sslmode=require").tls().channelBinding(),
                "libpq's default");
        BackendUrl u = BackendUrl.parse("postgresql://h/db?sslmode=require&channel_binding=require");
        assertEquals(BackendTls.ChannelBinding.REQUIRE, u.tls().channelBinding());
        assertEquals("postgresql://h:5432/db?sslmode=require&channel_binding=require", u.masked());
        assertEquals(BackendTls.ChannelBinding.DISABLE,
                BackendUrl.parse("postgresql://h?channel_binding=disable").tls().channelBinding());
        assertTrue(invalid("postgresql://h?sslmode=require&channel_binding=yes").getMessage()
                .contains("channel_binding=yes is not one of disable, prefer, require"));
        // it can never be met in clear: said at load time, not at each login
        assertTrue(invalid("postgresql://h?channel_binding=require").getMessage()
                .contains("channel_binding=require needs TLS, which sslmode=disable does not use: set sslmode=require"));
    }

    @Test
    void unknownParameterIsRejected() {
        assertTrue(invalid("postgresql://h/db?connect_timeout=5").getMessage().contains("unknown URL parameter 'connect_timeout'"));
    }

    @Test
    void malformedUrlsDoNotLeakThePassword() {
        for (String url : new String[] {
                "postgresql://u:topsecret@h:abc/db",      // bad port
                "postgresql://u:top secret@h/db",         // illegal character
                "postgresql://u:topsecret@h/a/b",         // bad path
                "mysql://u:topsecret@h/db"}) {             // bad scheme
            ConfigException e = invalid(url);
            assertFalse(e.getMessage().contains("topsecret") || e.getMessage().contains("top secret"), e.getMessage());
            assertTrue(e.getMessage().contains("u:****@"), e.getMessage());
        }
    }

    @Test
    void hostWithUnderscoreIsAccepted() {
        BackendUrl u = BackendUrl.parse("postgresql://my_db:5432/app");
        assertEquals("my_db", u.host());
        assertEquals(5432, u.port());
    }
}
