package dev.berth.core.session;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.UnpooledByteBufAllocator;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SetConfigRequestTest {

    @Test
    void oneStatementThenABindAndExecutePerParameterThenOneSync() {
        ByteBuf request = SetConfigRequest.set(UnpooledByteBufAllocator.DEFAULT,
                List.of(new ParameterSync.Change("application_name", "caf\u00e9 '\\"), new ParameterSync.Change("search_path", null)));
        try {
            StringBuilder types = new StringBuilder();
            while (request.isReadable()) {
                char type = (char) request.readByte();
                int length = request.readInt();
                types.append(type);
                if (type == 'B') {
                    ByteBuf bind = request.slice(request.readerIndex(), length - 4);
                    String text = bind.toString(StandardCharsets.ISO_8859_1);
                    assertTrue(text.startsWith("BERTH_set_config\0BERTH_set_config\0"), text);
                }
                if (type == 'P') {
                    String text = request.toString(request.readerIndex(), length - 4, StandardCharsets.UTF_8);
                    assertTrue(text.contains("pg_catalog.set_config(pg_catalog.convert_from($1, 'UTF8')"), text);
                }
                request.skipBytes(length - 4);
            }
            assertEquals("CPCBECBECS", types.toString());
        } finally {
            request.release();
        }
    }

    @Test
    void valuesTravelAsTheirUtf8BytesAndANullResets() {
        ByteBuf request = SetConfigRequest.set(UnpooledByteBufAllocator.DEFAULT,
                List.of(new ParameterSync.Change("x.y", "\u00c1\\'"), new ParameterSync.Change("x.z", null)));
        try {
            String hex = ByteBufUtil.hexDump(request);
            // name "x.y" (3 bytes), value Á\' (4 bytes) as binary parameters
            assertTrue(hex.contains("000100010002" + "00000003" + "782e79" + "00000004" + "c3815c27" + "0000"), hex);
            assertTrue(hex.contains("00000003" + "782e7a" + "ffffffff"), hex);
        } finally {
            request.release();
        }
    }
}
