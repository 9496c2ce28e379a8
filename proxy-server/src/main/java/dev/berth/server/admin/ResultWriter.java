package dev.berth.server.admin;

import dev.berth.core.protocol.Messages;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;

import java.nio.charset.StandardCharsets;
import java.util.List;

/** Writes the admin console's answers: rows of text columns, command tags, the empty-query answer. */
final class ResultWriter {
    private ResultWriter() {
    }

    /** RowDescription (text columns), a DataRow per row, CommandComplete "SHOW". */
    static void rows(ChannelHandlerContext ctx, List<String> columns, List<List<Object>> rows) {
        ByteBuf desc = ctx.alloc().buffer(32 * columns.size());
        int start = Messages.begin(desc, (byte) 'T');
        desc.writeShort(columns.size());
        for (String column : columns) {
            Messages.writeCString(desc, column);
            desc.writeInt(0).writeShort(0).writeInt(25).writeShort(-1).writeInt(-1).writeShort(0); // text
        }
        Messages.end(desc, start);
        ctx.write(desc);
        for (List<Object> row : rows) {
            ByteBuf data = ctx.alloc().buffer(64);
            int at = Messages.begin(data, (byte) 'D');
            data.writeShort(row.size());
            for (Object value : row) {
                byte[] bytes = String.valueOf(value).getBytes(StandardCharsets.UTF_8);
                data.writeInt(bytes.length).writeBytes(bytes);
            }
            Messages.end(data, at);
            ctx.write(data);
        }
        complete(ctx, "SHOW");
    }

    /** CommandComplete with this tag. */
    static void complete(ChannelHandlerContext ctx, String tag) {
        ByteBuf buf = ctx.alloc().buffer(16);
        int start = Messages.begin(buf, (byte) 'C');
        Messages.writeCString(buf, tag);
        Messages.end(buf, start);
        ctx.write(buf);
    }

    /** EmptyQueryResponse. */
    static void emptyQuery(ChannelHandlerContext ctx) {
        ByteBuf buf = ctx.alloc().buffer(5);
        Messages.end(buf, Messages.begin(buf, (byte) 'I'));
        ctx.write(buf);
    }
}
