package dev.berth.bench;

import dev.berth.core.protocol.Messages;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/** PostgreSQL protocol messages as bytes (type byte, int32 length including itself, payload), as pgbench and pgjdbc exchange them. */
public final class Pg {
    private Pg() {
    }

    public static final String PGBENCH_SELECT = "SELECT abalance FROM pgbench_accounts WHERE aid = $1";
    public static final int INT4 = 23;

    /** One message: type byte, length placeholder, the body, length backfilled (Messages.begin/end). */
    public static byte[] message(char type, Consumer<ByteBuf> body) {
        ByteBuf buf = Unpooled.buffer();
        int start = Messages.begin(buf, (byte) type);
        body.accept(buf);
        Messages.end(buf, start);
        return bytes(buf);
    }

    private static byte[] bytes(ByteBuf buf) {
        try {
            return ByteBufUtil.getBytes(buf);
        } finally {
            buf.release();
        }
    }

    // ---- backend ----

    /** RowDescription of pgbench -S: one int4 column "abalance" of pgbench_accounts. */
    public static byte[] rowDescription() {
        return message('T', b -> {
            b.writeShort(1);
            Messages.writeCString(b, "abalance");
            b.writeInt(16_397).writeShort(3); // table OID, column number
            b.writeInt(INT4).writeShort(4).writeInt(-1).writeShort(0); // type, size, typmod, text format
        });
    }

    public static byte[] dataRow(String value) {
        return message('D', b -> b.writeShort(1).writeInt(value.length()).writeBytes(value.getBytes()));
    }

    public static byte[] commandComplete(String tag) {
        return message('C', b -> Messages.writeCString(b, tag));
    }

    public static byte[] readyForQuery(char status) {
        return bytes(Messages.readyForQuery(UnpooledByteBufAllocator.DEFAULT, (byte) status));
    }

    public static byte[] empty(char type) {
        return message(type, b -> { });
    }

    /** The answer to one SELECT returning {@code rows} rows: T, rows x D, C, Z('I'). */
    public static List<byte[]> selectResponse(int rows) {
        List<byte[]> messages = new ArrayList<>();
        messages.add(rowDescription());
        for (int i = 0; i < rows; i++) {
            messages.add(dataRow(String.valueOf(-2 * i)));
        }
        messages.add(commandComplete("SELECT " + rows));
        messages.add(readyForQuery('I'));
        return messages;
    }

    // ---- frontend ----

    public static byte[] parse(String name, String sql, int... types) {
        return message('P', b -> {
            Messages.writeCString(b, name);
            Messages.writeCString(b, sql);
            b.writeShort(types.length);
            for (int t : types) {
                b.writeInt(t);
            }
        });
    }

    /** Bind as pgjdbc sends it for setInt(1, aid): one binary int4 parameter, binary results. */
    public static byte[] bind(String portal, String statement, int aid) {
        return message('B', b -> {
            Messages.writeCString(b, portal);
            Messages.writeCString(b, statement);
            b.writeShort(1).writeShort(1); // parameter formats: binary
            b.writeShort(1).writeInt(4).writeInt(aid);
            b.writeShort(1).writeShort(1); // result formats: binary
        });
    }

    public static byte[] execute(String portal) {
        return message('E', b -> {
            Messages.writeCString(b, portal);
            b.writeInt(0);
        });
    }

    public static byte[] sync() {
        return empty('S');
    }
}
