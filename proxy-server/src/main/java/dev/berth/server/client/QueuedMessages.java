package dev.berth.server.client;

import io.netty.buffer.ByteBuf;

import java.util.ArrayDeque;

/**
 * The messages a client sent while it had no server (or before its login completed), kept in order
 * until it has one. The client is read on while it waits — most send one request and wait for its
 * answer, and toggling reads costs two system calls — until {@link #LIMIT_BYTES} are queued.
 */
final class QueuedMessages {
    /** Bytes a client may queue while it has no server before Berth stops reading it. */
    static final int LIMIT_BYTES = 64 * 1024;

    /** Created by the first message queued: an idle client that never waited has none. */
    private ArrayDeque<ByteBuf> frames;
    private long bytes;

    /** Keeps a message; returns whether the client is now over the limit (stop reading it). */
    boolean add(ByteBuf frame) {
        if (frames == null) {
            frames = new ArrayDeque<>(2);
        }
        frames.add(frame);
        bytes += frame.readableBytes();
        return bytes > LIMIT_BYTES;
    }

    /** The oldest message, or null; the caller owns it. */
    ByteBuf poll() {
        ByteBuf frame = frames == null ? null : frames.poll();
        if (frame != null) {
            bytes -= frame.readableBytes();
        }
        return frame;
    }

    boolean isEmpty() {
        return frames == null || frames.isEmpty();
    }

    /** The client is gone: what it queued goes too. */
    void releaseAll() {
        ByteBuf frame;
        while ((frame = poll()) != null) {
            frame.release();
        }
        bytes = 0;
    }
}
