package dev.berth.server.authquery;

import dev.berth.core.auth.Secret;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Auth query answers by user, each for a TTL; a lookup in flight is shared by the logins that ask meanwhile.
 * Bounded: unknown user names cost an entry each, so a flood of them cannot grow it without end.
 */
final class AnswerCache {
    static final int MAX_ENTRIES = 10_000;

    private record Entry(CompletableFuture<Secret> answer, long expiresAt) {
    }

    private final ConcurrentHashMap<String, Entry> entries = new ConcurrentHashMap<>();
    private final long ttlNanos;

    AnswerCache(long ttlNanos) {
        this.ttlNanos = ttlNanos;
    }

    /** The answer for {@code user} if it is still fresh (or still coming), else null. */
    CompletableFuture<Secret> get(String user, long now) {
        Entry e = entries.get(user);
        if (e == null) {
            return null;
        }
        if (e.answer.isDone() && now - e.expiresAt > 0) {
            entries.remove(user, e);
            return null;
        }
        return e.answer;
    }

    /** Keeps {@code answer}; returns it, or the lookup another login started meanwhile. */
    CompletableFuture<Secret> put(String user, CompletableFuture<Secret> answer, long now) {
        if (entries.size() >= MAX_ENTRIES) {
            entries.values().removeIf(e -> e.answer.isDone() && now - e.expiresAt > 0);
            if (entries.size() >= MAX_ENTRIES) {
                entries.clear();
            }
        }
        Entry previous = entries.putIfAbsent(user, new Entry(answer, now + ttlNanos));
        return previous == null ? answer : previous.answer;
    }

    /** Drops {@code answer} (a failed lookup) unless a newer one replaced it. */
    void forget(String user, CompletableFuture<Secret> answer) {
        entries.computeIfPresent(user, (u, e) -> e.answer == answer ? null : e);
    }

    int size() {
        return entries.size();
    }
}
