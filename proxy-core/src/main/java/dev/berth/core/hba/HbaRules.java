package dev.berth.core.hba;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The pg_hba.conf subset pgbouncer supports: connection types {@code local} (never matches: Berth has no
 * Unix socket), {@code host}, {@code hostssl}, {@code hostnossl}; databases as names, {@code all},
 * {@code sameuser}, comma lists and {@code @file}; users as names, {@code all}, comma lists and
 * {@code @file}; addresses as {@code all} or IPv4/IPv6 networks; methods {@link HbaMethod}. The first
 * matching line wins; none matching means the connection is refused, as in PostgreSQL.
 */
public final class HbaRules {
    private final List<HbaRule> rules;

    private HbaRules(List<HbaRule> rules) {
        this.rules = List.copyOf(rules);
    }

    /** Reads {@code file}; a line Berth cannot use throws an IllegalArgumentException naming the file and line. */
    public static HbaRules load(Path file) throws IOException {
        return parse(Files.readAllLines(file), file);
    }

    /** {@code file} names the lines in messages and is where {@code @file} names are taken from; may be null. */
    public static HbaRules parse(List<String> lines, Path file) throws IOException {
        String name = file == null ? "hba" : file.getFileName().toString();
        List<HbaRule> rules = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String where = name + ":" + (i + 1);
            List<List<HbaTokens.Token>> fields;
            try {
                fields = HbaTokens.fields(lines.get(i));
                if (!fields.isEmpty()) {
                    rules.add(rule(fields, file, where));
                }
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
            }
        }
        return new HbaRules(rules);
    }

    /** The first line that matches this connection, or null when none does. */
    public HbaRule match(boolean tls, InetAddress address, String database, String user) {
        for (HbaRule rule : rules) {
            if (rule.matches(tls, address, database, user)) {
                return rule;
            }
        }
        return null;
    }

    public int size() {
        return rules.size();
    }

    private static HbaRule rule(List<List<HbaTokens.Token>> fields, Path file, String where) throws IOException {
        HbaRule.ConnectionType type;
        try {
            type = HbaRule.ConnectionType.valueOf(single(fields.get(0), "connection type").toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid connection type \"" + fields.get(0).get(0).text() + "\"");
        }
        int next = 3;
        AddressMatch address = AddressMatch.ALL;
        if (type != HbaRule.ConnectionType.LOCAL) {
            need(fields, 4, "an address");
            String mask = fields.size() > 5 && AddressMatch.isLiteral(fields.get(4).get(0).text()) ? fields.get(4).get(0).text() : null;
            address = AddressMatch.parse(single(fields.get(3), "address"), mask);
            next = mask == null ? 4 : 5;
        }
        need(fields, next + 1, "an authentication method");
        HbaMethod method = HbaMethod.parse(single(fields.get(next), "method"));
        for (List<HbaTokens.Token> option : fields.subList(next + 1, fields.size())) {
            String text = option.get(0).text();
            if (!text.startsWith("clientcert=")) { // clientcert asks for what cert already checks
                throw new IllegalArgumentException("authentication option \"" + text + "\" is not supported");
            }
        }
        Names databases = names(fields.get(1), file, true);
        Names users = names(fields.get(2), file, false);
        return new HbaRule(type, databases.all ? null : databases.names, databases.sameUser, users.all ? null : users.names,
                address, method, where);
    }

    private record Names(boolean all, boolean sameUser, Set<String> names) {
    }

    private static Names names(List<HbaTokens.Token> tokens, Path file, boolean database) throws IOException {
        Set<String> names = new HashSet<>();
        boolean all = false;
        boolean sameUser = false;
        for (HbaTokens.Token t : tokens) {
            String text = t.text();
            if (t.quoted()) {
                names.add(text);
            } else if (text.equals("all")) {
                all = true;
            } else if (database && text.equals("sameuser")) {
                sameUser = true;
            } else if (database && text.equals("replication")) {
                continue; // Berth passes no replication connections: never matches
            } else if (database && text.equals("samerole") || database && text.equals("samegroup") || text.startsWith("+")) {
                throw new IllegalArgumentException("\"" + text + "\" is not supported: list the names, or use @file");
            } else if (text.startsWith("@")) {
                names.addAll(included(text.substring(1), file));
            } else {
                names.add(text);
            }
        }
        return new Names(all, sameUser, names);
    }

    /** {@code @file}: names separated by commas or white space, relative to the hba file's directory. */
    private static List<String> included(String name, Path file) throws IOException {
        Path path = file == null || Path.of(name).isAbsolute() ? Path.of(name) : file.toAbsolutePath().getParent().resolve(name);
        List<String> names = new ArrayList<>();
        for (String line : Files.readAllLines(path)) {
            for (List<HbaTokens.Token> field : HbaTokens.fields(line)) {
                field.forEach(t -> names.add(t.text()));
            }
        }
        return names;
    }

    private static String single(List<HbaTokens.Token> field, String what) {
        if (field.size() != 1) {
            throw new IllegalArgumentException("the " + what + " column takes one value, not a list");
        }
        return field.get(0).text();
    }

    private static void need(List<?> fields, int count, String what) {
        if (fields.size() < count) {
            throw new IllegalArgumentException("end of line before " + what);
        }
    }
}
