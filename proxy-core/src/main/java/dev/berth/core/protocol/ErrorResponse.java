package dev.berth.core.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * An ErrorResponse (or NoticeResponse) as Berth sends it, or as decoded from a server: only the fields
 * Berth needs (severity, SQLSTATE, message, detail, hint).
 */
public record ErrorResponse(String severity, String sqlState, String message, String detail, String hint) {

    public static ErrorResponse fatal(String sqlState, String message) {
        return new ErrorResponse("FATAL", sqlState, message, null, null);
    }

    public static ErrorResponse error(String sqlState, String message) {
        return new ErrorResponse("ERROR", sqlState, message, null, null);
    }

    /** A NoticeResponse carrying information (SQLSTATE 00000). */
    public static ErrorResponse notice(String message) {
        return new ErrorResponse("NOTICE", "00000", message, null, null);
    }

    public ErrorResponse withHint(String newHint) {
        return new ErrorResponse(severity, sqlState, message, detail, newHint);
    }

    public boolean isFatal() {
        return "FATAL".equals(severity) || "PANIC".equals(severity);
    }

    public ByteBuf encode(ByteBufAllocator alloc) {
        return encode(alloc, MessageType.ERROR_RESPONSE);
    }

    public ByteBuf encodeAsNotice(ByteBufAllocator alloc) {
        return encode(alloc, MessageType.NOTICE_RESPONSE);
    }

    private ByteBuf encode(ByteBufAllocator alloc, byte type) {
        // a decoded error may lack any field (a server's own choice): passed on as it came
        ByteBuf buf = alloc.buffer(64 + (message == null ? 0 : message.length()));
        int start = Messages.begin(buf, type);
        field(buf, 'S', severity);
        field(buf, 'V', severity);
        field(buf, 'C', sqlState);
        field(buf, 'M', message);
        field(buf, 'D', detail);
        field(buf, 'H', hint);
        buf.writeByte(0);
        Messages.end(buf, start);
        return buf;
    }

    private static void field(ByteBuf buf, char code, String value) {
        if (value != null) {
            buf.writeByte(code);
            Messages.writeCString(buf, value);
        }
    }

    /** Calls {@code visitor} with each (field code, value) of a framed ErrorResponse or NoticeResponse. */
    private static void forEachField(ByteBuf frame, BiConsumer<Character, String> visitor) {
        int pos = frame.readerIndex() + 5;
        int end = frame.readerIndex() + 1 + frame.getInt(frame.readerIndex() + 1);
        while (pos < end) {
            byte field = frame.getByte(pos++);
            int valueEnd = field == 0 ? -1 : frame.indexOf(pos, end, (byte) 0);
            if (valueEnd < 0) {
                return;
            }
            visitor.accept((char) field, frame.toString(pos, valueEnd - pos, StandardCharsets.UTF_8));
            pos = valueEnd + 1;
        }
    }

    /** Decodes a framed ErrorResponse or NoticeResponse. */
    public static ErrorResponse decode(ByteBuf frame) {
        Map<Character, String> fields = new HashMap<>();
        forEachField(frame, fields::put);
        String severity = fields.getOrDefault('V', fields.get('S')); // V is never localized
        return new ErrorResponse(severity, fields.get('C'), fields.get('M'), fields.get('D'), fields.get('H'));
    }

    /**
     * A copy of a framed ErrorResponse with {@code from} replaced by {@code to} in its message field; every
     * other field is kept as it was.
     */
    public static ByteBuf replaceInMessage(ByteBufAllocator alloc, ByteBuf frame, String from, String to) {
        ByteBuf out = alloc.buffer(frame.readableBytes() + to.length());
        int start = Messages.begin(out, frame.getByte(frame.readerIndex()));
        forEachField(frame, (field, value) -> {
            out.writeByte(field);
            Messages.writeCString(out, field == 'M' ? value.replace(from, to) : value);
        });
        out.writeByte(0);
        Messages.end(out, start);
        return out;
    }

    /** The SQLSTATE of a framed ErrorResponse, without decoding the rest. */
    public static String sqlState(ByteBuf frame) {
        return decode(frame).sqlState();
    }

    @Override
    public String toString() {
        return severity + " " + sqlState + " " + message;
    }
}
