package dev.berth.core.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;

import java.util.Arrays;
import java.util.List;

/**
 * Splits a byte stream into PostgreSQL protocol frames, each emitted as a retained slice of the input
 * (no copy). A frame is the whole message including its header, so forwarding it means writing it as is.
 *
 * <p>On the client side the stream starts in the startup phase, where packets have no type byte
 * (StartupMessage, SSLRequest, GSSENCRequest, CancelRequest). The decoder leaves that phase by itself
 * once it has emitted a packet that is not an SSL/GSS negotiation, so a client that pipelines its first
 * messages after the StartupMessage is still framed correctly. After an SSL/GSS request it stops, so that
 * whoever answers it can see, through {@link #bufferedBytes()}, whether the client sent more before the
 * answer (bytes that must not be taken once TLS is agreed: they were not encrypted).
 *
 * <p>Until {@link #loginCompleted()} a client's typed messages may be at most {@link #MAX_LOGIN_MESSAGE}
 * bytes: before it has authenticated nobody gets to make Berth buffer a large message.
 */
public final class PgFrameDecoder extends ByteToMessageDecoder {
    /** PostgreSQL itself refuses startup packets above 10000 bytes. */
    public static final int MAX_STARTUP_PACKET = 10_000;
    /**
     * The largest message a client may send before its login completes. Authentication needs little:
     * PostgreSQL caps SASL messages at 1024 bytes (PG_MAX_SASL_MESSAGE_LENGTH); its 65535 for a password
     * packet (PG_MAX_AUTH_TOKEN_LENGTH) is sized for GSSAPI tokens, which Berth does not take. 8 KiB leaves
     * room for long cleartext tokens (cloud IAM tokens are 1-4 KB).
     */
    public static final int MAX_LOGIN_MESSAGE = 8192;

    /**
     * The least length of each server message Berth reads at a fixed offset (ReadyForQuery's status,
     * CommandComplete's tag, a notification's process id, BackendKeyData, an Authentication code); 4 for the
     * rest. Checked here, once, so that the code that reads them can trust the frame.
     */
    private static final int[] MIN_SERVER_LENGTH = new int[256];

    static {
        Arrays.fill(MIN_SERVER_LENGTH, 4);
        MIN_SERVER_LENGTH[MessageType.READY_FOR_QUERY] = 5;
        MIN_SERVER_LENGTH['C'] = 5;
        MIN_SERVER_LENGTH[MessageType.NOTIFICATION_RESPONSE] = 8;
        MIN_SERVER_LENGTH[MessageType.BACKEND_KEY_DATA] = 12;
        MIN_SERVER_LENGTH[MessageType.AUTHENTICATION] = 8;
    }

    private final int maxMessageSize;
    private final boolean server;
    private int limit;
    private boolean startupPhase;
    private boolean failed;

    private PgFrameDecoder(boolean startupPhase, int maxMessageSize) {
        this.startupPhase = startupPhase;
        this.server = !startupPhase;
        this.maxMessageSize = maxMessageSize;
        this.limit = startupPhase ? Math.min(MAX_LOGIN_MESSAGE, maxMessageSize) : maxMessageSize;
    }

    /** For connections accepted from clients: begins with the untyped startup packets. */
    public static PgFrameDecoder forClient(int maxMessageSize) {
        return new PgFrameDecoder(true, maxMessageSize);
    }

    /** The client has logged in: from now on it may send messages up to the maximum message size. */
    public void loginCompleted() {
        limit = maxMessageSize;
    }

    /** Bytes received and not yet framed: read when an SSLRequest is answered. */
    public int bufferedBytes() {
        return actualReadableBytes();
    }

    /** For connections Berth opens to PostgreSQL: every message is typed. */
    public static PgFrameDecoder forServer(int maxMessageSize) {
        return new PgFrameDecoder(false, maxMessageSize);
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (failed) {
            in.skipBytes(in.readableBytes());
            return;
        }
        while (true) {
            int start = in.readerIndex();
            if (startupPhase) {
                if (in.readableBytes() < 4) {
                    return;
                }
                if (in.getByte(start) == MessageType.TERMINATE) {
                    // a Terminate before any startup packet ('X' makes the length word far too large)
                    if (in.readableBytes() < 5) {
                        return;
                    }
                    if (in.getInt(start + 1) == 4) {
                        out.add(in.readRetainedSlice(5)); // StartupPacket.Kind.TERMINATE: a silent close
                        return;
                    }
                }
                int length = in.getInt(start);
                if (length < 8 || length > MAX_STARTUP_PACKET) {
                    fail(in, "invalid startup packet length " + length);
                }
                if (in.readableBytes() < length) {
                    return;
                }
                int code = in.getInt(start + 4);
                out.add(in.readRetainedSlice(length));
                if (code == StartupPacket.SSL_REQUEST_CODE || code == StartupPacket.GSSENC_REQUEST_CODE) {
                    return; // its answer decides how the rest of the stream is read
                }
                startupPhase = false;
            } else {
                if (in.readableBytes() < 5) {
                    return;
                }
                int length = in.getInt(start + 1);
                if (length < 4 || (server && length < minServerLength(in.getByte(start)))) {
                    fail(in, "invalid message length " + length + " for message type '" + printable(in.getByte(start)) + "'");
                }
                if (length > limit) {
                    fail(in, "message of type '" + printable(in.getByte(start)) + "' is " + length
                            + " bytes, above the maximum of " + limit + " bytes"
                            + (limit < maxMessageSize ? " before login completes" : " (--max-message-size)"));
                }
                if (in.readableBytes() < length + 1) {
                    return;
                }
                out.add(in.readRetainedSlice(length + 1));
            }
        }
    }

    /** The least length of a server message of this type (see {@link #MIN_SERVER_LENGTH}). */
    public static int minServerLength(byte type) {
        return MIN_SERVER_LENGTH[type & 0xff];
    }

    private void fail(ByteBuf in, String message) {
        failed = true;
        in.skipBytes(in.readableBytes());
        throw new ProtocolException(message);
    }

    private static String printable(byte b) {
        return b >= 32 && b < 127 ? String.valueOf((char) b) : String.format("\\x%02x", b & 0xff);
    }
}
