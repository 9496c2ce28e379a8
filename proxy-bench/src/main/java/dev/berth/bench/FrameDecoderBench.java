package dev.berth.bench;

import dev.berth.core.protocol.PgFrameDecoder;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;

/** PgFrameDecoder on a server connection's pipeline, one socket read holding a whole SELECT response. */
public class FrameDecoderBench extends Defaults {
    /** 1: the answer to pgbench -S (T, D, C, Z); 100: a 100-row result. */
    @Param({"1", "100"})
    public int rows;

    private Batch response;
    private EmbeddedChannel channel;
    private int frames;

    @Setup
    public void setup() {
        response = new Batch(Pg.selectResponse(rows));
        // the handler after the decoder takes each frame and releases it, as ServerConnection's does
        channel = new EmbeddedChannel(PgFrameDecoder.forServer(1 << 30), new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                frames++;
                ((ByteBuf) msg).release();
            }
        });
        if (decode() != rows + 3) {
            throw new IllegalStateException("decoded " + frames + " frames");
        }
        channel.checkException();
    }

    @TearDown
    public void tearDown() {
        channel.finishAndReleaseAll();
        response.close();
    }

    /** Server to Berth: every read of a server socket goes through the decoder before anything else. */
    @Benchmark
    public int decode() {
        frames = 0;
        channel.pipeline().fireChannelRead(response.whole()).fireChannelReadComplete();
        return frames;
    }
}
