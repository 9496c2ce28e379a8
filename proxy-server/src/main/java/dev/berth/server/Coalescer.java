package dev.berth.server;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

import java.util.function.Consumer;

/**
 * Gathers the small messages bound for one socket into one buffer, so that a batch (RowDescription,
 * DataRows, CommandComplete, ReadyForQuery; or Parse, Bind, Describe, Execute, Sync) leaves as one Netty
 * write and one send() rather than one write and one iovec per message: copying a few hundred bytes costs
 * less than the per-write bookkeeping it saves. A large message passes through uncopied, after what is
 * gathered, so order holds. Confined to the event loop of the connection that owns it.
 */
public final class Coalescer {
    /** Messages up to this size are copied; larger ones are written as they are. */
    static final int SMALL = 1024;
    /** Most bytes gathered before they go out as one buffer. */
    static final int CAPACITY = 16 * 1024;

    private final ByteBufAllocator alloc;
    private final Consumer<ByteBuf> out;
    private ByteBuf gathered;

    public Coalescer(ByteBufAllocator alloc, Consumer<ByteBuf> out) {
        this.alloc = alloc;
        this.out = out;
    }

    /** Takes a message (and its reference). */
    public void add(ByteBuf message) {
        int size = message.readableBytes();
        if (size > SMALL) {
            drain();
            out.accept(message);
            return;
        }
        if (gathered != null && gathered.maxWritableBytes() < size) {
            drain();
        }
        if (gathered == null) {
            gathered = alloc.directBuffer(2 * SMALL, CAPACITY);
        }
        gathered.writeBytes(message);
        message.release();
    }

    /** Passes on what is gathered: before a flush, and before anything written around this coalescer. */
    public void drain() {
        ByteBuf ready = gathered;
        if (ready != null) {
            gathered = null;
            out.accept(ready);
        }
    }

    /** Drops what is gathered (the connection is gone). */
    public void discard() {
        ByteBuf dropped = gathered;
        if (dropped != null) {
            gathered = null;
            dropped.release();
        }
    }
}
