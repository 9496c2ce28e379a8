package dev.berth.core.session;

import dev.berth.core.prepared.PreparedStatementRegistry;
import io.netty.buffer.ByteBuf;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * A small, conservative lexer over Query and Parse texts that finds statements leaving state on the
 * server beyond the transaction: SET (not LOCAL) of a parameter the server does not report, SET ROLE /
 * SESSION AUTHORIZATION, RESET, PREPARE, LISTEN, temporary objects, session advisory locks,
 * DECLARE ... WITH HOLD, set_config(). A client that runs one can no longer share its server. It also
 * finds SQL-level EXECUTE / DEALLOCATE of names like Berth's own server-side statements. (DISCARD ALL and
 * DEALLOCATE ALL are followed from the server's CommandComplete instead: only then did they happen.)
 * Comments, string literals, dollar quotes and quoted identifiers are skipped; no SQL is parsed.
 */
public final class SessionStateDetector {

    /**
     * What a text does beyond its transaction.
     *
     * @param resets the parameters it RESETs, in lower case ("all" for RESET ALL), or null: Berth gives them
     *               the client's startup values back, as PostgreSQL gives a connection its own
     */
    public record Effect(String pinReason, String berthStatement, Set<String> resets) {
        public static final Effect NONE = new Effect(null, null, null);

        public boolean pins() {
            return pinReason != null;
        }
    }

    private SessionStateDetector() {
    }

    /**
     * @param reported names of the parameters the server reports (lower case): a SET of one of these is
     *                 carried across servers by Berth, so it does not pin
     */
    public static Effect inspect(String sql, Set<String> reported) {
        String pin = null;
        String berthStatement = null;
        Set<String> resets = null;
        for (List<String> statement : statements(sql)) {
            if (statement.isEmpty()) {
                continue;
            }
            String reset = resetName(statement);
            if (reset != null) {
                resets = resets == null ? new HashSet<>() : resets;
                resets.add(reset);
            }
            String named = sqlStatementName(statement);
            if (named != null && named.toLowerCase(Locale.ROOT).startsWith(PREFIX_LOWER) && berthStatement == null) {
                berthStatement = named;
            }
            String reason = pinReason(statement, reported);
            if (reason != null && pin == null) {
                pin = reason;
            }
        }
        return pin == null && berthStatement == null && resets == null ? Effect.NONE : new Effect(pin, berthStatement, resets);
    }

    /**
     * Every word an effect can hang on. A text with none of them (most queries an application runs) has
     * no effect, and the check allocates nothing; it reads words inside comments and literals too, which
     * only sends a few more texts to the full lexer.
     */
    private static final String[] KEYWORDS = {"set", "reset", "prepare", "listen", "load", "declare", "create",
            "execute", "deallocate", "pg_advisory_lock", "pg_advisory_lock_shared", "pg_try_advisory_lock",
            "pg_try_advisory_lock_shared", "set_config", "temp", "temporary"};

