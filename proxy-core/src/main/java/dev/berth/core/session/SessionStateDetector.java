package dev.berth.core.session;

import dev.berth.core.prepared.PreparedStatementRegistry;
import io.netty.buffer.ByteBuf;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * A small, conservative reader of Query and Parse texts (over {@link SqlLexer}; no SQL is parsed) that
 * finds what a text does beyond its transaction, for transaction pooling:
 * <ul>
 *   <li>parameters it sets for the session (SET, SET SESSION, SET ROLE, RESET, set_config(name, value, false)):
 *       Berth carries them to the client's next servers once they took effect;</li>
 *   <li>state Berth cannot carry (LISTEN, PREPARE, temporary objects, session advisory locks, cursors WITH
 *       HOLD, SET SESSION AUTHORIZATION, DO blocks, LOAD, a SET whose value it cannot read): it pins the client;</li>
 *   <li>statements that end such state with certainty (UNLISTEN *, DEALLOCATE ALL, DISCARD TEMP/ALL, CLOSE ALL,
 *       pg_advisory_unlock_all(), SET SESSION AUTHORIZATION DEFAULT): the pin ends once they took effect;</li>
 *   <li>SQL-level EXECUTE / DEALLOCATE of names like Berth's own server-side statements.</li>
 * </ul>
 */
public final class SessionStateDetector {

    /**
     * What a text does beyond its transaction.
     *
     * @param pinReason what pins, for messages (the first pinning statement), or null
     * @param pinBits   the {@link PinReason} bits of everything in the text that pins
     * @param clears    the {@link PinReason} bits the text ends (not pinned again after it in the text)
     * @param sets      the session parameters it sets, in order, by lower-case name: a null value gives the
     *                  client's startup value back (RESET, SET ... TO DEFAULT; the name "all" for RESET ALL)
     * @param statementName the prepared statement the text names in SQL {@code EXECUTE} or {@code DEALLOCATE}
     *                  (the first one, as PostgreSQL reads the name), or null
     * @param resets    the parameters it RESETs, in lower case ("all" for RESET ALL and DISCARD ALL), or null:
     *                  Berth gives them the client's startup values back right after the request
     */
    public record Effect(String pinReason, int pinBits, int clears, List<ParameterSync.Change> sets,
                         String statementName, Set<String> resets) {
        public static final Effect NONE = new Effect(null, 0, 0, List.of(), null, null);

        public boolean pins() {
            return pinBits != 0;
        }

        /** {@link #statementName} when it looks like one of Berth's shared server-side names, else null. */
        public String berthStatement() {
            return statementName != null && statementName.toLowerCase(Locale.ROOT).startsWith(PREFIX_LOWER)
                    ? statementName : null;
        }

        /** Something to follow until the server answers: parameters set, or pins ended. */
        public boolean changesSession() {
            return !sets.isEmpty() || clears != 0;
        }

        /** This effect without the pins in {@code mask} (a policy allows them). */
        public Effect withoutPins(int mask) {
            return (pinBits & mask) == 0 ? this : new Effect((pinBits & ~mask) == 0 ? null : pinReason, pinBits & ~mask, clears,
                    sets, statementName, resets);
        }
    }

    private SessionStateDetector() {
    }

    /**
     * Whether a Query's or Parse's text, read as bytes without decoding it, may have an effect: only then
     * can {@link #inspect} find one. A byte outside ASCII answers true.
     *
     * @param from index of the text's first byte in {@code text}
     * @param end  index just past its last byte (its NUL)
     */
    public static boolean mayHaveEffect(ByteBuf text, int from, int end) {
        return EffectKeywords.mayHaveEffect(text, from, end);
    }

    /**
     * @param reported names of the parameters the server reports (lower case): Berth follows a change of one
     *                 of these from the server's ParameterStatus, so a SET of one needs no reading of its value
     */
    public static Effect inspect(String sql, Set<String> reported) {
        Reading r = new Reading(reported);
        for (List<String> statement : SqlLexer.statements(sql)) {
            if (!statement.isEmpty()) {
                r.statement(statement);
            }
        }
        return r.effect();
    }

    private static final String PREFIX_LOWER = PreparedStatementRegistry.PREFIX.toLowerCase(Locale.ROOT);

    /** What one text does, statement by statement. */
    private static final class Reading {
        private final Set<String> reported;
        private String reason;
        private int pins;
        private int clears;
        private List<ParameterSync.Change> sets;
        private String statementName;
        private Set<String> resets;

        Reading(Set<String> reported) {
            this.reported = reported;
        }

        Effect effect() {
            if (pins == 0 && clears == 0 && sets == null && statementName == null && resets == null) {
                return Effect.NONE;
            }
            return new Effect(reason, pins, clears, sets == null ? List.of() : List.copyOf(sets), statementName, resets);
        }

