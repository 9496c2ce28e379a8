package dev.berth.core.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Encoders for the few messages Berth writes itself: its side of authentication, the login greeting,
 * and its own queries to servers. Everything else is forwarded as the bytes that arrived.
 */
public final class Messages {
    private Messages() {
    }

    /** SSLRequest / GSSENCRequest refusal: a single 'N' byte. */
    public static final ByteBuf NO_ENCRYPTION = Unpooled.unreleasableBuffer(
            Unpooled.wrappedBuffer(new byte[] {'N'}).asReadOnly());
    /** The answer to an SSLRequest when TLS follows. */
    public static final ByteBuf ENCRYPTION_ACCEPTED = Unpooled.unreleasableBuffer(
            Unpooled.wrappedBuffer(new byte[] {'S'}).asReadOnly());
    public static final ByteBuf AUTHENTICATION_OK = constant(alloc -> authentication(alloc, MessageType.AUTH_OK));
    public static final ByteBuf AUTHENTICATION_CLEARTEXT =
            constant(alloc -> authentication(alloc, MessageType.AUTH_CLEARTEXT_PASSWORD));
    public static final ByteBuf PARSE_COMPLETE = constant(alloc -> empty(alloc, (byte) '1'));
    public static final ByteBuf CLOSE_COMPLETE = constant(alloc -> empty(alloc, (byte) '3'));
    public static final ByteBuf SYNC = constant(alloc -> empty(alloc, MessageType.SYNC));
    public static final ByteBuf TERMINATE = constant(alloc -> {
        ByteBuf buf = alloc.buffer(5);
        Messages.end(buf, Messages.begin(buf, MessageType.TERMINATE));
        return buf;
    });

    private static ByteBuf constant(Function<ByteBufAllocator, ByteBuf> encoder) {
        return Unpooled.unreleasableBuffer(encoder.apply(UnpooledByteBufAllocator.DEFAULT).asReadOnly());
    }

    private static ByteBuf empty(ByteBufAllocator alloc, byte type) {
        ByteBuf buf = alloc.buffer(5);
        end(buf, begin(buf, type));
        return buf;
    }

    /** Writes a type byte and a length placeholder; returns the position to backfill with {@link #end}. */
    public static int begin(ByteBuf buf, byte type) {
        buf.writeByte(type);
        int lengthAt = buf.writerIndex();
        buf.writeInt(0);
        return lengthAt;
    }

    /** Backfills the length written as a placeholder by {@link #begin}. */
    public static void end(ByteBuf buf, int lengthAt) {
        buf.setInt(lengthAt, buf.writerIndex() - lengthAt);
    }

    public static void writeCString(ByteBuf buf, String value) {
        ByteBufUtil.writeUtf8(buf, value);
        buf.writeByte(0);
    }

    public static ByteBuf authentication(ByteBufAllocator alloc, int code) {
        ByteBuf buf = alloc.buffer(9);
        int start = begin(buf, MessageType.AUTHENTICATION);
        buf.writeInt(code);
        end(buf, start);
        return buf;
    }

    public static ByteBuf authenticationMd5(ByteBufAllocator alloc, byte[] salt) {
        ByteBuf buf = alloc.buffer(13);
        int start = begin(buf, MessageType.AUTHENTICATION);
        buf.writeInt(MessageType.AUTH_MD5_PASSWORD);
        buf.writeBytes(salt);
        end(buf, start);
        return buf;
    }

    public static ByteBuf authenticationSasl(ByteBufAllocator alloc, String mechanism) {
        ByteBuf buf = alloc.buffer(32);
        int start = begin(buf, MessageType.AUTHENTICATION);
        buf.writeInt(MessageType.AUTH_SASL);
        writeCString(buf, mechanism);
        buf.writeByte(0);
        end(buf, start);
        return buf;
    }

    /** AuthenticationSASLContinue (11) or AuthenticationSASLFinal (12). */
    public static ByteBuf authenticationSaslData(ByteBufAllocator alloc, int code, String data) {
        ByteBuf buf = alloc.buffer(16 + data.length());
        int start = begin(buf, MessageType.AUTHENTICATION);
        buf.writeInt(code);
        buf.writeCharSequence(data, StandardCharsets.UTF_8);
        end(buf, start);
        return buf;
    }

    public static ByteBuf parameterStatus(ByteBufAllocator alloc, String name, String value) {
        ByteBuf buf = alloc.buffer(8 + name.length() + value.length());
        int start = begin(buf, MessageType.PARAMETER_STATUS);
        writeCString(buf, name);
        writeCString(buf, value);
        end(buf, start);
        return buf;
    }

