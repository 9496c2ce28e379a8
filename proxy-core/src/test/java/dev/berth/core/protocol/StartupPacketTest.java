package dev.berth.core.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StartupPacketTest {

    private static <T> T withBuf(ByteBuf buf, Function<ByteBuf, T> f) {
        try {
            return f.apply(buf);
        } finally {
            buf.release();
        }
    }

    private static StartupPacket decode(byte[] bytes) {
        return withBuf(Unpooled.wrappedBuffer(bytes), StartupPacket::decode);
    }

    /** A startup packet with the given protocol version and raw body after it; the length word is computed. */
    private static byte[] packet(int version, String body) {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int length = 8 + b.length;
        out.write(length >>> 24);
        out.write(length >>> 16);
        out.write(length >>> 8);
        out.write(length);
        out.write(version >>> 24);
        out.write(version >>> 16);
        out.write(version >>> 8);
        out.write(version);
        out.writeBytes(b);
        return out.toByteArray();
    }

    @Test
    void decodesStartupMessageParametersAndCollectsProtocolOptionsSeparately() {
        Map<String, String> params = new LinkedHashMap<>();
        params.put("user", "alice");
        params.put("database", "shop");
        params.put("options", "-c search_path=app");
        params.put("_pq_.compression", "on");
        params.put("application_name", "psql");
        StartupPacket p = withBuf(Messages.startupMessage(UnpooledByteBufAllocator.DEFAULT, params), StartupPacket::decode);

        assertEquals(StartupPacket.Kind.STARTUP, p.kind());
        assertEquals(StartupPacket.PROTOCOL_3_0, p.protocolVersion());
        assertEquals(3, p.majorVersion());
        assertEquals(0, p.minorVersion());
        assertEquals(List.of("user", "database", "options", "application_name"), List.copyOf(p.parameters().keySet()));
        assertEquals("alice", p.parameters().get("user"));
        assertEquals("shop", p.parameters().get("database"));
        assertEquals("-c search_path=app", p.parameters().get("options"));
        assertEquals("psql", p.parameters().get("application_name"));
        assertEquals(List.of("_pq_.compression"), p.protocolOptions());
    }

    @Test
    void decodesUtf8ParameterValuesAndEmptyValues() {
        StartupPacket p = decode(packet(StartupPacket.PROTOCOL_3_0, "user\0jürgen\0application_name\0\0\0"));
        assertEquals("jürgen", p.parameters().get("user"));
        assertEquals("", p.parameters().get("application_name"));
    }

    @Test
    void acceptsMinorVersionAboveZero() {
        StartupPacket p = decode(packet(0x00030002, "user\0bob\0\0"));
        assertEquals(StartupPacket.Kind.STARTUP, p.kind());
        assertEquals(3, p.majorVersion());
        assertEquals(2, p.minorVersion());
        assertEquals(Map.of("user", "bob"), p.parameters());
    }

    @Test
    void honoursTheReaderIndex() {
        byte[] body = packet(StartupPacket.PROTOCOL_3_0, "user\0bob\0\0");
        ByteBuf buf = Unpooled.buffer();
        buf.writeBytes(new byte[] {9, 9, 9});
        buf.writeBytes(body);
        buf.skipBytes(3);
        StartupPacket p = withBuf(buf, StartupPacket::decode);
        assertEquals(Map.of("user", "bob"), p.parameters());
    }

    @Test
    void decodesSslRequest() {
        StartupPacket p = decode(new byte[] {0, 0, 0, 8, 0x04, (byte) 0xd2, 0x16, 0x2f});
        assertEquals(StartupPacket.Kind.SSL_REQUEST, p.kind());
        assertEquals(80877103, p.protocolVersion());
        assertTrue(p.parameters().isEmpty());
    }

    @Test
    void decodesGssEncRequest() {
        StartupPacket p = decode(new byte[] {0, 0, 0, 8, 0x04, (byte) 0xd2, 0x16, 0x30});
        assertEquals(StartupPacket.Kind.GSSENC_REQUEST, p.kind());
        assertEquals(80877104, p.protocolVersion());
    }

    @Test
    void decodesCancelRequest() {
        StartupPacket p = decode(new byte[] {0, 0, 0, 16, 0x04, (byte) 0xd2, 0x16, 0x2e,
                0x00, 0x01, (byte) 0xe2, 0x40, // pid 123456
                (byte) 0xde, (byte) 0xad, (byte) 0xbe, (byte) 0xef});
        assertEquals(StartupPacket.Kind.CANCEL_REQUEST, p.kind());
        assertEquals(123456, p.cancelProcessId());
        assertEquals(0xdeadbeef, p.cancelSecretKey());
    }

    @Test
    void cancelRequestWithWrongLengthThrows() {
        ProtocolException e = assertThrows(ProtocolException.class, () -> decode(new byte[] {0, 0, 0, 12,
                0x04, (byte) 0xd2, 0x16, 0x2e, 0, 0, 0, 1}));
        assertEquals("invalid cancel request length 12", e.getMessage());
    }

    @Test
    void protocolMajorVersionTwoIsUnsupported() {
        StartupPacket.UnsupportedProtocolException e = assertThrows(StartupPacket.UnsupportedProtocolException.class,
                () -> decode(packet(0x00020000, "user\0bob\0\0")));
        assertEquals(0x00020000, e.requested);
        assertEquals("unsupported frontend protocol 2.0: server supports 3.0 to 3.0", e.getMessage());
    }

    @Test
    void protocolMajorVersionFourIsUnsupported() {
        StartupPacket.UnsupportedProtocolException e = assertThrows(StartupPacket.UnsupportedProtocolException.class,
                () -> decode(packet(0x00040001, "\0")));
        assertEquals("unsupported frontend protocol 4.1: server supports 3.0 to 3.0", e.getMessage());
    }

    @Test
    void parameterNameWithoutNulThrows() {
        ProtocolException e = assertThrows(ProtocolException.class, () -> decode(packet(StartupPacket.PROTOCOL_3_0, "user")));
        assertEquals("startup packet is not terminated", e.getMessage());
    }

    @Test
    void parameterWithoutValueThrows() {
        ProtocolException e = assertThrows(ProtocolException.class, () -> decode(packet(StartupPacket.PROTOCOL_3_0, "user\0bob")));
        assertEquals("startup parameter \"user\" has no value", e.getMessage());
    }

    @Test
    void dataAfterTheTerminatorThrows() {
        ProtocolException e = assertThrows(ProtocolException.class,
                () -> decode(packet(StartupPacket.PROTOCOL_3_0, "user\0bob\0\0x")));
        assertEquals("startup packet has data after its terminator", e.getMessage());
    }

    @Test
    void parameterListWithoutFinalTerminatorThrows() {
        // "user\0bob\0" with no empty name after it
        ProtocolException e = assertThrows(ProtocolException.class, () -> decode(packet(StartupPacket.PROTOCOL_3_0, "user\0bob\0")));
        assertEquals("startup packet is not terminated", e.getMessage());
    }
}
