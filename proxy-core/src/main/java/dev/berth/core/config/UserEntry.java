package dev.berth.core.config;

import java.util.Map;
import java.util.function.Consumer;

/**
 * One line of a pgbouncer {@code [users]} section: what differs for one user from the global settings.
 * Null fields fall back to them.
 *
 * @param poolSize the size of every pool whose user this is (pgbouncer 1.25: it wins over the database's)
 * @param reservePoolSize the reserve pool of every pool whose user this is (wins over the database's too)
 * @param maxUserConnections backend connections of the user across databases (0: no cap)
 * @param maxUserClientConnections logged-in clients of the user (0: no cap)
 */
public record UserEntry(String name, PoolMode poolMode, Integer poolSize, Integer reservePoolSize,
                        Integer maxUserConnections, Integer maxUserClientConnections) {
    /**
     * Parses {@code name = pool_mode=... pool_size=... max_user_connections=...}; a bad value throws naming
     * the key and {@code source}, a key Berth does not act on is reported to {@code unsupported}.
     */
    static UserEntry parse(String name, String text, String source, Consumer<String> unsupported) {
        Map<String, String> params = DatabaseEntry.keywords(text, source);
        PoolMode mode = null;
        Integer poolSize = null;
        Integer reserve = null;
        Integer maxConnections = null;
        Integer maxClients = null;
        for (Map.Entry<String, String> p : params.entrySet()) {
            try {
                switch (p.getKey()) {
                    case "pool_mode" -> mode = PoolMode.parse(p.getValue());
                    case "pool_size" -> poolSize = atLeast(p.getValue(), 1);
                    case "reserve_pool_size" -> reserve = atLeast(p.getValue(), 0);
                    case "max_user_connections" -> maxConnections = atLeast(p.getValue(), 0);
                    case "max_user_client_connections" -> maxClients = atLeast(p.getValue(), 0);
                    default -> unsupported.accept(p.getKey());
                }
            } catch (IllegalArgumentException e) {
                throw new ConfigException("users", source + ": user " + name + ", " + p.getKey() + ": " + e.getMessage());
            }
        }
        return new UserEntry(name, mode, poolSize, reserve, maxConnections, maxClients);
    }

    private static int atLeast(String value, int min) {
        int n = SettingValues.wholeNumber(value);
        if (n < min) {
            throw new IllegalArgumentException("must be at least " + min + ", got " + n);
        }
        return n;
    }
}
