package dev.berth.core.config;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.StringJoiner;

/**
 * How Berth uses TLS towards a backend, from libpq's URL parameters: {@code sslmode}, {@code sslrootcert}
 * (null: the JDK's trust store, as {@code sslrootcert=system}), {@code sslcert}/{@code sslkey} (a client
 * certificate, PEM, key in PKCS#8) and {@code sslnegotiation} (PostgreSQL 17's direct TLS). Built once per
 * configuration; the server builds one TLS context per distinct value and reuses it for every connection.
 */
public record BackendTls(Mode mode, Path rootCert, Path cert, Path key, Negotiation negotiation) {
    public static final BackendTls DISABLED = new BackendTls(Mode.DISABLE, null, null, null, Negotiation.POSTGRES);

    /** libpq's sslmode values, weakest first. */
    public enum Mode {
        DISABLE, ALLOW, PREFER, REQUIRE, VERIFY_CA, VERIFY_FULL;

        public String label() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }

        static Mode parse(String value) {
            for (Mode m : values()) {
                if (m.label().equals(value)) {
                    return m;
                }
            }
            throw new IllegalArgumentException("sslmode=" + value + " is not one of disable, allow, prefer, require,"
                    + " verify-ca, verify-full");
        }
    }

    /** {@code postgres}: SSLRequest first, as every PostgreSQL understands; {@code direct}: TLS at once (PostgreSQL 17+). */
    public enum Negotiation {
        POSTGRES, DIRECT;

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * From the URL's parameters (null where absent); the exception says what is wrong and what to use.
     * As in libpq, direct negotiation needs a mode that insists on TLS.
     */
    public static BackendTls of(String mode, String rootCert, String cert, String key, String negotiation) {
        Mode m = mode == null ? Mode.DISABLE : Mode.parse(mode);
        Negotiation n;
        if (negotiation == null || negotiation.equals("postgres")) {
            n = Negotiation.POSTGRES;
        } else if (negotiation.equals("direct")) {
            n = Negotiation.DIRECT;
        } else {
            throw new IllegalArgumentException("sslnegotiation=" + negotiation + " is not one of postgres, direct");
        }
        if (n == Negotiation.DIRECT && m.compareTo(Mode.REQUIRE) < 0) {
            throw new IllegalArgumentException("sslnegotiation=direct needs sslmode=require, verify-ca or verify-full (it is "
                    + m.label() + ")");
        }
        if ((cert == null) != (key == null)) {
            throw new IllegalArgumentException("sslcert and sslkey go together: give both files or neither");
        }
        Path root = rootCert == null || rootCert.equals("system") ? null : readable("sslrootcert", rootCert);
        return new BackendTls(m, root, cert == null ? null : readable("sslcert", cert), key == null ? null : readable("sslkey", key), n);
    }

    private static Path readable(String parameter, String file) {
        Path path = Path.of(file);
        if (!Files.isReadable(path)) {
            throw new IllegalArgumentException(parameter + "=" + file + ": no such file, or it is not readable");
        }
        return path;
    }

    /** Sends SSLRequest (or starts TLS at once) before the startup message. */
    public boolean attempts() {
        return mode.compareTo(Mode.PREFER) >= 0;
    }

    /** A server without TLS is refused rather than used in clear. */
    public boolean required() {
        return mode.compareTo(Mode.REQUIRE) >= 0;
    }

    /**
     * The server's certificate must chain to a trusted CA: verify-ca and verify-full, and, as in libpq, require
     * with a root certificate file given.
     */
    public boolean verifiesChain() {
        return mode.compareTo(Mode.VERIFY_CA) >= 0 || (mode == Mode.REQUIRE && rootCert != null);
    }

    /** The certificate must name the host Berth connects to. */
    public boolean verifiesHost() {
        return mode == Mode.VERIFY_FULL;
    }

    /** The URL parameters this stands for, for /config and SHOW CONFIG; empty when TLS is off. */
    public String urlParameters() {
        if (this.equals(DISABLED)) {
            return "";
        }
        StringJoiner p = new StringJoiner("&", "?", "");
        p.add("sslmode=" + mode.label());
        if (rootCert != null) {
            p.add("sslrootcert=" + rootCert);
        }
        if (cert != null) {
            p.add("sslcert=" + cert).add("sslkey=" + key);
        }
        if (negotiation == Negotiation.DIRECT) {
            p.add("sslnegotiation=direct");
        }
        return p.toString();
    }
}
