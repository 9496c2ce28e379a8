package dev.berth.core.protocol;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Fuzzes the ErrorResponse/NoticeResponse fields a server sends, as Berth decodes them, rewrites a statement
 * name in them (prepared statements in transaction pooling), and passes a decoded one on to a client (a
 * failed backend login). Properties: no exception; the rewritten frame is well framed and decodes to the
 * same fields with only the message changed; a decoded error encodes again to a well framed message; every
 * buffer is released. Replays the inputs under src/test/resources by default; {@code JAZZER_FUZZ=1} fuzzes.
 */
class ErrorResponseFuzzTest {
    private static final ByteBufAllocator ALLOC = UnpooledByteBufAllocator.DEFAULT;

    @FuzzTest(maxDuration = "2m")
    void serverError(FuzzedDataProvider data) {
        byte type = data.consumeBoolean() ? MessageType.ERROR_RESPONSE : MessageType.NOTICE_RESPONSE;
        // as Berth rewrites: its quoted server-side name to the client's quoted name
        String from = "\"" + data.consumeString(16) + "\"";
        String to = "\"" + data.consumeString(16) + "\"";
        byte[] body = data.consumeRemainingAsBytes();
        ByteBuf frame = Unpooled.buffer().writeByte(type).writeInt(4 + body.length).writeBytes(body);
        ByteBuf rewritten = null;
        ByteBuf encoded = null;
        try {
            ErrorResponse decoded = ErrorResponse.decode(frame);
            rewritten = ErrorResponse.replaceInMessage(ALLOC, frame, from, to);
            assertEquals(rewritten.readableBytes() - 1, rewritten.getInt(rewritten.readerIndex() + 1), "length");
            assertEquals(type, rewritten.getByte(rewritten.readerIndex()));
            ErrorResponse again = ErrorResponse.decode(rewritten);
            String message = decoded.message() == null ? null : decoded.message().replace(from, to);
            assertEquals(new ErrorResponse(decoded.severity(), decoded.sqlState(), message, decoded.detail(),
                    decoded.hint()), again);
            encoded = decoded.encode(ALLOC);
            assertEquals(encoded.readableBytes() - 1, encoded.getInt(encoded.readerIndex() + 1), "length");
            ErrorResponse passedOn = ErrorResponse.decode(encoded);
            assertEquals(decoded.message(), passedOn.message());
            assertEquals(decoded.sqlState(), passedOn.sqlState());
        } finally {
            frame.release();
            if (rewritten != null) {
                rewritten.release();
            }
            if (encoded != null) {
                encoded.release();
            }
        }
    }
}
