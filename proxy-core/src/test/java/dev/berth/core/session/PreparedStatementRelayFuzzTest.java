package dev.berth.core.session;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.berth.core.prepared.ClientStatements;
import dev.berth.core.prepared.PreparedStatementMetrics;
import dev.berth.core.prepared.PreparedStatementRegistry;
import dev.berth.core.prepared.ServerStatements;
import dev.berth.core.protocol.ErrorResponse;
import dev.berth.core.protocol.Messages;
import dev.berth.core.protocol.PgFrameDecoder;
import dev.berth.core.protocol.ProtocolException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fuzzes transaction pooling's message translation with what both sides may send: client messages
 * (well-formed Parse/Bind/Describe/Close/Execute/Sync/Query over a few names, or any bytes under any type)
 * interleaved with server messages (the responses Berth interprets: ParseComplete, BindComplete,
 * CloseComplete, CommandComplete tags, ReadyForQuery, ErrorResponse, or any bytes under any type), on two
 * servers a client moves between. Properties: only {@link ProtocolException} escapes (a malformed client
 * message; the connection then closes); every frame either side sent is released, whatever happened; every
 * frame the relay writes is well framed. Replays the inputs under src/test/resources by default;
 * {@code JAZZER_FUZZ=1} fuzzes (see README).
 */
class PreparedStatementRelayFuzzTest {
    private static final ByteBufAllocator ALLOC = UnpooledByteBufAllocator.DEFAULT;
    private static final String[] NAMES = {"", "a", "b", "BERTH_1", "BERTH_2?"};
    private static final String[] QUERIES = {"select 1", "select $1::int", "selec", "DISCARD ALL"};
    private static final String[] TAGS = {"SELECT 1", "DISCARD ALL", "DEALLOCATE ALL", "CREATE TABLE", "DO", "ALTER"};
    private static final String[] STATES = {"26000", "42P05", "22012", "0A000"};
    private static final byte[] TYPES = {'P', 'B', 'D', 'C', 'E', 'S', 'H', 'Q', 'F', 'd', 'c', 'f', 'X',
                                         '1', '2', '3', 'T', 'n', 'I', 's', 'Z', 'N', 'A', 't', 'D', 'G', 'W'};

    @FuzzTest(maxDuration = "2m")
    void clientAndServerMessages(FuzzedDataProvider data) {
        List<ByteBuf> created = new ArrayList<>();
        PreparedStatementRegistry registry = new PreparedStatementRegistry(1 << 16, new AtomicLong());
        ClientStatements client = new ClientStatements();
        PreparedStatementRelay[] servers = new PreparedStatementRelay[2];
        for (int i = 0; i < servers.length; i++) {
            servers[i] = new PreparedStatementRelay(new ServerStatements(data.consumeInt(1, 4)), ALLOC, NO_METRICS);
        }
        int current = 0;
        servers[current].attach(client, registry);
        Output out = new Output();
        try {
            while (data.remainingBytes() > 0) {
                PreparedStatementRelay relay = servers[current];
                switch (data.consumeInt(0, 9)) {
                    case 0, 1, 2, 3 -> relay.fromClient(track(created, clientMessage(data)), out);
                    case 4, 5, 6, 7 -> relay.fromServer(track(created, serverMessage(data)), out);
                    case 8 -> relay.reject(track(created, message('Q', b -> Messages.writeCString(b, "LISTEN x"))),
                            track(created, ErrorResponse.error("0A000", "no").encode(ALLOC)), out);
                    default -> {
                        if (relay.isEmpty()) { // the client moves to the other server once this one is at rest
                            relay.detach();
                            current = 1 - current;
                            servers[current].attach(client, registry);
                        }
                    }
                }
            }
        } catch (ProtocolException e) {
            // a malformed client message: the client is disconnected
        } finally {
            for (PreparedStatementRelay relay : servers) {
                relay.detach();
                relay.close();
            }
        }
        for (int i = 0; i < created.size(); i++) {
            assertEquals(0, created.get(i).refCnt(), "frame " + i + " was not released");
        }
    }

