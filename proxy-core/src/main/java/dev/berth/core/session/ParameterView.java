package dev.berth.core.session;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A client's parameters as one shared, immutable value: the reported parameters it has seen and its
 * startup settings. Equal views are the same object ({@link #of}), so a server that remembers the view
 * it was last brought in line with can tell by one comparison that the next client needs no
 * {@link ParameterSync} at all, which is the common case: an application's connections all look alike.
 */
public final class ParameterView {
    /** Bounds the interning table; past it the table starts afresh (views stay correct, only less shared). */
    static final int MAX_INTERNED = 10_000;
    private static final ConcurrentHashMap<ParameterView, ParameterView> INTERNED = new ConcurrentHashMap<>();

    private final Map<String, String> reported;
    private final Map<String, String> settings;
    private final int hash;

    private ParameterView(Map<String, String> reported, Map<String, String> settings) {
        this.reported = reported;
        this.settings = settings;
        this.hash = 31 * reported.hashCode() + settings.hashCode();
    }

    /** The one view with these values (copied). */
    public static ParameterView of(Map<String, String> reported, Map<String, String> settings) {
        ParameterView view = new ParameterView(Map.copyOf(reported), Map.copyOf(settings));
        if (INTERNED.size() >= MAX_INTERNED) {
            INTERNED.clear();
        }
        ParameterView existing = INTERNED.putIfAbsent(view, view);
        return existing != null ? existing : view;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ParameterView v && hash == v.hash && reported.equals(v.reported) && settings.equals(v.settings);
    }

    @Override
    public int hashCode() {
        return hash;
    }

    @Override
    public String toString() {
        return "reported " + reported + ", settings " + settings;
    }
}
