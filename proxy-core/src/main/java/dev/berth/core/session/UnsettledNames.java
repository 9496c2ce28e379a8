package dev.berth.core.session;

import java.util.HashMap;

/**
 * Client statement names that a Parse or Close in a batch changed before the server answered it. Berth
 * changes the client's names as the messages arrive, so the rest of the same batch sees them (if the
 * batch fails, PostgreSQL skips it all); a later batch must not, because the change may yet be skipped:
 * a message of a later batch that names one waits until it is settled. Empty almost always.
 */
final class UnsettledNames {
    /** Name to {the batch of its latest change, how many changes are unanswered}. */
    private final HashMap<String, long[]> names = new HashMap<>();

    void changed(String name, long batch) {
        long[] entry = names.computeIfAbsent(name, n -> new long[2]);
        entry[0] = batch;
        entry[1]++;
    }

    /** A change's request was answered, or skipped and undone. */
    void settled(String name) {
        long[] entry = names.get(name);
        if (entry != null && --entry[1] <= 0) {
            names.remove(name);
        }
    }

    /** Whether a message of {@code batch} naming it must wait: a change from an earlier batch is unanswered. */
    boolean blocks(String name, long batch) {
        if (names.isEmpty()) {
            return false;
        }
        long[] entry = names.get(name);
        return entry != null && entry[0] < batch;
    }

    void clear() {
        names.clear();
    }
}
