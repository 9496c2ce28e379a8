package dev.berth.cli;

import sun.misc.Signal;
import sun.misc.SignalHandler;

import java.util.logging.Logger;

/**
 * SIGHUP reloads the configuration, as it does pgbouncer. {@code sun.misc.Signal} is the JDK's only way to
 * handle it; where the platform or JVM does not offer it, Berth says so once and RELOAD still works.
 */
final class ReloadSignal {
    private static final Logger LOG = Logger.getLogger(ReloadSignal.class.getName());

    private ReloadSignal() {
    }

    /** Runs {@code reload} on each SIGHUP; false (after one warning) where SIGHUP cannot be handled. */
    static boolean install(Runnable reload) {
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
