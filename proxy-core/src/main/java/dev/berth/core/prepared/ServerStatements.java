package dev.berth.core.prepared;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The statements prepared on one server, least recently used first, at most {@code capacity}. A
 * statement used since the last Sync is never chosen for eviction: closing it could close a portal the
 * same pipeline is about to execute.
 */
public final class ServerStatements {
    private final int capacity;
    private final LinkedHashMap<String, Long> prepared = new LinkedHashMap<>(16, 0.75f, true);
    private long pipeline;
    private boolean uncertain;
    /** The registry generation whose older statements were last closed here. */
    private long generation;

    public ServerStatements(int capacity) {
        this.capacity = capacity;
    }

    public boolean contains(String name) {
        return prepared.containsKey(name);
    }

    /** Marks a statement used in the current pipeline (and most recently used). */
    public void touch(String name) {
        prepared.put(name, pipeline);
    }

    /** Records a statement as prepared; returns the statements to close to stay within the capacity. */
    public List<String> add(String name) {
        prepared.put(name, pipeline);
        List<String> evicted = null;
        Iterator<Map.Entry<String, Long>> it = prepared.entrySet().iterator();
        int excess = prepared.size() - capacity;
        while (excess > 0 && it.hasNext()) {
            Map.Entry<String, Long> e = it.next();
            if (e.getValue() < pipeline) {
                it.remove();
                excess--;
                if (evicted == null) {
                    evicted = new ArrayList<>();
                }
                evicted.add(e.getKey());
            }
        }
        return evicted == null ? List.of() : evicted;
    }

    /** A Parse that was counted as prepared failed or was skipped by the server. */
    public void remove(String name) {
        prepared.remove(name);
    }

    /**
     * The server lacked a statement Berth believed prepared there (something Berth could not see, such as
     * DEALLOCATE in a function, dropped it): nothing it holds is known any more. Statements prepared here
     * from now on are closed first, in case some of the forgotten ones are still there.
     */
    public void lost() {
        prepared.clear();
        uncertain = true;
    }

    /** Whether a statement about to be prepared may still exist here (see {@link #lost}). */
    public boolean uncertain() {
        return uncertain;
    }

    /** The server deallocated everything (DISCARD ALL, DEALLOCATE ALL). */
    public void clear() {
        prepared.clear();
        uncertain = false;
    }

    /**
     * The statements named before the registry generation that began at {@code start}, now forgotten here
     * (the caller closes them on the server); empty when this server already caught up with it.
     */
    public List<String> removeOlderThan(long start) {
        if (start == generation) {
            return List.of();
        }
        generation = start;
        List<String> stale = new ArrayList<>();
        prepared.keySet().removeIf(name -> {
            boolean old = PreparedStatementRegistry.isOlderGeneration(name, start);
            if (old) {
                stale.add(name);
            }
            return old;
        });
        return stale;
    }

    /** A Sync went out: statements used before it may be evicted from now on. */
    public void syncSent() {
        pipeline++;
    }

    public int size() {
        return prepared.size();
    }
}
