package dev.berth.core.config;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Resolves every setting of {@link SettingsTable}: a flag wins over the environment, the environment over
 * the config file ({@code --config} / {@code BERTH_CONFIG}), the file over the default. Each resolution
 * reads the file afresh (a reload is a new resolution), records where each value came from, and reports
 * every bad value at once, one line each, naming the flag and its source.
 */
public final class SettingsResolver {
    private final Map<Setting<?>, String> flags;
    private final Map<String, String> env;

    /** The result: the validated configuration, each setting's source by flag, and the file's warnings. */
    public record Resolved(BerthConfig config, Map<String, String> sources, List<String> warnings) {
    }

    /** @param flags the settings given as flags, raw; @param env the environment */
    public SettingsResolver(Map<Setting<?>, String> flags, Map<String, String> env) {
        this.flags = Map.copyOf(flags);
        this.env = Map.copyOf(env);
    }

    /** Reads the config file (if any) and builds the validated configuration; throws {@link InvalidSettings}. */
    public Resolved resolve() {
        Map<String, String> sources = new LinkedHashMap<>();
        List<ConfigException> problems = new ArrayList<>();
        ConfigFile file = null;
        String configText = flags.containsKey(SettingsTable.CONFIG) ? flags.get(SettingsTable.CONFIG)
                : env.get(SettingsTable.CONFIG.envVar());
        if (configText != null && !configText.isBlank()) {
            try {
                file = ConfigFile.load(Path.of(configText.strip()));
                problems.addAll(file.problems());
            } catch (ConfigException e) {
                throw new InvalidSettings(List.of(SettingsTable.CONFIG.flag() + ": " + e.problem()));
            }
        }
        BerthConfig.Builder builder = BerthConfig.builder();
        // settings whose text did not parse: their default stands in while the rest is validated
        Set<String> unparsable = new HashSet<>();
        for (Setting<?> setting : SettingsTable.ALL) {
            String text = flags.get(setting);
            String source = "flag";
            if (text == null && env.get(setting.envVar()) != null) {
                text = env.get(setting.envVar());
                source = "environment (" + setting.envVar() + ")";
            }
            if (text == null && file != null && file.values().containsKey(setting)) {
                text = file.values().get(setting).text();
                source = "file " + file.values().get(setting).source();
            }
            sources.put(setting.flag(), text == null ? "default" : source);
            if (text != null) {
                try {
                    apply(builder, setting, text);
                } catch (ConfigException e) {
                    unparsable.add(setting.name());
                    problems.add(e);
                }
            }
        }
        List<String> warnings = new ArrayList<>();
        if (file != null) {
            builder.databases(file.databases());
            warnings.addAll(file.warnings());
            if (!file.databases().isEmpty() && !sources.get(SettingsTable.BACKEND.flag()).equals("default")) {
                warnings.add(SettingsTable.BACKEND.flag() + " (" + sources.get(SettingsTable.BACKEND.flag())
                        + ") is not used: the config file's [databases] section says where each database goes");
            }
        }
        for (ConfigException problem : builder.problems()) {
            // a problem that involves a setting which did not parse would only repeat that error
            if (unparsable.stream().noneMatch(name -> problem.getMessage().contains(name))) {
                problems.add(problem);
            }
        }
        if (!problems.isEmpty()) {
            throw new InvalidSettings(lines(problems, sources));
        }
        return new Resolved(builder.build(), Collections.unmodifiableMap(sources), List.copyOf(warnings));
    }

    private static <T> void apply(BerthConfig.Builder builder, Setting<T> setting, String text) {
        builder.set(setting, setting.parse(text));
    }

    /** In table order, then the file's own sections: {@code --pool-min: ... (from DB_POOL_MIN)}. */
    private static List<String> lines(List<ConfigException> problems, Map<String, String> sources) {
        List<ConfigException> sorted = new ArrayList<>(problems);
        sorted.sort(Comparator.comparingInt(p -> {
            Setting<?> s = SettingsTable.byName(p.setting());
            return s == null ? Integer.MAX_VALUE : SettingsTable.ALL.indexOf(s);
        }));
        List<String> lines = new ArrayList<>();
        for (ConfigException problem : sorted) {
            Setting<?> setting = SettingsTable.byName(problem.setting());
            if (setting == null) { // [databases] or [users]: the message names file:LINE
                lines.add("[" + problem.setting() + "] " + problem.problem());
                continue;
            }
            String source = sources.getOrDefault(setting.flag(), "default");
            String from = source.startsWith("environment") ? " (from " + setting.envVar() + ")"
                    : source.startsWith("file ") && !problem.problem().contains("(from ") ? " (from " + source.substring(5) + ")"
                    : "";
            lines.add(setting.flag() + ": " + problem.problem() + from);
        }
        return lines;
    }
}
