package dev.berth.core.prepared;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ServerStatementsTest {

    @Test
    void addWithinCapacityEvictsNothing() {
        ServerStatements s = new ServerStatements(2);
        assertEquals(List.of(), s.add("a"));
        s.syncSent();
        assertEquals(List.of(), s.add("b"));
        assertTrue(s.contains("a"));
        assertTrue(s.contains("b"));
        assertEquals(2, s.size());
    }

    @Test
    void leastRecentlyUsedIsEvicted() {
        ServerStatements s = new ServerStatements(2);
        s.add("a");
        s.add("b");
        s.syncSent();
        assertEquals(List.of("a"), s.add("c"));
        assertFalse(s.contains("a"));
        assertTrue(s.contains("b"));
        assertTrue(s.contains("c"));
        assertEquals(2, s.size());
    }

    @Test
    void touchMakesAStatementMostRecentlyUsed() {
        ServerStatements s = new ServerStatements(2);
        s.add("a");
        s.add("b");
        s.syncSent();
        s.touch("a");
        s.syncSent();
        assertEquals(List.of("b"), s.add("c"));
        assertTrue(s.contains("a"));
    }

    @Test
    void aStatementTouchedSinceTheLastSyncIsNeverEvicted() {
        ServerStatements s = new ServerStatements(1);
        s.add("a");
        s.syncSent();
        s.touch("a");
        assertEquals(List.of(), s.add("b"));
        assertTrue(s.contains("a"));
        assertTrue(s.contains("b"));
        assertEquals(2, s.size()); // over capacity until the next Sync
    }

    @Test
    void statementsAddedInTheSamePipelineAreKept() {
        ServerStatements s = new ServerStatements(1);
        assertEquals(List.of(), s.add("a"));
        assertEquals(List.of(), s.add("b"));
        assertEquals(List.of(), s.add("c"));
        assertEquals(3, s.size());
    }

    @Test
    void theExcessIsEvictedOnceTheirPipelineIsOver() {
        ServerStatements s = new ServerStatements(1);
        s.add("a");
        s.add("b");
        s.add("c");
        s.syncSent();
        assertEquals(List.of("a", "b", "c"), s.add("d"));
        assertEquals(1, s.size());
        assertTrue(s.contains("d"));
    }

    @Test
    void onlyOldEnoughStatementsAreEvicted() {
        ServerStatements s = new ServerStatements(2);
        s.add("a");
        s.add("b");
        s.syncSent();
        s.touch("a");
        s.touch("b");
        assertEquals(List.of(), s.add("c"));
        s.syncSent();
        assertEquals(List.of("a", "b"), s.add("d"));
        assertTrue(s.contains("c"));
        assertTrue(s.contains("d"));
        assertEquals(2, s.size());
    }

    @Test
    void removeForgetsOneStatement() {
        ServerStatements s = new ServerStatements(10);
        s.add("a");
        s.add("b");
        s.remove("a");
        s.remove("never");
        assertFalse(s.contains("a"));
        assertTrue(s.contains("b"));
        assertEquals(1, s.size());
    }

    @Test
    void clearForgetsEverything() {
        ServerStatements s = new ServerStatements(10);
        s.add("a");
        s.add("b");
        s.clear();
        assertEquals(0, s.size());
        assertFalse(s.contains("a"));
    }

    @Test
    void containsDoesNotChangeTheOrder() {
        ServerStatements s = new ServerStatements(2);
        s.add("a");
        s.add("b");
        s.syncSent();
        assertTrue(s.contains("a"));
        assertEquals(List.of("a"), s.add("c"));
    }
}
