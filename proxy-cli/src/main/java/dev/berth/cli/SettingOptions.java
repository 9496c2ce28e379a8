package dev.berth.cli;

import dev.berth.core.config.Setting;
import dev.berth.core.config.SettingsTable;
import picocli.CommandLine;
import picocli.CommandLine.IModelTransformer;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Gives a command one option per row of {@link SettingsTable} (run and check-config name it as their
 * {@code modelTransformer}), and reads back which flags were given. Options hold the raw text: parsing is
 * left to {@link Settings} so that a bad flag is reported like a bad environment value, with the others.
 */
public final class SettingOptions implements IModelTransformer {

    @Override
    public CommandSpec transform(CommandSpec spec) {
        for (Setting<?> setting : SettingsTable.ALL) {
            spec.addOption(OptionSpec.builder(setting.flag()).paramLabel(setting.paramLabel())
                    .description(help(setting)).type(String.class).build());
        }
        return spec;
    }

    /** The README text as plain text, then where else the value can come from and the default. */
    static String help(Setting<?> setting) {
        String text = plain(setting.description()) + (setting.description().endsWith(".") ? "" : ".");
        if (!setting.description().startsWith("`")) { // code keeps its case: postgresql://, pgbouncer...
            text = Character.toUpperCase(text.charAt(0)) + text.substring(1);
        }
        // picocli reads descriptions as format strings
        return (text + " Env " + setting.envVar() + ", default " + plain(setting.defaultText()) + ".").replace("%", "%%");
    }

    private static String plain(String markdown) {
        return markdown.replace("`", "");
    }

    /** The flags given on a parsed command line, raw, by setting; settings not given are absent. */
    static Map<Setting<?>, String> given(CommandSpec spec) {
        Map<Setting<?>, String> given = new LinkedHashMap<>();
        for (Setting<?> setting : SettingsTable.ALL) {
            String value = spec.findOption(setting.flag()).getValue();
            if (value != null) {
                given.put(setting, value);
            }
        }
        return given;
    }

    /** Parses setting flags alone (for tests): what {@link #given} returns for this command line. */
    static Map<Setting<?>, String> parse(String... args) {
        CommandSpec spec = new SettingOptions().transform(CommandSpec.create());
        new CommandLine(spec).parseArgs(args);
        return given(spec);
    }
}
