package dev.berth.server.chaos;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What the chaos clients did and were told, shared by all of them: every query, every misdelivered result,
 * every unexpected error, and for every row a client tried to commit whether the commit was acknowledged,
 * never sent (so the row must be absent), or sent without an answer (present 0 or 1 times).
 */
final class ChaosLedger {
    enum Outcome { ACKNOWLEDGED, ABORTED, UNKNOWN }

    /** Connection-class and availability errors: what a client may get when its backend or link dies. */
    static boolean connectionClass(String sqlState) {
        return sqlState == null || sqlState.startsWith("08") || sqlState.equals("57P01") || sqlState.equals("57P02")
                || sqlState.equals("57P03") || sqlState.equals("53300");
    }

    final AtomicLong queries = new AtomicLong();
    final AtomicLong connectionErrors = new AtomicLong();
    final AtomicLong cancelled = new AtomicLong();
    final AtomicLong disconnects = new AtomicLong();
    final AtomicLong expectedErrors = new AtomicLong();
    final AtomicLong faults = new AtomicLong();
    private final Map<String, Outcome> rows = new ConcurrentHashMap<>();
    private final List<String> misdeliveries = Collections.synchronizedList(new ArrayList<>());
    private final List<String> unexpected = Collections.synchronizedList(new ArrayList<>());

    /** A result arrived: it must be the one this client asked for. */
    void check(String client, String expected, String actual) {
        queries.incrementAndGet();
        if (!expected.equals(actual)) {
            misdeliveries.add(client + " expected " + abbreviate(expected) + " got " + abbreviate(actual));
        }
    }

    void unexpected(String client, String what) {
        unexpected.add(client + ": " + what);
    }

    void row(String client, int seq, Outcome outcome) {
        rows.put(client + ":" + seq, outcome);
    }

    List<String> misdeliveries() {
        return List.copyOf(misdeliveries);
    }

    List<String> unexpected() {
        return List.copyOf(unexpected);
    }

    /** Compares the ledger with the table {@code chaos_commits}: what was lost, what came back from the dead. */
    Verdict verify(Connection direct) throws SQLException {
        Map<String, Integer> present = new HashMap<>();
        try (Statement s = direct.createStatement();
             ResultSet rs = s.executeQuery("select client || ':' || seq, count(*) from chaos_commits group by 1")) {
            while (rs.next()) {
                present.put(rs.getString(1), rs.getInt(2));
            }
        }
        Verdict v = new Verdict();
        rows.forEach((key, outcome) -> {
            int n = present.getOrDefault(key, 0);
            switch (outcome) {
                case ACKNOWLEDGED -> {
                    v.acknowledged++;
                    if (n != 1) {
                        v.problems.add("acknowledged " + key + " present " + n + " times");
                        v.lost += n == 0 ? 1 : 0;
                    }
                }
                case ABORTED -> {
                    v.aborted++;
                    if (n != 0) {
                        v.problems.add("never committed " + key + " present " + n + " times");
                    }
                }
                case UNKNOWN -> {
                    v.unknown++;
                    v.unknownCommitted += n == 1 ? 1 : 0;
                    if (n > 1) {
                        v.problems.add("unacknowledged " + key + " present " + n + " times");
                    }
                }
            }
        });
        present.keySet().stream().filter(k -> !rows.containsKey(k)).forEach(k -> v.problems.add("row nobody wrote: " + k));
        return v;
    }

    /** The outcome of {@link #verify}. */
    static final class Verdict {
        int acknowledged;
        int aborted;
        int unknown;
        int unknownCommitted;
        int lost;
        final List<String> problems = new ArrayList<>();
    }

    private static String abbreviate(String s) {
        return s == null ? "null" : s.length() > 60 ? s.substring(0, 60) + "...(" + s.length() + " chars)" : s;
    }
}
