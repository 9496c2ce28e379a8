package dev.berth.server;

import dev.berth.core.auth.AuthType;
import dev.berth.core.config.PoolMode;
import dev.berth.server.RawClient.Message;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.StringJoiner;

import static dev.berth.server.RawClient.batch;
import static dev.berth.server.RawClient.columns;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/**
 * Named prepared statements in transaction pooling, at the protocol level. Each scenario runs its exact
 * message sequence twice: directly against PostgreSQL and through Berth, and the client must see the same
 * responses in the same order (types, DataRows, CommandComplete tags, descriptions, SQLSTATEs and error
 * messages). Through Berth, other clients hold backends in open transactions so that a statement has to be
 * prepared again on a backend that lacks it. Every scenario gets a Berth of its own, so that no statement
 * of another scenario is already known.
 */
class PreparedStatementProtocolTest {

    // ---- harness ----

    private static RunningBerth berth(int poolMax, int maxPreparedStatements) {
        return RunningBerth.start(b -> b.authType(AuthType.TRUST).authFile(null).poolMin(0).poolMax(poolMax)
                .maxPreparedStatements(maxPreparedStatements));
    }

    /** Where a scenario's clients connect: Berth, or PostgreSQL directly. */
    private record Side(String name, int port, boolean viaBerth) {
        RawClient login() throws IOException {
            return RawClient.login(port, "postgres", "postgres");
        }
    }

    private interface Scenario {
        void run(Side side, Transcript t) throws Exception;
    }

    /** What one side's clients saw, one line per read; every read is checked against the expected types. */
    private static final class Transcript {
        final Side side;
        final List<String> lines = new ArrayList<>();

        Transcript(Side side) {
            this.side = side;
        }

        /** Reads up to as many ReadyForQuery as {@code types} holds, checks the types, records everything. */
        List<Message> expect(String label, RawClient c, String types) throws IOException {
            return expect(label, c, types, false);
        }

        /** As {@link #expect}, for statements whose last column is pg_backend_pid() (left out of the record). */
        List<Message> expectWithPid(String label, RawClient c, String types) throws IOException {
            return expect(label, c, types, true);
        }

        private List<Message> expect(String label, RawClient c, String types, boolean lastColumnIsPid) throws IOException {
            int readies = (int) types.chars().filter(ch -> ch == 'Z').count();
            List<Message> messages = c.readUntilReady(readies);
            String summary = summary(messages, lastColumnIsPid);
            assertEquals(types, RawClient.types(messages), side.name + ", " + label + ": " + summary);
            lines.add(label + ": " + summary);
            return messages;
        }

        /** Reads up to {@code readies} ReadyForQuery and records them unchecked (the comparison at the end judges). */
        List<Message> record(String label, RawClient c, int readies) throws IOException {
            List<Message> messages = c.readUntilReady(readies);
            lines.add(label + ": " + summary(messages, false));
            return messages;
        }

        /** Reads exactly {@code types.length()} messages (for a batch that ends with Flush, not Sync). */
        List<Message> expectExactly(String label, RawClient c, String types) throws IOException {
            List<Message> messages = new ArrayList<>();
            for (int i = 0; i < types.length(); i++) {
                messages.add(c.read());
            }
            String summary = summary(messages, false);
            assertEquals(types, RawClient.types(messages), side.name + ", " + label + ": " + summary);
            lines.add(label + ": " + summary);
            return messages;
        }
    }

    /** Runs the scenario directly against PostgreSQL, then through Berth: both must see the same. */
    private static void sameAsPostgres(RunningBerth berth, Scenario scenario) throws Exception {
        Transcript direct = new Transcript(new Side("PostgreSQL directly", TestPostgres.port(), false));
        scenario.run(direct.side, direct);
        Transcript viaBerth = new Transcript(new Side("through Berth", berth.port(), true));
        scenario.run(viaBerth.side, viaBerth);
        assertEquals(String.join("\n", direct.lines), String.join("\n", viaBerth.lines),
                "the client sees through Berth exactly what PostgreSQL itself sends");
    }

    /** Message types with the contents that matter: rows, tags, SQLSTATE and message, descriptions, status. */
    static String summary(List<Message> messages, boolean lastColumnIsPid) {
        StringJoiner j = new StringJoiner(" ");
        for (Message m : messages) {
            switch (m.type()) {
                case 'D' -> {
                    List<String> cols = columns(m);
                    j.add("D" + (lastColumnIsPid ? cols.subList(0, cols.size() - 1) : cols));
                }
                case 'C' -> j.add("C(" + m.text().replace("\0", "") + ")");
                case 'E' -> j.add("E(" + m.field('C') + " " + m.field('M') + ")");
                case 'Z' -> j.add("Z" + (char) m.payload()[0]);
                case 't' -> j.add("t(" + HexFormat.of().formatHex(m.payload()) + ")");
                case 'T' -> j.add("T(" + HexFormat.of().formatHex(withoutTableOids(m.payload())) + ")");
                default -> j.add(String.valueOf(m.type()));
            }
        }
        return j.toString();
    }

    /** A RowDescription with its table OIDs zeroed: each side of a scenario creates its own tables. */
    private static byte[] withoutTableOids(byte[] payload) {
        byte[] copy = payload.clone();
        int fields = ((copy[0] & 0xff) << 8) | (copy[1] & 0xff);
        int at = 2;
        for (int f = 0; f < fields; f++) {
            while (copy[at] != 0) {
                at++;
            }
            Arrays.fill(copy, at + 1, at + 5, (byte) 0);
            at += 1 + 18;
        }
        return copy;
    }

    private static List<String> dataRow(List<Message> messages) {
        return columns(messages.stream().filter(m -> m.type() == 'D').findFirst().orElseThrow());
    }

    private static int pidIn(List<Message> messages) {
        List<String> row = dataRow(messages);
        return Integer.parseInt(row.get(row.size() - 1));
    }

    /** A client of Berth holding a backend in an open transaction. */
    private record Held(RawClient client, int pid) {
        void release() throws IOException {
            client.send(batch().query("commit"));
            assertEquals("CZ", RawClient.types(client.readUntil('Z')));
        }
    }

    /** Opens a transaction on whatever backend {@code h} gets; returns {pid, 1 if that backend has {@code sql} prepared}. */
    private static int[] beginAndInspect(RawClient h, String sql) throws IOException {
        h.send(batch().query("begin; select pg_backend_pid(), count(*) from pg_prepared_statements"
                + " where name like 'BERTH\\_%' and statement = $berth$" + sql + "$berth$"));
        List<Message> r = h.readUntil('Z');
        assertEquals("CTDCZ", RawClient.types(r));
        List<String> row = dataRow(r);
        return new int[] {Integer.parseInt(row.get(0)), Integer.parseInt(row.get(1))};
    }

