package dev.berth.core.session;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Splits SQL text into statements of tokens, as far as {@link SessionStateDetector} needs: no SQL is
 * parsed. Tokens: an unquoted word or number in lower case; a quoted identifier as {@code "} followed by
 * its name as PostgreSQL reads it (doubled quotes and {@code U&"..."} escapes decoded); a string literal as
 * {@code '} followed by its value ({@link #UNKNOWN} inside when an escape is not decoded); any other
 * character alone. Comments are skipped; a {@code pg_catalog.} qualifier is dropped, so a function is seen
 * by its name; a {@code pg_temp.} (or {@code pg_temp_N.}) qualifier becomes the token {@link #PG_TEMP}.
 */
final class SqlLexer {
    /** In a string token: a value the lexer did not decode (no real value holds a NUL). */
    static final char UNKNOWN = '\0';
    static final String PG_TEMP = "pg_temp.";

    private final String sql;
    private final int n;
    private int i;
    private final List<List<String>> result = new ArrayList<>();
    private List<String> current = new ArrayList<>();

    private SqlLexer(String sql) {
        this.sql = sql;
        this.n = sql.length();
    }

    static List<List<String>> statements(String sql) {
        SqlLexer lexer = new SqlLexer(sql);
        lexer.run();
        return lexer.result;
    }

    private void run() {
        while (i < n) {
            char c = sql.charAt(i);
            if (c == '-' && i + 1 < n && sql.charAt(i + 1) == '-') {
                while (i < n && sql.charAt(i) != '\n') {
                    i++;
                }
            } else if (c == '/' && i + 1 < n && sql.charAt(i + 1) == '*') {
                blockComment();
            } else if (c == '\'') {
                boolean escapes = i > 0 && (sql.charAt(i - 1) == 'e' || sql.charAt(i - 1) == 'E')
                        && (i < 2 || !isWordChar(sql.charAt(i - 2)));
                i++;
                current.add("'" + (escapes ? escapeString() : standardString()));
            } else if (c == '"') {
                i++;
                identifier(quotedIdentifier());
            } else if ((c == 'u' || c == 'U') && i + 2 < n && sql.charAt(i + 1) == '&'
                    && (sql.charAt(i + 2) == '"' || sql.charAt(i + 2) == '\'') && (i == 0 || !isWordChar(sql.charAt(i - 1)))) {
                unicodeEscaped(sql.charAt(i + 2));
            } else if (c == '$' && (i == 0 || !Character.isLetterOrDigit(sql.charAt(i - 1)))) {
                dollar();
            } else if (c == ';') {
                result.add(current);
                current = new ArrayList<>();
                i++;
            } else if (Character.isLetter(c) || c == '_') {
                int start = i;
                while (i < n && (Character.isLetterOrDigit(sql.charAt(i)) || sql.charAt(i) == '_' || sql.charAt(i) == '$')) {
                    i++;
                }
                identifier(sql.substring(start, i).toLowerCase(Locale.ROOT));
            } else if (c >= '0' && c <= '9') {
                int start = i;
                while (i < n && (Character.isLetterOrDigit(sql.charAt(i)) || sql.charAt(i) == '_' || sql.charAt(i) == '.')) {
                    i++;
                }
                current.add(sql.substring(start, i).toLowerCase(Locale.ROOT));
            } else if (Character.isWhitespace(c)) {
                i++;
            } else {
                current.add(String.valueOf(c));
                i++;
            }
        }
        result.add(current);
    }

    /** A word or quoted identifier (quoted: with its leading quote); a qualifier of pg_catalog or pg_temp is resolved. */
    private void identifier(String token) {
        String name = token.startsWith("\"") ? token.substring(1) : token;
        if (i < n && sql.charAt(i) == '.') {
            if (name.equals("pg_catalog")) {
                i++;
                return; // the function or table is seen by its own name
            }
            if (name.startsWith("pg_temp") && (name.length() == 7 || name.charAt(7) == '_')) {
                i++;
                current.add(PG_TEMP);
                return;
            }
        }
        current.add(token);
    }

    private void blockComment() {
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
    }

    /** After the opening quote of a standard string: its value; leaves i past the closing quote. */
    private String standardString() {
        StringBuilder value = new StringBuilder();
        while (i < n) {
            char d = sql.charAt(i);
            if (d == '\'') {
                if (i + 1 < n && sql.charAt(i + 1) == '\'') {
                    value.append('\'');
                    i += 2;
                    continue;
                }
                break;
            }
            value.append(d);
            i++;
        }
        i++;
        return value.toString();
    }

    /** After the opening quote of an E'...' string: its value, simple escapes decoded, others {@link #UNKNOWN}. */
    private String escapeString() {
        StringBuilder value = new StringBuilder();
        while (i < n) {
            char d = sql.charAt(i);
            if (d == '\\') {
                char e = i + 1 < n ? sql.charAt(i + 1) : '\\';
                switch (e) {
                    case '\\', '\'', '"' -> value.append(e);
                    case 'n' -> value.append('\n');
                    case 't' -> value.append('\t');
                    case 'r' -> value.append('\r');
                    case 'b' -> value.append('\b');
                    case 'f' -> value.append('\f');
                    default -> value.append(UNKNOWN);
                }
                i += 2;
            } else if (d == '\'') {
                if (i + 1 < n && sql.charAt(i + 1) == '\'') {
                    value.append('\'');
                    i += 2;
                    continue;
                }
                break;
            } else {
                value.append(d);
                i++;
            }
        }
        i++;
        return value.toString();
    }

    /** After the opening double quote: the name; leaves i past the closing quote. */
    private String quotedIdentifier() {
        StringBuilder name = new StringBuilder("\"");
        while (i < n) {
            char d = sql.charAt(i);
            if (d == '"') {
                if (i + 1 < n && sql.charAt(i + 1) == '"') {
                    name.append('"');
                    i += 2;
                    continue;
                }
                break;
            }
            name.append(d);
            i++;
        }
        i++;
        return name.toString();
    }

    /** U&"..." or U&'...', with an optional UESCAPE 'c' after it: the escapes decoded. */
    private void unicodeEscaped(char quote) {
        i += 3;
        String raw = quote == '"' ? quotedIdentifier().substring(1) : standardString();
        char escape = '\\';
        int after = skipSpace(Math.min(i, n)); // an unterminated string leaves i past the end
        if (sql.regionMatches(true, after, "uescape", 0, 7) && (after + 7 >= n || !isWordChar(sql.charAt(after + 7)))) {
            int q = skipSpace(after + 7);
            if (q + 2 < n && sql.charAt(q) == '\'' && sql.charAt(q + 2) == '\'') {
                escape = sql.charAt(q + 1);
                i = q + 3;
            }
        }
        String decoded = decodeUnicode(raw, escape);
        if (quote == '"') {
            identifier("\"" + decoded);
        } else {
            current.add("'" + decoded);
        }
    }

    /** PostgreSQL's Unicode escapes: {@code \XXXX}, {@code \+XXXXXX} and a doubled escape character. */
    static String decodeUnicode(String raw, char escape) {
        StringBuilder out = new StringBuilder(raw.length());
        int k = 0;
        while (k < raw.length()) {
            char c = raw.charAt(k);
            if (c != escape) {
                out.append(c);
                k++;
            } else if (k + 1 < raw.length() && raw.charAt(k + 1) == escape) {
                out.append(escape);
                k += 2;
            } else if (k + 1 < raw.length() && raw.charAt(k + 1) == '+' && hex(raw, k + 2, 6)) {
                out.appendCodePoint(Integer.parseInt(raw, k + 2, k + 8, 16));
                k += 8;
            } else if (hex(raw, k + 1, 4)) {
                out.append((char) Integer.parseInt(raw, k + 1, k + 5, 16));
                k += 5;
            } else {
                out.append(UNKNOWN); // PostgreSQL rejects it: the text will fail anyway
                k++;
            }
        }
        return out.toString();
    }

    private static boolean hex(String s, int from, int count) {
        if (from + count > s.length()) {
            return false;
        }
        for (int k = from; k < from + count; k++) {
            if (Character.digit(s.charAt(k), 16) < 0) {
                return false;
            }
        }
        return true;
    }

    private int skipSpace(int at) {
        while (at < n && Character.isWhitespace(sql.charAt(at))) {
            at++;
        }
        return at;
    }

    private void dollar() {
        int tagEnd = sql.indexOf('$', i + 1);
        String tag = tagEnd < 0 ? null : sql.substring(i, tagEnd + 1);
        if (tag != null && tag.chars().skip(1).limit(tag.length() - 2L).allMatch(ch -> Character.isLetterOrDigit(ch) || ch == '_')) {
            int close = sql.indexOf(tag, tagEnd + 1);
            int bodyEnd = close < 0 ? n : close;
            current.add("'" + sql.substring(tagEnd + 1, bodyEnd));
            i = close < 0 ? n : close + tag.length();
        } else {
            current.add("$");
            i++;
        }
    }

    private static boolean isWordChar(char c) {
        return Character.isLetterOrDigit(c) || c == '_' || c == '$';
    }
}
