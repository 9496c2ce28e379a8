package dev.berth.server.lifecycle;

import dev.berth.core.pool.PoolKey;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PauseGateTest {
    private final List<String> log = new ArrayList<>();
    private final PauseGate gate = new PauseGate();

    private PauseGate.Held client(String name, PoolKey key) {
        return new PauseGate.Held() {
            @Override
            public void resumed() {
                log.add(name + " resumed");
            }

            @Override
            public void pauseExpired() {
                log.add(name + " expired");
            }

            @Override
            public PoolKey poolKey() {
                return key;
            }
        };
    }

    @Test
    void holdsOnlyWhilePausedAndLetsEveryoneGoOnResume() {
        PoolKey key = new PoolKey("db", "u");
        assertFalse(gate.hold(client("early", key), 1), "not paused: go on at once");
        gate.pause(true);
        assertTrue(gate.hold(client("a", key), 10));
        assertTrue(gate.hold(client("b", key), 20));
        gate.pause(false);
        assertEquals(List.of("a resumed", "b resumed"), log);
        assertEquals(-1, gate.oldestSinceNanos(key), "nobody is kept after the resume");
    }

    @Test
    void aClientThatLeavesIsNotKept() {
        PoolKey key = new PoolKey("db", "u");
        gate.pause(true);
        PauseGate.Held left = client("left", key);
        gate.hold(left, 10);
        gate.hold(client("stays", key), 20);
        gate.leave(left);
        assertEquals(20, gate.oldestSinceNanos(key));
        gate.pause(false);
        assertEquals(List.of("stays resumed"), log, "no callback for a client that left");
    }

    @Test
    void expiresTheOldestFirstAndKeepsTheRest() {
        PoolKey a = new PoolKey("db", "a");
        PoolKey b = new PoolKey("db", "b");
        gate.pause(true);
        gate.hold(client("a1", a), 10);
        gate.hold(client("b1", b), 20);
        gate.hold(client("a2", a), 30);
        gate.expire(20);
        assertEquals(List.of("a1 expired", "b1 expired"), log);
        assertEquals(30, gate.oldestSinceNanos(a));
        assertEquals(-1, gate.oldestSinceNanos(b));
    }

    @Test
    void aPausedDatabaseHoldsOnlyItsClientsAndResumesAlone() {
        PoolKey app = new PoolKey("app", "u");
        PoolKey other = new PoolKey("other", "u");
        gate.pause("app");
        assertTrue(gate.paused("app"));
        assertFalse(gate.paused(), "not paused as a whole");
        assertTrue(gate.hold(client("a", app), 10));
        assertFalse(gate.hold(client("o", other), 20), "another database goes on");
        assertFalse(gate.resume("other"), "not paused");
        assertTrue(gate.resume("app"));
        assertEquals(List.of("a resumed"), log);
        assertFalse(gate.anyPaused());
    }

    @Test
    void aDatabaseCannotResumeAloneWhileAllArePaused() {
        gate.pause(true);
        gate.pause("app");
        assertFalse(gate.resume("app"));
        gate.pause(false);
        assertFalse(gate.anyPaused(), "RESUME of all ends the per-database pauses too");
    }
}