    /**
     * Berth with a pool of two: makes {@code h1} or {@code h2} (logged in, idle) hold, in an open transaction,
     * the one backend on which {@code sql} is prepared, so that the next client must take the other one.
     */
    private static Held holdTheBackendThatHas(String sql, RawClient h1, RawClient h2) throws IOException {
        int[] first = beginAndInspect(h1, sql);
        if (first[1] == 1) {
            return new Held(h1, first[0]);
        }
        int[] second = beginAndInspect(h2, sql);
        assertEquals(1, second[1], "with the other backend held, the second holder gets the one with the statement");
        new Held(h1, first[0]).release();
        return new Held(h2, second[0]);
    }

    // ---- 1. re-prepare on another backend ----

    @Test
    void statementPreparedOnOneBackendRunsOnAnotherWithoutAnExtraParseComplete() throws Exception {
        String sql = "select $1::int + 1, pg_backend_pid()";
        try (RunningBerth berth = berth(2, 200)) {
            sameAsPostgres(berth, (side, t) -> {
                try (RawClient a = side.login(); RawClient h1 = side.login(); RawClient h2 = side.login()) {
                    a.send(batch().parse("S1", sql, 23).sync());
                    t.expect("parse", a, "1Z");
                    Held held = side.viaBerth() ? holdTheBackendThatHas(sql, h1, h2) : null;
                    a.send(batch().bind("", "S1", "41").execute("").sync());
                    List<Message> r = t.expectWithPid("execute while the preparing backend is held", a, "2DCZ");
                    assertEquals("42", dataRow(r).get(0));
                    if (held != null) {
                        assertNotEquals(held.pid(), pidIn(r), "ran on the backend that did not have the statement");
                        held.release();
                    }
                    for (int i = 0; i < 4; i++) {
                        a.send(batch().bind("", "S1", String.valueOf(i)).execute("").sync());
                        r = t.expectWithPid("execute " + i, a, "2DCZ");
                        assertEquals(String.valueOf(i + 1), dataRow(r).get(0));
                    }
                    // Describe of the portal and of the statement, in one batch
                    a.send(batch().bind("p", "S1", "9").describePortal("p").execute("p").describeStatement("S1").sync());
                    r = t.expectWithPid("bind, describe portal, execute, describe statement", a, "2TDCtTZ");
                    assertEquals("10", dataRow(r).get(0));
                }
            });
        }
    }

    // ---- 2. many clients, one name ----

    private static String sharedNameSql(int client) {
        return switch (client % 3) {
            case 0 -> "select 'a'::text, $1::text, pg_backend_pid()";
            case 1 -> "select 'b'::text, $1::text, pg_backend_pid()";
            default -> "select 'own-" + client + "'::text, $1::text, pg_backend_pid()";
        };
    }

    private static String sharedNameLabel(int client) {
        return switch (client % 3) {
            case 0 -> "a";
            case 1 -> "b";
            default -> "own-" + client;
        };
    }

    @Test
    void manyClientsUsingOneNameForTheSameAndForDifferentStatementsEachGetTheirOwn() throws Exception {
        int clientCount = 10;
        try (RunningBerth berth = berth(2, 200)) {
            sameAsPostgres(berth, (side, t) -> {
                List<RawClient> clients = new ArrayList<>();
                try {
                    for (int i = 0; i < clientCount; i++) {
                        clients.add(side.login());
                    }
                    for (int i = 0; i < clientCount; i++) { // all sent before any answer is read
                        clients.get(i).send(batch().parse("S_1", sharedNameSql(i), 25).sync());
                    }
                    for (int i = 0; i < clientCount; i++) {
                        t.expect("client " + i + " parse", clients.get(i), "1Z");
                    }
                    Random random = new Random(7);
                    Set<Integer> pids = new HashSet<>();
                    for (int round = 0; round < 20; round++) {
                        // every other round, one client runs its statement inside an open transaction meanwhile
                        int holder = round % 2 == 0 ? round % clientCount : -1;
                        if (holder >= 0) {
                            RawClient h = clients.get(holder);
                            h.send(batch().query("begin").bind("", "S_1", "in-transaction-" + round).execute("").sync());
                            List<Message> r = t.expectWithPid("round " + round + " holder " + holder, h, "CZ2DCZ");
                            assertEquals(List.of(sharedNameLabel(holder), "in-transaction-" + round),
                                    dataRow(r).subList(0, 2));
                            pids.add(pidIn(r));
                        }
                        List<Integer> order = new ArrayList<>();
                        for (int i = 0; i < clientCount; i++) {
                            if (i != holder) {
                                order.add(i);
                            }
                        }
                        Collections.shuffle(order, random);
                        for (int i : order) {
                            clients.get(i).send(batch().bind("", "S_1", "r" + round + "-c" + i).execute("").sync());
                        }
                        for (int i : order) {
                            List<Message> r = t.expectWithPid("round " + round + " client " + i, clients.get(i), "2DCZ");
                            assertEquals(List.of(sharedNameLabel(i), "r" + round + "-c" + i), dataRow(r).subList(0, 2),
                                    side.name() + ": client " + i + " runs its own statement");
                            pids.add(pidIn(r));
                        }
                        if (holder >= 0) {
                            clients.get(holder).send(batch().query("commit"));
                            t.expect("round " + round + " holder commits", clients.get(holder), "CZ");
                        }
                    }
                    if (side.viaBerth()) {
                        assertEquals(2, pids.size(), "the statements ran on both backends of the pool: " + pids);
                    }
                } finally {
                    for (RawClient c : clients) {
                        c.close();
                    }
                }
            });
        }
    }

    // ---- 3. eviction ----

    @Test
    void statementsEvictedFromABackendArePreparedAgainWhenUsed() throws Exception {
        try (RunningBerth berth = berth(2, 2)) {
            sameAsPostgres(berth, (side, t) -> {
                try (RawClient c = side.login(); RawClient h = side.login()) {
                    for (int i = 0; i < 5; i++) {
                        c.send(batch().parse("E" + i, "select " + i + " + $1::int", 23).sync());
                        t.expect("parse E" + i, c, "1Z");
                    }
                    for (int round = 0; round < 4; round++) {
                        if (round == 2) { // the other backend for a round
                            h.send(batch().query("begin; select 1"));
                            t.expect("hold a backend", h, "CTDCZ");
                        }
                        for (int k = 0; k < 5; k++) {
                            int i = round % 2 == 0 ? k : 4 - k;
                            c.send(batch().bind("", "E" + i, "100").execute("").sync());
                            List<Message> r = t.expect("round " + round + " E" + i, c, "2DCZ");
                            assertEquals(List.of(String.valueOf(100 + i)), dataRow(r));
                        }
                        if (round == 2) {
                            h.send(batch().query("commit"));
                            t.expect("release it", h, "CZ");
                        }
                    }
                    // all five in one pipeline: more statements than a backend may keep, all needed before Sync
                    RawClient.Batch all = batch();
                    for (int i = 0; i < 5; i++) {
                        all.bind("", "E" + i, String.valueOf(i)).execute("");
                    }
                    c.send(all.sync());
                    List<Message> r = t.expect("all five in one pipeline", c, "2DC2DC2DC2DC2DCZ");
                    assertEquals(List.of("0", "2", "4", "6", "8"), RawClient.firstColumns(r));
                    // and each of them once more, now that the pipeline left more than two on the backend
                    for (int i = 4; i >= 0; i--) {
                        c.send(batch().bind("", "E" + i, "1").execute("").sync());
                        assertEquals(List.of(String.valueOf(i + 1)), dataRow(t.expect("again E" + i, c, "2DCZ")));
                    }
                }
            });
        }
    }

