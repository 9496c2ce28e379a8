package dev.berth.server.http;

import dev.berth.core.config.BerthConfig;
import dev.berth.core.config.Setting;
import dev.berth.core.config.SettingsTable;
import dev.berth.server.Json;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The effective configuration, setting by setting (secrets masked): as JSON for /config, and as the list
 * that `berth check-config` and SHOW CONFIG print.
 */
public final class ConfigJson {
    private ConfigJson() {
    }

    /** Every setting of the table by flag, in table order, with its effective value (secrets masked). */
    public static Map<String, Object> values(BerthConfig c) {
        Map<String, Object> values = new LinkedHashMap<>();
        for (Setting<?> setting : SettingsTable.ALL) {
            values.put(setting.flag(), setting.display(c));
        }
        return values;
    }

    /** {@code transport}: the one in use, which {@code --transport auto} leaves to start-up to find out. */
    public static String render(BerthConfig c, Map<String, String> sources, String transport) {
        Map<String, Object> values = values(c);
        StringBuilder json = new StringBuilder("{\n  \"transport\": ").append(Json.quote(transport))
                .append(",\n  \"settings\": {\n");
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
