package dev.berth.core.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PgFrameDecoderTest {
    private static final int MAX = 1024;

    private EmbeddedChannel channel;

    @AfterEach
    void tearDown() {
        if (channel != null) {
            channel.finishAndReleaseAll();
        }
    }

    private static byte[] startupBytes() {
        Map<String, String> params = new LinkedHashMap<>();
        params.put("user", "bob");
        params.put("database", "db");
        ByteBuf buf = Messages.startupMessage(UnpooledByteBufAllocator.DEFAULT, params);
        try {
            return ByteBufUtil.getBytes(buf);
        } finally {
            buf.release();
        }
    }

    private static byte[] queryBytes(String sql) {
        ByteBuf buf = Messages.query(UnpooledByteBufAllocator.DEFAULT, sql);
        try {
            return ByteBufUtil.getBytes(buf);
        } finally {
            buf.release();
        }
    }

    private static final byte[] SYNC = {'S', 0, 0, 0, 4};
    private static final byte[] SSL_REQUEST = {0, 0, 0, 8, 0x04, (byte) 0xd2, 0x16, 0x2f};
    private static final byte[] GSSENC_REQUEST = {0, 0, 0, 8, 0x04, (byte) 0xd2, 0x16, 0x30};

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    /** Reads every frame the channel produced, as byte arrays, releasing them. */
    private List<byte[]> drain() {
        List<byte[]> frames = new ArrayList<>();
        ByteBuf frame;
        while ((frame = channel.readInbound()) != null) {
            try {
                frames.add(ByteBufUtil.getBytes(frame));
            } finally {
                frame.release();
            }
        }
        return frames;
    }

    private void assertFrames(List<byte[]> actual, byte[]... expected) {
        assertEquals(expected.length, actual.size(), "frame count");
        for (int i = 0; i < expected.length; i++) {
            assertArrayEquals(expected[i], actual.get(i), "frame " + i);
        }
    }

    @Test
    void clientModeFramesStartupThenTypedMessagesFromOneBuffer() {
        channel = new EmbeddedChannel(PgFrameDecoder.forClient(MAX));
        byte[] startup = startupBytes();
        byte[] query = queryBytes("SELECT 1");
        channel.writeInbound(Unpooled.wrappedBuffer(concat(startup, query, SYNC)));
        assertFrames(drain(), startup, query, SYNC);
    }

    @Test
    void clientModeFramesInputFedOneByteAtATime() {
        channel = new EmbeddedChannel(PgFrameDecoder.forClient(MAX));
        byte[] startup = startupBytes();
        byte[] q1 = queryBytes("SELECT 1");
        byte[] q2 = queryBytes("SELECT 'é'");
        byte[] all = concat(SSL_REQUEST, startup, q1, SYNC, q2);
        List<byte[]> frames = new ArrayList<>();
        for (byte b : all) {
            channel.writeInbound(Unpooled.wrappedBuffer(new byte[] {b}));
            frames.addAll(drain());
        }
        assertFrames(frames, SSL_REQUEST, startup, q1, SYNC, q2);
    }

    @Test
    void frameIsEmittedOnlyWhenComplete() {
        channel = new EmbeddedChannel(PgFrameDecoder.forServer(MAX));
        byte[] query = queryBytes("SELECT 42");
        channel.writeInbound(Unpooled.wrappedBuffer(query, 0, query.length - 1));
        assertTrue(drain().isEmpty());
        channel.writeInbound(Unpooled.wrappedBuffer(query, query.length - 1, 1));
        assertFrames(drain(), query);
    }

    @Test
    void sslAndGssRequestsKeepTheDecoderInStartupPhase() {
        channel = new EmbeddedChannel(PgFrameDecoder.forClient(MAX));
        byte[] startup = startupBytes();
        byte[] query = queryBytes("SELECT 1");
        // each negotiation request is followed by an untyped packet again: must not be read as typed
        channel.writeInbound(Unpooled.wrappedBuffer(concat(SSL_REQUEST, GSSENC_REQUEST, SSL_REQUEST, startup, query)));
        assertFrames(drain(), SSL_REQUEST, GSSENC_REQUEST, SSL_REQUEST, startup, query);
    }

    @Test
    void cancelRequestEndsTheStartupPhase() {
        channel = new EmbeddedChannel(PgFrameDecoder.forClient(MAX));
        ByteBuf cancel = Messages.cancelRequest(UnpooledByteBufAllocator.DEFAULT, 7, 9);
        byte[] cancelBytes = ByteBufUtil.getBytes(cancel);
        cancel.release();
        channel.writeInbound(Unpooled.wrappedBuffer(concat(cancelBytes, SYNC)));
        assertFrames(drain(), cancelBytes, SYNC);
    }

    @Test
    void serverModeFramesTypedMessagesFromTheStart() {
        channel = new EmbeddedChannel(PgFrameDecoder.forServer(MAX));
        byte[] authOk = {'R', 0, 0, 0, 8, 0, 0, 0, 0};
        byte[] ready = {'Z', 0, 0, 0, 5, 'I'};
        channel.writeInbound(Unpooled.wrappedBuffer(concat(authOk, ready)));
        assertFrames(drain(), authOk, ready);
    }

    @Test
    void aServerMessageTooShortForWhatBerthReadsInItThrows() {
        // a ReadyForQuery without its status: ResponseMatcher and ServerRelay read the byte after the header
        channel = new EmbeddedChannel(PgFrameDecoder.forServer(MAX));
        ProtocolException e = assertThrows(ProtocolException.class,
                () -> channel.writeInbound(Unpooled.wrappedBuffer(new byte[] {'Z', 0, 0, 0, 4})));
        assertTrue(e.getMessage().contains("invalid message length 4 for message type 'Z'"), e.getMessage());
        channel = new EmbeddedChannel(PgFrameDecoder.forServer(MAX));
        assertThrows(ProtocolException.class, () -> channel.writeInbound(Unpooled.wrappedBuffer(new byte[] {'C', 0, 0, 0, 4})));
        // a client's Sync is 4 bytes, and the client side does not check server message types
        channel = new EmbeddedChannel(PgFrameDecoder.forServer(MAX));
        channel.writeInbound(Unpooled.wrappedBuffer(new byte[] {'S', 0, 0, 0, 4}));
        assertEquals(1, drain().size());
    }

    @Test
    void emittedFramesIncludeTheFiveByteHeader() {
        channel = new EmbeddedChannel(PgFrameDecoder.forServer(MAX));
        channel.writeInbound(Unpooled.wrappedBuffer(queryBytes("SELECT 1")));
        ByteBuf frame = channel.readInbound();
        try {
            assertEquals('Q', MessageType.of(frame));
            assertEquals(13, frame.getInt(frame.readerIndex() + 1));
            assertEquals(14, frame.readableBytes());
            assertEquals("SELECT 1", frame.toString(frame.readerIndex() + 5, 8, java.nio.charset.StandardCharsets.UTF_8));
        } finally {
            frame.release();
        }
    }

    @Test
    void startupLengthBelowEightThrows() {
        channel = new EmbeddedChannel(PgFrameDecoder.forClient(MAX));
        ProtocolException e = assertThrows(ProtocolException.class,
                () -> channel.writeInbound(Unpooled.wrappedBuffer(new byte[] {0, 0, 0, 7, 0, 3, 0})));
        assertTrue(e.getMessage().contains("invalid startup packet length 7"), e.getMessage());
    }

    @Test
    void startupLengthAboveTenThousandThrows() {
        channel = new EmbeddedChannel(PgFrameDecoder.forClient(MAX));
        // 10001 = 0x2711; detected from the length word alone
        ProtocolException e = assertThrows(ProtocolException.class,
                () -> channel.writeInbound(Unpooled.wrappedBuffer(new byte[] {0, 0, 0x27, 0x11})));
        assertTrue(e.getMessage().contains("invalid startup packet length 10001"), e.getMessage());
    }

    @Test
    void startupLengthOfExactlyTenThousandIsAccepted() {
        channel = new EmbeddedChannel(PgFrameDecoder.forClient(MAX));
        // 10000 = 0x2710: the decoder waits for the rest instead of failing
        assertFalse(channel.writeInbound(Unpooled.wrappedBuffer(new byte[] {0, 0, 0x27, 0x10, 0, 3, 0, 0})));
        assertNull(channel.readInbound());
    }

    @Test
    void typedLengthBelowFourThrowsNamingTheLengthAndType() {
        channel = new EmbeddedChannel(PgFrameDecoder.forServer(MAX));
        ProtocolException e = assertThrows(ProtocolException.class,
                () -> channel.writeInbound(Unpooled.wrappedBuffer(new byte[] {'Q', 0, 0, 0, 3})));
        assertEquals("invalid message length 3 for message type 'Q'", e.getMessage());
    }

    @Test
    void nonPrintableTypeIsEscapedInTheMessage() {
        channel = new EmbeddedChannel(PgFrameDecoder.forServer(MAX));
        ProtocolException e = assertThrows(ProtocolException.class,
                () -> channel.writeInbound(Unpooled.wrappedBuffer(new byte[] {1, 0, 0, 0, 0})));
        assertEquals("invalid message length 0 for message type '\\x01'", e.getMessage());
    }

    @Test
    void typedLengthAboveMaxThrowsNamingTheSize() {
        channel = new EmbeddedChannel(PgFrameDecoder.forClient(MAX));
        byte[] startup = startupBytes();
        // 'Q' with length 1025 (0x401) > max 1024; only the header has arrived
        byte[] tooBig = {'Q', 0, 0, 0x04, 0x01};
        ProtocolException e = assertThrows(ProtocolException.class,
                () -> channel.writeInbound(Unpooled.wrappedBuffer(concat(startup, tooBig))));
        assertEquals("message of type 'Q' is 1025 bytes, above the maximum of 1024 bytes (--max-message-size)",
                e.getMessage());
        // the startup packet before the bad message was still emitted
        assertFrames(drain(), startup);
    }

    @Test
    void typedLengthOfExactlyMaxIsAccepted() {
        channel = new EmbeddedChannel(PgFrameDecoder.forServer(MAX));
        byte[] frame = new byte[MAX + 1];
        frame[0] = 'd';
        frame[3] = 0x04; // length 1024
        channel.writeInbound(Unpooled.wrappedBuffer(frame));
        assertFrames(drain(), frame);
    }

    @Test
    void inputAfterAFailureIsDiscarded() {
        channel = new EmbeddedChannel(PgFrameDecoder.forServer(MAX));
        assertThrows(ProtocolException.class,
                () -> channel.writeInbound(Unpooled.wrappedBuffer(new byte[] {'Q', 0, 0, 0, 2})));
        // a perfectly valid message is now swallowed, without a new exception
        assertFalse(channel.writeInbound(Unpooled.wrappedBuffer(queryBytes("SELECT 1"))));
        assertFalse(channel.writeInbound(Unpooled.wrappedBuffer(SYNC)));
        assertNull(channel.readInbound());
    }

    @Test
    void bytesFollowingABadMessageInTheSameBufferAreDiscarded() {
        channel = new EmbeddedChannel(PgFrameDecoder.forServer(MAX));
        byte[] query = queryBytes("SELECT 1");
        assertThrows(ProtocolException.class,
                () -> channel.writeInbound(Unpooled.wrappedBuffer(concat(query, new byte[] {'Q', 0, 0, 0, 1}, SYNC))));
        assertFrames(drain(), query);
        assertFalse(channel.writeInbound(Unpooled.wrappedBuffer(SYNC)));
        assertNull(channel.readInbound());
    }

    @Test
    void beforeLoginAClientMessageAboveTheLoginLimitIsRefusedFromItsHeader() {
        channel = new EmbeddedChannel(PgFrameDecoder.forClient(256 * 1024 * 1024));
        byte[] startup = startupBytes();
        // a password message declaring 250 MiB: refused from its header, nothing buffered
        byte[] huge = {'p', 0x0f, (byte) 0xa0, 0, 0};
        ProtocolException e = assertThrows(ProtocolException.class,
                () -> channel.writeInbound(Unpooled.wrappedBuffer(concat(startup, huge))));
        assertEquals("message of type 'p' is 262144000 bytes, above the maximum of 8192 bytes before login completes",
                e.getMessage());
        assertFrames(drain(), startup);
    }

    @Test
    void afterLoginCompletedTheMaximumMessageSizeApplies() {
        PgFrameDecoder decoder = PgFrameDecoder.forClient(64 * 1024);
        channel = new EmbeddedChannel(decoder);
        byte[] startup = startupBytes();
        byte[] big = new byte[20_001];
        big[0] = 'Q';
        big[3] = 0x4e;
        big[4] = 0x20; // length 20000
        channel.writeInbound(Unpooled.wrappedBuffer(startup));
        assertFrames(drain(), startup);
        decoder.loginCompleted();
        channel.writeInbound(Unpooled.wrappedBuffer(big));
        assertFrames(drain(), big);
    }

    @Test
    void terminateBeforeTheStartupPacketIsFramedAsOne() {
        channel = new EmbeddedChannel(PgFrameDecoder.forClient(MAX));
        byte[] terminate = {'X', 0, 0, 0, 4};
        channel.writeInbound(Unpooled.wrappedBuffer(terminate, 0, 4)); // 'X' 0 0 0 alone is not yet an error
        assertTrue(drain().isEmpty());
        channel.writeInbound(Unpooled.wrappedBuffer(terminate, 4, 1));
        List<byte[]> frames = drain();
        assertFrames(frames, terminate);
        ByteBuf frame = Unpooled.wrappedBuffer(frames.get(0));
        assertEquals(StartupPacket.Kind.TERMINATE, StartupPacket.decode(frame).kind());
    }
}
