package dev.berth.bench;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

import java.util.ArrayList;
import java.util.List;

/**
 * Messages laid end to end in one direct buffer of Netty's default allocator (what Berth's channels use),
 * as one socket read delivers them, handed out as retained slices the way PgFrameDecoder emits frames.
 */
public final class Batch implements AutoCloseable {
    private final ByteBuf buf;
    private final int[] start;
    private final int[] length;

    public Batch(List<byte[]> messages) {
        start = new int[messages.size()];
        length = new int[messages.size()];
        buf = untrackedDirectBuffer();
        for (int i = 0; i < messages.size(); i++) {
            start[i] = buf.writerIndex();
            length[i] = messages.get(i).length;
            buf.writeBytes(messages.get(i));
        }
    }

    public Batch(byte[]... messages) {
        this(List.of(messages));
    }

    /**
     * A direct buffer outside the leak detector's 1-in-128 sample. A benchmark reuses its input for
     * millions of frames: were it sampled, every retained slice of it would be tracked with a stack trace,
     * making a whole run ~20x slower by chance (in production that cost falls on 1 read in 128). Under
     * -Dio.netty.leakDetection.level=paranoid every buffer is tracked, and so is this one.
     */
    private static ByteBuf untrackedDirectBuffer() {
        List<ByteBuf> sampled = new ArrayList<>();
        ByteBuf buf = ByteBufAllocator.DEFAULT.directBuffer();
        while (buf.unwrap() != null && sampled.size() < 32) { // a leak-aware wrapper
            sampled.add(buf);
            buf = ByteBufAllocator.DEFAULT.directBuffer();
        }
        sampled.forEach(ByteBuf::release);
        return buf;
    }

    public int size() {
        return start.length;
    }

    /** Message {@code i} as a frame the receiver owns (and must release). */
    public ByteBuf frame(int i) {
        return buf.retainedSlice(start[i], length[i]);
    }

    /** All messages as one buffer the receiver owns, with its own indexes: a fresh socket read. */
    public ByteBuf whole() {
        return buf.retainedDuplicate();
    }

    /** Releases the buffer; fails if any frame handed out was not released. */
    @Override
    public void close() {
        int refCnt = buf.refCnt();
        buf.release();
        if (refCnt != 1) {
            throw new IllegalStateException("leak: " + (refCnt - 1) + " frame(s) handed out were never released");
        }
    }
}
