package dev.berth.core.config;

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
            return valueOf(value.trim().toUpperCase(java.util.Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new ConfigException("--pool-mode", "'" + value + "' is not one of session, transaction, statement");
        }
    }

    @Override
    public String toString() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