    /**
     * Whether a Query's or Parse's text, read as bytes without decoding it, has a word (letters, digits,
     * _ and $, as the lexer forms words) equal to one of {@link #KEYWORDS} in any case: only then can
     * {@link #inspect} find an effect. This is the check an application's every query goes through. A
     * byte outside ASCII answers true, so that such a text goes to the lexer.
     *
     * @param from index of the text's first byte in {@code text}
     * @param end  index just past its last byte (its NUL)
     */
    public static boolean mayHaveEffect(ByteBuf text, int from, int end) {
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
            if (isKeyword(bytes, start, i - start)) {
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

    private static boolean isAsciiWordByte(byte c) {
        return isAsciiLetter(c) || (c >= '0' && c <= '9') || c == '_' || c == '$';
    }

    private static final String PREFIX_LOWER = PreparedStatementRegistry.PREFIX.toLowerCase(Locale.ROOT);

    /**
     * The statement name of SQL-level EXECUTE name / DEALLOCATE [PREPARE] name, or null: as PostgreSQL
     * reads it (an unquoted name in lower case, a quoted one as written).
     */
    private static String sqlStatementName(List<String> t) {
        String first = t.get(0);
        if (first.equals("execute")) {
            return unquoted(at(t, 1));
        }
        if (first.equals("deallocate")) {
            String name = at(t, 1).equals("prepare") ? at(t, 2) : at(t, 1);
            return name.equals("all") ? null : unquoted(name);
        }
        return null;
    }

    /** Who the session runs as: never carried across servers, so changing it pins. */
    private static final Set<String> IDENTITY = Set.of("role", "session_authorization");

    /** The parameter a RESET statement resets (lower case, "all" for RESET ALL), or null. */
    private static String resetName(List<String> t) {
        if (!t.get(0).equals("reset")) {
            return null;
        }
        String name = unquoted(at(t, 1)).toLowerCase(Locale.ROOT);
        if (name.equals("time") && at(t, 2).equals("zone")) {
            return "timezone";
        }
        return name.isEmpty() || name.equals("session") ? null : name;
    }

    private static String pinReason(List<String> t, Set<String> reported) {
        String first = t.get(0);
        switch (first) {
            case "set": {
                String second = at(t, 1);
                if (second.equals("local") || second.equals("transaction") || second.equals("constraints")) {
                    return null;
                }
                int nameAt = second.equals("session") ? 2 : 1;
                String name = unquoted(at(t, nameAt)).toLowerCase(Locale.ROOT);
                if (name.equals("role") || name.equals("authorization") || name.equals("characteristics")) {
                    return "SET " + (second.equals("session") ? "SESSION " : "") + name.toUpperCase(Locale.ROOT);
                }
                if (name.equals("time") && at(t, nameAt + 1).equals("zone")) {
                    name = "timezone";
                }
                return reported.contains(name) && !IDENTITY.contains(name) ? null : "SET " + name;
            }
            case "reset": {
                String name = unquoted(at(t, 1)).toLowerCase(Locale.ROOT);
                if (name.equals("time") && at(t, 2).equals("zone")) {
                    name = "timezone";
                }
                return reported.contains(name) && !IDENTITY.contains(name) ? null : "RESET " + name;
            }
            case "prepare":
                return at(t, 1).equals("transaction") ? null : "PREPARE";
            case "listen":
                return "LISTEN";
            case "load":
                return "LOAD";
            case "declare":
                return containsSequence(t, "with", "hold") ? "DECLARE ... WITH HOLD" : null;
            case "create": {
                for (int i = 1; i < Math.min(t.size(), 4); i++) {
                    String w = t.get(i);
                    if (w.equals("temp") || w.equals("temporary")) {
                        return "CREATE TEMP";
                    }
                }
                break;
            }
            default:
                break;
        }
        for (int i = 0; i < t.size(); i++) {
            String w = t.get(i);
            if ((w.equals("pg_advisory_lock") || w.equals("pg_advisory_lock_shared") || w.equals("pg_try_advisory_lock")
                    || w.equals("pg_try_advisory_lock_shared")) && at(t, i + 1).equals("(")) {
                return "session advisory lock";
            }
            if (w.equals("set_config") && at(t, i + 1).equals("(")) {
                return "set_config()";
            }
            if ((w.equals("temp") || w.equals("temporary")) && i > 0 && t.get(i - 1).equals("into")) {
                return "SELECT INTO TEMP";
            }
        }
        return null;
    }

    private static boolean containsSequence(List<String> t, String a, String b) {
        for (int i = 0; i + 1 < t.size(); i++) {
            if (t.get(i).equals(a) && t.get(i + 1).equals(b)) {
                return true;
            }
        }
        return false;
    }

    private static String unquoted(String token) {
        return token.startsWith("\"") ? token.substring(1) : token;
    }

    private static String at(List<String> t, int i) {
        return i < t.size() ? t.get(i) : "";
    }

    /** Splits into statements of lower-cased words and punctuation, skipping comments and literals. */
    static List<List<String>> statements(String sql) {
        List<List<String>> result = new ArrayList<>();
        List<String> current = new ArrayList<>();
        int n = sql.length();
        int i = 0;
        while (i < n) {
            char c = sql.charAt(i);
            if (c == '-' && i + 1 < n && sql.charAt(i + 1) == '-') {
                while (i < n && sql.charAt(i) != '\n') {
                    i++;
                }
            } else if (c == '/' && i + 1 < n && sql.charAt(i + 1) == '*') {
                int depth = 1;
                i += 2;
                while (i < n && depth > 0) {
                    if (sql.startsWith("/*", i)) {
                        depth++;
                        i += 2;
                    } else if (sql.startsWith("*/", i)) {
                        depth--;
                        i += 2;
                    } else {
                        i++;
                    }
                }
            } else if (c == '\'') {
                // E'...' only when the E stands alone (not the end of a word such as LIKE or ELSE)
                boolean escapes = i > 0 && (sql.charAt(i - 1) == 'e' || sql.charAt(i - 1) == 'E')
                        && (i < 2 || !(Character.isLetterOrDigit(sql.charAt(i - 2)) || sql.charAt(i - 2) == '_'));
                i++;
                while (i < n) {
                    char d = sql.charAt(i);
                    if (escapes && d == '\\') {
                        i += 2;
                    } else if (d == '\'') {
                        if (i + 1 < n && sql.charAt(i + 1) == '\'') {
                            i += 2;
                        } else {
                            break;
                        }
                    } else {
                        i++;
                    }
                }
                i++;
                current.add("'");
            } else if (c == '"') {
                int end = sql.indexOf('"', i + 1);
                while (end >= 0 && end + 1 < n && sql.charAt(end + 1) == '"') {
                    end = sql.indexOf('"', end + 2);
                }
                // a quoted identifier is never a keyword: it keeps a leading quote
                current.add("\"" + (end < 0 ? sql.substring(i + 1) : sql.substring(i + 1, end)));
                i = end < 0 ? n : end + 1;
            } else if (c == '$' && (i == 0 || !Character.isLetterOrDigit(sql.charAt(i - 1)))) {
                int tagEnd = sql.indexOf('$', i + 1);
                String tag = tagEnd < 0 ? null : sql.substring(i, tagEnd + 1);
                if (tag != null && tag.chars().skip(1).limit(tag.length() - 2L).allMatch(ch -> Character.isLetterOrDigit(ch) || ch == '_')) {
                    int close = sql.indexOf(tag, tagEnd + 1);
                    i = close < 0 ? n : close + tag.length();
                    current.add("'");
                } else {
                    i++;
                }
            } else if (c == ';') {
                result.add(current);
                current = new ArrayList<>();
                i++;
            } else if (Character.isLetter(c) || c == '_') {
                int start = i;
                while (i < n && (Character.isLetterOrDigit(sql.charAt(i)) || sql.charAt(i) == '_' || sql.charAt(i) == '$')) {
                    i++;
                }
                String word = sql.substring(start, i).toLowerCase(Locale.ROOT);
                // a schema-qualified function: keep the function name
                if (word.equals("pg_catalog") && i < n && sql.charAt(i) == '.') {
                    i++;
                    continue;
                }
                current.add(word);
            } else if (Character.isWhitespace(c)) {
                i++;
            } else {
                current.add(String.valueOf(c));
                i++;
            }
        }
        result.add(current);
        return result;
    }
}
