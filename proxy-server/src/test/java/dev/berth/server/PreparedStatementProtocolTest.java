package dev.berth.server;

import dev.berth.core.auth.AuthType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Named prepared statements in transaction pooling, at the protocol level: each scenario sends the same
 * bytes through Berth and directly to PostgreSQL and expects the same responses, while clients are moved
 * between backends (others hold backends in open transactions so that a client must take another one).
 */
class PreparedStatementProtocolTest {
    static RunningBerth berth;

    @BeforeAll
    static void start() {
        berth = RunningBerth.start(b -> b.authType(AuthType.TRUST).authFile(null).poolMax(3).maxPreparedStatements(2)
                .connectionTimeoutMs(10_000));
    }

    @AfterAll
    static void stop() {
        berth.close();
    }

    private static RawClient viaBerth() throws IOException {
        return RawClient.login(berth.port(), "postgres", "postgres");
    }

    private static RawClient direct() throws IOException {
        return RawClient.login(TestPostgres.port(), "postgres", "postgres");
    }

    private static int backendPid(RawClient c) throws IOException {
        c.query("select pg_backend_pid()");
        return Integer.parseInt(RawClient.firstColumns(c.readUntil('Z')).get(0));
    }

    /** Holds a backend of Berth's pool in an open transaction. */
    private static RawClient holdBackend() throws IOException {
        RawClient c = viaBerth();
        c.query("begin; select 1");
        c.readUntil('Z');
        return c;
    }

    @Test
    void statementPreparedOnOneBackendRunsOnAnotherWithoutAnExtraParseComplete() throws Exception {
        try (RawClient a = viaBerth()) {
            a.parse("S1", "select $1::int + 1", 23).sync();
            assertEquals("1Z", RawClient.types(a.readUntil('Z')));
            int first = backendPid(a);
            List<RawClient> holders = new ArrayList<>();
            holders.add(holdBackend()); // takes the idle backend a just used (LIFO)
            try {
                a.bind("", "S1", "41").execute("").sync();
                List<RawClient.Message> r = a.readUntil('Z');
                assertEquals("2DCZ", RawClient.types(r));
                assertEquals(List.of("42"), RawClient.firstColumns(r));
                a.query("select pg_backend_pid()");
                assertTrue(Integer.parseInt(RawClient.firstColumns(a.readUntil('Z')).get(0)) != first,
                        "the statement really ran on another backend");
            } finally {
                for (RawClient h : holders) {
                    h.close();
                }
            }
        }
    }

    @Test
    void clientsSharingAStatementNameEachRunTheirOwnStatement() throws Exception {
        List<RawClient> clients = new ArrayList<>();
        try {
            for (int i = 0; i < 8; i++) {
                RawClient c = viaBerth();
                // half the clients share the same SQL; every client calls its statement S_1
                String sql = i % 2 == 0 ? "select 'shared-' || $1::text" : "select 'own-" + i + "-' || $1::text";
                c.parse("S_1", sql, 25).sync();
                assertEquals("1Z", RawClient.types(c.readUntil('Z')));
                clients.add(c);
            }
            for (int round = 0; round < 5; round++) {
                for (int i = 0; i < clients.size(); i++) {
                    RawClient c = clients.get(i);
                    c.bind("", "S_1", "r" + round).execute("").sync();
                    List<RawClient.Message> r = c.readUntil('Z');
                    assertEquals("2DCZ", RawClient.types(r));
                    String expected = (i % 2 == 0 ? "shared-" : "own-" + i + "-") + "r" + round;
                    assertEquals(List.of(expected), RawClient.firstColumns(r), "client " + i);
                }
            }
        } finally {
            for (RawClient c : clients) {
                c.close();
            }
        }
    }

    @Test
    void statementsEvictedFromABackendAreReprepared() throws Exception {
        try (RawClient c = viaBerth()) {
            for (int i = 0; i < 5; i++) {
                c.parse("E" + i, "select " + i + " + $1::int", 23).sync();
                assertEquals("1Z", RawClient.types(c.readUntil('Z')));
            }
            for (int round = 0; round < 3; round++) {
                for (int i = 0; i < 5; i++) {
                    c.bind("", "E" + i, "100").execute("").sync();
                    List<RawClient.Message> r = c.readUntil('Z');
                    assertEquals("2DCZ", RawClient.types(r));
                    assertEquals(List.of(String.valueOf(100 + i)), RawClient.firstColumns(r));
                }
            }
        }
    }

    /** Sends the same messages through Berth and directly; the response types and data must match. */
    private interface Script {
        void run(RawClient c) throws IOException;
    }

