package dev.berth.core.prepared;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PreparedStatementRegistryTest {
    private final PreparedStatementRegistry registry = new PreparedStatementRegistry(1 << 20, new AtomicLong());

    private static StatementKey key(String query, int... types) {
        return new StatementKey(query, types);
    }

    @Test
    void namesHaveTheBerthPrefix() {
        assertEquals("BERTH_", PreparedStatementRegistry.PREFIX);
        assertTrue(registry.nameFor(key("select 1")).startsWith("BERTH_"));
    }

    @Test
    void sameKeyGetsTheSameName() {
        String a = registry.nameFor(key("select $1", 23));
        String b = registry.nameFor(key("select $1", 23));
        assertEquals(a, b);
        assertEquals(1, registry.size());
    }

    @Test
    void differentKeysGetDifferentNames() {
        String a = registry.nameFor(key("select $1", 23));
        String b = registry.nameFor(key("select $1", 25));
        String c = registry.nameFor(key("select 2"));
        assertEquals(3, Set.of(a, b, c).size());
        assertEquals(3, registry.size());
    }

    @Test
    void registriesSharingACounterNeverHandOutTheSameName() {
        AtomicLong counter = new AtomicLong();
        PreparedStatementRegistry one = new PreparedStatementRegistry(1 << 20, counter);
        PreparedStatementRegistry two = new PreparedStatementRegistry(1 << 20, counter);
        assertNotEquals(one.nameFor(key("select 1")), two.nameFor(key("select 1")));
    }

    @Test
    void knownNameIsNullUntilAServerAcceptedTheParse() {
        StatementKey k = key("select 1");
        assertNull(registry.knownName(k));
        String name = registry.nameFor(k);
        assertNull(registry.knownName(k), "named but not yet prepared anywhere (it might be a syntax error)");
        registry.prepared(name);
        assertEquals(name, registry.knownName(key("select 1")));
    }

    @Test
    void bytesCountTheKeys() {
        StatementKey k = key("select 1", 23);
        registry.nameFor(k);
        registry.nameFor(k);
        assertEquals(k.sizeInBytes(), registry.bytes());
    }

    @Test
    void renameGivesAFreshName() {
        StatementKey k = key("select 1");
        String old = registry.nameFor(k);
        String fresh = registry.rename(k, old);
        assertNotEquals(old, fresh);
        assertTrue(fresh.startsWith("BERTH_"));
        assertNull(registry.knownName(k), "the fresh name is not prepared anywhere yet");
        assertEquals(fresh, registry.nameFor(k));
    }

    @Test
    void aSecondRenameOfTheSameOldNameReturnsTheCurrentName() {
        StatementKey k = key("select 1");
        String old = registry.nameFor(k);
        String fresh = registry.rename(k, old);
        assertEquals(fresh, registry.rename(k, old)); // another client hit the same stale plan
        assertEquals(fresh, registry.nameFor(k));
    }

    @Test
    void whenFullNewKeysGetUnsharedNames() {
        StatementKey first = key("select 1");
        PreparedStatementRegistry small = new PreparedStatementRegistry(first.sizeInBytes(), new AtomicLong());
        String shared = small.nameFor(first);
        StatementKey other = key("select 2");
        String a = small.nameFor(other);
        String b = small.nameFor(other);
        assertTrue(a.startsWith("BERTH_"));
        assertNotEquals(a, b);
        assertNotEquals(shared, a);
        assertNull(small.knownName(other));
        assertEquals(1, small.size());
        assertEquals(first.sizeInBytes(), small.bytes());
        assertEquals(shared, small.nameFor(first)); // keys already in stay shared
    }

    @Test
    void aKeyLargerThanTheCapIsNeverShared() {
        PreparedStatementRegistry tiny = new PreparedStatementRegistry(10, new AtomicLong());
        StatementKey k = key("select 1");
        assertNotEquals(tiny.nameFor(k), tiny.nameFor(k));
        assertNull(tiny.knownName(k));
        assertEquals(0, tiny.size());
        assertEquals(0, tiny.bytes());
    }

    @Test
    void sameKeyGetsTheSameNameFromAnyThread() throws Exception {
        int threads = 8;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<List<String>>> results = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                Callable<List<String>> task = () -> {
                    start.await();
                    List<String> names = new ArrayList<>();
                    for (int i = 0; i < 200; i++) {
                        names.add(registry.nameFor(new StatementKey("select " + i, new int[0])));
                    }
                    return names;
                };
                results.add(pool.submit(task));
            }
            start.countDown();
            List<String> expected = results.get(0).get(10, TimeUnit.SECONDS);
            for (Future<List<String>> f : results) {
                assertEquals(expected, f.get(10, TimeUnit.SECONDS));
            }
            assertEquals(200, new HashSet<>(expected).size());
            assertEquals(200, registry.size());
        } finally {
            pool.shutdownNow();
        }
    }
}
