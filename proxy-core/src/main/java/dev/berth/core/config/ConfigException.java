package dev.berth.core.config;

/** An invalid setting; the message names the setting and says what is wrong with it. */
public final class ConfigException extends IllegalArgumentException {
    public ConfigException(String setting, String problem) {
        super(setting + ": " + problem);
    }
}
