package dev.berth.core.session;

import java.util.StringJoiner;

/**
 * Why a client keeps its server in transaction pooling: state Berth cannot carry to another server. Each
 * is a bit of a client's set of pin causes; {@link #label} is the low-cardinality name the metrics and
 * SHOW CLIENTS give it.
 */
public enum PinReason {
    LISTEN("listen"),
    PREPARE("prepare"),
    TEMP_TABLE("temp_table"),
    ADVISORY_LOCK("advisory_lock"),
    HOLD_CURSOR("hold_cursor"),
    SESSION_AUTHORIZATION("session_authorization"),
    DO_BLOCK("do_block"),
    /** A library loaded into the backend: nothing but a new backend ends it. */
    LOAD("other"),
    OTHER("other");

    private static final PinReason[] ALL = values();
    /** What DISCARD ALL ends: everything but a loaded library. */
    public static final int DISCARD_ALL = ~LOAD.bit();

    private final String label;

    PinReason(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }

    public int bit() {
        return 1 << ordinal();
    }

    /** The labels of the causes in {@code bits}, comma-separated ("" for none). */
    public static String labels(int bits) {
        StringJoiner joined = new StringJoiner(",");
        String last = null;
        for (PinReason reason : ALL) {
            if ((bits & reason.bit()) != 0 && !reason.label.equals(last)) {
                joined.add(reason.label);
                last = reason.label;
            }
        }
        return joined.toString();
    }
}
