package dev.berth.core.session;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

/**
 * A client's parameters as one shared, immutable value: the reported parameters it has seen and its
 * startup settings. Equal views are the same object ({@link #of}), so that (1) the many connections of
 * an application, which all look alike, hold one copy between them, and (2) a server that remembers the
 * view it was last brought in line with can tell by one comparison that the next client needs no
 * {@link ParameterSync} at all.
 */
public final class ParameterView {
    /** Bounds the interning table; past it the table starts afresh (views stay correct, only less shared). */
    static final int MAX_INTERNED = 10_000;
    private static final ConcurrentHashMap<ParameterView, ParameterView> INTERNED = new ConcurrentHashMap<>();

    private final Map<String, String> reported;
    private final Map<String, String> settings;
    private final int hash;
    /** The reported names in lower case, for the session-state check; computed once per shared view. */
    private volatile Set<String> reportedNamesLower;

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

    /**
     * This view with one reported parameter changed (a ParameterStatus the client received). The session
     * authorization is not part of a view: a client that changes it is pinned, and its change must never be
     * applied to another server.
     */
    public ParameterView with(String name, String value) {
        if (value.equals(reported.get(name)) || ParameterSync.notCarried(name)) {
            return this;
        }
        Map<String, String> changed = new HashMap<>(reported);
        changed.put(name, value);
        return of(changed, settings);
    }

    /** What the client last saw reported, name to value. */
    public Map<String, String> reported() {
        return reported;
    }

    /** The client's startup settings. */
    public Map<String, String> settings() {
        return settings;
    }

    public Set<String> reportedNamesLower() {
        Set<String> names = reportedNamesLower;
        if (names == null) {
            names = reported.keySet().stream().map(n -> n.toLowerCase(Locale.ROOT)).collect(Collectors.toUnmodifiableSet());
            reportedNamesLower = names;
        }
        return names;
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
