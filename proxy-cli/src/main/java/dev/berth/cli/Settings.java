package dev.berth.cli;

import dev.berth.core.config.BerthConfig;
import dev.berth.core.config.ConfigException;
import dev.berth.core.config.Setting;
import dev.berth.core.config.SettingsTable;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Resolves every setting of {@link SettingsTable} from flags and environment variables: a flag wins over
 * the environment, the environment over the default. Resolving records where each value came from, and
 * reports every bad value at once, one line each, naming the flag (and the variable it came from).
 */
public final class Settings {
    private final Map<Setting<?>, String> flags;
    private final Map<String, String> env;
    /** Where each setting's value came from, by flag: "default", "flag" or "environment (VAR)". */
    private final Map<String, String> sources = new LinkedHashMap<>();

    Settings(Map<Setting<?>, String> flags, Map<String, String> env) {
        this.flags = flags;
        this.env = env;
    }

    /** Builds the validated configuration; throws {@link InvalidSettings} listing every problem. */
    BerthConfig resolve() {
        BerthConfig.Builder builder = BerthConfig.builder();
        List<ConfigException> problems = new ArrayList<>();
        // settings whose text did not parse: their default stands in while the rest is validated
        Set<String> unparsable = new HashSet<>();
        for (Setting<?> setting : SettingsTable.ALL) {
            String text = flags.get(setting);
            String source = "flag";
            if (text == null && env.get(setting.envVar()) != null) {
                text = env.get(setting.envVar());
                source = "environment (" + setting.envVar() + ")";
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
        for (ConfigException problem : builder.problems()) {
            // a problem that involves a setting which did not parse would only repeat that error
            if (unparsable.stream().noneMatch(name -> problem.getMessage().contains(name))) {
                problems.add(problem);
            }
        }
        if (problems.isEmpty()) {
            return builder.build();
        }
        // one order for parse errors and checks alike: the table's
        problems.sort(Comparator.comparingInt(p -> SettingsTable.ALL.indexOf(SettingsTable.byName(p.setting()))));
        throw new InvalidSettings(problems.stream().map(this::line).toList());
    }

    private static <T> void apply(BerthConfig.Builder builder, Setting<T> setting, String text) {
        builder.set(setting, setting.parse(text));
    }

    /** {@code --pool-min: (30) must not be greater than pool_max (20) (from DB_POOL_MIN)} */
    private String line(ConfigException problem) {
        Setting<?> setting = SettingsTable.byName(problem.setting());
        String source = sources.get(setting.flag());
        return setting.flag() + ": " + problem.problem()
                + (source.startsWith("environment") ? " (from " + setting.envVar() + ")" : "");
    }

    /** The validated configuration, or null after printing every problem (the caller exits with 2). */
    BerthConfig resolveOrReport() {
        try {
            return resolve();
        } catch (InvalidSettings e) {
            e.problems.forEach(p -> System.err.println("berth: invalid setting " + p));
            return null;
        }
    }

    Map<String, String> sources() {
        return sources;
    }

    /** One or more settings are invalid; each line names its flag. */
    static final class InvalidSettings extends RuntimeException {
        final List<String> problems;

        InvalidSettings(List<String> problems) {
            super(String.join("; ", problems));
            this.problems = List.copyOf(problems);
        }
    }
}
