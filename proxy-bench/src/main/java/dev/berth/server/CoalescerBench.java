package dev.berth.server;

import dev.berth.bench.Batch;
import dev.berth.bench.Defaults;
import dev.berth.bench.Pg;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;

import java.util.function.Consumer;

/**
 * ServerConnection's Coalescer on the four messages answering pgbench -S (T, D, C, Z), against passing
 * them on one by one. In this package to reach the package-private class.
 */
public class CoalescerBench extends Defaults {
    /** release: the consumer just releases (the copy's cost alone); channel: it writes to a channel, flushed per response. */
    @Param({"release", "channel"})
    public String sink;

    private final Batch response = new Batch(Pg.selectResponse(1));
    private EmbeddedChannel channel;
    private Consumer<ByteBuf> out;
    private Coalescer coalescer;
    private int writes;

    @Setup
    public void setup() {
        if (sink.equals("channel")) {
            channel = new EmbeddedChannel();
            out = frame -> {
                writes++;
                channel.write(frame, channel.voidPromise());
            };
        } else {
            out = frame -> {
                writes++;
                frame.release();
            };
        }
        coalescer = new Coalescer(ByteBufAllocator.DEFAULT, out);
        if (gathered() != 1 || oneByOne() != 4) {
            throw new IllegalStateException("unexpected number of writes");
        }
    }

    @TearDown
    public void tearDown() {
        coalescer.discard();
        if (channel != null) {
            channel.finishAndReleaseAll();
        }
        response.close();
    }

    private int flush() {
        if (channel != null) {
            channel.flush();
            channel.releaseOutbound();
        }
        int n = writes;
        writes = 0;
        return n;
    }

    /** ServerRelay.forwardToClient + flushClient: the response copied into one buffer, one write. */
    @Benchmark
    public int gathered() {
        for (int i = 0; i < response.size(); i++) {
            coalescer.add(response.frame(i));
        }
        coalescer.drain();
        return flush();
    }

    /** The same response without the Coalescer: one write per message. */
    @Benchmark
    public int oneByOne() {
        for (int i = 0; i < response.size(); i++) {
            out.accept(response.frame(i));
        }
        return flush();
    }
}
