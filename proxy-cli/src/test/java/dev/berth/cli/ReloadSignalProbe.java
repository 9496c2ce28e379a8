package dev.berth.cli;

import sun.misc.Signal;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Run by {@link ReloadSignalTest} as a process of its own (signals are per process): installs the SIGHUP
 * handler, raises SIGHUP twice with a reload that fails, and prints what happened.
 */
public final class ReloadSignalProbe {
    public static void main(String[] args) throws InterruptedException {
        AtomicInteger reloads = new AtomicInteger();
        boolean installed = Signals.handleReload(() -> {
            reloads.incrementAndGet();
            throw new IllegalStateException("a reload that fails is logged, and the next SIGHUP still works");
        });
        System.out.println("installed " + installed);
        if (installed) {
            for (int expected = 1; expected <= 2; expected++) {
                Signal.raise(new Signal("HUP"));
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (reloads.get() < expected && System.nanoTime() < deadline) {
                    Thread.sleep(10);
                }
            }
        }
        System.out.println("reloads " + reloads.get());
    }
}
