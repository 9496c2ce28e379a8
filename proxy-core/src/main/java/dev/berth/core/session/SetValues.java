package dev.berth.core.session;

import java.util.List;
import java.util.Set;

/**
 * The value of a SET statement as PostgreSQL stores it for the session (its
 * {@code flatten_set_variable_args}): the items of the list joined by ", ", a string or identifier item of
 * a list-valued parameter such as search_path quoted as an identifier where it needs it. What Berth sets on
 * the client's next server with {@code set_config} then means the same.
 */
final class SetValues {
    /** The value DEFAULT (or LOCAL for the time zone): the parameter goes back to its reset value. */
    static final String DEFAULT = new String("DEFAULT");

    /** Parameters whose items PostgreSQL quotes as identifiers (GUC_LIST_QUOTE). */
    private static final Set<String> LIST_QUOTE = Set.of("search_path", "temp_tablespaces", "local_preload_libraries",
            "session_preload_libraries", "shared_preload_libraries");

    private SetValues() {
    }

    /** The value of the tokens from {@code at} to the end of the statement; null when Berth cannot read it. */
    static String flatten(String name, List<String> t, int at) {
        if (at >= t.size()) {
            return null;
        }
        String only = t.size() == at + 1 ? t.get(at) : null;
        if ("default".equals(only) || (name.equals("timezone") && "local".equals(only))) {
            return DEFAULT;
        }
        boolean quote = LIST_QUOTE.contains(name);
        StringBuilder value = new StringBuilder();
        int i = at;
        while (i < t.size()) {
            String item = t.get(i);
            String sign = "";
            if ((item.equals("-") || item.equals("+")) && i + 1 < t.size() && isNumber(t.get(i + 1))) {
                sign = item.equals("-") ? "-" : "";
                item = t.get(++i);
            }
            String text;
            if (item.startsWith("'") || item.startsWith("\"")) {
                text = item.substring(1);
                if (text.indexOf(SqlLexer.UNKNOWN) >= 0) {
                    return null;
                }
                text = quote ? quoteIdentifier(text) : text;
            } else if (isNumber(item)) {
                text = sign + item;
            } else if (isWord(item)) {
                text = quote ? quoteIdentifier(item) : item;
            } else {
                return null; // an expression, INTERVAL '...', U&'...': not read
            }
            value.append(value.length() == 0 ? "" : ", ").append(text);
            i++;
            if (i < t.size()) {
                if (!t.get(i).equals(",") || i + 1 == t.size()) {
                    return null;
                }
                i++;
            }
        }
        return value.toString();
    }

    /** PostgreSQL's quote_identifier, short of its keyword list: a name that is not plain lower case is quoted. */
    static String quoteIdentifier(String name) {
        boolean plain = !name.isEmpty() && (name.charAt(0) == '_' || (name.charAt(0) >= 'a' && name.charAt(0) <= 'z'));
        for (int k = 0; plain && k < name.length(); k++) {
            char c = name.charAt(k);
            plain = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
        }
        return plain ? name : "\"" + name.replace("\"", "\"\"") + "\"";
    }

    private static boolean isNumber(String token) {
        return !token.isEmpty() && token.charAt(0) >= '0' && token.charAt(0) <= '9';
    }

    private static boolean isWord(String token) {
        return !token.isEmpty() && (Character.isLetter(token.charAt(0)) || token.charAt(0) == '_');
    }
}
