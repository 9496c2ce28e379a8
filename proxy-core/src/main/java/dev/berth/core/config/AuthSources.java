package dev.berth.core.config;

import java.nio.file.Path;

/**
 * Where client secrets and methods come from besides the auth file: the auth query (pgbouncer's
 * auth_user, auth_query, auth_dbname) and the hba rules.
 *
 * @param authUser    the control-plane user that runs the auth query; null: no auth query
 * @param authDbname  the database the query runs in; null: the backend URL's, else {@code postgres}
 * @param cacheTtlMs  how long an answer is reused
 * @param hbaFile     pg_hba.conf rules for auth_type hba; null: none
 */
public record AuthSources(String authUser, String authQuery, String authDbname, long cacheTtlMs, Path hbaFile) {
    /** pgbouncer's default auth_query. */
    public static final String DEFAULT_QUERY = "SELECT usename, passwd FROM pg_shadow WHERE usename=$1";
    public static final long DEFAULT_CACHE_TTL_MS = 30_000;

    /** Whether the global settings look up secrets (a [databases] line may too: see {@link AuthQueryTarget#any}). */
    public boolean queries() {
        return authUser != null;
    }

    /** A [databases] line's own auth_user, auth_query, auth_dbname; null where it sets none. */
    public record PerDatabase(String authUser, String authQuery, String authDbname) {
        /** A line that sets none of the three: each falls back to the global setting. */
        public static final PerDatabase NONE = new PerDatabase(null, null, null);
    }
}
