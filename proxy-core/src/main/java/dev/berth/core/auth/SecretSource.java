package dev.berth.core.auth;

import java.util.concurrent.CompletionStage;

/**
 * Where the secrets that check client logins come from. The answer is asynchronous so that a lookup
 * that needs the network (an auth query against PostgreSQL) never blocks an event loop; the auth file
 * answers at once.
 */
public interface SecretSource {
    /**
     * The user's secret; completes with null when the source does not know the user (the login then
     * fails exactly like a wrong password), exceptionally when the source cannot answer.
     */
    CompletionStage<Secret> secret(String user);

    /** The secret of {@code user} as a client of {@code database} (whose [databases] line may name its own auth user). */
    default CompletionStage<Secret> secret(String database, String user) {
        return secret(user);
    }

    /**
     * Where the secret of {@code user} as a client of {@code database} came from ({@code found}), or where it was
     * looked for: for the operator's messages, on a login (not per message).
     */
    default SecretOrigin origin(String database, String user, boolean found) {
        return SecretOrigin.OTHER;
    }

    /**
     * Whether most users have SCRAM secrets. Under md5 authentication a user with a SCRAM secret is
     * answered with SCRAM and one with an md5 hash (or a password) with an md5 challenge, so an unknown
     * user gets what most known users get and blends in, as in PostgreSQL (which picks by
     * {@code password_encryption}, scram-sha-256 by default: the default here too).
     */
    default boolean mostUsersHaveScramSecrets() {
        return true;
    }
}