    @Test
    void evictionInAPipelineThatFailsLeavesTheEvictedStatementUsable() throws Exception {
        try (RunningBerth berth = berth(1, 2)) {
            sameAsPostgres(berth, (side, t) -> {
                try (RawClient c = side.login()) {
                    c.send(batch().parse("A", "select 'a'").sync());
                    t.expect("parse A", c, "1Z");
                    c.send(batch().parse("B", "select 'b'").sync());
                    t.expect("parse B", c, "1Z");
                    c.send(batch().bind("", "nosuch").execute("").parse("C", "select 'c'").sync());
                    assertEquals("26000", RawClient.errorCodes(t.expect("error, then a Parse that evicts", c, "EZ")).get(0));
                    c.send(batch().bind("", "A").execute("").sync());
                    assertEquals(List.of("a"), dataRow(t.expect("A still there", c, "2DCZ")));
                    c.send(batch().bind("", "B").execute("").sync());
                    assertEquals(List.of("b"), dataRow(t.expect("B still there", c, "2DCZ")));
                    c.send(batch().bind("", "C").execute("").sync());
                    assertEquals("26000", RawClient.errorCodes(t.expect("C was never prepared", c, "EZ")).get(0));
                }
            });
        }
    }

    // ---- 4. failed Parse ----

    @Test
    void failedParseIsNotRecorded() throws Exception {
        try (RunningBerth berth = berth(2, 200)) {
            sameAsPostgres(berth, (side, t) -> {
                try (RawClient c = side.login()) {
                    c.send(batch().parse("S_bad", "selec 1").sync());
                    assertEquals(List.of("42601"), RawClient.errorCodes(t.expect("bad parse", c, "EZ")));
                    c.send(batch().bind("", "S_bad").execute("").sync());
                    assertEquals(List.of("26000"), RawClient.errorCodes(t.expect("bind of the failed name", c, "EZ")));
                    c.send(batch().describeStatement("S_bad").sync());
                    assertEquals(List.of("26000"), RawClient.errorCodes(t.expect("describe of the failed name", c, "EZ")));
                    c.send(batch().parse("S_bad", "select 7").sync());
                    t.expect("the name is free", c, "1Z");
                    c.send(batch().bind("", "S_bad").execute("").sync());
                    assertEquals(List.of("7"), dataRow(t.expect("and usable", c, "2DCZ")));
                    // a failing Parse in a pipeline: the rest up to Sync is skipped
                    c.send(batch().parse("S_bad2", "select nosuchcolumn").bind("", "S_bad2").execute("").sync());
                    assertEquals(List.of("42703"), RawClient.errorCodes(t.expect("failed parse in a pipeline", c, "EZ")));
                    c.send(batch().bind("", "S_bad2").execute("").sync());
                    assertEquals(List.of("26000"), RawClient.errorCodes(t.expect("then a bind of it", c, "EZ")));
                }
            });
        }
    }

    @Test
    void failedParseIsForgottenForMessagesPipelinedAfterItsSync() throws Exception {
        try (RunningBerth berth = berth(2, 200)) {
            sameAsPostgres(berth, (side, t) -> {
                try (RawClient c = side.login()) {
                    c.send(batch().parse("S_bad2", "select nosuchcolumn").bind("", "S_bad2").execute("").sync()
                            .bind("", "S_bad2").execute("").sync());
                    t.record("failed parse, then a bind of it after Sync, in one write", c, 2);
                }
            });
        }
    }

    @Test
    void aParseThatFailedIsCheckedByTheServerAgainForTheNextClient() throws Exception {
        try (RunningBerth berth = berth(2, 200)) {
            sameAsPostgres(berth, (side, t) -> {
                try (RawClient c1 = side.login(); RawClient c2 = side.login()) {
                    c1.send(batch().parse("S_bad", "selec 1").sync());
                    assertEquals(List.of("42601"), RawClient.errorCodes(t.expect("client 1 bad parse", c1, "EZ")));
                    c2.send(batch().parse("S_bad", "selec 1").sync());
                    assertEquals(List.of("42601"), RawClient.errorCodes(t.expect("client 2 same bad parse", c2, "EZ")));
                    c2.send(batch().bind("", "S_bad").execute("").sync());
                    assertEquals(List.of("26000"), RawClient.errorCodes(t.expect("client 2 bind", c2, "EZ")));
                    c1.send(batch().parse("S_again", "selec 1").sync());
                    assertEquals(List.of("42601"), RawClient.errorCodes(t.expect("client 1 same SQL again", c1, "EZ")));
                }
            });
        }
    }

    // ---- 5. error in the middle of a pipeline ----

    @Test
    void pipelineWithAnErrorInTheMiddleSkipsUpToSyncLikePostgres() throws Exception {
        try (RunningBerth berth = berth(2, 200)) {
            sameAsPostgres(berth, (side, t) -> {
                try (RawClient c = side.login(); RawClient other = side.login()) {
                    // another client makes 'select $1::int' a statement the backend already has
                    other.send(batch().parse("O", "select $1::int", 23).sync());
                    t.expect("other client parses", other, "1Z");
                    c.send(batch()
                            // 1: prepare, run in pieces through a named portal
                            .parse("P_ok", "select $1::int", 23)
                            .parse("P_div", "select 1 / (0 * random())::int")
                            .parse("P_series", "select generate_series(1, 3)")
                            .bind("", "P_ok", "1").execute("")
                            .bind("portal", "P_series").execute("portal", 2).execute("portal", 0)
                            .sync()
                            // 2: division by zero at Execute; the good Bind/Execute after it is skipped
                            .bind("", "P_div").execute("")
                            .bind("", "P_ok", "2").execute("")
                            .sync()
                            // 3: back to normal
                            .bind("", "P_ok", "3").execute("").sync());
                    List<Message> r = t.expect("batch 1", c, "1112DC2DDsDCZ");
                    assertEquals(List.of("1", "1", "2", "3"), RawClient.firstColumns(r));
                    assertEquals(List.of("22012"), RawClient.errorCodes(t.expect("batch 2", c, "2EZ")));
                    assertEquals(List.of("3"), dataRow(t.expect("batch 3", c, "2DCZ")));
                    // the division by zero inside an explicit transaction: the transaction is failed until rollback
                    c.send(batch().query("begin").bind("", "P_div").execute("").sync()
                            .bind("", "P_ok", "1").execute("").sync().query("rollback")
                            .bind("", "P_ok", "2").execute("").sync());
                    List<Message> tx = t.expect("in a transaction", c, "CZ2EZEZCZ2DCZ");
                    assertEquals(List.of("22012", "25P02"), RawClient.errorCodes(tx));
                }
            });
        }
    }

