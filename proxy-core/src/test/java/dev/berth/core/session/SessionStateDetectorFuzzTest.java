package dev.berth.core.session;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

import java.nio.charset.StandardCharsets;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fuzzes the session-state reading of Query and Parse texts: the byte-level keyword check, the lexer and the
 * detector, with arbitrary text around words that matter. Properties: nothing throws, whatever the text
 * (unterminated literals, comments, dollar quotes, Unicode escapes); the keyword check never lets pass a
 * text in which the detector finds an effect; an effect's parts are consistent. Replays the inputs under
 * src/test/resources by default; {@code JAZZER_FUZZ=1} fuzzes (see README).
 */
class SessionStateDetectorFuzzTest {
    private static final String[] WORDS = {"set ", "SET LOCAL ", "reset ", "all", "role", "session ",
            "authorization ", "select ", "set_config(", "'a'", "false", "true", ")", ";", "'", "\"", "$$", "$q$",
            "--", "/*", "*/", "E'", "U&\"", "\\", "UESCAPE '!'", " to ", "=", "default", "listen ", "prepare ",
            "BERTH_1", "execute ", "deallocate ", "discard ", "temp ", "create ", "pg_temp.", "pg_catalog.", "do ",
            "begin", "commit", "pg_advisory_lock(1)", "declare c cursor with hold for ", "load ", "close all",
            "unlisten *", "search_path", "application_name", "TimeZone", " ", "\n", "\u00e9", "\u0000"};

    @FuzzTest(maxDuration = "2m")
    void queryText(FuzzedDataProvider data) {
        StringBuilder sql = new StringBuilder();
        while (data.remainingBytes() > 0) {
            sql.append(data.consumeBoolean() ? data.pickValue(WORDS) : data.consumeString(8));
        }
        String text = sql.toString();
        SessionStateDetector.Effect effect = SessionStateDetector.inspect(text, Set.of("application_name", "timezone"));
        assertNotNull(effect);
        assertNotNull(effect.sets());
        assertEquals(effect.pinBits() != 0, effect.pins());
        assertTrue(effect.pinReason() == null || effect.pins(), "a pin reason without a pin");

        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        ByteBuf frame = Unpooled.buffer().writeBytes(new byte[] {1, 2, 3}).writeBytes(bytes).writeByte(0);
        try {
            boolean may = SessionStateDetector.mayHaveEffect(frame, 3, 3 + bytes.length);
            if (!may) {
                assertEquals(SessionStateDetector.Effect.NONE, effect, "the keyword check let pass a text with an effect: " + text);
            }
        } finally {
            frame.release();
        }
    }
}
