package dev.berth.core.config;

import java.util.Locale;

/** What transaction pooling does with a DO block, whose body Berth does not follow. */
public enum DoBlockPolicy {
    /** The client keeps its server, as for any session state Berth cannot carry. */
    PIN,
    /** Nothing is done: the operator knows the application's DO blocks leave no session state. */
    ALLOW;

    public static DoBlockPolicy parse(String value) {
        try {
            return valueOf(value.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("'" + value + "' is not one of pin, allow");
        }
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
