package dev.berth.cli;

import org.junit.jupiter.api.Test;
import sun.misc.Signal;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** `berth run` reloads on SIGHUP: the handler is installed and a real SIGHUP to this JVM runs the reload. */
class ReloadSignalTest {
    @Test
    void sighupRunsTheReloadAndAFailingReloadDoesNotEscape() throws Exception {
        AtomicInteger reloads = new AtomicInteger();
        assertTrue(Signals.handleReload(() -> {
            reloads.incrementAndGet();
            throw new IllegalStateException("a reload that fails is logged, and the next SIGHUP still works");
        }));
        Signal.raise(new Signal("HUP"));
        await(reloads, 1);
        Signal.raise(new Signal("HUP"));
        await(reloads, 2);
        assertEquals(2, reloads.get());
    }

    private static void await(AtomicInteger count, int expected) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (count.get() < expected) {
            assertTrue(System.nanoTime() < deadline, "SIGHUP did not run the reload within 30 s");
            Thread.sleep(10);
        }
    }
}
