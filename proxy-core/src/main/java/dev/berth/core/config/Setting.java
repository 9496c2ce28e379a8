package dev.berth.core.config;

import java.util.Objects;
import java.util.function.Function;

/**
 * One row of the settings table ({@link SettingsTable}): everything a front-end (flags, environment, the
 * config file) or a display (/config, SHOW CONFIG, README) needs to know about a setting, so that
 * the list of settings is written once.
 *
 * @param <T> the parsed value's type, as {@link BerthConfig.Builder#set} takes it
 */
public final class Setting<T> {
    private final String name;
    private final String envVar;
    private final String paramLabel;
    private final T defaultValue;
    private final String defaultText;
    private final String description;
    private final boolean reloadable;
    private final Function<String, T> parser;
    private final Function<T, String> check;
    private final Function<BerthConfig, ?> read;

    private Setting(Definition<T> d) {
        this.name = d.name;
        this.envVar = d.envVar;
        this.paramLabel = d.paramLabel;
        this.defaultValue = d.defaultValue;
        this.defaultText = Objects.requireNonNull(d.defaultText, name);
        this.description = Objects.requireNonNull(d.description, name);
        this.reloadable = d.reloadable;
        this.parser = Objects.requireNonNull(d.parser, name);
        this.check = d.check;
        this.read = Objects.requireNonNull(d.read, name);
    }

    /** Starts a row: its config-file key (lower_snake_case), environment variable and value placeholder. */
    static <T> Definition<T> define(String name, String envVar, String paramLabel) {
        return new Definition<>(name, envVar, paramLabel);
    }

    /** The config-file key, e.g. {@code pool_max}; problems ({@link ConfigException}) name settings by it. */
    public String name() {
        return name;
    }

    /** The command-line flag: the name in kebab case, e.g. {@code --pool-max}. */
    public String flag() {
        return "--" + name.replace('_', '-');
    }

    public String envVar() {
        return envVar;
    }

    /** What the value looks like, for help: {@code N}, {@code MS}, {@code HOST:PORT}... */
    public String paramLabel() {
        return paramLabel;
    }

    /** The value a builder starts with (null: none, or derived at build time). */
    public T defaultValue() {
        return defaultValue;
    }

    /** The default as users read it, in Markdown (code in backticks). */
    public String defaultText() {
        return defaultText;
    }

    /** What the setting means, in Markdown (code in backticks): one text for help and README. */
    public String description() {
        return description;
    }

    /** Whether a reload (RELOAD, SIGHUP) may change it without a restart. */
    public boolean reloadable() {
        return reloadable;
    }

    /** Parses text from a flag, variable or file; a bad value throws a {@link ConfigException} naming this setting. */
    public T parse(String text) {
        try {
            return parser.apply(text);
        } catch (ConfigException e) {
            throw e;
        } catch (IllegalArgumentException e) {
            throw new ConfigException(name, e.getMessage());
        }
    }

    /** The problem with a value of this setting taken alone (a range, a choice), or null when it is fine. */
    public ConfigException problem(T value) {
        String problem = check == null ? null : check.apply(value);
        return problem == null ? null : new ConfigException(name, problem);
    }

    /** The effective value for display: a number stays a number, secrets are masked, none is null. */
    public Object display(BerthConfig config) {
        Object value = read.apply(config);
        return value == null || value instanceof Number ? value : value.toString();
    }

    @Override
    public String toString() {
        return name;
    }

    /** A row being written; {@link #build()} checks that nothing required is missing. */
    static final class Definition<T> {
        private final String name;
        private final String envVar;
        private final String paramLabel;
        private T defaultValue;
        private String defaultText;
        private String description;
        private boolean reloadable;
        private Function<String, T> parser;
        private Function<T, String> check;
        private Function<BerthConfig, ?> read;

        private Definition(String name, String envVar, String paramLabel) {
            this.name = name;
            this.envVar = envVar;
            this.paramLabel = paramLabel;
        }

        Definition<T> defaults(T value, String text) {
            defaultValue = value;
            defaultText = text;
            return this;
        }

        /** String to value; throws IllegalArgumentException saying what is wrong (not which setting). */
        Definition<T> parser(Function<String, T> parser) {
            this.parser = parser;
            return this;
        }

        /** The problem with a parsed value, or null; run on every build, whatever set the value. */
        Definition<T> check(Function<T, String> check) {
            this.check = check;
            return this;
        }

        /** The effective value in a built configuration, as displayed (mask secrets here). */
        Definition<T> read(Function<BerthConfig, ?> read) {
            this.read = read;
            return this;
        }

        Definition<T> reloadable(boolean reloadable) {
            this.reloadable = reloadable;
            return this;
        }

        Definition<T> description(String description) {
            this.description = description;
            return this;
        }

        Setting<T> build() {
            return new Setting<>(this);
        }
    }
}
