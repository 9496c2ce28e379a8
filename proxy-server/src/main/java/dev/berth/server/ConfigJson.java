package dev.berth.server;

import dev.berth.core.config.BerthConfig;
import dev.berth.core.config.Setting;
import dev.berth.core.config.SettingsTable;

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

    static String render(BerthConfig c, Map<String, String> sources) {
        Map<String, Object> values = values(c);
        StringBuilder json = new StringBuilder("{\n  \"settings\": {\n");
        int i = 0;
        for (Map.Entry<String, Object> e : values.entrySet()) {
            json.append("    ").append(quote(e.getKey().substring(2))).append(": {\"flag\": ").append(quote(e.getKey()))
                    .append(", \"value\": ").append(value(e.getValue()))
                    .append(", \"source\": ").append(quote(sources.getOrDefault(e.getKey(), "default"))).append('}')
                    .append(++i < values.size() ? ",\n" : "\n");
        }
        return json.append("  }\n}\n").toString();
    }

    private static String value(Object v) {
        return v == null ? "null" : v instanceof Number ? v.toString() : quote(v.toString());
    }

    static String quote(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (char ch : s.toCharArray()) {
            switch (ch) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (ch < 0x20) {
                        sb.append(String.format("\\u%04x", (int) ch));
                    } else {
                        sb.append(ch);
                    }
                }
            }
        }
        return sb.append('"').toString();
    }
}
