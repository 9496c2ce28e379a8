package dev.berth.core.session;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SessionChangesTest {
    private final SessionChanges changes = new SessionChanges();
    private long ready;

    private static SessionStateDetector.Effect effect(String sql) {
        return SessionStateDetector.inspect(sql, Set.of("timezone"));
    }

    /** One request: sent, answered by the tags (an "E" for an error), then ReadyForQuery {@code status}. */
    private SessionChanges.Outcome request(String sql, byte previous, byte status, String... answers) {
        ready++;
        SessionStateDetector.Effect e = effect(sql);
        if (e.changesSession()) {
            changes.sent(ready, e);
        }
        for (String answer : answers) {
            if (answer.equals("E")) {
                changes.error();
            } else {
                changes.commandComplete(answer);
            }
        }
        return changes.readyForQuery(ready, previous, status);
    }

    @Test
    void aSetOutsideABlockTakesEffectAtItsReadyForQuery() {
        SessionChanges.Outcome o = request("SET search_path = a", (byte) 'I', (byte) 'I', "SET");
        assertEquals(List.of(new ParameterSync.Change("search_path", "a")), o.sets());
        assertFalse(o.uncertain());
        assertFalse(changes.active());
    }

    @Test
    void aFailedRequestOutsideABlockTakesNothing() {
        assertNull(request("SET search_path = a; SELECT 1/0", (byte) 'I', (byte) 'I', "SET", "E"));
        assertNull(request("SET search_path = a", (byte) 'I', (byte) 'I', "E"));
        assertFalse(changes.active());
    }

    @Test
    void aBlockKeepsItsSetsUntilCommit() {
        assertNull(request("BEGIN", (byte) 'I', (byte) 'T', "BEGIN"));
        assertNull(request("SET statement_timeout = 1000", (byte) 'T', (byte) 'T', "SET"));
        SessionChanges.Outcome o = request("COMMIT", (byte) 'T', (byte) 'I', "COMMIT");
        assertEquals(List.of(new ParameterSync.Change("statement_timeout", "1000")), o.sets());
    }

    @Test
    void aRolledBackBlockDropsItsSets() {
        request("BEGIN; SET statement_timeout = 1000", (byte) 'I', (byte) 'T', "BEGIN", "SET");
        assertNull(request("ROLLBACK", (byte) 'T', (byte) 'I', "ROLLBACK"));
        assertFalse(changes.active());
        request("BEGIN; SET statement_timeout = 1000", (byte) 'I', (byte) 'T', "BEGIN", "SET");
        request("SELECT 1/0", (byte) 'T', (byte) 'E', "E");
        assertNull(request("COMMIT", (byte) 'E', (byte) 'I', "ROLLBACK"), "COMMIT of a failed block rolls back");
    }

    @Test
    void aRollbackToSavepointAfterChangesIsUncertain() {
        request("BEGIN; SET statement_timeout = 1000; SAVEPOINT s", (byte) 'I', (byte) 'T', "BEGIN", "SET", "SAVEPOINT");
        request("ROLLBACK TO s", (byte) 'T', (byte) 'T', "ROLLBACK");
        assertTrue(request("COMMIT", (byte) 'T', (byte) 'I', "COMMIT").uncertain());
    }

    @Test
    void aCommitThenAnErrorInOneRequestIsUncertain() {
        assertTrue(request("BEGIN; SET search_path = a; COMMIT; SELECT 1/0", (byte) 'I', (byte) 'I', "BEGIN", "SET", "COMMIT", "E")
                .uncertain());
    }

    @Test
    void clearsTakeEffectAtCommitUnlessPinnedAgain() {
        assertEquals(PinReason.LISTEN.bit(), request("UNLISTEN *", (byte) 'I', (byte) 'I', "UNLISTEN").clears());
        request("BEGIN; UNLISTEN *", (byte) 'I', (byte) 'T', "BEGIN", "UNLISTEN");
        ready++;
        changes.sent(ready, effect("LISTEN x; SET search_path = b"));
        changes.commandComplete("LISTEN");
        changes.readyForQuery(ready, (byte) 'T', (byte) 'T');
        SessionChanges.Outcome o = request("COMMIT", (byte) 'T', (byte) 'I', "COMMIT");
        assertEquals(0, o.clears(), "LISTEN after the UNLISTEN");
    }

    @Test
    void pipelinedRequestsAreMatchedByTheirReadyForQuery() {
        changes.sent(2, effect("SET search_path = b"));
        assertNull(changes.readyForQuery(1, (byte) 'I', (byte) 'I'));
        assertEquals("b", changes.readyForQuery(2, (byte) 'I', (byte) 'I').sets().get(0).value());
    }

    @Test
    void carriedSettingsFollowSetsAndResets() {
        Map<String, String> startup = Map.of("search_path", "s0", "DateStyle", "ISO");
        Set<String> reported = Set.of("datestyle");
        Map<String, String> after = ParameterSync.carried(startup, List.of(new ParameterSync.Change("search_path", "a"),
                new ParameterSync.Change("statement_timeout", "5s"), new ParameterSync.Change("datestyle", "SQL")), startup, reported);
        assertEquals(Map.of("search_path", "a", "statement_timeout", "5s", "datestyle", "ISO"), after);
        assertEquals(Map.of("search_path", "s0", "datestyle", "ISO", "statement_timeout", "5s"),
                ParameterSync.carried(after, List.of(new ParameterSync.Change("search_path", null)), startup, reported));
        assertEquals(Map.of("search_path", "a"), ParameterSync.carried(after, List.of(new ParameterSync.Change("statement_timeout", null),
                new ParameterSync.Change("datestyle", null)), startup, reported).entrySet().stream()
                .filter(e -> !e.getKey().equals("datestyle")).collect(java.util.stream.Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue)));
        assertEquals(Map.of("search_path", "s0", "datestyle", "ISO"),
                ParameterSync.carried(after, List.of(new ParameterSync.Change("all", null)), startup, reported));
    }
}
