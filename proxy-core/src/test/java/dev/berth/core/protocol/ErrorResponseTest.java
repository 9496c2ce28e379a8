package dev.berth.core.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ErrorResponseTest {

    /** Frames a raw ErrorResponse body (fields already NUL-terminated, without the final NUL). */
    private static byte[] frame(char type, String fields) {
        byte[] body = (fields + "\0").getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(type);
        int length = 4 + body.length;
        out.write(length >>> 24);
        out.write(length >>> 16);
        out.write(length >>> 8);
        out.write(length);
        out.writeBytes(body);
        return out.toByteArray();
    }

    private static ErrorResponse decode(byte[] frame) {
        ByteBuf buf = Unpooled.wrappedBuffer(frame);
        try {
            return ErrorResponse.decode(buf);
        } finally {
            buf.release();
        }
    }

    @Test
    void aServerErrorWithoutAMessageIsPassedOnAsItCame() {
        ByteBuf frame = Unpooled.buffer().writeByte('E').writeInt(5).writeByte(0); // no fields at all
        ErrorResponse decoded = ErrorResponse.decode(frame);
        frame.release();
        assertNull(decoded.message());
        ByteBuf encoded = decoded.encode(UnpooledByteBufAllocator.DEFAULT); // threw NullPointerException before
        try {
            assertEquals(encoded.readableBytes() - 1, encoded.getInt(1));
            assertEquals(decoded, ErrorResponse.decode(encoded));
        } finally {
            encoded.release();
        }
    }

    @Test
    void encodesEveryFieldByteExact() {
        ErrorResponse e = new ErrorResponse("ERROR", "42P01", "relation \"t\" does not exist", "some detail", "a hint");
        ByteBuf buf = e.encode(UnpooledByteBufAllocator.DEFAULT);
        try {
            assertArrayEquals(frame('E', "SERROR\0VERROR\0C42P01\0Mrelation \"t\" does not exist\0Dsome detail\0Ha hint\0"),
                    ByteBufUtil.getBytes(buf));
        } finally {
            buf.release();
        }
    }

    @Test
    void omitsNullFields() {
        ByteBuf buf = ErrorResponse.fatal("28P01", "password authentication failed for user \"x\"")
                .encode(UnpooledByteBufAllocator.DEFAULT);
        try {
            assertArrayEquals(frame('E', "SFATAL\0VFATAL\0C28P01\0Mpassword authentication failed for user \"x\"\0"),
                    ByteBufUtil.getBytes(buf));
        } finally {
            buf.release();
        }
    }

    @Test
    void encodesAsNotice() {
        ByteBuf buf = new ErrorResponse("NOTICE", "00000", "hi", null, null).encodeAsNotice(UnpooledByteBufAllocator.DEFAULT);
        try {
            assertArrayEquals(frame('N', "SNOTICE\0VNOTICE\0C00000\0Mhi\0"), ByteBufUtil.getBytes(buf));
        } finally {
            buf.release();
        }
    }

    @Test
    void encodeThenDecodeRoundTrips() {
        ErrorResponse original = new ErrorResponse("ERROR", "22023", "bad välue: 'x'", "détail", "hint")
                .withHint("other hint");
        ByteBuf buf = original.encode(UnpooledByteBufAllocator.DEFAULT);
        try {
            assertEquals(original, ErrorResponse.decode(buf));
            assertEquals("other hint", ErrorResponse.decode(buf).hint());
        } finally {
            buf.release();
        }
    }

    @Test
    void roundTripKeepsNullFieldsNull() {
        ErrorResponse original = ErrorResponse.error("08P01", "protocol violation");
        ByteBuf buf = original.encode(UnpooledByteBufAllocator.DEFAULT);
        try {
            ErrorResponse decoded = ErrorResponse.decode(buf);
            assertEquals(original, decoded);
            assertNull(decoded.detail());
            assertNull(decoded.hint());
        } finally {
            buf.release();
        }
    }

    @Test
    void decodePrefersTheNonLocalizedSeverityAndSkipsUnknownFields() {
        ErrorResponse e = decode(frame('E', "SFEHLER\0VERROR\0C42601\0MSyntaxfehler\0P15\0Fscan.l\0L1188\0Rscanner_yyerror\0"));
        assertEquals(new ErrorResponse("ERROR", "42601", "Syntaxfehler", null, null), e);
    }

    @Test
    void decodeFallsBackToTheLocalizedSeverity() {
        ErrorResponse e = decode(frame('N', "SWARNUNG\0C01000\0Mx\0"));
        assertEquals("WARNUNG", e.severity());
        assertEquals("01000", e.sqlState());
    }

    @Test
    void decodeHonoursTheReaderIndex() {
        byte[] f = frame('E', "SFATAL\0C57P01\0Mterminating connection due to administrator command\0");
        ByteBuf buf = Unpooled.buffer();
        buf.writeBytes(new byte[] {'Z', 0, 0});
        buf.writeBytes(f);
        buf.writeBytes(new byte[] {'Z', 0, 0, 0, 5, 'I'}); // a following message must not be read
        buf.skipBytes(3);
        try {
            ErrorResponse e = ErrorResponse.decode(buf);
            assertEquals(new ErrorResponse("FATAL", "57P01", "terminating connection due to administrator command", null, null), e);
        } finally {
            buf.release();
        }
    }

    @Test
    void isFatal() {
        assertTrue(ErrorResponse.fatal("57P01", "x").isFatal());
        assertTrue(new ErrorResponse("PANIC", "XX000", "x", null, null).isFatal());
        assertFalse(ErrorResponse.error("42P01", "x").isFatal());
        assertFalse(new ErrorResponse(null, null, null, null, null).isFatal());
    }

    @Test
    void toStringShowsSeverityCodeAndMessage() {
        assertEquals("FATAL 53300 too many clients", ErrorResponse.fatal("53300", "too many clients").toString());
    }
}
