package dev.berth.core.protocol;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.berth.core.session.StartupParameters;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fuzzes the startup packet as the frame decoder delivers it (length word included), and the startup
 * parameters read from it. Properties: only {@link ProtocolException} escapes (its subclasses say which
 * refusal it is); what decodes is consistent with its code; the packet buffer is left as it came.
 * Replays the inputs under src/test/resources by default; {@code JAZZER_FUZZ=1} fuzzes (see README).
 */
class StartupPacketFuzzTest {

    @FuzzTest(maxDuration = "2m")
    void startupPacket(FuzzedDataProvider data) {
        int code = data.consumeBoolean() ? StartupPacket.PROTOCOL_3_0 + data.consumeInt(0, 3)
                : data.pickValue(new int[] {StartupPacket.CANCEL_REQUEST_CODE, StartupPacket.SSL_REQUEST_CODE,
                        StartupPacket.GSSENC_REQUEST_CODE, data.consumeInt()});
        byte[] body = data.consumeRemainingAsBytes();
        if (body.length + 8 > PgFrameDecoder.MAX_STARTUP_PACKET) {
            return; // the decoder refuses it before it is decoded
        }
        ByteBuf packet = Unpooled.buffer().writeInt(8 + body.length).writeInt(code).writeBytes(body);
        try {
            StartupPacket p;
            try {
                p = StartupPacket.decode(packet);
            } catch (ProtocolException e) {
                assertFalse(e.getMessage() == null || e.getMessage().isEmpty(), "an error must say what happened");
                return;
            } finally {
                assertEquals(0, packet.readerIndex(), "decode reads without consuming");
            }
            switch (p.kind()) {
                case CANCEL_REQUEST -> assertEquals(16, packet.readableBytes());
                case SSL_REQUEST -> assertEquals(StartupPacket.SSL_REQUEST_CODE, code);
                case GSSENC_REQUEST -> assertEquals(StartupPacket.GSSENC_REQUEST_CODE, code);
                case STARTUP -> {
                    assertEquals(3, p.majorVersion());
                    for (String option : p.protocolOptions()) {
                        assertTrue(option.startsWith("_pq_."));
                    }
                    for (Map.Entry<String, String> e : p.parameters().entrySet()) {
                        assertFalse(e.getKey().isEmpty(), "an empty name ends the packet");
                    }
                    try {
                        StartupParameters.from(p.parameters());
                    } catch (ProtocolException e) {
                        assertFalse(e.getMessage() == null || e.getMessage().isEmpty(), "an error must say what happened");
                    }
                }
                case TERMINATE -> throw new AssertionError("a packet with a length word is not a Terminate");
            }
        } finally {
            packet.release();
        }
    }
}
