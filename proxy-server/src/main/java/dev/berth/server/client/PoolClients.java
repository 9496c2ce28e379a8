package dev.berth.server.client;

import java.util.concurrent.atomic.LongAdder;

/**
 * The client counts of one pool, kept as clients move between states (as pgbouncer keeps its client
 * lists), so SHOW POOLS and the gauges read sizes instead of scanning every client. Updated on the
 * clients' event loops, read at scrape time.
 */
public final class PoolClients {
    private final LongAdder active = new LongAdder();
    private final LongAdder waiting = new LongAdder();
    private final LongAdder idle = new LongAdder();
    private final LongAdder pinned = new LongAdder();

    void moved(ClientState from, ClientState to) {
        if (from.bucket == to.bucket) {
            return;
        }
        adder(from.bucket, -1);
        adder(to.bucket, 1);
    }

    private void adder(ClientState.Bucket bucket, int delta) {
        switch (bucket) {
            case ACTIVE -> active.add(delta);
            case WAITING -> waiting.add(delta);
            case IDLE -> idle.add(delta);
            default -> { }
        }
    }

    void pinned() {
        pinned.increment();
    }

    void unpinned() {
        pinned.decrement();
    }

    public int active() {
        return active.intValue();
    }

    public int waiting() {
        return waiting.intValue();
    }

    public int idle() {
        return idle.intValue();
    }

    public int pinnedCount() {
        return pinned.intValue();
    }
}
