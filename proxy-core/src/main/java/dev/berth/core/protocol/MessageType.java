package dev.berth.core.protocol;

import io.netty.buffer.ByteBuf;

/** Type bytes of the typed messages Berth looks at. Everything else is forwarded untouched. */
public final class MessageType {
    private MessageType() {
    }

    // frontend (client -> server)
    public static final byte QUERY = 'Q';
    public static final byte PARSE = 'P';
    public static final byte BIND = 'B';
    public static final byte DESCRIBE = 'D';
    public static final byte EXECUTE = 'E';
    public static final byte CLOSE = 'C';
    public static final byte SYNC = 'S';
    public static final byte FLUSH = 'H';
    public static final byte FUNCTION_CALL = 'F';
    public static final byte PASSWORD = 'p';
    public static final byte TERMINATE = 'X';

    // backend (server -> client)
    public static final byte AUTHENTICATION = 'R';
    public static final byte PARAMETER_STATUS = 'S';
    public static final byte BACKEND_KEY_DATA = 'K';
    public static final byte READY_FOR_QUERY = 'Z';
    public static final byte ERROR_RESPONSE = 'E';
    public static final byte NOTICE_RESPONSE = 'N';
    public static final byte NOTIFICATION_RESPONSE = 'A';
    public static final byte NEGOTIATE_PROTOCOL_VERSION = 'v';
    public static final byte PARAMETER_DESCRIPTION = 't';

    // authentication request codes inside 'R'
    public static final int AUTH_OK = 0;
    public static final int AUTH_CLEARTEXT_PASSWORD = 3;
    public static final int AUTH_MD5_PASSWORD = 5;
    public static final int AUTH_SASL = 10;
    public static final int AUTH_SASL_CONTINUE = 11;
    public static final int AUTH_SASL_FINAL = 12;

    /** The type byte of a framed message. */
    public static byte of(ByteBuf frame) {
        return frame.getByte(frame.readerIndex());
    }
}
