package dev.berth.core.protocol;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.berth.fuzz.CountingAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Fuzzes the frame decoder with arbitrary byte streams cut into arbitrary reads, on the client side (startup
 * phase, then typed messages before and after login) and the server side. Properties: only
 * {@link ProtocolException} escapes, and nothing is emitted after it; the frames emitted are exactly the
 * stream's first bytes, each well framed and within the limit in force; what is left undecoded without an
 * error is the start of a frame that may still be valid (so every malformed header ends in an error); no
 * buffer is left unreleased; nothing allocates much more than the bytes that arrived, whatever a length says.
 * Replays the inputs under src/test/resources by default; {@code JAZZER_FUZZ=1} fuzzes (see README).
 */
class PgFrameDecoderFuzzTest {

    @FuzzTest(maxDuration = "2m")
    void clientStream(FuzzedDataProvider data) {
        run(data, true);
    }

    @FuzzTest(maxDuration = "2m")
    void serverStream(FuzzedDataProvider data) {
        run(data, false);
    }

    private static void run(FuzzedDataProvider data, boolean client) {
        int maxMessageSize = data.consumeInt(16, 1 << 20);
        int loginAfter = data.consumeInt(0, 4); // frames after which the client's login completes
        byte[] stream = data.consumeRemainingAsBytes();
        CountingAllocator alloc = new CountingAllocator();
        PgFrameDecoder decoder = client ? PgFrameDecoder.forClient(maxMessageSize) : PgFrameDecoder.forServer(maxMessageSize);
        EmbeddedChannel channel = new EmbeddedChannel();
        channel.config().setAllocator(alloc);
        channel.pipeline().addLast(decoder);

        ByteArrayOutputStream emitted = new ByteArrayOutputStream();
        List<ByteBuf> inputs = new ArrayList<>();
        boolean failed = false;
        boolean startup = client;
        boolean loggedIn = !client;
        int frames = 0;
        int at = 0;
        while (at < stream.length) {
            // cut the stream into reads of sizes taken from the stream itself
            int size = 1 + (stream[at] & 0xff) % 64;
            int end = Math.min(stream.length, at + size);
            ByteBuf read = alloc.buffer(end - at).writeBytes(stream, at, end - at);
            inputs.add(read);
            at = end;
            try {
                channel.writeInbound(read);
            } catch (ProtocolException e) {
                failed = true;
            }
            ByteBuf frame;
            while ((frame = channel.readInbound()) != null) {
                try {
                    int limit = !client ? maxMessageSize : loggedIn ? maxMessageSize
                            : Math.min(PgFrameDecoder.MAX_LOGIN_MESSAGE, maxMessageSize);
                    startup = checkFrame(frame, startup, limit, client);
                    byte[] bytes = new byte[frame.readableBytes()];
                    frame.getBytes(frame.readerIndex(), bytes);
                    emitted.writeBytes(bytes);
                } finally {
                    frame.release();
                }
                if (client && !startup && ++frames > loginAfter && !loggedIn) {
                    decoder.loginCompleted();
                    loggedIn = true;
                }
            }
            if (failed) {
                if (at < stream.length) {
                    ByteBuf more = alloc.buffer().writeBytes(stream, at, stream.length - at);
                    inputs.add(more);
                    channel.writeInbound(more);
                    assertNull(channel.readInbound(), "a frame after the decoder failed");
                }
                break;
            }
        }
        byte[] out = emitted.toByteArray();
        assertArrayEquals(Arrays.copyOf(stream, out.length), out, "the frames are the stream's first bytes");
        if (!failed) {
            int limit = loggedIn ? maxMessageSize : Math.min(PgFrameDecoder.MAX_LOGIN_MESSAGE, maxMessageSize);
            checkIncomplete(Arrays.copyOfRange(stream, out.length, stream.length), startup, limit, client);
        }
        channel.finishAndReleaseAll();
        for (ByteBuf read : inputs) {
            assertEquals(0, read.refCnt(), "a read the decoder kept");
        }
        assertTrue(alloc.largest() <= 4L * stream.length + 256,
                "allocated " + alloc.largest() + " bytes for a stream of " + stream.length);
    }

    /** Checks one emitted frame; returns whether the decoder is still in the startup phase after it. */
    private static boolean checkFrame(ByteBuf frame, boolean startup, int limit, boolean client) {
        int size = frame.readableBytes();
        if (startup) {
            if (size == 5 && frame.getByte(frame.readerIndex()) == MessageType.TERMINATE) {
                assertEquals(4, frame.getInt(frame.readerIndex() + 1));
                return true;
            }
            int length = frame.getInt(frame.readerIndex());
            assertEquals(size, length, "startup packet length");
            assertTrue(length >= 8 && length <= PgFrameDecoder.MAX_STARTUP_PACKET, "startup packet length " + length);
            int code = frame.getInt(frame.readerIndex() + 4);
            return code == StartupPacket.SSL_REQUEST_CODE || code == StartupPacket.GSSENC_REQUEST_CODE;
        }
        int length = frame.getInt(frame.readerIndex() + 1);
        assertEquals(size, length + 1, "message length");
        assertTrue(length >= 4 && length <= limit, "message length " + length + " over " + limit);
        if (!client) {
            byte type = frame.getByte(frame.readerIndex());
            assertTrue(length >= PgFrameDecoder.minServerLength(type), "a server message '" + (char) type + "' too short");
        }
        return false;
    }

    /** Bytes left without an error must be a frame still arriving whose header, as far as it came, is valid. */
    private static void checkIncomplete(byte[] rest, boolean startup, int limit, boolean client) {
        if (startup) {
            if (rest.length < 4 || (rest[0] == MessageType.TERMINATE && rest.length < 5)) {
                return;
            }
            if (rest[0] == MessageType.TERMINATE && readInt(rest, 1) == 4) {
                fail("a whole Terminate was not decoded");
            }
            int length = readInt(rest, 0);
            if (length < 8 || length > PgFrameDecoder.MAX_STARTUP_PACKET || rest.length >= length) {
                fail("startup bytes left undecoded without an error: length " + length + ", " + rest.length + " bytes");
            }
            return;
        }
        if (rest.length < 5) {
            return;
        }
        int length = readInt(rest, 1);
        int least = client ? 4 : PgFrameDecoder.minServerLength(rest[0]);
        if (length < least || length > limit || rest.length >= length + 1) {
            fail("bytes left undecoded without an error: length " + length + ", " + rest.length + " bytes");
        }
    }

    private static int readInt(byte[] b, int at) {
        return Unpooled.wrappedBuffer(b, at, 4).getInt(0);
    }
}
