package dev.berth.cli;

import dev.berth.core.config.BerthConfig;
import dev.berth.core.config.InvalidSettings;
import dev.berth.core.config.Setting;
import dev.berth.core.config.SettingsResolver;

import java.util.List;
import java.util.Map;

/**
 * The command line's settings: flags and environment variables (and the config file they name) resolved
 * by proxy-core's {@link SettingsResolver}, which the running server keeps to resolve them again on a
 * reload. Every bad value is reported at once, one line each, naming the flag and its source.
 */
public final class Settings {
    private final SettingsResolver resolver;
    private SettingsResolver.Resolved resolved;

    Settings(Map<Setting<?>, String> flags, Map<String, String> env) {
        this.resolver = new SettingsResolver(flags, env);
    }

    /** Builds the validated configuration; throws {@link InvalidSettings} listing every problem. */
    BerthConfig resolve() {
        resolved = resolver.resolve();
        return resolved.config();
    }

    /** The validated configuration, or null after printing every problem (the caller exits with 2). */
    BerthConfig resolveOrReport() {
        try {
            return resolve();
        } catch (InvalidSettings e) {
            e.problems().forEach(p -> System.err.println("berth: invalid setting " + p));
            return null;
        }
    }

    /** What {@link #resolve()} produced: configuration, sources and warnings. */
    SettingsResolver.Resolved resolved() {
        return resolved;
    }

    SettingsResolver resolver() {
        return resolver;
    }

    /** Where each setting's value came from, by flag: "default", "flag", "environment (VAR)" or "file PATH:LINE (key)". */
    Map<String, String> sources() {
        return resolved.sources();
    }

    /** The config file's keys Berth does not act on, one line each. */
    List<String> warnings() {
        return resolved.warnings();
    }
}
