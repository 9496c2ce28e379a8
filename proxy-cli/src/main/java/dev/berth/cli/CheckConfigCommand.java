package dev.berth.cli;

import dev.berth.core.config.BerthConfig;
import dev.berth.server.http.ConfigJson;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.util.concurrent.Callable;

/** {@code berth check-config}: validates the settings and prints the effective values with their sources. */
@Command(name = "check-config", mixinStandardHelpOptions = true, sortOptions = false,
        modelTransformer = SettingOptions.class,
        description = "Validate the settings (flags, environment, config file) and print the effective configuration.")
final class CheckConfigCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        Settings settings = new Settings(SettingOptions.given(spec), System.getenv());
        BerthConfig config = settings.resolveOrReport();
        if (config == null) {
            return 2;
        }
        settings.warnings().forEach(w -> System.err.println("berth: warning: " + w));
        ConfigJson.values(config).forEach((flag, value) -> System.out.printf("%-36s %-40s %s%n", flag,
                value == null || value.toString().isEmpty() ? "none" : value, settings.sources().getOrDefault(flag, "default")));
        return 0;
    }
}
