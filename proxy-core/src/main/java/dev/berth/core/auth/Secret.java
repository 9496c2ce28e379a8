package dev.berth.core.auth;

import java.util.Base64;

/** A user's secret from the auth file: a plaintext password, an md5 hash or a SCRAM-SHA-256 secret. */
public sealed interface Secret {

    /**
     * A plaintext password; {@code scram} is its SCRAM secret when the source derived one (off the event
     * loop, once), so that a SCRAM login needs no key derivation; null otherwise.
     */
    record Plain(String password, Scram scram) implements Secret {
        public Plain(String password) {
            this(password, null);
        }

        @Override
        public String toString() {
            return "Plain[****]";
        }
    }

    /** {@code md5} followed by md5hex(password || username), as PostgreSQL stores it. */
    record Md5(String hash) implements Secret {
        @Override
        public String toString() {
            return "Md5[****]";
        }
    }

    /** {@code SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>}, as in pg_authid. */
    record Scram(int iterations, byte[] salt, byte[] storedKey, byte[] serverKey) implements Secret {
        @Override
        public String toString() {
            return "Scram[****]";
        }
    }

    static Secret parse(String value) {
        if (value.length() == 35 && value.startsWith("md5") && value.substring(3).matches("[0-9a-f]{32}")) {
            return new Md5(value);
        }
        if (value.startsWith("SCRAM-SHA-256$")) {
            return parseScram(value);
        }
        return new Plain(value);
    }

    private static Scram parseScram(String value) {
        String[] parts = value.substring("SCRAM-SHA-256$".length()).split("\\$");
        if (parts.length != 2) {
            throw new IllegalArgumentException("malformed SCRAM-SHA-256 secret");
        }
        String[] iterationsAndSalt = parts[0].split(":");
        String[] keys = parts[1].split(":");
        if (iterationsAndSalt.length != 2 || keys.length != 2) {
            throw new IllegalArgumentException("malformed SCRAM-SHA-256 secret");
        }
        try {
            Base64.Decoder b64 = Base64.getDecoder();
            int iterations = Integer.parseInt(iterationsAndSalt[0]);
            byte[] storedKey = b64.decode(keys[0]);
            byte[] serverKey = b64.decode(keys[1]);
            if (iterations <= 0 || storedKey.length != 32 || serverKey.length != 32) {
                throw new IllegalArgumentException("malformed SCRAM-SHA-256 secret");
            }
            return new Scram(iterations, b64.decode(iterationsAndSalt[1]), storedKey, serverKey);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("malformed SCRAM-SHA-256 secret", e);
        }
    }
}
