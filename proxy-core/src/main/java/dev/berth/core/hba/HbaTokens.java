package dev.berth.core.hba;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits one pg_hba.conf line into fields (separated by white space), each a comma list of tokens;
 * {@code #} starts a comment, and double quotes keep spaces, commas and keywords as plain names.
 */
final class HbaTokens {
    private HbaTokens() {
    }

    record Token(String text, boolean quoted) {
    }

    static List<List<Token>> fields(String line) {
        List<List<Token>> fields = new ArrayList<>();
        List<Token> field = new ArrayList<>();
        StringBuilder text = new StringBuilder();
        boolean quoted = false;
        boolean inQuotes = false;
        boolean afterComma = false;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (inQuotes) {
                if (c == '"') {
                    inQuotes = false;
                } else {
                    text.append(c);
                }
            } else if (c == '"') {
                inQuotes = true;
                quoted = true;
            } else if (c == '#') {
                break;
            } else if (c == ',') {
                field.add(new Token(text.toString(), quoted));
                text.setLength(0);
                quoted = false;
                afterComma = true; // a list goes on after a comma, even past white space
            } else if (Character.isWhitespace(c)) {
                if (text.length() > 0 || quoted) {
                    field.add(new Token(text.toString(), quoted));
                    text.setLength(0);
                    quoted = false;
                    afterComma = false;
                }
                if (!afterComma && !field.isEmpty()) {
                    fields.add(field);
                    field = new ArrayList<>();
                }
            } else {
                text.append(c);
                afterComma = false;
            }
        }
        if (inQuotes) {
            throw new IllegalArgumentException("unterminated quoted string");
        }
        if (text.length() > 0 || quoted) {
            field.add(new Token(text.toString(), quoted));
        }
        if (!field.isEmpty()) {
            fields.add(field);
        }
        return fields;
    }
}