    /**
     * The interleaving behind a once-flaky run of the test above, made certain: the client's batch lands on
     * a backend that lacks its statement (here: another client's DEALLOCATE ALL emptied the only one), so
     * Berth prepares it there inside a transaction that the previous statement aborted; the Parse is
     * skipped, and the batch pipelined after the rollback must not rely on it.
     */
    @Test
    void aStatementPreparedInABatchThatFailsIsPreparedAgainForTheBatchPipelinedAfterIt() throws Exception {
        try (RunningBerth berth = berth(1, 200)) {
            sameAsPostgres(berth, (side, t) -> {
                try (RawClient c = side.login()) {
                    c.send(batch().parse("P_ok", "select $1::int", 23).sync());
                    t.expect("prepare", c, "1Z");
                    try (RawClient other = side.login()) {
                        other.send(batch().query("deallocate all"));
                        t.expect("another client empties the backend", other, "CZ");
                    }
                    c.send(batch().query("begin").query("select 1 / 0")
                            .bind("", "P_ok", "1").execute("").sync()
                            .query("rollback")
                            .bind("", "P_ok", "2").execute("").sync());
                    List<Message> r = t.expect("prepared again in a failed transaction", c, "CZEZEZCZ2DCZ");
                    assertEquals(List.of("22012", "25P02"), RawClient.errorCodes(r));
                    assertEquals(List.of("2"), dataRow(r));
                }
            });
        }
    }

    @Test
    void parsesSkippedAfterAnErrorAreForgottenForMessagesPipelinedAfterTheSync() throws Exception {
        try (RunningBerth berth = berth(1, 200)) {
            sameAsPostgres(berth, (side, t) -> {
                try (RawClient c = side.login(); RawClient other = side.login()) {
                    other.send(batch().parse("O", "select $1::int", 23).sync());
                    t.expect("other client parses", other, "1Z");
                    c.send(batch().parse("P_div", "select 1 / (0 * random())::int").sync());
                    t.expect("parse", c, "1Z");
                    c.send(batch()
                            // 4: a Parse of a new statement after the error is skipped
                            .bind("", "P_div").execute("")
                            .parse("P_new", "select 5").bind("", "P_new").execute("")
                            .sync()
                            // 5: so P_new does not exist
                            .bind("", "P_new").execute("").sync()
                            // 6: a Parse of a statement the backend has (Berth answers it itself) after an error
                            .bind("", "P_div").execute("")
                            .parse("P_same", "select $1::int", 23)
                            .sync()
                            // 7: that name does not exist either
                            .bind("", "P_same", "7").execute("").sync()
                            // 8: both free names work now
                            .parse("P_new", "select 8").bind("", "P_new").execute("")
                            .parse("P_same", "select $1::int", 23).bind("", "P_same", "9").execute("")
                            .sync());
                    List<String> seen = new ArrayList<>();
                    for (int i = 4; i <= 8; i++) {
                        seen.add("batch " + i + ": " + summary(c.readUntil('Z'), false));
                    }
                    t.lines.addAll(seen);
                    String all = String.join("\n", seen);
                    assertEquals(String.join("\n",
                            "batch 4: 2 E(22012 division by zero) ZI",
                            "batch 5: E(26000 prepared statement \"P_new\" does not exist) ZI",
                            "batch 6: 2 E(22012 division by zero) ZI",
                            "batch 7: E(26000 prepared statement \"P_same\" does not exist) ZI",
                            "batch 8: 1 2 D[8] C(SELECT 1) 1 2 D[9] C(SELECT 1) ZI"), all, t.side.name());
                }
            });
        }
    }

    // ---- 6. Close and reuse of a name ----

    @Test
    void closeThenReuseOfANameAndReuseWithoutClose() throws Exception {
        try (RunningBerth berth = berth(2, 200)) {
            sameAsPostgres(berth, (side, t) -> {
                try (RawClient c = side.login(); RawClient h1 = side.login(); RawClient h2 = side.login()) {
                    c.send(batch().parse("S_2", "select 1").close('S', "S_2").sync());
                    t.expect("parse and close", c, "13Z");
                    c.send(batch().parse("S_2", "select 2").bind("", "S_2").execute("").sync());
                    assertEquals(List.of("2"), dataRow(t.expect("same name, new statement", c, "12DCZ")));
                    c.send(batch().parse("S_2", "select 3").sync());
                    List<Message> dup = t.expect("reuse without close", c, "EZ");
                    assertEquals("42P05", dup.get(0).field('C'));
                    assertEquals("prepared statement \"S_2\" already exists", dup.get(0).field('M'));
                    c.send(batch().bind("", "S_2").execute("").sync());
                    assertEquals(List.of("2"), dataRow(t.expect("the old statement is kept", c, "2DCZ")));
                    // the same on a backend that does not have the statement, inside a transaction
                    Held held = side.viaBerth() ? holdTheBackendThatHas("select 2", h1, h2) : null;
                    c.send(batch().query("begin").parse("S_2", "select 3").sync().query("select 1").query("rollback"));
                    List<Message> r = t.expect("reuse in a transaction on another backend", c, "CZEZEZCZ");
                    assertEquals(List.of("42P05", "25P02"), RawClient.errorCodes(r));
                    assertEquals("prepared statement \"S_2\" already exists", r.get(2).field('M'));
                    if (held != null) {
                        held.release();
                    }
                    c.send(batch().bind("", "S_2").execute("").sync());
                    assertEquals(List.of("2"), dataRow(t.expect("still the old statement", c, "2DCZ")));
                    // Close while holding no backend, Close of a name that does not exist, then the name is free
                    c.send(batch().close('S', "S_2").sync());
                    t.expect("close", c, "3Z");
                    c.send(batch().bind("", "S_2").execute("").sync());
                    List<Message> gone = t.expect("bind after close", c, "EZ");
                    assertEquals("26000", gone.get(0).field('C'));
                    assertEquals("prepared statement \"S_2\" does not exist", gone.get(0).field('M'));
                    c.send(batch().close('S', "S_2").close('S', "never_prepared").sync());
                    t.expect("close of names that do not exist", c, "33Z");
                    c.send(batch().parse("S_2", "select 4").bind("", "S_2").execute("").close('S', "S_2")
                            .parse("S_2", "select 5").bind("", "S_2").execute("").sync());
                    assertEquals(List.of("4", "5"), RawClient.firstColumns(t.expect("close and reuse in one pipeline", c,
                            "12DC312DCZ")));
                    // Close of a portal
                    c.send(batch().query("begin").bind("p", "S_2").close('P', "p").execute("p").sync().query("rollback"));
                    assertEquals(List.of("34000"), RawClient.errorCodes(t.expect("closed portal", c, "CZ23EZCZ")));
                }
            });
        }
    }

