package dev.berth.cli;

import dev.berth.core.config.Setting;
import dev.berth.core.config.SettingsTable;

/** README's options table, made from {@link SettingsTable} so that the two cannot drift apart. */
final class SettingsMarkdown {
    static final String BEGIN = "<!-- settings:begin -->";
    static final String END = "<!-- settings:end -->";

    private SettingsMarkdown() {
    }

    /** The whole block README holds, markers included, each line ending with a newline. */
    static String block() {
        StringBuilder md = new StringBuilder(BEGIN).append('\n')
                .append("<!-- made by `./berth settings --markdown` from SettingsTable.java: edit there, not here -->\n")
                .append("| flag | environment | config key | default | reload | meaning |\n")
                .append("|---|---|---|---|---|---|\n");
        for (Setting<?> s : SettingsTable.ALL) {
            md.append("| `").append(s.flag()).append(' ').append(s.paramLabel()).append("` | `").append(s.envVar())
                    .append("` | `").append(s.name()).append("` | ").append(s.defaultText())
                    .append(" | ").append(s.reloadable() ? "yes" : "no")
                    .append(" | ").append(s.description()).append(" |\n");
        }
        return md.append(END).append('\n').toString();
    }
}
