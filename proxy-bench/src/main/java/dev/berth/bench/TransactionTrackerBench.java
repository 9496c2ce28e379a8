package dev.berth.bench;

import dev.berth.core.session.TransactionTracker;
import org.openjdk.jmh.annotations.Benchmark;

/** TransactionTracker: ServerConnection feeds it every client message's type and every ReadyForQuery. */
public class TransactionTrackerBench extends Defaults {
    private final TransactionTracker tracker = new TransactionTracker();
    // fields, not constants, so that the JIT cannot fold the switch away
    private byte query = 'Q';
    private byte parse = 'P';
    private byte bind = 'B';
    private byte describe = 'D';
    private byte execute = 'E';
    private byte sync = 'S';
    private byte idle = 'I';

    /** pgbench -S -M simple: Query, then ReadyForQuery; is the server free for the next client? */
    @Benchmark
    public boolean simpleQueryCycle() {
        tracker.clientMessage(query);
        tracker.readyForQuery(idle);
        return tracker.isIdle();
    }

    /** pgbench -S -M extended: Parse, Bind, Describe, Execute, Sync, then ReadyForQuery. */
    @Benchmark
    public boolean extendedQueryCycle() {
        tracker.clientMessage(parse);
        tracker.clientMessage(bind);
        tracker.clientMessage(describe);
        tracker.clientMessage(execute);
        tracker.clientMessage(sync);
        tracker.readyForQuery(idle);
        return tracker.isIdle();
    }
}