    // ---- 7. Describe before Bind on a backend that never prepared the statement ----

    @Test
    void describeOfAStatementOnABackendThatNeverPreparedIt() throws Exception {
        String sql = "select $1::int as a, $2::text as b, $3 + 1 as c";
        try (RunningBerth berth = berth(2, 200)) {
            sameAsPostgres(berth, (side, t) -> {
                try (RawClient c = side.login(); RawClient h1 = side.login(); RawClient h2 = side.login()) {
                    c.send(batch().parse("S_desc", sql, 23, 25).sync());
                    t.expect("parse", c, "1Z");
                    Held held = side.viaBerth() ? holdTheBackendThatHas(sql, h1, h2) : null;
                    c.send(batch().describeStatement("S_desc").sync());
                    List<Message> r = t.expect("describe on the other backend", c, "tTZ");
                    Message parameters = r.get(0);
                    assertEquals(3, ((parameters.payload()[0] & 0xff) << 8) | (parameters.payload()[1] & 0xff));
                    assertEquals(23, parameters.int32(2));
                    assertEquals(25, parameters.int32(6));
                    assertEquals(23, parameters.int32(10), "the third type is inferred from $3 + 1");
                    if (held != null) {
                        held.release();
                    }
                    // asyncpg's metadata path: Parse, Describe, Flush; read the description; then Sync
                    c.send(batch().parse("S_flush", "select $1::text as t, 42 as n").describeStatement("S_flush").flush());
                    t.expectExactly("parse, describe, flush", c, "1tT");
                    c.send(batch().sync());
                    t.expect("then sync", c, "Z");
                    // a statement without a result: NoData
                    c.send(batch().parse("S_nodata", "set local work_mem = '8MB'").describeStatement("S_nodata").sync());
                    t.expect("describe of a statement without rows", c, "1tnZ");
                    c.send(batch().bind("", "S_desc", "1", "x", "2").execute("").sync());
                    assertEquals(List.of("1", "x", "3"), dataRow(t.expect("and it runs", c, "2DCZ")));
                }
            });
        }
    }

    // ---- 8. a name that looks like Berth's own ----

    @Test
    void aClientBindingABerthLikeNameNeverGetsAnotherClientsStatement() throws Exception {
        try (RunningBerth berth = berth(1, 200); RawClient other = RawClient.login(berth.port(), "postgres", "postgres");
             RawClient c = RawClient.login(berth.port(), "postgres", "postgres")) {
            for (int i = 0; i < 5; i++) {
                other.send(batch().parse("mine" + i, "select 'secret " + i + " of another client'").sync());
                assertEquals("1Z", RawClient.types(other.readUntil('Z')));
            }
            for (int n = 0; n <= 20; n++) {
                String name = "BERTH_" + n;
                c.send(batch().bind("", name).execute("").sync());
                List<Message> r = c.readUntil('Z');
                assertEquals("EZ", RawClient.types(r), name + ": " + summary(r, false));
                assertEquals("26000", r.get(0).field('C'));
                c.send(batch().describeStatement(name).sync());
                r = c.readUntil('Z');
                assertEquals("EZ", RawClient.types(r), name + ": " + summary(r, false));
                assertEquals("26000", r.get(0).field('C'));
                c.send(batch().query("begin").bind("", name).execute("").sync().query("rollback"));
                r = c.readUntilReady(3);
                assertEquals("CZEZCZ", RawClient.types(r), name + " in a transaction: " + summary(r, false));
            }
            // its own statement called BERTH_1 is its own
            c.send(batch().parse("BERTH_1", "select 'my own'").bind("", "BERTH_1").execute("").sync());
            List<Message> r = c.readUntil('Z');
            assertEquals("12DCZ", RawClient.types(r));
            assertEquals(List.of("my own"), dataRow(r));
            other.send(batch().bind("", "mine0").execute("").sync());
            assertEquals(List.of("secret 0 of another client"), dataRow(other.readUntil('Z')));
        }
    }

    @Test
    void theErrorForABerthLikeNameIsTheOnePostgresSends() throws Exception {
        try (RunningBerth berth = berth(1, 200)) {
            sameAsPostgres(berth, (side, t) -> {
                try (RawClient other = side.login(); RawClient c = side.login()) {
                    other.send(batch().parse("mine", "select 'secret'").sync());
                    t.expect("other parses", other, "1Z");
                    c.send(batch().bind("", "BERTH_1").execute("").sync());
                    t.expect("bind", c, "EZ");
                    c.send(batch().describeStatement("BERTH_1").sync());
                    t.expect("describe", c, "EZ");
                }
            });
        }
    }

    @Test
    void sqlLevelExecuteAndDeallocateCannotReachAnotherClientsStatement() throws Exception {
        try (RunningBerth berth = berth(1, 200)) {
            sameAsPostgres(berth, (side, t) -> {
                try (RawClient a = side.login(); RawClient b = side.login()) {
                    a.send(batch().parse("mine", "select 'secret of A'").sync());
                    t.record("A parses", a, 1);
                    b.send(batch().query("execute \"BERTH_1\""));
                    t.record("B executes BERTH_1", b, 1);
                    b.send(batch().query("deallocate \"BERTH_1\""));
                    t.record("B deallocates BERTH_1", b, 1);
                    a.send(batch().bind("", "mine").execute("").sync());
                    t.record("A runs its statement", a, 1);
                }
            });
        }
    }

    /**
     * SQL EXECUTE of a statement the client prepared by protocol: PostgreSQL runs it; through transaction
     * pooling the statement lives under a shared name, so Berth refuses it with 26000 saying so (pgbouncer
     * passes it on and the server answers that it does not exist). The client's session goes on unharmed.
     */
    @Test
    void sqlExecuteOfAProtocolPreparedStatementIsRefusedWithAnErrorNamingTheLimit() throws Exception {
        try (RunningBerth berth = berth(1, 200); RawClient c = RawClient.login(berth.port(), "postgres", "postgres")) {
            c.send(batch().parse("foobar", "select 1").sync());
            assertEquals("1Z", RawClient.types(c.readUntil('Z')));
            for (String sql : List.of("EXECUTE foobar", "deallocate foobar", "select 1; execute \"foobar\"")) {
                c.send(batch().query(sql));
                List<Message> r = c.readUntil('Z');
                assertEquals("EZ", RawClient.types(r), sql + ": " + summary(r, false));
                assertEquals("26000", r.get(0).field('C'), sql);
                assertEquals("prepared statement \"foobar\" was prepared by the extended protocol, which in transaction"
                        + " pooling runs under a name shared by the pool: SQL EXECUTE and DEALLOCATE cannot reach it",
                        r.get(0).field('M'), sql);
            }
            c.send(batch().bind("", "foobar").execute("").sync());
            assertEquals("2DCZ", RawClient.types(c.readUntil('Z')), "the statement still runs by protocol");
            c.send(batch().query("prepare mine as select 2; execute mine; deallocate mine"));
            assertEquals("CTDCCZ", RawClient.types(c.readUntil('Z')), "SQL-prepared statements are the server's own");
            c.send(batch().query("execute \"FOOBAR\""));
            assertEquals(List.of("26000"), RawClient.errorCodes(c.readUntil('Z')), "another name: PostgreSQL's error");
        }
    }

