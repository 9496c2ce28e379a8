package dev.berth.core.config;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.StringJoiner;

/**
 * How Berth uses TLS towards a backend, from libpq's URL parameters: {@code sslmode}, {@code sslrootcert}
 * (null: the JDK's trust store, as {@code sslrootcert=system}), {@code sslcert}/{@code sslkey} (a client
 * certificate, PEM, key in PKCS#8), {@code sslnegotiation} (PostgreSQL 17's direct TLS) and {@code
 * channel_binding} (SCRAM-SHA-256-PLUS over TLS). Built once per configuration; the server builds one TLS
 * context per distinct value and reuses it for every connection.
 */
public record BackendTls(Mode mode, Path rootCert, Path cert, Path key, Negotiation negotiation, ChannelBinding channelBinding) {
    public static final BackendTls DISABLED = new BackendTls(Mode.DISABLE, null, null, null, Negotiation.POSTGRES);

    /** With libpq's default channel_binding, prefer. */
    public BackendTls(Mode mode, Path rootCert, Path cert, Path key, Negotiation negotiation) {
        this(mode, rootCert, cert, key, negotiation, ChannelBinding.PREFER);
    }

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
     * libpq's channel_binding: whether a SCRAM login over TLS binds itself to the server's certificate
     * (SCRAM-SHA-256-PLUS, tls-server-end-point), so that a man in the middle holding another certificate
     * cannot relay it. {@code prefer}: when the server offers it; {@code require}: or fail the login.
     */
    public enum ChannelBinding {
        DISABLE, PREFER, REQUIRE;

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }

        static ChannelBinding parse(String value) {
            for (ChannelBinding c : values()) {
                if (c.label().equals(value)) {
                    return c;
                }
            }
            throw new IllegalArgumentException("channel_binding=" + value + " is not one of disable, prefer, require");
        }
    }

    /**
     * From the URL's parameters (null where absent); the exception says what is wrong and what to use.
     * As in libpq, direct negotiation needs a mode that insists on TLS.
     */
    public static BackendTls of(String mode, String rootCert, String cert, String key, String negotiation) {
        return of(mode, rootCert, cert, key, negotiation, null);
    }

    /** As {@link #of(String, String, String, String, String)}, with channel_binding (null: prefer). */
    public static BackendTls of(String mode, String rootCert, String cert, String key, String negotiation,
                                String channelBinding) {
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
        ChannelBinding binding = channelBinding == null ? ChannelBinding.PREFER : ChannelBinding.parse(channelBinding);
        if (binding == ChannelBinding.REQUIRE && m.compareTo(Mode.PREFER) < 0) {
            throw new IllegalArgumentException("channel_binding=require needs TLS, which sslmode=" + m.label()
                    + " does not use: set sslmode=require (or verify-ca, verify-full)");
        }
        if ((cert == null) != (key == null)) {
            throw new IllegalArgumentException("sslcert and sslkey go together: give both files or neither");
        }
        Path root = rootCert == null || rootCert.equals("system") ? null : readable("sslrootcert", rootCert);
        return new BackendTls(m, root, cert == null ? null : readable("sslcert", cert), key == null ? null : readable("sslkey", key), n,
                binding);
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
        if (channelBinding != ChannelBinding.PREFER) {
            p.add("channel_binding=" + channelBinding.label());
        }
        return p.toString();
    }
}
