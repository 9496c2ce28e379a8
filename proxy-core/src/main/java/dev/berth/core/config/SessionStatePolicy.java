package dev.berth.core.config;

import java.util.Locale;

/** What transaction pooling does with a client that leaves session state Berth cannot carry (LISTEN, temp tables...). */
public enum SessionStatePolicy {
    /** The client keeps its server until that state ends or it disconnects; the server is reset before reuse. */
    PIN,
    /** The statement fails with SQLSTATE 0A000 and a message naming what it would have left behind. */
    REJECT,
    /** Nothing is done: the state may be seen by other clients. For those who know their application. */
    ALLOW;

    public static SessionStatePolicy parse(String value) {
        try {
            return valueOf(value.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("'" + value + "' is not one of pin, reject, allow");
        }
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