    // ---- 9. DEALLOCATE ALL ----

    @Test
    void deallocateAllForgetsTheClientsNamesAndLeavesOtherClientsStatementsWorking() throws Exception {
        try (RunningBerth berth = berth(1, 200)) { // one backend: the DEALLOCATE ALL runs where b's statements are
            sameAsPostgres(berth, (side, t) -> {
                try (RawClient a = side.login(); RawClient b = side.login()) {
                    a.send(batch().parse("S_x", "select 'x'").parse("S_a", "select 'a'").sync());
                    t.expect("a parses", a, "11Z");
                    b.send(batch().parse("S_x", "select 'x'").sync());
                    t.expect("b parses the same statement", b, "1Z");
                    b.send(batch().parse("S_y", "select 'y'").sync());
                    t.expect("b parses another", b, "1Z");
                    a.send(batch().query("deallocate all"));
                    t.expect("a deallocates all", a, "CZ");
                    a.send(batch().bind("", "S_x").execute("").sync());
                    List<Message> gone = t.expect("a's S_x is gone", a, "EZ");
                    assertEquals("26000", gone.get(0).field('C'));
                    assertEquals("prepared statement \"S_x\" does not exist", gone.get(0).field('M'));
                    a.send(batch().describeStatement("S_a").sync());
                    assertEquals(List.of("26000"), RawClient.errorCodes(t.expect("a's S_a is gone", a, "EZ")));
                    b.send(batch().bind("", "S_x").execute("").sync());
                    assertEquals(List.of("x"), dataRow(t.expect("b's S_x works", b, "2DCZ")));
                    b.send(batch().bind("", "S_y").execute("").sync());
                    assertEquals(List.of("y"), dataRow(t.expect("b's S_y works", b, "2DCZ")));
                    a.send(batch().parse("S_x", "select 'x2'").bind("", "S_x").execute("")
                            .parse("S_a", "select 'x'").bind("", "S_a").execute("").sync());
                    assertEquals(List.of("x2", "x"), RawClient.firstColumns(t.expect("a reuses its names", a, "12DC12DCZ")));
                    // DEALLOCATE ALL through the extended protocol, and DISCARD ALL
                    a.send(batch().parse("", "deallocate all").bind("", "").execute("").sync());
                    t.expect("a deallocates all (extended)", a, "12CZ");
                    a.send(batch().bind("", "S_x").execute("").sync());
                    assertEquals(List.of("26000"), RawClient.errorCodes(t.expect("gone again", a, "EZ")));
                    b.send(batch().query("discard all"));
                    t.expect("b discards all", b, "CZ");
                    b.send(batch().bind("", "S_y").execute("").sync());
                    assertEquals(List.of("26000"), RawClient.errorCodes(t.expect("b's names are gone", b, "EZ")));
                    a.send(batch().parse("S_x", "select 'y'").bind("", "S_x").execute("").sync());
                    assertEquals(List.of("y"), dataRow(t.expect("a prepares again", a, "12DCZ")));
                }
            });
        }
    }

    @Test
    void deallocateAllThatFailsForgetsNothing() throws Exception {
        try (RunningBerth berth = berth(1, 200)) {
            sameAsPostgres(berth, (side, t) -> {
                try (RawClient a = side.login(); RawClient b = side.login()) {
                    a.send(batch().parse("S_x", "select 1").sync());
                    t.record("a parses", a, 1);
                    b.send(batch().parse("S_x", "select 1").sync());
                    t.record("b parses", b, 1);
                    a.send(batch().query("begin").query("select 1/0").query("deallocate all").query("rollback"));
                    t.record("deallocate all in a failed transaction", a, 4);
                    a.send(batch().bind("", "S_x").execute("").sync());
                    t.record("a's statement is still there", a, 1);
                    b.send(batch().bind("", "S_x").execute("").sync());
                    t.record("b's statement is still there", b, 1);
                }
            });
        }
    }

    @Test
    void deallocateAllThatIsOnlyParsedForgetsNothing() throws Exception {
        try (RunningBerth berth = berth(1, 200)) {
            sameAsPostgres(berth, (side, t) -> {
                try (RawClient a = side.login(); RawClient b = side.login()) {
                    a.send(batch().parse("S_x", "select 1").sync());
                    t.record("a parses", a, 1);
                    b.send(batch().parse("S_x", "select 1").sync());
                    t.record("b parses", b, 1);
                    a.send(batch().parse("", "deallocate all").describeStatement("").sync());
                    t.record("deallocate all parsed and described, not executed", a, 1);
                    a.send(batch().bind("", "S_x").execute("").sync());
                    t.record("a's statement is still there", a, 1);
                    b.send(batch().bind("", "S_x").execute("").sync());
                    t.record("b's statement is still there", b, 1);
                }
            });
        }
    }

    @Test
    void deallocateAllPipelinedWithABindOfAForgottenName() throws Exception {
        try (RunningBerth berth = berth(1, 200)) {
            sameAsPostgres(berth, (side, t) -> {
                try (RawClient a = side.login()) {
                    a.send(batch().parse("S_x", "select 1").sync());
                    t.expect("parse", a, "1Z");
                    for (int i = 0; i < 5; i++) {
                        a.send(batch().query("deallocate all").bind("", "S_x").execute("").sync()
                                .parse("S_x", "select 1").sync());
                        List<Message> r = t.expect("deallocate all, then bind, in one write (" + i + ")", a, "CZEZ1Z");
                        assertEquals("prepared statement \"S_x\" does not exist", r.get(2).field('M'));
                    }
                }
            });
        }
    }

    // ---- 10. schema changes: a shared statement never describes or runs differently from a fresh one ----

    @Test
    void aStatementPreparedAfterATableIsRecreatedDescribesAndRunsTheNewTable() throws Exception {
        String insert = "insert into gen_recreated values ($1)";
        try (RunningBerth berth = berth(2, 200)) {
            sameAsPostgres(berth, (side, t) -> {
                try (RawClient a = side.login()) {
                    a.send(batch().query("drop table if exists gen_recreated; create table gen_recreated(v date)"));
                    t.record("create with a date column", a, 1);
                    a.send(batch().parse("S_ins", insert).describeStatement("S_ins").bind("", "S_ins", "2024-01-01")
                            .execute("").sync());
                    t.expect("a inserts a date", a, "1tn2CZ");
                    a.send(batch().query("drop table gen_recreated; create table gen_recreated(v int)"));
                    t.record("recreate with an int column", a, 1);
                }
                try (RawClient b = side.login()) {
                    b.send(batch().parse("S_ins", insert).describeStatement("S_ins").bind("", "S_ins", "5").execute("")
                            .sync());
                    List<Message> r = t.expect("a new client prepares the same insert", b, "1tn2CZ");
                    assertEquals(23, r.get(1).int32(2), "the parameter is the new column's int4");
                    b.send(batch().query("drop table gen_recreated"));
                    t.record("drop", b, 1);
                }
            });
        }
    }

