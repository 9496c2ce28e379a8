package dev.berth.cli;

import dev.berth.core.config.BerthConfig;
import dev.berth.server.http.ConfigJson;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

import java.util.concurrent.Callable;

/** {@code berth check-config}: validates the settings and prints the effective values with their sources. */
@Command(name = "check-config", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Validate the settings (flags and environment) and print the effective configuration.")
final class CheckConfigCommand implements Callable<Integer> {
    @Mixin
    Settings settings;

    @Override
    public Integer call() {
        BerthConfig config = settings.resolveOrReport();
        if (config == null) {
            return 2;
        }
        ConfigJson.values(config).forEach((flag, value) -> System.out.printf("%-36s %-40s %s%n", flag,
                value == null || value.toString().isEmpty() ? "none" : value, settings.sources().getOrDefault(flag, "default")));
        return 0;
    }
}
