package dev.berth.core.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class MessagesTest {
    private static final ByteBufAllocator A = UnpooledByteBufAllocator.DEFAULT;

    /** The readable bytes of {@code buf}, which is released. */
    private static byte[] take(ByteBuf buf) {
        try {
            return ByteBufUtil.getBytes(buf);
        } finally {
            buf.release();
        }
    }

    /** Builds expected bytes from chars, ints (as 4 bytes, big-endian) and strings (UTF-8, no terminator). */
    private static byte[] bytes(Object... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Object p : parts) {
            if (p instanceof Character c) {
                out.write(c);
            } else if (p instanceof Integer i) {
                out.write(i >>> 24);
                out.write(i >>> 16);
                out.write(i >>> 8);
                out.write(i);
            } else if (p instanceof String s) {
                out.writeBytes(s.getBytes(StandardCharsets.UTF_8));
            } else if (p instanceof byte[] b) {
                out.writeBytes(b);
            } else {
                throw new IllegalArgumentException(String.valueOf(p));
            }
        }
        return out.toByteArray();
    }

    @Test
    void readyForQuery() {
        assertArrayEquals(new byte[] {'Z', 0, 0, 0, 5, 'I'}, take(Messages.readyForQuery(A, (byte) 'I')));
        assertArrayEquals(new byte[] {'Z', 0, 0, 0, 5, 'T'}, take(Messages.readyForQuery(A, (byte) 'T')));
    }

    @Test
    void parameterStatus() {
        // 4 (length) + "client_encoding\0" (16) + "UTF8\0" (5) = 25
        assertArrayEquals(bytes('S', 25, "client_encoding\0UTF8\0"),
                take(Messages.parameterStatus(A, "client_encoding", "UTF8")));
    }

    @Test
    void parameterStatusLengthCountsUtf8Bytes() {
        // "é" is two bytes in UTF-8: 4 + "a\0" + "é\0" = 4 + 2 + 3 = 9
        assertArrayEquals(bytes('S', 9, "a\0é\0"), take(Messages.parameterStatus(A, "a", "é")));
    }

    @Test
    void backendKeyData() {
        assertArrayEquals(new byte[] {'K', 0, 0, 0, 12, 0, 0, 0x30, 0x39, (byte) 0xde, (byte) 0xad, (byte) 0xbe, (byte) 0xef},
                take(Messages.backendKeyData(A, 12345, 0xdeadbeef)));
    }

    @Test
    void authenticationConstants() {
        assertArrayEquals(new byte[] {'R', 0, 0, 0, 8, 0, 0, 0, 0}, ByteBufUtil.getBytes(Messages.AUTHENTICATION_OK));
        assertArrayEquals(new byte[] {'R', 0, 0, 0, 8, 0, 0, 0, 3}, ByteBufUtil.getBytes(Messages.AUTHENTICATION_CLEARTEXT));
        assertArrayEquals(new byte[] {'X', 0, 0, 0, 4}, ByteBufUtil.getBytes(Messages.TERMINATE));
        assertArrayEquals(new byte[] {'N'}, ByteBufUtil.getBytes(Messages.NO_ENCRYPTION));
    }

    @Test
    void authenticationWithCode() {
        assertArrayEquals(new byte[] {'R', 0, 0, 0, 8, 0, 0, 0, 0}, take(Messages.authentication(A, MessageType.AUTH_OK)));
    }

    @Test
    void authenticationMd5() {
        assertArrayEquals(new byte[] {'R', 0, 0, 0, 12, 0, 0, 0, 5, 1, 2, 3, (byte) 0xff},
                take(Messages.authenticationMd5(A, new byte[] {1, 2, 3, (byte) 0xff})));
    }

    @Test
    void authenticationSasl() {
        // 4 + 4 + "SCRAM-SHA-256\0" (14) + list terminator (1) = 23
        assertArrayEquals(bytes('R', 23, 10, "SCRAM-SHA-256\0\0"),
                take(Messages.authenticationSasl(A, "SCRAM-SHA-256")));
    }

    @Test
    void authenticationSaslData() {
        assertArrayEquals(bytes('R', 14, 11, "r=abc,"), take(Messages.authenticationSaslData(A, 11, "r=abc,")));
        assertArrayEquals(bytes('R', 10, 12, "v="), take(Messages.authenticationSaslData(A, 12, "v=")));
    }

    @Test
    void negotiateProtocolVersion() {
        assertArrayEquals(bytes('v', 4 + 4 + 4 + 8 + 7, 0x00030000, 2, "_pq_.ab\0_pq_.c\0"),
                take(Messages.negotiateProtocolVersion(A, List.of("_pq_.ab", "_pq_.c"))));
    }

    @Test
    void startupMessageLengthWordCoversTheWholePacket() {
        Map<String, String> params = new LinkedHashMap<>();
        params.put("user", "bob");
        params.put("database", "db");
        byte[] packet = take(Messages.startupMessage(A, params));
        // 4 + 4 + "user\0bob\0database\0db\0" (21) + 1 = 30
        assertEquals(30, packet.length);
        assertArrayEquals(bytes(30, 0x00030000, "user\0bob\0database\0db\0\0"), packet);
    }

    @Test
    void startupMessageWithoutParametersIsNineBytes() {
        assertArrayEquals(bytes(9, 0x00030000, "\0"), take(Messages.startupMessage(A, Map.of())));
    }

    @Test
    void cancelRequestIsSixteenBytes() {
        byte[] packet = take(Messages.cancelRequest(A, 4242, -2));
        assertArrayEquals(new byte[] {0, 0, 0, 16, 0x04, (byte) 0xd2, 0x16, 0x2e, 0, 0, 0x10, (byte) 0x92,
                (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xfe}, packet);
    }

    @Test
    void query() {
        assertArrayEquals(bytes('Q', 13, "SELECT 1\0"), take(Messages.query(A, "SELECT 1")));
        // multibyte characters are counted as bytes
        assertArrayEquals(new byte[] {'Q', 0, 0, 0, 7, (byte) 0xc3, (byte) 0xa9, 0}, take(Messages.query(A, "é")));
    }

    @Test
    void passwordMessage() {
        assertArrayEquals(bytes('p', 11, "secret\0"), take(Messages.passwordMessage(A, "secret")));
    }

    @Test
    void saslInitialResponse() {
        String data = "n,,n=*,r=abc";
        // 4 + "SCRAM-SHA-256\0" (14) + 4 + 12 = 34
        assertArrayEquals(bytes('p', 34, "SCRAM-SHA-256\0", 12, data),
                take(Messages.saslInitialResponse(A, "SCRAM-SHA-256", data)));
    }

    @Test
    void saslResponse() {
        assertArrayEquals(bytes('p', 4 + 7, "c=biws,"), take(Messages.saslResponse(A, "c=biws,")));
    }

    @Test
    void payloadIsTheBodyAfterTypeAndLength() {
        ByteBuf frame = Unpooled.buffer();
        frame.writeByte(7); // junk before the frame
        frame.writeBytes(bytes('S', 11, "ab\0cd\0"));
        frame.skipBytes(1);
        try {
            assertEquals('S', MessageType.of(frame));
            ByteBuf payload = Messages.payload(frame);
            assertEquals(6, payload.readableBytes());
            assertEquals("ab", Messages.readCString(payload));
            assertEquals("cd", Messages.readCString(payload));
            assertEquals(0, payload.readableBytes());
            assertEquals(1, frame.readerIndex(), "reading the payload does not move the frame");
        } finally {
            frame.release();
        }
    }

    @Test
    void readCStringWithoutNulThrows() {
        ByteBuf buf = Unpooled.wrappedBuffer("abc".getBytes(StandardCharsets.US_ASCII));
        try {
            ProtocolException e = assertThrows(ProtocolException.class, () -> Messages.readCString(buf));
            assertEquals("string is not NUL-terminated", e.getMessage());
            assertEquals(0, buf.readerIndex());
        } finally {
            buf.release();
        }
    }
}
