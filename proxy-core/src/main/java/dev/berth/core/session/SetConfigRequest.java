package dev.berth.core.session;

import dev.berth.core.protocol.MessageType;
import dev.berth.core.protocol.Messages;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Berth's own extended-protocol request that sets parameters on a server: one prepared statement, one
 * Bind/Execute per parameter, one Sync, so one round trip. Names and values travel as binary bytea
 * parameters decoded from UTF-8 on the server ({@code convert_from}), so neither the server's
 * client_encoding nor its quoting settings (standard_conforming_strings, backslash_quote) left by the
 * previous client can change what they mean, and no value is ever read as SQL. Every name in the
 * statements is schema-qualified, so a search_path left behind cannot redirect them; the result is a
 * length, so no value has to be converted to the client's encoding on the way back.
 */
public final class SetConfigRequest {
    /** Berth's own statement and portal; closed before use, so one left by a failed request does no harm. */
    static final String NAME = "BERTH_set_config";
    private static final int BYTEA = 17;
    private static final String SET = "select pg_catalog.length(pg_catalog.set_config("
            + "pg_catalog.convert_from($1, 'UTF8'), pg_catalog.convert_from($2, 'UTF8'), false))";
    /**
     * After a client's RESET: only a parameter that is at its reset value now (its source is not this
     * session's) gets the client's startup value back, so a RESET that failed, was rolled back or was
     * followed by a SET changes nothing.
     */
    private static final String RESTORE = "select pg_catalog.length(pg_catalog.set_config(s.name,"
            + " pg_catalog.convert_from($2, 'UTF8'), false)) from pg_catalog.pg_settings s"
            + " where pg_catalog.lower(s.name) operator(pg_catalog.=) pg_catalog.lower(pg_catalog.convert_from($1, 'UTF8'))"
            + " and s.source operator(pg_catalog.<>) 'session'";

    private SetConfigRequest() {
    }

    /** Sets each parameter (a null value resets it). */
    public static ByteBuf set(ByteBufAllocator alloc, List<ParameterSync.Change> changes) {
        return encode(alloc, SET, changes);
    }

    /** Gives the parameters a client RESET their startup values back, where the RESET took effect. */
    public static ByteBuf restore(ByteBufAllocator alloc, List<ParameterSync.Change> changes) {
        return encode(alloc, RESTORE, changes);
    }

    private static ByteBuf encode(ByteBufAllocator alloc, String sql, List<ParameterSync.Change> changes) {
        ByteBuf buf = alloc.buffer(256 + 64 * changes.size());
        close(buf, 'S');
        int at = Messages.begin(buf, MessageType.PARSE);
        Messages.writeCString(buf, NAME);
        Messages.writeCString(buf, sql);
        buf.writeShort(2).writeInt(BYTEA).writeInt(BYTEA);
        Messages.end(buf, at);
        for (ParameterSync.Change change : changes) {
            close(buf, 'P');
            at = Messages.begin(buf, MessageType.BIND);
            Messages.writeCString(buf, NAME);
            Messages.writeCString(buf, NAME);
            buf.writeShort(1).writeShort(1); // every parameter binary
            buf.writeShort(2);
            writeBytes(buf, change.name());
            writeBytes(buf, change.value());
            buf.writeShort(0); // results as text: a length
            Messages.end(buf, at);
            at = Messages.begin(buf, MessageType.EXECUTE);
            Messages.writeCString(buf, NAME);
            buf.writeInt(0);
            Messages.end(buf, at);
        }
        close(buf, 'S');
        Messages.end(buf, Messages.begin(buf, MessageType.SYNC));
        return buf;
    }

    private static void close(ByteBuf buf, char kind) {
        int at = Messages.begin(buf, MessageType.CLOSE);
        buf.writeByte(kind);
        Messages.writeCString(buf, NAME);
        Messages.end(buf, at);
    }

    private static void writeBytes(ByteBuf buf, String value) {
        if (value == null) {
            buf.writeInt(-1);
            return;
        }
        byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        buf.writeInt(bytes.length);
        buf.writeBytes(bytes);
    }
}
