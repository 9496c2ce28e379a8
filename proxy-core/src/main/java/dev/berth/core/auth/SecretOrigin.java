package dev.berth.core.auth;

/**
 * Where a user's secret came from, or, for a user no source knows, where it was looked for: messages and
 * log lines name it and say what to do there, not in a file the operator may not even have.
 */
public enum SecretOrigin {
    AUTH_FILE("the auth file", "the auth file does not list it",
            "store the plaintext password or the SCRAM secret in the auth file",
            "differs from the auth file's; copy the secret from pg_authid into the auth file"),
    AUTH_QUERY("auth_query", "auth_query does not find it",
            "set the user's password again in PostgreSQL with password_encryption = 'scram-sha-256'",
            "differs from the one auth_query returned; auth_query must read pg_authid of the cluster the pool logs"
                    + " in to (see --auth-dbname and the [databases] line's auth_dbname), or the password changed"
                    + " since the lookup (answers are kept for --auth-query-cache-ttl; RELOAD forgets them)"),
    /** Only for an unknown user: the auth file does not list it, and auth_query found none either. */
    AUTH_FILE_AND_QUERY("the auth file and auth_query", "neither the auth file nor auth_query knows it",
            "store the plaintext password or the SCRAM secret in the auth file",
            "differs from the auth file's; copy the secret from pg_authid into the auth file"),
    /** A {@link SecretSource} given in code. */
    OTHER("the secret source", "the secret source does not know it",
            "give a plaintext password or a SCRAM secret", "differs from the secret source's");

    private final String label;
    private final String unknownUser;
    private final String scramFix;
    private final String scramMismatch;

    SecretOrigin(String label, String unknownUser, String scramFix, String scramMismatch) {
        this.label = label;
        this.unknownUser = unknownUser;
        this.scramFix = scramFix;
        this.scramMismatch = scramMismatch;
    }

    /** For the log: why a login of a user no source knows failed. */
    public String unknownUser() {
        return "no such user: " + unknownUser;
    }

    /** For the log: why an md5 hash from here failed a SCRAM login, and what to do. */
    public String md5UnderScram() {
        return label + (this == AUTH_FILE ? " holds" : " returned") + " an md5 hash for this user, which cannot check a"
                + " SCRAM login; " + scramFix + ", or use --auth-type md5";
    }

    /** The end of "the server's SCRAM secret (salt, iterations) ...": whose secret differs, and what to do. */
    public String scramMismatch() {
        return scramMismatch;
    }

    /** Where this secret came from, when it cannot answer the server's challenge (for "and Berth has none (...)"). */
    public String missingHint(String held) {
        return this == AUTH_QUERY ? "auth_query returned only " + held + "; give the password in --backend or in the auth file"
                : "give it in --backend or in the auth file";
    }

    @Override
    public String toString() {
        return label;
    }
}
