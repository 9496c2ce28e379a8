package dev.berth.core.config;

/**
 * An invalid setting: the setting's table name ({@link Setting#name()}, e.g. {@code pool_max}) and what is
 * wrong with its value. Front-ends say which flag, variable or file key the setting came from.
 */
public final class ConfigException extends IllegalArgumentException {
    private final String setting;
    private final String problem;

    public ConfigException(String setting, String problem) {
        super(setting + ": " + problem);
        this.setting = setting;
        this.problem = problem;
    }

    /** The setting's table name. */
    public String setting() {
        return setting;
    }

    /** What is wrong, without the setting's name. */
    public String problem() {
        return problem;
    }
}