        private void pin(PinReason why, String what) {
            pins |= why.bit();
            clears &= ~why.bit();
            if (reason == null) {
                reason = what;
            }
        }

        private void clear(int bits) {
            clears |= bits;
        }

        private void set(String name, String value) {
            if (sets == null) {
                sets = new ArrayList<>(2);
            }
            sets.add(new ParameterSync.Change(name, value));
        }

        private void reset(String name) {
            if (resets == null) {
                resets = new HashSet<>();
            }
            resets.add(name);
        }

        void statement(List<String> t) {
            String first = t.get(0);
            String named = sqlStatementName(t);
            if (named != null && statementName == null) {
                statementName = named;
            }
            switch (first) {
                case "set" -> set(t);
                case "reset" -> reset(t);
                case "discard" -> {
                    String what = at(t, 1);
                    if (what.equals("all")) {
                        clear(PinReason.DISCARD_ALL);
                        set("all", null);
                        reset("all");
                    } else if (what.equals("temp") || what.equals("temporary")) {
                        clear(PinReason.TEMP_TABLE.bit());
                    }
                }
                case "unlisten" -> {
                    if (at(t, 1).equals("*")) {
                        clear(PinReason.LISTEN.bit());
                    }
                }
                case "close" -> {
                    if (at(t, 1).equals("all")) {
                        clear(PinReason.HOLD_CURSOR.bit());
                    }
                }
                case "deallocate" -> {
                    if ((at(t, 1).equals("prepare") ? at(t, 2) : at(t, 1)).equals("all")) {
                        clear(PinReason.PREPARE.bit());
                    }
                }
                case "prepare" -> {
                    if (!at(t, 1).equals("transaction")) {
                        pin(PinReason.PREPARE, "PREPARE");
                    }
                }
                case "listen" -> pin(PinReason.LISTEN, "LISTEN");
                case "load" -> pin(PinReason.LOAD, "LOAD");
                case "do" -> pin(PinReason.DO_BLOCK, "DO");
                case "declare" -> {
                    if (containsSequence(t, "with", "hold")) {
                        pin(PinReason.HOLD_CURSOR, "DECLARE ... WITH HOLD");
                    }
                }
                case "create" -> {
                    for (int i = 1; i < Math.min(t.size(), 4); i++) {
                        if (t.get(i).equals("temp") || t.get(i).equals("temporary")) {
                            pin(PinReason.TEMP_TABLE, "CREATE TEMP");
                        }
                    }
                }
                default -> { }
            }
            calls(t);
        }

        /** Function calls and temporary objects anywhere in a statement, in order. */
        private void calls(List<String> t) {
            for (int i = 0; i < t.size(); i++) {
                String w = t.get(i);
                if (w.equals(SqlLexer.PG_TEMP)) {
                    pin(PinReason.TEMP_TABLE, "pg_temp");
                    continue;
                }
                if ((w.equals("temp") || w.equals("temporary")) && i > 0 && t.get(i - 1).equals("into")) {
                    pin(PinReason.TEMP_TABLE, "SELECT INTO TEMP");
                    continue;
                }
                if (!at(t, i + 1).equals("(")) {
                    continue;
                }
                switch (functionName(w)) {
                    case "pg_advisory_lock", "pg_advisory_lock_shared", "pg_try_advisory_lock", "pg_try_advisory_lock_shared" ->
                            pin(PinReason.ADVISORY_LOCK, "session advisory lock");
                    case "pg_advisory_unlock_all" -> clear(PinReason.ADVISORY_LOCK.bit());
                    case "set_config" -> setConfig(t, i);
                    default -> { }
                }
            }
        }

        /**
         * set_config(name, value, is_local): carried when it is the whole statement ({@code SELECT
         * set_config('name', 'value', false)}) with literal arguments; ends with the transaction when
         * is_local is a literal true; otherwise Berth cannot tell what it sets, and pins.
         */
        private void setConfig(List<String> t, int at) {
            String name = at(t, at + 2);
            String value = at(t, at + 4);
            String local = at(t, at + 6);
            boolean literalArgs = at(t, at + 3).equals(",") && at(t, at + 5).equals(",") && at(t, at + 7).equals(")");
            if (literalArgs && isTrue(local)) {
                return;
            }
            boolean whole = at == 1 && t.get(0).equals("select") && (t.size() == 9 || (t.size() <= 11 && !at(t, 9).equals(",")
                    && !at(t, 9).equals("from") && !at(t, 9).equals("where")));
            String parameter = name.startsWith("'") ? name.substring(1).toLowerCase(Locale.ROOT) : null;
            if ("session_authorization".equals(parameter)) {
                pin(PinReason.SESSION_AUTHORIZATION, "set_config(session_authorization)");
            } else if (literalArgs && whole && isFalse(local) && parameter != null && value.startsWith("'")
                    && value.indexOf(SqlLexer.UNKNOWN) < 0 && parameter.indexOf(SqlLexer.UNKNOWN) < 0) {
                if (!reported.contains(parameter)) {
                    set(parameter, value.substring(1));
                }
            } else {
                pin(PinReason.OTHER, "set_config()");
            }
        }

