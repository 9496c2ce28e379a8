package dev.berth.server.http;

import dev.berth.core.config.BerthConfig;
import dev.berth.server.Json;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeSet;

/**
 * The effective configuration, setting by setting (secrets masked): as JSON for /config, and as the list
 * that `berth check-config` and SHOW CONFIG print.
 */
public final class ConfigJson {
    private ConfigJson() {
    }

    /** Every setting by flag, with its effective value (the backend URL's password masked). */
    public static Map<String, Object> values(BerthConfig c) {
        Map<String, Object> values = new LinkedHashMap<>();
        values.put("--listen", c.listen().toString());
        values.put("--backend", c.backend().masked());
        values.put("--auth-file", c.authFile() == null ? null : c.authFile().toString());
        values.put("--auth-type", c.authType().toString());
        values.put("--pool-mode", c.poolMode().toString());
        values.put("--pool-max", c.poolMax());
        values.put("--pool-min", c.poolMin());
        values.put("--idle-timeout", c.idleTimeoutMs());
        values.put("--connection-timeout", c.connectionTimeoutMs());
        values.put("--max-backend-connections", c.maxBackendConnections());
        values.put("--metrics-listen", c.metricsListen().toString());
        values.put("--server-reset-query", c.serverResetQuery());
        values.put("--server-connect-timeout", c.serverConnectTimeoutMs());
        values.put("--client-login-timeout", c.clientLoginTimeoutMs());
        values.put("--max-message-size", c.maxMessageSize());
        values.put("--session-state", c.sessionState().toString());
        values.put("--max-prepared-statements", c.maxPreparedStatements());
        values.put("--prepared-statement-registry-bytes", c.preparedStatementRegistryBytes());
        values.put("--workers", c.workers());
        values.put("--metrics-compat", c.metricsCompat());
        values.put("--admin-users", String.join(",", new TreeSet<>(c.adminUsers())));
        return values;
    }

    public static String render(BerthConfig c, Map<String, String> sources) {
        Map<String, Object> values = values(c);
        StringBuilder json = new StringBuilder("{\n  \"settings\": {\n");
        int i = 0;
        for (Map.Entry<String, Object> e : values.entrySet()) {
            json.append("    ").append(Json.quote(e.getKey().substring(2))).append(": {\"flag\": ").append(Json.quote(e.getKey()))
                    .append(", \"value\": ").append(value(e.getValue()))
                    .append(", \"source\": ").append(Json.quote(sources.getOrDefault(e.getKey(), "default"))).append('}')
                    .append(++i < values.size() ? ",\n" : "\n");
        }
        return json.append("  }\n}\n").toString();
    }

    private static String value(Object v) {
        return v == null ? "null" : v instanceof Number ? v.toString() : Json.quote(v.toString());
    }
}
