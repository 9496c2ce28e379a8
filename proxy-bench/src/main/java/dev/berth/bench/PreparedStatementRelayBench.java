package dev.berth.bench;

import dev.berth.core.prepared.ClientStatements;
import dev.berth.core.prepared.PreparedStatementMetrics;
import dev.berth.core.prepared.PreparedStatementRegistry;
import dev.berth.core.prepared.ServerStatements;
import dev.berth.core.session.PreparedStatementRelay;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;

import java.util.concurrent.atomic.AtomicLong;

/**
 * PreparedStatementRelay in transaction pooling, for a statement the server already has: the steady
 * state of pgjdbc's S_1 (and of pgbench -M prepared) once the statement is prepared.
 */
public class PreparedStatementRelayBench extends Defaults {
    private final Batch prepare = new Batch(Pg.parse("S_1", Pg.PGBENCH_SELECT, Pg.INT4), Pg.sync());
    private final Batch prepared = new Batch(Pg.empty('1'), Pg.readyForQuery('I'));
    /** Bind S_1, Execute, Sync: what pgjdbc sends for a statement it has prepared. */
    private final Batch bindExecuteSync = new Batch(Pg.bind("", "S_1", 12_345), Pg.execute(""), Pg.sync());
    private final Batch parseBindExecuteSync = new Batch(Pg.parse("S_1", Pg.PGBENCH_SELECT, Pg.INT4),
            Pg.bind("", "S_1", 12_345), Pg.execute(""), Pg.sync());
    /** BindComplete, DataRow, CommandComplete, ReadyForQuery. */
    private final Batch response = new Batch(Pg.empty('2'), Pg.dataRow("-4711"), Pg.commandComplete("SELECT 1"),
            Pg.readyForQuery('I'));

    private final ClientStatements client = new ClientStatements();
    private PreparedStatementRelay relay;
    private int toServer;
    private int toClient;
    /** Stands for the Coalescers: takes each frame and releases it. */
    private final PreparedStatementRelay.Output out = new PreparedStatementRelay.Output() {
        @Override
        public void toServer(ByteBuf frame) {
            toServer++;
            frame.release();
        }

        @Override
        public void toClient(ByteBuf frame) {
            toClient++;
            frame.release();
        }
    };

    @Setup
    public void setup() {
        relay = new PreparedStatementRelay(new ServerStatements(100), ByteBufAllocator.DEFAULT,
                PreparedStatementMetrics.NOOP);
        relay.attach(client, new PreparedStatementRegistry(1 << 20, new AtomicLong()));
        cycle(prepare, prepared);
        check(bindExecuteSync(), 3, 4);
        check(parseBindExecuteSync(), 3, 5); // the ParseComplete comes from Berth
    }

    private void check(int frames, int expectedToServer, int expectedToClient) {
        if (toServer != expectedToServer || toClient != expectedToClient || !relay.isEmpty()) {
            throw new IllegalStateException("to server " + toServer + ", to client " + toClient);
        }
    }

    @TearDown
    public void tearDown() {
        relay.close();
        for (Batch b : new Batch[] {prepare, prepared, bindExecuteSync, parseBindExecuteSync, response}) {
            b.close();
        }
    }

    private int cycle(Batch request, Batch answer) {
        toServer = 0;
        toClient = 0;
        for (int i = 0; i < request.size(); i++) {
            relay.fromClient(request.frame(i), out);
        }
        for (int i = 0; i < answer.size(); i++) {
            relay.fromServer(answer.frame(i), out);
        }
        return toServer + toClient;
    }

    /** pgjdbc's S_1 after its prepare threshold: Bind rewritten to the server's name, responses matched. */
    @Benchmark
    public int bindExecuteSync() {
        return cycle(bindExecuteSync, response);
    }

    /** A client (re)preparing S_1 that this server already has: Berth answers the Parse itself. */
    @Benchmark
    public int parseBindExecuteSync() {
        client.remove("S_1"); // this cycle's client has not prepared it yet, as on a new connection
        return cycle(parseBindExecuteSync, response);
    }
}
