package dev.berth.cli;

import dev.berth.server.BerthServer;
import sun.misc.Signal;
import sun.misc.SignalHandler;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Logger;

/**
 * SIGTERM and SIGINT for {@code berth run}: the first starts the graceful drain ({@link BerthServer#drain}),
 * a second stops at once. Handled here rather than in a shutdown hook, because once a hook runs the JVM is
 * already exiting and cannot wait for transactions to finish.
 */
final class Signals {
    private static final Logger LOG = Logger.getLogger(Signals.class.getName());

    private Signals() {
    }

    /** Installs the handlers; false (the shutdown hook then stops Berth at once) where the JVM keeps the signals (-Xrs). */
    static boolean install(BerthServer server) {
        AtomicInteger received = new AtomicInteger();
        SignalHandler handler = signal -> {
            if (received.incrementAndGet() == 1) {
                LOG.info("SIG" + signal.getName() + ": draining (a second SIGTERM or SIGINT stops at once)");
                server.drain();
            } else {
                LOG.warning("SIG" + signal.getName() + " again: stopping at once");
                new Thread(server::close, "berth-stop-now").start(); // not on the signal's own thread
            }
        };
        try {
            for (String name : List.of("TERM", "INT")) {
                Signal.handle(new Signal(name), handler);
            }
            return true;
        } catch (IllegalArgumentException e) {
            LOG.warning("cannot handle SIGTERM/SIGINT (" + e.getMessage() + "): they stop Berth without draining");
            return false;
        }
    }
}
