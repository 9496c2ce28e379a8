package dev.berth.core.config;

import java.util.Locale;

/** When a client gives its backend connection back to the pool. */
public enum PoolMode {
    /** At disconnect. */
    SESSION,
    /** At the end of each transaction. */
    TRANSACTION,
    /** After each statement. */
    STATEMENT;

    public static PoolMode parse(String value) {
        try {
            return valueOf(value.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("'" + value + "' is not one of session, transaction, statement");
        }
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
