package dev.berth.server;

import dev.berth.core.auth.AuthType;
import dev.berth.core.config.BerthConfig;
import dev.berth.core.config.ClientTlsMode;
import dev.berth.core.config.ConfigException;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The TLS settings' checks with real certificates: the default mode, a key of another certificate. */
class TlsSettingsTest {
    private static final TestCertificates CA = TestCertificates.authority("Settings CA");

    @Test
    void aCertificateAloneMeansPreferAndAKeyOfAnotherCertificateIsRefused() {
        TestCertificates.Pem server = CA.server("localhost");
        TestCertificates.Pem other = CA.server("other");
        BerthConfig c = BerthConfig.builder().authType(AuthType.TRUST).tlsCert(server.cert()).tlsKey(server.key()).build();
        assertEquals(ClientTlsMode.PREFER, c.clientTlsMode(), "a certificate means TLS is wanted");

        ConfigException e = assertThrows(ConfigException.class,
                () -> BerthConfig.builder().authType(AuthType.TRUST).tlsCert(server.cert()).tlsKey(other.key()).build());
        assertEquals("tls_key", e.setting());
        assertTrue(e.problem().contains("the key does not belong to the certificate CN=localhost"), e.getMessage());

        List<ConfigException> problems = BerthConfig.builder().authType(AuthType.TRUST).tlsCert(server.cert())
                .tlsKey(server.key()).tlsCa(server.key()).clientTlsMode(ClientTlsMode.VERIFY_CA).problems();
        assertEquals(1, problems.size(), problems.toString());
        assertEquals("tls_ca", problems.get(0).setting());
        assertTrue(problems.get(0).problem().contains("holds no PEM certificate"), problems.toString());
    }
}
