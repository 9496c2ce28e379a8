package dev.berth.core.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

import java.nio.charset.StandardCharsets;

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
        ByteBuf buf = alloc.buffer(64 + message.length());
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

    /** Decodes a framed ErrorResponse or NoticeResponse. */
    public static ErrorResponse decode(ByteBuf frame) {
        String severity = null, code = null, message = null, detail = null, hint = null, nonLocalized = null;
        int pos = frame.readerIndex() + 5;
        int end = frame.readerIndex() + 1 + frame.getInt(frame.readerIndex() + 1);
        while (pos < end) {
            byte field = frame.getByte(pos++);
            if (field == 0) {
                break;
            }
            int valueEnd = frame.indexOf(pos, end, (byte) 0);
            if (valueEnd < 0) {
                break;
            }
            String value = frame.toString(pos, valueEnd - pos, StandardCharsets.UTF_8);
            pos = valueEnd + 1;
            switch (field) {
                case 'S' -> severity = value;
                case 'V' -> nonLocalized = value;
                case 'C' -> code = value;
                case 'M' -> message = value;
                case 'D' -> detail = value;
                case 'H' -> hint = value;
                default -> { }
            }
        }
        return new ErrorResponse(nonLocalized != null ? nonLocalized : severity, code, message, detail, hint);
    }

    /**
     * A copy of a framed ErrorResponse with {@code from} replaced by {@code to} in its message field; every
     * other field is kept as it was.
     */
    public static ByteBuf replaceInMessage(ByteBufAllocator alloc, ByteBuf frame, String from, String to) {
        ByteBuf out = alloc.buffer(frame.readableBytes() + to.length());
        int start = Messages.begin(out, frame.getByte(frame.readerIndex()));
        int pos = frame.readerIndex() + 5;
        int end = frame.readerIndex() + 1 + frame.getInt(frame.readerIndex() + 1);
        while (pos < end) {
            byte field = frame.getByte(pos++);
            if (field == 0) {
                break;
            }
            int valueEnd = frame.indexOf(pos, end, (byte) 0);
            String value = frame.toString(pos, valueEnd - pos, StandardCharsets.UTF_8);
            out.writeByte(field);
            Messages.writeCString(out, field == 'M' ? value.replace(from, to) : value);
            pos = valueEnd + 1;
        }
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
