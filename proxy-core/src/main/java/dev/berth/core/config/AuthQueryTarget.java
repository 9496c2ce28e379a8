package dev.berth.core.config;

/**
 * Who looks up a client's secret and where (pgbouncer's auth_user, auth_query, auth_dbname): the global
 * settings, or those of the client's {@code [databases]} line, each unset key falling back to the global one.
 * A line's lookups run in its auth_dbname, else the global auth_dbname, else the line's own database (so
 * through its own backend); the {@code *} line's in {@code postgres}. So there is at most one target per
 * line, whatever names clients ask for.
 *
 * @param database the name the lookup connects to, routed like a client's
 */
public record AuthQueryTarget(String authUser, String authQuery, String database) {

    /** The target for clients of {@code clientDatabase}; null when no auth user applies (the auth file alone answers). */
    public static AuthQueryTarget forDatabase(BerthConfig config, String clientDatabase) {
        AuthSources global = config.authSources();
        DatabaseEntry entry = clientDatabase == null ? null : config.databases().lookup(clientDatabase);
        if (entry == null) {
            return global(config);
        }
        // a line without auth keys of its own still looks up in its own database, as pgbouncer does: on a
        // line that points at another cluster, the global backend's pg_shadow knows other passwords
        AuthSources.PerDatabase own = entry.auth() != null ? entry.auth() : AuthSources.PerDatabase.NONE;
        String user = own.authUser() != null ? own.authUser() : global.authUser();
        if (user == null) {
            return null;
        }
        String database = own.authDbname() != null ? own.authDbname() : global.authDbname() != null ? global.authDbname()
                : entry.name().equals(DatabaseEntry.FALLBACK) ? "postgres" : entry.name();
        return new AuthQueryTarget(user, own.authQuery() != null ? own.authQuery() : global.authQuery(), database);
    }

    /** The global settings' target; null without a global auth_user. */
    public static AuthQueryTarget global(BerthConfig config) {
        AuthSources global = config.authSources();
        if (global.authUser() == null) {
            return null;
        }
        String database = global.authDbname() != null ? global.authDbname()
                : config.backend().database() != null ? config.backend().database() : "postgres";
        return new AuthQueryTarget(global.authUser(), global.authQuery(), database);
    }

    /** Whether any client's secret may be looked up: a global auth_user, or one on a [databases] line. */
    public static boolean any(BerthConfig config) {
        return config.authSources().queries() || config.databases().entries().stream()
                .anyMatch(e -> e.auth() != null && e.auth().authUser() != null);
    }
}
