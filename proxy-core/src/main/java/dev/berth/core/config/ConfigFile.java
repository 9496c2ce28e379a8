package dev.berth.core.config;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A config file read into what the settings resolver needs: a text per setting with the line it came
 * from, the database map, a warning per key Berth does not act on, and every problem. Sections:
 * {@code [databases]} and {@code [users]} as pgbouncer has them, {@code [pgbouncer]} with pgbouncer's keys
 * and units ({@link PgbouncerKeys}), and {@code [berth]} with Berth's own settings by their table name and
 * in Berth's units, which win over {@code [pgbouncer]}.
 */
public final class ConfigFile {
    /** A setting's text as the file gives it (already in Berth's units) and where: {@code file:LINE (key)}. */
    public record Value(String text, String source) {
    }

    private final Path path;
    private final Map<Setting<?>, Value> values = new LinkedHashMap<>();
    private final Map<String, DatabaseEntry> databases = new LinkedHashMap<>();
    private final Map<String, UserEntry> users = new HashMap<>();
    private final List<String> warnings = new ArrayList<>();
    private final List<ConfigException> problems = new ArrayList<>();

    private ConfigFile(Path path) {
        this.path = path;
    }

    /** Reads {@code path}; a file that cannot be read or parsed at all throws, a bad value is one of {@link #problems()}. */
    public static ConfigFile load(Path path) {
        ConfigFile file = new ConfigFile(path);
        file.read(IniFile.read(path));
        return file;
    }

    private void read(IniFile ini) {
        Map<Setting<?>, Value> fromPgbouncer = new LinkedHashMap<>();
        IniFile.Line listenAddr = null;
        IniFile.Line listenPort = null;
        boolean pgbouncerSection = false;
        List<String> otherSections = new ArrayList<>();
        for (IniFile.Line line : ini.lines()) {
            switch (line.section()) {
                case "databases" -> database(line);
                case "users" -> user(line);
                case "berth" -> berth(line);
                case "pgbouncer" -> {
                    pgbouncerSection = true;
                    String key = line.key();
                    PgbouncerKeys.Mapping mapping = PgbouncerKeys.KEYS.get(key);
                    if (mapping != null) {
                        try {
                            String text = resolvePath(mapping.setting(), mapping.convert().apply(line.value()));
                            fromPgbouncer.put(mapping.setting(), new Value(text, line.source() + " (" + key + ")"));
                        } catch (IllegalArgumentException e) {
                            problems.add(new ConfigException(mapping.setting().name(), e.getMessage() + " (from "
                                    + line.source() + ", " + key + ")"));
                        }
                    } else if (key.equals("listen_addr")) {
                        listenAddr = line;
                    } else if (key.equals("listen_port")) {
                        listenPort = line;
                    } else if (!PgbouncerKeys.NOTHING_TO_DO.contains(key)) {
                        warnings.add(line.source() + ": [pgbouncer] " + key + " is not supported by Berth; ignored");
                    }
                }
                default -> {
                    if (!otherSections.contains(line.section())) {
                        otherSections.add(line.section());
                        warnings.add(line.source() + ": section [" + line.section() + "] is not supported by Berth; ignored");
                    }
                }
            }
        }
        if (listenAddr != null || listenPort != null) {
            IniFile.Line where = listenPort != null ? listenPort : listenAddr;
            try {
                String text = PgbouncerKeys.listen(listenAddr == null ? null : listenAddr.value(),
                        listenPort == null ? null : listenPort.value());
                fromPgbouncer.put(SettingsTable.LISTEN, new Value(text, where.source() + " (listen_addr, listen_port)"));
            } catch (IllegalArgumentException e) {
                problems.add(new ConfigException(SettingsTable.LISTEN.name(), e.getMessage() + " (from " + where.source() + ")"));
            }
        }
        if (pgbouncerSection && !fromPgbouncer.containsKey(SettingsTable.POOL_MIN)) {
            // pgbouncer keeps no minimum unless told; Berth's default of 20 would exceed a small default_pool_size
            fromPgbouncer.put(SettingsTable.POOL_MIN, new Value("0", path + " (min_pool_size unset: pgbouncer's default 0)"));
        }
        fromPgbouncer.forEach(values::putIfAbsent); // [berth] wins
    }

    private void database(IniFile.Line line) {
        try {
            DatabaseEntry entry = DatabaseEntry.parse(line.key(), line.value(), line.source());
            databases.put(entry.name(), entry);
            entry.unsupported().forEach(key -> warnings.add(line.source() + ": [databases] " + entry.name() + ": " + key
                    + " is not supported by Berth; ignored"));
        } catch (ConfigException e) {
            problems.add(e);
        }
    }

    private void user(IniFile.Line line) {
        try {
            users.put(line.key(), UserEntry.parse(line.key(), line.value(), line.source(), key -> warnings.add(line.source()
                    + ": [users] " + line.key() + ": " + key + " is not supported by Berth; ignored")));
        } catch (ConfigException e) {
            problems.add(e);
        }
    }

    private void berth(IniFile.Line line) {
        Setting<?> setting = SettingsTable.byName(line.key());
        if (setting == null || setting == SettingsTable.CONFIG) {
            warnings.add(line.source() + ": [berth] " + line.key() + " is not a Berth setting; ignored"
                    + (setting == null ? "" : " (the config file is named by --config or BERTH_CONFIG)"));
            return;
        }
        values.put(setting, new Value(resolvePath(setting, line.value()), line.source() + " (" + line.key() + ")"));
    }

    /** A relative auth_file or auth_hba_file is taken from the config file's directory, wherever Berth was started. */
    private String resolvePath(Setting<?> setting, String text) {
        if ((setting != AccessSettings.AUTH_FILE && setting != AccessSettings.AUTH_HBA_FILE) || text.isBlank()
                || Path.of(text).isAbsolute()) {
            return text;
        }
        return path.toAbsolutePath().getParent().resolve(text).normalize().toString();
    }

    public Path path() {
        return path;
    }

    /** Each setting the file sets, with its text in Berth's units and its source. */
    public Map<Setting<?>, Value> values() {
        return values;
    }

    public DatabaseMap databases() {
        return new DatabaseMap(databases, users);
    }

    /** One line per key, section or parameter Berth does not act on, naming file:LINE. */
    public List<String> warnings() {
        return warnings;
    }

    /** Lines that could not be read as what their key means; each names file:LINE. */
    public List<ConfigException> problems() {
        return problems;
    }
}