    private static ByteBuf clientMessage(FuzzedDataProvider data) {
        return switch (data.consumeInt(0, 8)) {
            case 0 -> message('P', b -> {
                Messages.writeCString(b, data.pickValue(NAMES));
                Messages.writeCString(b, data.pickValue(QUERIES));
                int types = data.consumeInt(0, 2);
                b.writeShort(types);
                for (int i = 0; i < types; i++) {
                    b.writeInt(23);
                }
            });
            case 1 -> message('B', b -> {
                Messages.writeCString(b, data.consumeBoolean() ? "" : "p");
                Messages.writeCString(b, data.pickValue(NAMES));
                b.writeShort(0).writeShort(1).writeInt(1).writeByte('7').writeShort(0);
            });
            case 2, 3 -> message(data.consumeBoolean() ? 'D' : 'C', b -> {
                b.writeByte(data.consumeBoolean() ? 'S' : 'P');
                Messages.writeCString(b, data.pickValue(NAMES));
            });
            case 4 -> message('E', b -> b.writeByte(0).writeInt(0));
            case 5, 6 -> message('S', b -> { });
            case 7 -> message('Q', b -> Messages.writeCString(b, data.pickValue(QUERIES)));
            default -> raw(data, false);
        };
    }

    private static ByteBuf serverMessage(FuzzedDataProvider data) {
        return switch (data.consumeInt(0, 8)) {
            case 0 -> message('1', b -> { });
            case 1 -> message('2', b -> { });
            case 2 -> message('3', b -> { });
            case 3 -> message('C', b -> Messages.writeCString(b, data.pickValue(TAGS)));
            case 4, 5 -> message('Z', b -> b.writeByte(data.pickValue(new byte[] {'I', 'T', 'E'})));
            case 6 -> ErrorResponse.error(data.pickValue(STATES), "prepared statement \"" + data.pickValue(NAMES)
                    + "\" " + data.consumeString(8)).encode(ALLOC);
            case 7 -> message(data.pickValue(new byte[] {'T', 'n', 'D', 'I', 's', 'N', 'S'}), b -> b.writeShort(0));
            default -> raw(data, true);
        };
    }

    /** Any bytes under any type, framed as the decoder frames them (a server's at least as long as it checks). */
    private static ByteBuf raw(FuzzedDataProvider data, boolean fromServer) {
        byte type = data.pickValue(TYPES);
        byte[] body = data.consumeBytes(data.consumeInt(0, 24));
        int least = fromServer ? PgFrameDecoder.minServerLength(type) - 4 : 0;
        return message(type, b -> b.writeBytes(body).writeZero(Math.max(0, least - body.length)));
    }

    private static ByteBuf message(int type, Consumer<ByteBuf> body) {
        ByteBuf buf = Unpooled.buffer();
        int start = Messages.begin(buf, (byte) type);
        body.accept(buf);
        Messages.end(buf, start);
        return buf;
    }

    private static ByteBuf track(List<ByteBuf> created, ByteBuf frame) {
        created.add(frame);
        return frame;
    }

    private static final PreparedStatementMetrics NO_METRICS = new PreparedStatementMetrics() {
        @Override
        public void reprepared() {
        }

        @Override
        public void evicted() {
        }
    };

    /** Checks and releases what the relay writes. */
    private static final class Output implements PreparedStatementRelay.Output {
        @Override
        public void toServer(ByteBuf frame) {
            check(frame);
        }

        @Override
        public void toClient(ByteBuf frame) {
            check(frame);
        }

        private static void check(ByteBuf frame) {
            try {
                assertTrue(frame.readableBytes() >= 5, "a frame of " + frame.readableBytes() + " bytes");
                assertEquals(frame.readableBytes() - 1, frame.getInt(frame.readerIndex() + 1), "length");
            } finally {
                frame.release();
            }
        }
    }
}
