package dev.berth.cli;

import dev.berth.server.BerthServer;
import sun.misc.Signal;
import sun.misc.SignalHandler;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Logger;

/**
 * Wires the OS signals of {@code berth run} to the server: SIGTERM and SIGINT start the graceful drain
 * ({@link BerthServer#drain}) and a second one stops at once; SIGHUP reloads the configuration, as it does
 * pgbouncer. Handled here rather than in a shutdown hook, because once a hook runs the JVM is already
 * exiting and cannot wait for transactions to finish. {@code sun.misc.Signal} is the JDK's only way to
 * handle signals; where the platform or JVM does not offer one, Berth says so once.
 */
final class Signals {
    private static final Logger LOG = Logger.getLogger(Signals.class.getName());

    private Signals() {
    }

    /**
     * Installs every handler for {@code server}; false for stopping (the shutdown hook then stops Berth at
     * once) where the JVM keeps the signals (-Xrs).
     */
    static boolean install(BerthServer server) {
        handleReload(() -> {
            try {
                server.reload();
            } catch (IOException e) {
                // ConfigReload logged each problem; the running configuration is unchanged
            }
        });
        return handleStop(server::drain, server::close);
    }

    /** SIGTERM and SIGINT: the first runs {@code drain}, a later one {@code stopNow} (on a thread of its own). */
    static boolean handleStop(Runnable drain, Runnable stopNow) {
        AtomicInteger received = new AtomicInteger();
        SignalHandler handler = signal -> {
            if (received.incrementAndGet() == 1) {
                LOG.info("SIG" + signal.getName() + ": draining (a second SIGTERM or SIGINT stops at once)");
                drain.run();
            } else {
                LOG.warning("SIG" + signal.getName() + " again: stopping at once");
                new Thread(stopNow, "berth-stop-now").start(); // not on the signal's own thread
            }
        };
        try {
            for (String name : List.of("TERM", "INT")) {
                Signal.handle(new Signal(name), handler);
            }
            return true;
        } catch (IllegalArgumentException | UnsupportedOperationException | LinkageError e) {
            LOG.warning("cannot handle SIGTERM/SIGINT (" + e.getMessage() + "): they stop Berth without draining");
            return false;
        }
    }

    /** SIGHUP: runs {@code reload} each time; false (after one warning) where SIGHUP cannot be handled (RELOAD still works). */
    static boolean handleReload(Runnable reload) {
        try {
            SignalHandler previous = Signal.handle(new Signal("HUP"), signal -> {
                try {
                    reload.run();
                } catch (RuntimeException e) {
                    LOG.warning("reload on SIGHUP failed: " + e.getMessage());
                }
            });
            if (previous == SignalHandler.SIG_IGN) {
                // the JVM does not take over a signal the process was started ignoring (nohup does that to SIGHUP)
                LOG.warning("SIGHUP is ignored by this process (started with nohup?), so it cannot reload; use RELOAD on"
                        + " the admin console, or start Berth without nohup");
                return false;
            }
            return true;
        } catch (IllegalArgumentException | UnsupportedOperationException | LinkageError e) {
            LOG.warning("SIGHUP cannot be handled on this platform (" + e + "); use RELOAD on the admin console");
            return false;
        }
    }
}
