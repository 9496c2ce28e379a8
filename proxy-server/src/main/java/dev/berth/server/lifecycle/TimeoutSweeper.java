package dev.berth.server.lifecycle;

import dev.berth.core.config.RuntimeConfig;
import dev.berth.server.client.ClientSession;
import dev.berth.server.client.ClientTimeouts;

import java.util.Collection;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Checks every logged-in client against the query, transaction, idle-in-transaction and client idle timeouts
 * ({@link ClientTimeouts}): one periodic sweep instead of a timer per client, and nothing at all while they
 * are all off. The settings are read at each round, so a new configuration applies to clients already connected.
 */
public final class TimeoutSweeper implements Runnable {
    private static final Logger LOG = Logger.getLogger(TimeoutSweeper.class.getName());
    /** How often clients are checked: a timeout fires at most this late. */
    public static final long PERIOD_MS = 100;

    private final RuntimeConfig config;
    private final Supplier<? extends Collection<ClientSession>> clients;

    public TimeoutSweeper(RuntimeConfig config, Supplier<? extends Collection<ClientSession>> clients) {
        this.config = config;
        this.clients = clients;
    }

    @Override
    public void run() {
        ClientTimeouts timeouts = ClientTimeouts.of(config.current());
        if (!timeouts.any()) {
            return;
        }
        long now = System.nanoTime();
        try {
            for (ClientSession client : clients.get()) {
                timeouts.check(client, now);
            }
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "timeout sweep failed", e);
        }
    }
}