    private static void sameAsPostgres(Script script, int readyForQueries, String expectedTypes) throws IOException {
        String berthTypes;
        List<String> berthData;
        try (RawClient c = viaBerth()) {
            script.run(c);
            List<RawClient.Message> all = new ArrayList<>();
            for (int i = 0; i < readyForQueries; i++) {
                all.addAll(c.readUntil('Z'));
            }
            berthTypes = RawClient.types(all);
            berthData = RawClient.firstColumns(all);
            try (RawClient d = direct()) {
                script.run(d);
                List<RawClient.Message> expected = new ArrayList<>();
                for (int i = 0; i < readyForQueries; i++) {
                    expected.addAll(d.readUntil('Z'));
                }
                assertEquals(RawClient.types(expected), berthTypes, "same responses as PostgreSQL");
                assertEquals(RawClient.firstColumns(expected), berthData);
                List<String> berthStates = new ArrayList<>();
                List<String> directStates = new ArrayList<>();
                all.stream().filter(m -> m.type() == 'E').forEach(m -> berthStates.add(m.field('C')));
                expected.stream().filter(m -> m.type() == 'E').forEach(m -> directStates.add(m.field('C')));
                assertEquals(directStates, berthStates, "same SQLSTATEs");
            }
        }
        assertEquals(expectedTypes, berthTypes);
    }

    @Test
    void failedParseIsNotRemembered() throws Exception {
        sameAsPostgres(c -> {
            c.parse("S_bad", "selec 1").sync();
            c.bind("", "S_bad").execute("").sync();
            c.parse("S_bad", "select 7").bind("", "S_bad").execute("").sync();
        }, 3, "EZEZ12DCZ");
    }

    @Test
    void pipelineWithAnErrorInTheMiddle() throws Exception {
        sameAsPostgres(c -> {
            c.parse("P_ok", "select $1::int", 23).bind("", "P_ok", "1").execute("").sync();
            c.parse("P_div", "select 1 / $1::int", 23).bind("", "P_div", "0").execute("")
                    .bind("", "P_ok", "2").execute("").sync();
            c.bind("", "P_ok", "3").execute("").sync();
        }, 3, "12DCZ1EZ2DCZ"); // PostgreSQL reports the division by zero at Bind (the plan folds the parameter)
    }

    @Test
    void closeThenReuseOfANameAndReuseWithoutClose() throws Exception {
        sameAsPostgres(c -> {
            c.parse("S_2", "select 1").close('S', "S_2").sync();
            c.parse("S_2", "select 2").bind("", "S_2").execute("").sync();
            c.parse("S_2", "select 3").sync();
        }, 3, "13Z12DCZEZ");
        try (RawClient c = viaBerth()) {
            c.parse("S_dup", "select 1").sync();
            c.readUntil('Z');
            c.parse("S_dup", "select 1").sync();
            List<RawClient.Message> r = c.readUntil('Z');
            RawClient.Message error = r.get(0);
            assertEquals("42P05", error.field('C'));
            assertEquals("prepared statement \"S_dup\" already exists", error.field('M'));
        }
    }

    @Test
    void describeOfAStatementBeforeBindOnABackendThatNeverPreparedIt() throws Exception {
        try (RawClient c = viaBerth()) {
            c.parse("S_desc", "select $1::int as a, $2::text as b", 23, 25).sync();
            c.readUntil('Z');
            RawClient holder = holdBackend();
            try {
                c.describe('S', "S_desc").sync();
                List<RawClient.Message> r = c.readUntil('Z');
                assertEquals("tTZ", RawClient.types(r));
                assertEquals(2, r.get(0).payload()[1], "two parameters described");
            } finally {
                holder.close();
            }
        }
        sameAsPostgres(c -> c.parse("S_d2", "select $1::int", 23).describe('S', "S_d2").sync(), 1, "1tTZ");
    }

    @Test
    void aStatementNamedLikeBerthsOwnIsNeverAnotherClientsStatement() throws Exception {
        try (RawClient other = viaBerth(); RawClient c = viaBerth()) {
            other.parse("mine", "select 'secret of another client'").sync();
            other.readUntil('Z');
            for (int n = 1; n < 30; n++) {
                c.bind("", "BERTH_" + n).execute("").sync();
                List<RawClient.Message> r = c.readUntil('Z');
                assertEquals("EZ", RawClient.types(r));
                assertEquals("26000", r.get(0).field('C'));
            }
        }
    }

    @Test
    void deallocateAllForgetsThisClientsNamesOnly() throws Exception {
        try (RawClient a = viaBerth(); RawClient b = viaBerth()) {
            a.parse("S_x", "select 'a'").sync();
            a.readUntil('Z');
            b.parse("S_x", "select 'b'").sync();
            b.readUntil('Z');
            a.query("deallocate all");
            a.readUntil('Z');
            a.bind("", "S_x").execute("").sync();
            List<RawClient.Message> gone = a.readUntil('Z');
            assertEquals("26000", gone.get(0).field('C'));
            b.bind("", "S_x").execute("").sync();
            List<RawClient.Message> r = b.readUntil('Z');
            assertEquals("2DCZ", RawClient.types(r));
            assertEquals(List.of("b"), RawClient.firstColumns(r));
        }
    }
}
