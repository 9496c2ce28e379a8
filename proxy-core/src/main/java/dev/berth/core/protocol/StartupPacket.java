package dev.berth.core.protocol;

import io.netty.buffer.ByteBuf;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An untyped packet of the startup phase: StartupMessage, SSLRequest, GSSENCRequest or CancelRequest; or a
 * Terminate sent before any of them (a driver that connects and ends at once), which is closed silently.
 */
public record StartupPacket(Kind kind, int protocolVersion, Map<String, String> parameters,
                            List<String> protocolOptions, int cancelProcessId, int cancelSecretKey) {

    public static final int PROTOCOL_3_0 = 196608;
    public static final int CANCEL_REQUEST_CODE = 80877102;
    public static final int SSL_REQUEST_CODE = 80877103;
    public static final int GSSENC_REQUEST_CODE = 80877104;

    public enum Kind { STARTUP, SSL_REQUEST, GSSENC_REQUEST, CANCEL_REQUEST, TERMINATE }

    public int majorVersion() {
        return protocolVersion >>> 16;
    }

    public int minorVersion() {
        return protocolVersion & 0xffff;
    }

    /** Decodes a whole packet as framed by {@link PgFrameDecoder} (length word included). */
    public static StartupPacket decode(ByteBuf packet) {
        int base = packet.readerIndex();
        if (packet.readableBytes() == 5 && packet.getByte(base) == MessageType.TERMINATE) {
            return new StartupPacket(Kind.TERMINATE, 0, Map.of(), List.of(), 0, 0);
        }
        int length = packet.getInt(base);
        int code = packet.getInt(base + 4);
        switch (code) {
            case SSL_REQUEST_CODE:
                return new StartupPacket(Kind.SSL_REQUEST, code, Map.of(), List.of(), 0, 0);
            case GSSENC_REQUEST_CODE:
                return new StartupPacket(Kind.GSSENC_REQUEST, code, Map.of(), List.of(), 0, 0);
            case CANCEL_REQUEST_CODE:
                if (length != 16) {
                    throw new ProtocolException("invalid cancel request length " + length);
                }
                return new StartupPacket(Kind.CANCEL_REQUEST, code, Map.of(), List.of(),
                        packet.getInt(base + 8), packet.getInt(base + 12));
            default:
                break;
        }
        if ((code >>> 16) != 3) {
            throw new UnsupportedProtocolException(code);
        }
        Map<String, String> params = new LinkedHashMap<>();
        List<String> options = new ArrayList<>();
        int pos = base + 8;
        int end = base + length;
        boolean terminated = false;
        while (pos < end) {
            int nameEnd = packet.indexOf(pos, end, (byte) 0);
            if (nameEnd < 0) {
                throw new ProtocolException("startup packet is not terminated");
            }
            if (nameEnd == pos) {
                terminated = true;
                pos++;
                if (pos != end) {
                    throw new ProtocolException("startup packet has data after its terminator");
                }
                break;
            }
            String name = packet.toString(pos, nameEnd - pos, StandardCharsets.UTF_8);
            int valueEnd = packet.indexOf(nameEnd + 1, end, (byte) 0);
            if (valueEnd < 0) {
                throw new ProtocolException("startup parameter \"" + name + "\" has no value");
            }
            String value = packet.toString(nameEnd + 1, valueEnd - nameEnd - 1, StandardCharsets.UTF_8);
            if (name.startsWith("_pq_.")) {
                options.add(name);
            } else {
                params.put(name, value);
            }
            pos = valueEnd + 1;
        }
        if (!terminated || pos != end) {
            throw new ProtocolException("startup packet is not terminated");
        }
        return new StartupPacket(Kind.STARTUP, code, Collections.unmodifiableMap(params),
                List.copyOf(options), 0, 0);
    }

    /** A startup packet asked for a protocol major version other than 3. */
    public static final class UnsupportedProtocolException extends ProtocolException {
        public final int requested;

        UnsupportedProtocolException(int requested) {
            super("unsupported frontend protocol " + (requested >>> 16) + "." + (requested & 0xffff)
                    + ": server supports 3.0 to 3.0");
            this.requested = requested;
        }
    }
}