        private void set(List<String> t) {
            String second = at(t, 1);
            if (second.equals("local") || second.equals("transaction") || second.equals("constraints")) {
                return;
            }
            int nameAt = second.equals("session") ? 2 : 1;
            String name = unquoted(at(t, nameAt)).toLowerCase(Locale.ROOT);
            while (at(t, nameAt + 1).equals(".") && nameAt + 2 < t.size()) {
                name += "." + unquoted(t.get(nameAt + 2)).toLowerCase(Locale.ROOT); // a custom parameter: app.tenant
                nameAt += 2;
            }
            switch (name) {
                case "authorization" -> {
                    if (at(t, nameAt + 1).equals("default")) {
                        clear(PinReason.SESSION_AUTHORIZATION.bit());
                    } else {
                        pin(PinReason.SESSION_AUTHORIZATION, "SET SESSION AUTHORIZATION");
                    }
                    return;
                }
                case "session_authorization" -> {
                    pin(PinReason.SESSION_AUTHORIZATION, "SET session_authorization");
                    return;
                }
                case "characteristics", "xml", "seed" -> {
                    pin(PinReason.OTHER, "SET " + (nameAt == 2 ? "SESSION " : "") + name.toUpperCase(Locale.ROOT));
                    return;
                }
                case "role" -> {
                    // SET ROLE takes its value without = or TO
                    int valueAt = at(t, nameAt + 1).equals("=") || at(t, nameAt + 1).equals("to") ? nameAt + 2 : nameAt + 1;
                    carry("role", SetValues.flatten("role", t, valueAt));
                    return;
                }
                case "schema" -> {
                    carry("search_path", SetValues.flatten("search_path", t, nameAt + 1));
                    return;
                }
                case "names" -> {
                    carry("client_encoding", SetValues.flatten("client_encoding", t, nameAt + 1));
                    return;
                }
                case "time" -> {
                    if (at(t, nameAt + 1).equals("zone")) {
                        name = "timezone";
                        nameAt++;
                    }
                }
                default -> { }
            }
            int valueAt = nameAt + 1;
            if (at(t, valueAt).equals("=") || at(t, valueAt).equals("to")) {
                valueAt++;
            } else if (!name.equals("timezone")) {
                pin(PinReason.OTHER, "SET " + name);
                return;
            }
            carry(name, SetValues.flatten(name, t, valueAt));
        }

        /** A SET whose value was read ({@link SetValues#DEFAULT} for DEFAULT), or could not be: then it pins. */
        private void carry(String name, String value) {
            if (reported.contains(name)) {
                return; // followed from the server's ParameterStatus
            }
            if (value == null) {
                pin(PinReason.OTHER, "SET " + name);
            } else if (value == SetValues.DEFAULT) {
                set(name, null);
                reset(name);
            } else {
                set(name, value);
            }
        }

        private void reset(List<String> t) {
            String name = unquoted(at(t, 1)).toLowerCase(Locale.ROOT);
            if (name.equals("time") && at(t, 2).equals("zone")) {
                name = "timezone";
            }
            for (int i = 2; at(t, i).equals(".") && i + 1 < t.size(); i += 2) {
                name += "." + unquoted(t.get(i + 1)).toLowerCase(Locale.ROOT);
            }
            if (name.equals("session") || name.equals("session_authorization")) {
                clear(PinReason.SESSION_AUTHORIZATION.bit()); // back to the user that logged in
                return;
            }
            if (name.isEmpty()) {
                return;
            }
            reset(name);
            if (!reported.contains(name)) {
                set(name, null);
            }
        }
    }

    private static boolean isTrue(String token) {
        return token.equals("true") || token.equals("'t") || token.equals("'true") || token.equals("'on");
    }

    private static boolean isFalse(String token) {
        return token.equals("false") || token.equals("'f") || token.equals("'false") || token.equals("'off");
    }

    /** A function's name as PostgreSQL resolves it: an unquoted word, or a quoted one as written. */
    private static String functionName(String token) {
        return token.startsWith("\"") ? token.substring(1) : token;
    }

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

    private static boolean containsSequence(List<String> t, String a, String b) {
        for (int i = 0; i + 1 < t.size(); i++) {
            if (t.get(i).equals(a) && t.get(i + 1).equals(b)) {
                return true;
            }
        }
        return false;
    }

    static String unquoted(String token) {
        return token.startsWith("\"") ? token.substring(1) : token;
    }

    static String at(List<String> t, int i) {
        return i < t.size() ? t.get(i) : "";
    }

    static List<List<String>> statements(String sql) {
        return SqlLexer.statements(sql);
    }
}