    public static ByteBuf backendKeyData(ByteBufAllocator alloc, int processId, int secretKey) {
        ByteBuf buf = alloc.buffer(13);
        int start = begin(buf, MessageType.BACKEND_KEY_DATA);
        buf.writeInt(processId);
        buf.writeInt(secretKey);
        end(buf, start);
        return buf;
    }

    public static ByteBuf readyForQuery(ByteBufAllocator alloc, byte status) {
        ByteBuf buf = alloc.buffer(6);
        int start = begin(buf, MessageType.READY_FOR_QUERY);
        buf.writeByte(status);
        end(buf, start);
        return buf;
    }

    /** Tells a client that asked for protocol 3.x (x &gt; 0) or _pq_ options that Berth speaks 3.0. */
    public static ByteBuf negotiateProtocolVersion(ByteBufAllocator alloc, List<String> unsupported) {
        ByteBuf buf = alloc.buffer(16);
        int start = begin(buf, MessageType.NEGOTIATE_PROTOCOL_VERSION);
        buf.writeInt(StartupPacket.PROTOCOL_3_0);
        buf.writeInt(unsupported.size());
        for (String option : unsupported) {
            writeCString(buf, option);
        }
        end(buf, start);
        return buf;
    }

    // ---- frontend messages Berth sends to servers ----

    public static ByteBuf startupMessage(ByteBufAllocator alloc, Map<String, String> parameters) {
        ByteBuf buf = alloc.buffer(128);
        buf.writeInt(0);
        buf.writeInt(StartupPacket.PROTOCOL_3_0);
        parameters.forEach((name, value) -> {
            writeCString(buf, name);
            writeCString(buf, value);
        });
        buf.writeByte(0);
        buf.setInt(0, buf.writerIndex());
        return buf;
    }

    public static ByteBuf cancelRequest(ByteBufAllocator alloc, int processId, int secretKey) {
        ByteBuf buf = alloc.buffer(16);
        buf.writeInt(16);
        buf.writeInt(StartupPacket.CANCEL_REQUEST_CODE);
        buf.writeInt(processId);
        buf.writeInt(secretKey);
        return buf;
    }

    public static ByteBuf query(ByteBufAllocator alloc, String sql) {
        ByteBuf buf = alloc.buffer(6 + sql.length() * 2);
        int start = begin(buf, MessageType.QUERY);
        writeCString(buf, sql);
        end(buf, start);
        return buf;
    }

    /** PasswordMessage carrying a cleartext password or an md5 response. */
    public static ByteBuf passwordMessage(ByteBufAllocator alloc, String password) {
        ByteBuf buf = alloc.buffer(6 + password.length() * 2);
        int start = begin(buf, MessageType.PASSWORD);
        writeCString(buf, password);
        end(buf, start);
        return buf;
    }

    public static ByteBuf saslInitialResponse(ByteBufAllocator alloc, String mechanism, String data) {
        byte[] bytes = data.getBytes(StandardCharsets.UTF_8);
        ByteBuf buf = alloc.buffer(16 + mechanism.length() + bytes.length);
        int start = begin(buf, MessageType.PASSWORD);
        writeCString(buf, mechanism);
        buf.writeInt(bytes.length);
        buf.writeBytes(bytes);
        end(buf, start);
        return buf;
    }

    public static ByteBuf saslResponse(ByteBufAllocator alloc, String data) {
        byte[] bytes = data.getBytes(StandardCharsets.UTF_8);
        ByteBuf buf = alloc.buffer(5 + bytes.length);
        int start = begin(buf, MessageType.PASSWORD);
        buf.writeBytes(bytes);
        end(buf, start);
        return buf;
    }

    // ---- readers for fields of framed messages ----

    /** The payload of a framed message (after type and length), as a slice sharing the frame's memory. */
    public static ByteBuf payload(ByteBuf frame) {
        return frame.slice(frame.readerIndex() + 5, frame.readableBytes() - 5);
    }

    /**
     * Whether a framed Parse names the unnamed statement: seen from the name's first byte, with no slice and no
     * String (drivers send it on every query).
     */
    public static boolean parsesUnnamed(ByteBuf frame) {
        return frame.readableBytes() > 5 && frame.getByte(frame.readerIndex() + 5) == 0;
    }

    /** Reads a NUL-terminated string at the reader index of {@code buf} and advances past it. */
    public static String readCString(ByteBuf buf) {
        int end = buf.indexOf(buf.readerIndex(), buf.writerIndex(), (byte) 0);
        if (end < 0) {
            throw new ProtocolException("string is not NUL-terminated");
        }
        String value = buf.toString(buf.readerIndex(), end - buf.readerIndex(), StandardCharsets.UTF_8);
        buf.readerIndex(end + 1);
        return value;
    }
}
