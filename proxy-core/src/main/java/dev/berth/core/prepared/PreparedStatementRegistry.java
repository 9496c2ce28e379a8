package dev.berth.core.prepared;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Server-side names for the distinct statements of one pool: every client that prepares the same
 * (query, parameter types) shares one name, so a statement prepared on a server by one client is reused
 * by the next. Bounded by bytes: once full, new statements get a name of their own that is not shared.
 */
public final class PreparedStatementRegistry {
    /** Prefix of Berth's server-side names; a client name with this prefix is escaped before it reaches a server. */
    public static final String PREFIX = "BERTH_";

    private final ConcurrentHashMap<StatementKey, String> names = new ConcurrentHashMap<>();
    /** Names some server answered ParseComplete for: only these count as known. */
    private final Set<String> proven = ConcurrentHashMap.newKeySet();
    private final AtomicLong counter;
    private final AtomicLong bytes = new AtomicLong();
    private final long maxBytes;

    public PreparedStatementRegistry(long maxBytes, AtomicLong sharedCounter) {
        this.maxBytes = maxBytes;
        this.counter = sharedCounter;
    }

    /** The server-side name for a statement. */
    public String nameFor(StatementKey key) {
        String name = names.get(key);
        if (name != null) {
            return name;
        }
        if (bytes.get() + key.sizeInBytes() > maxBytes) {
            return newName(); // registry full: a private name, still correct, just not shared
        }
        return names.computeIfAbsent(key, k -> {
            bytes.addAndGet(k.sizeInBytes());
            return newName();
        });
    }

    /** The server-side name of a statement some client already prepared successfully, or null. */
    public String knownName(StatementKey key) {
        String name = names.get(key);
        return name != null && proven.contains(name) ? name : null;
    }

    /** A server accepted the Parse of this name. */
    public void prepared(String name) {
        proven.add(name);
    }

    /**
     * The statement's plan became invalid on a server (for example "cached plan must not change result
     * type" after a schema change): from now on it is prepared under a fresh name.
     */
    public String rename(StatementKey key, String oldName) {
        String fresh = newName();
        if (!names.replace(key, oldName, fresh)) {
            String current = names.get(key);
            return current != null ? current : fresh;
        }
        return fresh;
    }

    /**
     * A client's schema change (CREATE, ALTER, DROP...) completed: a statement shared from now on must
     * describe and run as one prepared afresh would, so every statement gets a new name when next
     * prepared. The old names stay where they are prepared, for the clients that hold them: bound there,
     * PostgreSQL itself answers as it would (0A000 when the result type changed); servers' LRU limits
     * close them in time.
     */
    public void newGeneration() {
        names.clear();
        proven.clear();
        bytes.set(0);
    }

    public int size() {
        return names.size();
    }

    public long bytes() {
        return bytes.get();
    }

    private String newName() {
        return PREFIX + counter.incrementAndGet();
    }
}