    /**
     * asyncpg's test_prepare_cache_invalidation_silent through Berth: the client changes a column's type
     * under its own prepared statement and binds it again. PostgreSQL answers 0A000 (the driver then
     * prepares again); a statement silently prepared afresh would return text to a client that expects
     * int4 from the row description it cached.
     */
    @Test
    void aClientsOwnStatementAfterItsSchemaChangeGetsPostgresPlanChangedError() throws Exception {
        try (RunningBerth berth = berth(1, 200)) {
            sameAsPostgres(berth, (side, t) -> {
                try (RawClient c = side.login()) {
                    c.send(batch().query("drop table if exists gen_own; create table gen_own(a int, b int);"
                            + " insert into gen_own values (1, 2)"));
                    t.record("create", c, 1);
                    c.send(batch().parse("S_own", "select * from gen_own").describeStatement("S_own")
                            .bind("", "S_own").execute("").sync());
                    t.expect("prepare, describe, run", c, "1tT2DCZ");
                    c.send(batch().query("alter table gen_own alter column b type text"));
                    t.expect("the client changes a column's type", c, "CZ");
                    c.send(batch().bind("", "S_own").execute("").sync());
                    List<Message> r = t.expect("the cached statement again", c, "EZ");
                    assertEquals(List.of("0A000"), RawClient.errorCodes(r));
                    c.send(batch().query("drop table gen_own"));
                    t.record("drop", c, 1);
                }
            });
        }
    }

    @Test
    void aColumnTypeChangedOnEveryBackendHoldingTheStatementDoesNotFailAFreshClient() throws Exception {
        String select = "select v from gen_altered";
        try (RunningBerth berth = berth(2, 200)) {
            sameAsPostgres(berth, (side, t) -> {
                try (RawClient c1 = side.login(); RawClient c2 = side.login()) {
                    c1.send(batch().query("drop table if exists gen_altered; create table gen_altered(v int);"
                            + " insert into gen_altered values (1)"));
                    t.record("create", c1, 1);
                    // both in a transaction at once: the statement is prepared on both backends
                    for (RawClient c : List.of(c1, c2)) {
                        c.send(batch().query("begin").parse("S_sel", select).bind("", "S_sel").execute("").sync());
                        t.expect("prepare and run in a transaction", c, "CZ12DCZ");
                    }
                    for (RawClient c : List.of(c1, c2)) {
                        c.send(batch().query("commit"));
                        t.expect("commit", c, "CZ");
                    }
                    c1.send(batch().query("alter table gen_altered alter column v type text"));
                    t.expect("alter the column's type", c1, "CZ");
                }
                for (int i = 0; i < 3; i++) {
                    try (RawClient c3 = side.login(); RawClient c4 = side.login()) {
                        c3.send(batch().query("begin").parse("S_sel", select).bind("", "S_sel").describePortal("")
                                .execute("").sync());
                        t.expect("try " + i + ": a fresh client in a transaction", c3, "CZ12TDCZ");
                        c4.send(batch().parse("S_sel", select).bind("", "S_sel").describePortal("").execute("").sync());
                        t.expect("try " + i + ": another fresh client meanwhile", c4, "12TDCZ");
                        c3.send(batch().query("commit"));
                        t.expect("try " + i + ": commit", c3, "CZ");
                    }
                }
                try (RawClient c = side.login()) {
                    c.send(batch().query("drop table gen_altered"));
                    t.record("drop", c, 1);
                }
            });
        }
    }

    /**
     * The realistic case for a transparent retry: a column's type changes where Berth cannot see it (a
     * migration over a direct connection, another pool, a function) while every backend of the pool holds the
     * statement. A fresh client's Parse is answered by Berth (the backend has the statement), and its first
     * Describe or Bind meets {@code cached plan must not change result type}, which PostgreSQL would never give
     * a statement just prepared: Berth prepares it afresh and sends the batch again. A client that prepared the
     * statement before the change gets PostgreSQL's own 0A000, as it would directly.
     */
    @Test
    void aColumnTypeChangedBehindBerthsBackIsRetriedForFreshClientsAndFailsForOldOnesAsInPostgres() throws Exception {
        String select = "select v from gen_hidden";
        try (RunningBerth berth = berth(3, 200)) {
            sameAsPostgres(berth, (side, t) -> {
                List<RawClient> holders = new ArrayList<>();
                for (int i = 0; i < 3; i++) {
                    holders.add(side.login());
                }
                try {
                    RawClient first = holders.get(0);
                    first.send(batch().query("drop table if exists gen_hidden; create table gen_hidden(v int);"
                            + " insert into gen_hidden values (1)"));
                    t.record("create", first, 1);
                    for (RawClient c : holders) { // all in a transaction at once: prepared on every backend
                        c.send(batch().query("begin").parse("S_sel", select).bind("", "S_sel").execute("").sync());
                        t.expect("prepare and run in a transaction", c, "CZ12DCZ");
                    }
                    for (RawClient c : holders) {
                        c.send(batch().query("commit"));
                        t.expect("commit", c, "CZ");
                    }
                    TestPostgres.execute("alter table gen_hidden alter column v type text"); // not through Berth
                    for (int i = 0; i < 3; i++) {
                        try (RawClient a = side.login(); RawClient b = side.login()) {
                            // asyncpg: Parse and Describe, Sync; then Bind and Execute
                            a.send(batch().parse("S_sel", select).describeStatement("S_sel").sync());
                            List<Message> r = t.expect("try " + i + ": a fresh client describes it", a, "1tTZ");
                            assertEquals(25, r.get(2).int32(10), "the column is the new text (type oid after count, name, table, attnum)");
                            a.send(batch().bind("", "S_sel").execute("").sync());
                            assertEquals(List.of("1"), dataRow(t.expect("try " + i + ": and runs it", a, "2DCZ")));
                            // pgjdbc, node-postgres: all in one batch
                            b.send(batch().parse("S_sel", select).bind("", "S_sel").describePortal("").execute("").sync());
                            t.expect("try " + i + ": another fresh client in one batch", b, "12TDCZ");
                        }
                    }
                    // a client that prepared it before the change: PostgreSQL's own error, every time
                    first.send(batch().bind("", "S_sel").execute("").sync());
                    assertEquals(List.of("0A000"), RawClient.errorCodes(t.expect("a statement from before", first, "EZ")));
                    first.send(batch().query("drop table gen_hidden"));
                    t.record("drop", first, 1);
                } finally {
                    for (RawClient c : holders) {
                        c.close();
                    }
                }
            });
        }
    }

