package dev.berth.core.session;

import io.netty.buffer.ByteBuf;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The byte-level check in front of {@link SessionStateDetector}: whether a text can have an effect at all,
 * read without decoding it. Most application queries have no word an effect hangs on, so they skip the
 * lexer without allocating.
 */
final class EffectKeywords {
    private EffectKeywords() {
    }

    /**
     * Every word an effect can hang on. A text with none of them (most queries an application runs) has
     * no effect, and the check allocates nothing; it reads words inside comments and literals too, which
     * only sends a few more texts to the full lexer.
     */
    private static final String[] KEYWORDS = {"set", "reset", "prepare", "listen", "load", "declare", "create",
            "execute", "deallocate", "pg_advisory_lock", "pg_advisory_lock_shared", "pg_try_advisory_lock",
            "pg_try_advisory_lock_shared", "set_config", "temp", "temporary", "discard", "unlisten", "close", "do",
            "pg_advisory_unlock_all"};

    /**
     * Whether a Query's or Parse's text, read as bytes without decoding it, has a word (letters, digits
     * and _, split at each $: see {@link #isAsciiWordByte}) equal to one of {@link #KEYWORDS} in any case: only then can
     * {@link SessionStateDetector#inspect} find an effect. This is the check an application's every query goes through. A
     * byte outside ASCII answers true, so that such a text goes to the lexer.
     *
     * @param from index of the text's first byte in {@code text}
     * @param end  index just past its last byte (its NUL)
     */
    static boolean mayHaveEffect(ByteBuf text, int from, int end) {
        int length = end - from;
        if (length > SCRATCH_BYTES) {
            return true; // a long text (a batch, a function body) is rare enough to take the decoded path
        }
        byte[] bytes = SCRATCH.get();
        text.getBytes(from, bytes, 0, length); // one copy beats a bounds-checked read per byte
        int i = 0;
        while (i < length) {
            byte c = bytes[i];
            if (c < 0) {
                return true;
            }
            if (!isAsciiLetter(c) && c != '_') {
                if (c == '&' && i > 0 && (bytes[i - 1] == 'u' || bytes[i - 1] == 'U') && i + 1 < length
                        && (bytes[i + 1] == '"' || bytes[i + 1] == '\'')) {
                    return true; // U&"..." may spell any word in escapes
                }
                i++;
                continue;
            }
            int start = i;
            while (i < length && isAsciiWordByte(bytes[i])) {
                i++;
            }
            if (i < length && bytes[i] < 0) {
                return true; // a word that goes on outside ASCII
            }
            if (isKeyword(bytes, start, i - start) || isPgTemp(bytes, start, i - start)) {
                return true;
            }
        }
        return false;
    }

    private static final int SCRATCH_BYTES = 4096;
    private static final ThreadLocal<byte[]> SCRATCH = ThreadLocal.withInitial(() -> new byte[SCRATCH_BYTES]);

    /** The keywords as bytes, by length: a word is compared only with the few of its own length. */
    private static final byte[][][] KEYWORDS_BY_LENGTH = new byte[28][][];

    static {
        for (String keyword : KEYWORDS) {
            byte[][] same = KEYWORDS_BY_LENGTH[keyword.length()];
            byte[][] grown = same == null ? new byte[1][] : Arrays.copyOf(same, same.length + 1);
            grown[grown.length - 1] = keyword.getBytes(StandardCharsets.US_ASCII);
            KEYWORDS_BY_LENGTH[keyword.length()] = grown;
        }
    }

    private static final byte[] PG_TEMP = "pg_temp".getBytes(StandardCharsets.US_ASCII);

    /** pg_temp or pg_temp_N: the schema of temporary objects. */
    private static boolean isPgTemp(byte[] text, int start, int length) {
        return length >= PG_TEMP.length && equalsIgnoreAsciiCase(text, start, PG_TEMP)
                && (length == PG_TEMP.length || text[start + PG_TEMP.length] == '_');
    }

    private static boolean isKeyword(byte[] text, int start, int length) {
        byte[][] candidates = length < KEYWORDS_BY_LENGTH.length ? KEYWORDS_BY_LENGTH[length] : null;
        if (candidates == null) {
            return false;
        }
        for (byte[] keyword : candidates) {
            if (equalsIgnoreAsciiCase(text, start, keyword)) {
                return true;
            }
        }
        return false;
    }

    private static boolean equalsIgnoreAsciiCase(byte[] text, int start, byte[] lowerKeyword) {
        for (int k = 0; k < lowerKeyword.length; k++) {
            int b = text[start + k];
            if ((b >= 'A' && b <= 'Z' ? b + 32 : b) != lowerKeyword[k]) {
                return false;
            }
        }
        return true;
    }

    private static boolean isAsciiLetter(byte c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    }

    /**
     * A $ ends a word here although the lexer reads it inside one: it also ends a dollar quote's tag, after
     * which a keyword may follow at once ({@code $q$$q$set_config(}); no keyword holds a $.
     */
    private static boolean isAsciiWordByte(byte c) {
        return isAsciiLetter(c) || (c >= '0' && c <= '9') || c == '_';
    }

}
