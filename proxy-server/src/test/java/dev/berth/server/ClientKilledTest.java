package dev.berth.server;

import dev.berth.core.auth.AuthType;
import dev.berth.server.RawClient.Message;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static dev.berth.server.RawClient.batch;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A client killed (its socket reset) mid-transaction, mid-COPY, mid-pipeline or during login leaves its backend
 * rolled back or closed: the next client, on a pool of one, finds no open transaction, none of the dead one's
 * rows, temp tables, prepared statements or settings, and no COPY in progress.
 */
class ClientKilledTest {
    private static RunningBerth berth;

    @BeforeAll
    static void start() throws Exception {
        TestPostgres.execute("create table if not exists killed_work (id int)");
        // cleartext passwords: a login has a step a raw client can stop in the middle of
        berth = RunningBerth.start(b -> b.authType(AuthType.PLAIN).poolMax(1));
    }

    @AfterAll
    static void stop() {
        berth.close();
    }

    @BeforeEach
    void empty() throws Exception {
        TestPostgres.execute("truncate killed_work");
    }

    private static RawClient login() throws Exception {
        RawClient c = startLogin();
        c.message('p', RawClient.cstring("postgres-pw"));
        assertEquals(List.of(), RawClient.errorCodes(c.readUntil('Z')));
        return c;
    }

    /** Sends the startup packet and reads the password request. */
    private static RawClient startLogin() throws Exception {
        RawClient c = new RawClient(berth.port());
        c.startup(Map.of("user", "postgres", "database", "postgres"));
        Message request = c.read();
        assertEquals('R', request.type());
        assertEquals(3, request.int32(0), "AuthenticationCleartextPassword");
        return c;
    }

    @Test
    void killedMidTransactionWithSessionState() throws Exception {
        RawClient dead = login();
        dead.send(batch().query("set work_mem = '1234kB'").query("create temp table leftover (x int)")
                .query("prepare leftover_stmt as select 1").query("begin").query("insert into killed_work values (1)"));
        assertEquals(List.of(), RawClient.errorCodes(dead.readUntilReady(5)));
        dead.reset();
        assertNextClientFindsItClean();
    }

    @Test
    void killedMidCopy() throws Exception {
        RawClient dead = login();
        dead.query("copy killed_work from stdin");
        assertEquals('G', dead.read().type());
        dead.message('d', "1\n2\n".getBytes());
        dead.reset();
        assertNextClientFindsItClean();
    }

    @Test
    void killedMidPipeline() throws Exception {
        RawClient dead = login();
        dead.send(batch().parse("ins", "insert into killed_work values ($1::int)").bind("", "ins", "1").execute("")
                .parse("", "select pg_sleep(0.2)").bind("", "").execute("").flush());
        assertEquals('1', dead.read().type()); // the insert's ParseComplete: the pipeline reached the backend
        dead.reset();
        assertNextClientFindsItClean();
    }

    @Test
    void killedDuringLogin() throws Exception {
        RawClient dead = startLogin(); // asked for its password: the login is under way
        dead.reset();
        RunningBerth.waitFor(() -> berth.server().clientCount() == 0, "the killed login is gone (no other client is left)");
        assertNextClientFindsItClean();
    }

    private static void assertNextClientFindsItClean() throws Exception {
        berth.awaitPool("postgres", "postgres", p -> p.active() == 0 && p.tested() == 0 && p.waiting() == 0,
                "the dead client's backend is cleaned up");
        try (RawClient next = login()) {
            next.query("select (select count(*) from killed_work),"
                    + " (select count(*) from pg_prepared_statements where name not like 'BERTH%'),"
                    + " (select count(*) from pg_class where relpersistence = 't' and pg_table_is_visible(oid)),"
                    + " current_setting('work_mem')");
            List<Message> answer = next.readUntil('Z');
            assertEquals(List.of(), RawClient.errorCodes(answer), "no COPY or aborted transaction left: " + RawClient.types(answer));
            Message row = answer.stream().filter(m -> m.type() == 'D').findFirst().orElseThrow();
            assertEquals(List.of("0", "0", "0", "4MB"), RawClient.columns(row),
                    "rows, prepared statements, temp tables, work_mem the dead client left");
            assertEquals('I', (char) answer.get(answer.size() - 1).payload()[0], "no transaction open");
        }
    }
}