    @Test
    void aStatementAlreadyUsedThatAFunctionDeallocatedFailsOnceThenWorks() throws Exception {
        try (RunningBerth berth = berth(1, 200); RawClient a = RawClient.login(berth.port(), "postgres", "postgres");
             RawClient b = RawClient.login(berth.port(), "postgres", "postgres")) {
            b.send(batch().query("create or replace function berth_test_dealloc2() returns void language plpgsql"
                    + " as $$ begin execute 'deallocate all'; end $$"));
            assertEquals("CZ", RawClient.types(b.readUntil('Z')));
            a.send(batch().parse("S_x", "select 'x'").bind("", "S_x").execute("").sync());
            assertEquals("12DCZ", RawClient.types(a.readUntil('Z')));
            b.send(batch().query("select berth_test_dealloc2()"));
            assertEquals("TDCZ", RawClient.types(b.readUntil('Z')));
            // the client has used the statement: not retried (a known limit), and Berth learns from the error
            a.send(batch().bind("", "S_x").execute("").sync());
            assertEquals(List.of("26000"), RawClient.errorCodes(a.readUntil('Z')));
            a.send(batch().bind("", "S_x").execute("").sync());
            List<Message> r = a.readUntil('Z');
            assertEquals("2DCZ", RawClient.types(r), summary(r, false));
            b.send(batch().query("drop function berth_test_dealloc2()"));
            assertEquals("CZ", RawClient.types(b.readUntil('Z')));
        }
    }

    // ---- 11. session mode renames nothing ----

    @Test
    void inSessionModeSqlExecuteRunsAStatementPreparedByProtocol() throws Exception {
        try (RunningBerth berth = RunningBerth.start(b -> b.authType(AuthType.TRUST).authFile(null).poolMin(0).poolMax(2)
                .poolMode(PoolMode.SESSION))) {
            sameAsPostgres(berth, (side, t) -> {
                try (RawClient c = side.login()) {
                    c.send(batch().parse("S_1", "select $1::int * 2", 23).sync());
                    t.expect("parse by protocol", c, "1Z");
                    c.send(batch().query("execute \"S_1\"(21)"));
                    assertEquals(List.of("42"), dataRow(t.expect("SQL execute", c, "TDCZ")));
                    c.send(batch().query("deallocate \"S_1\""));
                    t.expect("SQL deallocate", c, "CZ");
                    c.send(batch().query("prepare q(int) as select $1 + 1"));
                    t.expect("SQL prepare", c, "CZ");
                    c.send(batch().bind("", "q", "1").execute("").sync());
                    assertEquals(List.of("2"), dataRow(t.expect("protocol bind of a SQL-prepared statement", c, "2DCZ")));
                }
            });
        }
    }

    // ---- 12. the unnamed statement between round trips ----

    @Test
    void theUnnamedStatementParsedInOneRoundTripIsTheClientsOwnInTheNext() throws Exception {
        try (RunningBerth berth = berth(1, 200)) { // one backend: another client's unnamed statement replaces it there
            sameAsPostgres(berth, (side, t) -> {
                try (RawClient c = side.login(); RawClient other = side.login()) {
                    // psql's \gdesc: Parse, Sync; then Describe in a second round trip
                    c.send(batch().parse("", "select $1::int + 1 as mine", 23).sync());
                    t.expect("parse the unnamed statement", c, "1Z");
                    other.send(batch().parse("", "select 'other'::text as theirs").bind("", "").execute("").sync());
                    t.expect("another client's unnamed statement", other, "12DCZ");
                    c.send(batch().describeStatement("").sync());
                    t.expect("describe it in the next round trip", c, "tTZ");
                    other.send(batch().parse("", "select 'other'::text as theirs").sync());
                    t.expect("another client again", other, "1Z");
                    c.send(batch().bind("", "", "41").execute("").sync());
                    assertEquals(List.of("42"), dataRow(t.expect("and run it", c, "2DCZ")));
                    // parsed again with other text of the same length (Berth keeps a copy only when the bytes differ)
                    c.send(batch().parse("", "select $1::int + 2 as mine", 23).sync());
                    t.expect("parse another unnamed statement", c, "1Z");
                    other.send(batch().parse("", "select 'other'::text as theirs").sync());
                    t.expect("another client replaces it on the server", other, "1Z");
                    c.send(batch().bind("", "", "40").execute("").sync());
                    assertEquals(List.of("42"), dataRow(t.expect("the new one runs", c, "2DCZ")));
                    // a simple Query destroys it
                    c.send(batch().query("select 1"));
                    t.expect("a simple query", c, "TDCZ");
                    c.send(batch().bind("", "", "1").execute("").sync());
                    assertEquals(List.of("26000"), RawClient.errorCodes(t.expect("gone after the query", c, "EZ")));
                    // a failed Parse leaves none
                    c.send(batch().parse("", "select 1 as ok").sync());
                    t.expect("parse again", c, "1Z");
                    c.send(batch().parse("", "selec 1").sync());
                    t.expect("a failed parse", c, "EZ");
                    c.send(batch().bind("", "").execute("").sync());
                    assertEquals(List.of("26000"), RawClient.errorCodes(t.expect("none after the failed parse", c, "EZ")));
                }
            });
        }
    }

    // ---- 13. statements dropped where Berth cannot see it ----

    @Test
    void statementsDeallocatedInAFunctionArePreparedAgainAfterTheServerSaysSo() throws Exception {
        try (RunningBerth berth = berth(1, 200); RawClient a = RawClient.login(berth.port(), "postgres", "postgres");
             RawClient b = RawClient.login(berth.port(), "postgres", "postgres")) {
            b.send(batch().query("create or replace function berth_test_dealloc() returns void language plpgsql"
                    + " as $$ begin execute 'deallocate all'; end $$"));
            assertEquals("CZ", RawClient.types(b.readUntil('Z')));
            a.send(batch().parse("S_x", "select 'x'").parse("S_y", "select 'y'").sync());
            assertEquals("11Z", RawClient.types(a.readUntil('Z')));
            b.send(batch().query("select berth_test_dealloc()"));
            assertEquals("TDCZ", RawClient.types(b.readUntil('Z')));
            // a fresh client's statement, which Berth believes the backend holds: prepared again and retried
            try (RawClient c = RawClient.login(berth.port(), "postgres", "postgres")) {
                c.send(batch().parse("S_c", "select 'x'").bind("", "S_c").execute("").sync());
                List<Message> r = c.readUntil('Z');
                assertEquals("12DCZ", RawClient.types(r), summary(r, false));
            }
            // Berth learned from it that the backend lost its statements: a's are prepared again when used
            for (int i = 0; i < 3; i++) {
                a.send(batch().bind("", "S_x").execute("").bind("", "S_y").execute("").sync());
                List<Message> r = a.readUntil('Z');
                assertEquals("2DC2DCZ", RawClient.types(r), "try " + i + ": " + summary(r, false));
                assertEquals(List.of("x", "y"), RawClient.firstColumns(r));
            }
            b.send(batch().query("drop function berth_test_dealloc()"));
            assertEquals("CZ", RawClient.types(b.readUntil('Z')));
        }
    }
}
