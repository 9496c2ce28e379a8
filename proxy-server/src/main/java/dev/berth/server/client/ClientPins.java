package dev.berth.server.client;

import dev.berth.core.session.PinReason;
import dev.berth.server.metrics.PoolMetrics;

/**
 * Transaction pooling: what a client ran that leaves session state Berth cannot carry, as
 * {@link PinReason} bits; while any is set the client keeps its server. Each new cause is counted in the
 * metrics by reason, and the pool's pinned-client count follows the first cause and the last. Written on
 * the client's loop, read by SHOW CLIENTS and the gauges.
 */
final class ClientPins {
    private volatile int causes;

    /** Adds causes; each new one is counted. */
    void pin(int added, PoolClients counts, PoolMetrics metrics) {
        int before = causes;
        int fresh = added & ~before;
        if (fresh == 0) {
            return;
        }
        causes = before | fresh;
        if (before == 0) {
            counts.pinned();
        }
        for (PinReason reason : PinReason.values()) {
            if ((fresh & reason.bit()) != 0) {
                metrics.pinned(reason);
            }
        }
    }

    /** Ends causes that ended on the server. */
    void unpin(int ended, PoolClients counts) {
        int before = causes;
        causes = before & ~ended;
        if (before != 0 && causes == 0) {
            counts.unpinned();
        }
    }

    /** The client is gone: it no longer counts as pinned. */
    void closed(PoolClients counts) {
        if (causes != 0 && counts != null) {
            counts.unpinned();
        }
    }

    boolean pinned() {
        return causes != 0;
    }

    /** What keeps the client on its server ("" when nothing). */
    String labels() {
        return PinReason.labels(causes);
    }
}
