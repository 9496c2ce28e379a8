package dev.berth.core.config;

import java.util.Locale;

/**
 * What Berth asks of clients' TLS, with the names of libpq's sslmode and pgbouncer's client_tls_sslmode.
 * On the server side {@code allow} and {@code prefer} are the same: TLS when the client asks for it.
 */
public enum ClientTlsMode {
    /** SSLRequest answered 'N'; direct TLS refused. */
    DISABLE,
    ALLOW,
    PREFER,
    /** A client without TLS is refused (28000) before any password is exchanged. */
    REQUIRE,
    /** TLS with a client certificate signed by tls_ca. */
    VERIFY_CA,
    /** As verify-ca, and the certificate's CN must be the user name the client logs in as. */
    VERIFY_FULL;

    public static ClientTlsMode parse(String value) {
        try {
            return valueOf(value.trim().toUpperCase(Locale.ROOT).replace('-', '_'));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("'" + value + "' is not one of disable, allow, prefer, require, verify-ca, verify-full");
        }
    }

    /** Whether clients may use TLS at all (a certificate is then needed). */
    public boolean enabled() {
        return this != DISABLE;
    }

    /** Whether a client without TLS is refused. */
    public boolean required() {
        return compareTo(REQUIRE) >= 0;
    }

    /** Whether clients must present a certificate signed by tls_ca. */
    public boolean verifiesClients() {
        return compareTo(VERIFY_CA) >= 0;
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
}
