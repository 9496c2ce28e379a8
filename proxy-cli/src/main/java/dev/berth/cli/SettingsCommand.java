package dev.berth.cli;

import dev.berth.core.config.Setting;
import dev.berth.core.config.SettingsTable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code berth settings [--markdown]}: the settings table itself, for maintainers (README is made from it). */
@Command(name = "settings", hidden = true, mixinStandardHelpOptions = true,
        description = "List every setting: config key, flag, environment variable, default, reloadable.")
final class SettingsCommand implements Runnable {

    @Option(names = "--markdown", description = "Print README's options block, markers included.")
    boolean markdown;

    @Override
    public void run() {
        if (markdown) {
            System.out.print(SettingsMarkdown.block());
            return;
        }
        for (Setting<?> s : SettingsTable.ALL) {
            System.out.printf("%-34s %-36s %-40s %-8s %s%n", s.name(), s.flag(), s.envVar(),
                    s.reloadable() ? "reload" : "restart", s.defaultText().replace("`", ""));
        }
    }
}
