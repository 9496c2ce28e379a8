package dev.berth.core.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * pgbouncer's configuration format: {@code [section]} headers, {@code key = value} lines, comments
 * starting with {@code ;} or {@code #}, and {@code %include FILE} (a relative path is taken from the
 * including file's directory). Each line read keeps where it came from ({@code file:LINE}), so a
 * setting's source and every problem can point at it.
 */
public final class IniFile {
    /** Deep enough for any real layout; bounds an include cycle. */
    static final int MAX_INCLUDE_DEPTH = 10;

    /** One {@code key = value} line; section and key in lower case, as pgbouncer matches them. */
    public record Line(String section, String key, String value, String source) {
    }

    private final List<Line> lines = new ArrayList<>();

    private IniFile() {
    }

    /** Reads the file and what it includes; a missing file or bad line throws, naming file:LINE. */
    public static IniFile read(Path file) {
        IniFile ini = new IniFile();
        ini.include(file, "", 0);
        return ini;
    }

    /** Every key line in file order (includes in place). */
    public List<Line> lines() {
        return lines;
    }

    private String include(Path file, String section, int depth) {
        if (depth > MAX_INCLUDE_DEPTH) {
            throw new ConfigException("config", "%include nested more than " + MAX_INCLUDE_DEPTH + " deep at " + file
                    + " (does a file include itself?)");
        }
        List<String> text;
        try {
            text = Files.readAllLines(file);
        } catch (IOException e) {
            throw new ConfigException("config", "cannot read " + file + ": " + e.getMessage());
        }
        String current = section;
        for (int i = 0; i < text.size(); i++) {
            String where = file + ":" + (i + 1);
            String line = text.get(i).strip();
            if (line.isEmpty() || line.startsWith(";") || line.startsWith("#")) {
                continue;
            }
            if (line.startsWith("%include")) {
                String target = unquote(line.substring("%include".length()).strip());
                if (target.isEmpty()) {
                    throw new ConfigException("config", where + ": %include needs a file name");
                }
                Path included = file.toAbsolutePath().getParent().resolve(target);
                current = include(included, current, depth + 1);
            } else if (line.startsWith("[")) {
                if (!line.endsWith("]") || line.length() < 3) {
                    throw new ConfigException("config", where + ": '" + line + "' is not a [section] header");
                }
                current = line.substring(1, line.length() - 1).strip().toLowerCase(Locale.ROOT);
            } else {
                int eq = line.indexOf('=');
                if (eq <= 0) {
                    throw new ConfigException("config", where + ": '" + line + "' is not key = value");
                }
                if (current.isEmpty()) {
                    throw new ConfigException("config", where + ": '" + line + "' comes before any [section]");
                }
                String key = line.substring(0, eq).strip();
                // database and user names keep their case; pgbouncer's own keys do not have one
                if (!current.equals("databases") && !current.equals("users")) {
                    key = key.toLowerCase(Locale.ROOT);
                }
                lines.add(new Line(current, unquote(key), line.substring(eq + 1).strip(), where));
            }
        }
        return current; // pgbouncer's include continues in the section the included file ended in
    }

    private static String unquote(String s) {
        return s.length() >= 2 && s.startsWith("\"") && s.endsWith("\"") ? s.substring(1, s.length() - 1) : s;
    }
}
