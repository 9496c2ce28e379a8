package dev.berth.core.config;

import java.util.Map;
import java.util.function.Consumer;

/**
 * One line of a pgbouncer {@code [users]} section: what differs for one user from the global settings.
 * Null fields fall back to them.
 *
 * @param maxUserConnections backend connections of the user across databases (0: no cap)
 * @param maxUserClientConnections logged-in clients of the user (0: no cap)
 */
public record UserEntry(String name, PoolMode poolMode, Integer maxUserConnections, Integer maxUserClientConnections) {
    /**
     * Parses {@code name = pool_mode=... max_user_connections=...}; a bad value throws naming the key and
     * {@code source}, a key Berth does not act on is reported to {@code unsupported}.
     */
    static UserEntry parse(String name, String text, String source, Consumer<String> unsupported) {
        Map<String, String> params = DatabaseEntry.keywords(text, source);
        PoolMode mode = null;
        Integer maxConnections = null;
        Integer maxClients = null;
        for (Map.Entry<String, String> p : params.entrySet()) {
            try {
                switch (p.getKey()) {
                    case "pool_mode" -> mode = PoolMode.parse(p.getValue());
                    case "max_user_connections" -> maxConnections = notNegative(p.getValue());
                    case "max_user_client_connections" -> maxClients = notNegative(p.getValue());
                    default -> unsupported.accept(p.getKey());
                }
            } catch (IllegalArgumentException e) {
                throw new ConfigException("users", source + ": user " + name + ", " + p.getKey() + ": " + e.getMessage());
            }
        }
        return new UserEntry(name, mode, maxConnections, maxClients);
    }

    private static int notNegative(String value) {
        int n = SettingValues.wholeNumber(value);
        if (n < 0) {
            throw new IllegalArgumentException("must be at least 0, got " + n);
        }
        return n;
    }
}
