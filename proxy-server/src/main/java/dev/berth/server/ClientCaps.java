package dev.berth.server;

import dev.berth.core.config.BerthConfig;
import dev.berth.core.config.ConnectionLimits;
import dev.berth.core.protocol.ErrorResponse;
import dev.berth.core.protocol.SqlState;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * max_db_client_connections and max_user_client_connections: the logged-in clients of each database (the
 * name clients ask for) and of each user, counted from the moment a client joins its pool until it leaves.
 * A client beyond either cap is refused at login; a name's count goes when its last client does. Touched at
 * login and logout only.
 */
public final class ClientCaps {
    private final ConcurrentHashMap<String, Integer> byDatabase = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Integer> byUser = new ConcurrentHashMap<>();

    /** Counts the client in and returns null, or returns the 53300 it gets when a cap of {@code config} is reached. */
    public ErrorResponse admit(BerthConfig config, String database, String user) {
        int dbMax = config.databases().maxDbClientConnections(config.limits(), database);
        if (!take(byDatabase, database, ConnectionLimits.cap(dbMax))) {
            return refusal("database \"" + database + "\"", "max_db_client_connections", dbMax,
                    "its [databases] entry or [pgbouncer]");
        }
        int userMax = config.databases().maxUserClientConnections(config.limits(), user);
        if (!take(byUser, user, ConnectionLimits.cap(userMax))) {
            give(byDatabase, database);
            return refusal("user \"" + user + "\"", "max_user_client_connections", userMax, "its [users] entry or [pgbouncer]");
        }
        return null;
    }

    /** A client that was admitted has gone. */
    public void leave(String database, String user) {
        give(byDatabase, database);
        give(byUser, user);
    }

    /** Logged-in clients of {@code database}. */
    public int ofDatabase(String database) {
        return byDatabase.getOrDefault(database, 0);
    }

    /** Logged-in clients of {@code user}. */
    public int ofUser(String user) {
        return byUser.getOrDefault(user, 0);
    }

    private static boolean take(Map<String, Integer> counts, String name, int max) {
        boolean[] taken = {false};
        counts.compute(name, (k, n) -> {
            int current = n == null ? 0 : n;
            if (current >= max) {
                return n;
            }
            taken[0] = true;
            return current + 1;
        });
        return taken[0];
    }

    private static void give(Map<String, Integer> counts, String name) {
        counts.computeIfPresent(name, (k, n) -> n <= 1 ? null : n - 1);
    }

    private static ErrorResponse refusal(String what, String setting, int max, String where) {
        return new ErrorResponse("FATAL", SqlState.TOO_MANY_CONNECTIONS, "too many client connections for " + what + " ("
                + setting + " " + max + ")", null, "try again later, or raise " + setting + " (" + where + ") and RELOAD");
    }
}
