package dev.berth.core.auth;

/**
 * What Berth knows to log in to PostgreSQL as {@code user}: a plaintext password, an md5 hash, or the
 * SCRAM ClientKey recovered from a client's proof together with the stored secret (SCRAM passthrough).
 * Any of them may be null; the server's challenge decides which one is needed. {@code origin} says where
 * the hash or SCRAM secret came from, for the messages when it does not fit the server (null without one).
 */
public record BackendCredentials(String user, String password, String md5Hash, byte[] scramClientKey, Secret.Scram scramSecret,
                                 SecretOrigin origin) {

    public static BackendCredentials none(String user) {
        return new BackendCredentials(user, null, null, null, null, null);
    }

    public static BackendCredentials password(String user, String password) {
        return new BackendCredentials(user, password, null, null, null, null);
    }

    /** Credentials from the auth file's entry (no SCRAM ClientKey yet: that comes from a client login). */
    public static BackendCredentials fromSecret(String user, Secret secret) {
        return fromSecret(user, secret, SecretOrigin.AUTH_FILE);
    }

    /** Credentials from a secret that came from {@code origin}. */
    public static BackendCredentials fromSecret(String user, Secret secret, SecretOrigin origin) {
        if (secret instanceof Secret.Plain p) {
            return password(user, p.password());
        }
        if (secret instanceof Secret.Md5 m) {
            return new BackendCredentials(user, null, m.hash(), null, null, origin);
        }
        if (secret instanceof Secret.Scram s) {
            return new BackendCredentials(user, null, null, null, s, origin);
        }
        return none(user);
    }

    public BackendCredentials withScramClientKey(byte[] clientKey) {
        return new BackendCredentials(user, password, md5Hash, clientKey, scramSecret, origin);
    }

    /** Whether these credentials can answer at least one kind of server challenge. */
    public boolean usable() {
        return password != null || md5Hash != null || (scramClientKey != null && scramSecret != null);
    }

    @Override
    public String toString() {
        return "BackendCredentials[user=" + user + ", password=" + (password != null ? "****" : "none")
                + ", md5=" + (md5Hash != null) + ", scramPassthrough=" + (scramClientKey != null) + ", origin=" + origin + "]";
    }
}
