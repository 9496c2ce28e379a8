package dev.berth.core.session;

import dev.berth.core.prepared.ClientStatements;
import dev.berth.core.prepared.PreparedStatementMetrics;
import dev.berth.core.prepared.PreparedStatementRegistry;
import dev.berth.core.prepared.ServerStatements;
import dev.berth.core.prepared.StatementKey;
import dev.berth.core.protocol.ErrorResponse;
import dev.berth.core.protocol.Messages;
import dev.berth.core.protocol.ProtocolException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PreparedStatementRelayTest {
    private static final ByteBufAllocator ALLOC = UnpooledByteBufAllocator.DEFAULT;

    /** Every frame the test built: all must be released by the end of the test. */
    private final List<ByteBuf> created = new ArrayList<>();
    private final List<PreparedStatementRelay> relays = new ArrayList<>();
    private final PreparedStatementRegistry registry = new PreparedStatementRegistry(1 << 20, new AtomicLong());
    private final CountingMetrics metrics = new CountingMetrics();
    private final Recorder out = new Recorder();
    private final ClientStatements alice = new ClientStatements();
    private final ClientStatements bob = new ClientStatements();

    @AfterEach
    void everyFrameIsReleased() {
        relays.forEach(PreparedStatementRelay::close);
        for (int i = 0; i < created.size(); i++) {
            assertEquals(0, created.get(i).refCnt(), "frame " + i + " built by the test was not released");
        }
    }

    // ---- Parse ----

    @Test
    void namedParseIsSentUnderABerthName() {
        Backend b = backend(100, alice);
        b.client(parse("S_1", "select $1", 23));
        assertEquals(List.of("P|BERTH_1|select $1|23"), out.sent());
        b.client(sync());
        assertEquals(List.of("S"), out.sent());
        assertEquals(List.of(), out.received());

        b.server(parseComplete(), ready());
        assertEquals(List.of("1", "Z|I"), out.received());
        assertTrue(b.relay.isEmpty());
        assertEquals("BERTH_1", alice.get("S_1").serverName());
        assertTrue(b.statements.contains("BERTH_1"));
    }

    @Test
    void unnamedStatementsAreForwardedUnchanged() {
        Backend b = backend(100, alice);
        b.client(parse("", "select $1", 25), bind("", "", "x"), describe('P', ""), execute(""), sync());
        assertEquals(List.of("P||select $1|25", "B|||x", "D|P|", "E|", "S"), out.sent());
        b.server(parseComplete(), bindComplete(), rowDescription(), dataRow(), commandComplete("SELECT 1"), ready());
        assertEquals(List.of("1", "2", "T", "D", "C", "Z|I"), out.received());
        assertTrue(b.relay.isEmpty());
        assertEquals(0, registry.size());
        assertEquals(0, alice.size());
    }

    @Test
    void framesWithAnOffsetReaderIndexAreRead() {
        Backend b = backend(100, alice);
        b.client(offset(parse("S_1", "select $1", 23)), offset(bind("p", "S_1", "42")), offset(sync()));
        assertEquals(List.of("P|BERTH_1|select $1|23", "B|p|BERTH_1|42", "S"), out.sent());
        b.server(parseComplete(), bindComplete(), ready());
        assertEquals(List.of("1", "2", "Z|I"), out.received());
    }

    @Test
    void anotherClientParsingTheSameStatementUnderTheSameNameIsAnsweredByTheRelay() {
        Backend b = backend(100, alice);
        prepare(b, "S_1", "select 1");
        b.relay.attach(bob, registry);

        b.client(parse("S_1", "select 1"));
        assertEquals(List.of(), out.sent());
        assertEquals(List.of("1"), out.received());
        assertEquals("BERTH_1", bob.get("S_1").serverName());
        assertTrue(b.relay.isEmpty());
    }

    @Test
    void anotherClientParsingTheSameStatementUnderAnotherNameSharesIt() {
        Backend b = backend(100, alice);
        prepare(b, "S_1", "select 1");
        b.relay.attach(bob, registry);

        b.client(parse("mine", "select 1"));
        assertEquals(List.of(), out.sent());
        assertEquals(List.of("1"), out.received());

        b.client(bind("", "mine", "v"), execute(""), sync());
        assertEquals(List.of("B||BERTH_1|v", "E|", "S"), out.sent());
        b.server(bindComplete(), commandComplete("SELECT 1"), ready());
        assertEquals(List.of("2", "C", "Z|I"), out.received());
    }

    @Test
    void parameterTypesMakeADifferentStatement() {
        Backend b = backend(100, alice);
        prepare(b, "S_1", "select $1");
        b.client(parse("S_2", "select $1", 23));
        assertEquals(List.of("P|BERTH_2|select $1|23"), out.sent());
        b.server(parseComplete());
        assertEquals(List.of("1"), out.received());
    }

    // ---- Bind / Describe on a server that lacks the statement ----

    @Test
    void bindOnAnotherServerPreparesTheStatementFirstAndSwallowsItsParseComplete() {
        Backend first = backend(100, alice);
        prepare(first, "S_1", "select 1");
        first.relay.detach();
        Backend second = backend(100, alice);

        second.client(bind("", "S_1", "a"), execute(""), sync());
        assertEquals(List.of("P|BERTH_1|select 1", "B||BERTH_1|a", "E|", "S"), out.sent());
        second.server(parseComplete(), bindComplete(), dataRow(), commandComplete("SELECT 1"), ready());
        assertEquals(List.of("2", "D", "C", "Z|I"), out.received());
        assertTrue(second.relay.isEmpty());
        assertEquals(1, second.relay.reprepares());
        assertEquals(1, metrics.reprepared);
        assertTrue(second.statements.contains("BERTH_1"));
    }

    @Test
    void aStatementIsPreparedOnAServerOnlyOnce() {
        Backend first = backend(100, alice);
        prepare(first, "S_1", "select 1");
        Backend second = backend(100, alice);
        second.client(bind("", "S_1"), execute(""), sync());
        second.server(parseComplete(), bindComplete(), commandComplete("SELECT 1"), ready());
        out.sent();
        out.received();

        second.client(bind("", "S_1"), execute(""), sync());
        assertEquals(List.of("B||BERTH_1", "E|", "S"), out.sent());
        assertEquals(1, second.relay.reprepares());
    }

    @Test
    void describeOnAnotherServerPreparesTheStatementFirst() {
        Backend first = backend(100, alice);
        prepare(first, "S_1", "select $1", 23);
        Backend second = backend(100, alice);

        second.client(describe('S', "S_1"), sync());
        assertEquals(List.of("P|BERTH_1|select $1|23", "D|S|BERTH_1", "S"), out.sent());
        second.server(parseComplete(), parameterDescription(23), rowDescription(), ready());
        assertEquals(List.of("t", "T", "Z|I"), out.received());
        assertTrue(second.relay.isEmpty());
    }

    @Test
    void describeStatementAnsweredByNoDataCompletes() {
        Backend b = backend(100, alice);
        prepare(b, "S_1", "insert into t values (1)");
        b.client(describe('S', "S_1"), sync());
        assertEquals(List.of("D|S|BERTH_1", "S"), out.sent());
        b.server(parameterDescription(), noData(), ready());
        assertEquals(List.of("t", "n", "Z|I"), out.received());
        assertTrue(b.relay.isEmpty());
    }

    @Test
    void serverStatementsLostMakesTheNextBindPrepareAgain() {
        Backend b = backend(100, alice);
        prepare(b, "S_1", "select 1");
        b.relay.serverStatementsLost();
        assertFalse(b.statements.contains("BERTH_1"));
        b.client(bind("", "S_1"), sync());
        assertEquals(List.of("P|BERTH_1|select 1", "B||BERTH_1", "S"), out.sent());
        b.server(parseComplete(), bindComplete(), ready());
        assertEquals(List.of("2", "Z|I"), out.received());
    }

    // ---- Close ----

    @Test
    void closeOfAStatementIsAnsweredByTheRelay() {
        Backend b = backend(100, alice);
        prepare(b, "S_1", "select 1");

        b.client(close('S', "S_1"));
        assertEquals(List.of(), out.sent());
        assertEquals(List.of("3"), out.received());
        assertNull(alice.get("S_1"));
        assertTrue(b.statements.contains("BERTH_1")); // kept for other clients

        b.client(sync());
        assertEquals(List.of("S"), out.sent());
        b.server(ready());
        assertEquals(List.of("Z|I"), out.received());
        assertTrue(b.relay.isEmpty());
    }

    @Test
    void closeOfAPortalOrTheUnnamedStatementIsForwarded() {
        Backend b = backend(100, alice);
        b.client(close('P', "cur"), close('S', ""), sync());
        assertEquals(List.of("C|P|cur", "C|S|", "S"), out.sent());
        b.server(closeComplete(), closeComplete(), ready());
        assertEquals(List.of("3", "3", "Z|I"), out.received());
        assertTrue(b.relay.isEmpty());
    }

    @Test
    void afterCloseTheNameCanBeParsedAgain() {
        Backend b = backend(100, alice);
        prepare(b, "S_1", "select 1");
        b.client(close('S', "S_1"), parse("S_1", "select 2"), sync());
        assertEquals(List.of("P|BERTH_2|select 2", "S"), out.sent());
        assertEquals(List.of("3"), out.received());
        b.server(parseComplete(), ready());
        assertEquals(List.of("1", "Z|I"), out.received());
        assertEquals("BERTH_2", alice.get("S_1").serverName());
    }

    // ---- order of responses ----

    @Test
    void aSynthesizedParseCompleteWaitsForTheResponsesBeforeIt() {
        Backend b = backend(100, alice);
        prepare(b, "S_1", "select 1");

        b.client(bind("", "S_1"), execute(""), sync(), parse("S_2", "select 1"), sync());
        assertEquals(List.of("B||BERTH_1", "E|", "S", "S"), out.sent());
        assertEquals(List.of(), out.received());

        b.server(bindComplete(), dataRow(), commandComplete("SELECT 1"));
        assertEquals(List.of("2", "D", "C"), out.received());
        b.server(ready());
        assertEquals(List.of("Z|I", "1"), out.received());
        b.server(ready());
        assertEquals(List.of("Z|I"), out.received());
        assertTrue(b.relay.isEmpty());
    }

    @Test
    void aSynthesizedCloseCompleteComesAfterTheExecuteBeforeIt() {
        Backend b = backend(100, alice);
        prepare(b, "S_1", "select 1");

        b.client(bind("", "S_1"), execute(""), close('S', "S_1"), sync());
        assertEquals(List.of("B||BERTH_1", "E|", "S"), out.sent());
        assertEquals(List.of(), out.received());
        b.server(bindComplete(), dataRow(), commandComplete("SELECT 1"), ready());
        assertEquals(List.of("2", "D", "C", "3", "Z|I"), out.received());
        assertTrue(b.relay.isEmpty());
    }

    @Test
    void isEmptyOnlyWhenEveryRequestIsAnswered() {
        Backend b = backend(100, alice);
        assertTrue(b.relay.isEmpty());
        b.client(parse("S_1", "select 1"));
        assertFalse(b.relay.isEmpty());
        b.client(sync());
        b.server(parseComplete());
        assertFalse(b.relay.isEmpty());
        b.server(ready());
        assertTrue(b.relay.isEmpty());
        assertEquals(List.of("1", "Z|I"), out.received());
    }

    @Test
    void noticesAndParameterStatusPassThroughWithoutAnsweringARequest() {
        Backend b = backend(100, alice);
        b.client(query("select 1"));
        b.server(notice("hello"), parameterStatus("TimeZone", "UTC"));
        assertEquals(List.of("N", "S"), out.received());
        assertFalse(b.relay.isEmpty());
        b.server(rowDescription(), dataRow(), commandComplete("SELECT 1"), ready());
        assertEquals(List.of("T", "D", "C", "Z|I"), out.received());
        assertTrue(b.relay.isEmpty());
    }

    @Test
    void framesWithNothingOutstandingGoToTheClient() {
        Backend b = backend(100, alice);
        b.server(notice("late"), ready());
        assertEquals(List.of("N", "Z|I"), out.received());
    }

    // ---- errors ----

    @Test
    void aFailedParseIsUndoneAndSynthesizedAnswersUpToSyncAreDropped() {
        Backend b = backend(100, alice);
        prepare(b, "S_1", "select 1");

        b.client(parse("S_bad", "selec 1"), parse("S_2", "select 1"), bind("", "S_bad"), execute(""), sync());
        assertEquals(List.of("P|BERTH_2|selec 1", "B||BERTH_2", "E|", "S"), out.sent());
        b.server(error("42601", "syntax error at or near \"selec\""));
        assertEquals(List.of("E|42601|syntax error at or near \"selec\""), out.received());
        b.server(ready());
        assertEquals(List.of("Z|I"), out.received()); // no ParseComplete for S_2: the server skipped it
        assertTrue(b.relay.isEmpty());

        assertNull(alice.get("S_bad"));
        assertNull(alice.get("S_2"));
        assertFalse(b.statements.contains("BERTH_2"));
        assertEquals("BERTH_1", alice.get("S_1").serverName());
    }

    @Test
    void aStatementWhoseParseFailedIsBoundUnderTheClientsNameSoTheServerSaysItDoesNotExist() {
        Backend b = backend(100, alice);
        b.client(parse("S_bad", "selec 1"), sync());
        b.server(error("42601", "syntax error"), ready());
        out.sent();
        out.received();

        b.client(bind("", "S_bad"), execute(""), sync());
        assertEquals(List.of("B||S_bad", "E|", "S"), out.sent());
        b.server(error("26000", "prepared statement \"S_bad\" does not exist"), ready());
        assertEquals(List.of("E|26000|prepared statement \"S_bad\" does not exist", "Z|I"), out.received());
        assertTrue(b.relay.isEmpty());
    }

    @Test
    void aStatementWhoseParseFailedIsNotKnownToTheRegistry() {
        Backend b = backend(100, alice);
        b.client(parse("S_bad", "selec 1"), sync());
        b.server(error("42601", "syntax error"), ready());
        assertEquals(List.of("E|42601|syntax error", "Z|I"), out.received());
        assertNull(registry.knownName(new StatementKey("selec 1", new int[0])));
    }

    @Test
    void anErrorBeforeTheSyncWasSentSkipsTheRestOfTheBatch() {
        Backend b = backend(100, alice);
        b.client(parse("S_1", "selec"), flush());
        assertEquals(List.of("P|BERTH_1|selec", "H"), out.sent());
        b.server(error("42601", "syntax error"));
        assertEquals(List.of("E|42601|syntax error"), out.received());
        assertNull(alice.get("S_1"));

        // the server ignores everything up to Sync: the relay passes it on as it came
        b.client(bind("", "S_1"), execute(""), sync());
        assertEquals(List.of("B||S_1", "E|", "S"), out.sent());
        b.server(ready());
        assertEquals(List.of("Z|I"), out.received());
        assertTrue(b.relay.isEmpty());

        // and after the Sync it translates names again
        b.client(parse("S_1", "select 1"));
        assertEquals(List.of("P|BERTH_2|select 1"), out.sent());
        b.server(parseComplete());
        assertEquals(List.of("1"), out.received());
    }

    // ---- batches pipelined behind one whose outcome is unknown ----

    @Test
    void aBindPipelinedAfterTheSyncOfAFailedParseIsSentUnderTheClientsName() {
        Backend b = backend(100, alice);
        // one write: the Parse fails, and the next batch binds the name again
        b.client(parse("S_bad", "select nosuchcolumn"), bind("", "S_bad"), execute(""), sync(),
                bind("", "S_bad"), execute(""), sync());
        assertEquals(List.of("P|BERTH_1|select nosuchcolumn", "B||BERTH_1", "E|", "S"), out.sent(),
                "the second batch waits: the Parse may yet fail");
        assertTrue(b.relay.holding());

        b.server(error("42703", "column \"nosuchcolumn\" does not exist"));
        assertEquals(List.of("B||S_bad", "E|", "S"), out.sent(), "the name never existed: the server says so");
        assertFalse(b.relay.holding());
        b.server(ready(), error("26000", "prepared statement \"S_bad\" does not exist"), ready());
        assertEquals(List.of("E|42703|column \"nosuchcolumn\" does not exist", "Z|I",
                "E|26000|prepared statement \"S_bad\" does not exist", "Z|I"), out.received());
        assertTrue(b.relay.isEmpty());
        assertFalse(b.statements.contains("BERTH_1"));
    }

    @Test
    void aBatchPipelinedAfterASuccessfulParseGoesOnceItIsAnswered() {
        Backend b = backend(100, alice);
        b.client(parse("S_1", "select 1"), sync(), bind("", "S_1"), execute(""), sync());
        assertEquals(List.of("P|BERTH_1|select 1", "S"), out.sent());
        assertFalse(b.relay.isEmpty());

        b.server(parseComplete());
        assertEquals(List.of("B||BERTH_1", "E|", "S"), out.sent());
        b.server(ready(), bindComplete(), commandComplete("SELECT 1"), ready());
        assertEquals(List.of("1", "Z|I", "2", "C", "Z|I"), out.received());
        assertTrue(b.relay.isEmpty());
        assertEquals(0, b.relay.reprepares(), "used as it is: the Parse was answered before");
    }

    @Test
    void aParseAnsweredByBerthInABatchThatFailsIsForgottenForTheNextBatch() {
        Backend b = backend(100, alice);
        prepare(b, "O", "select $1::int", 23); // the server has it: a Parse of it is answered by Berth
        prepare(b, "P_div", "select 1 / 0");
        b.client(bind("", "P_div"), execute(""), parse("P_same", "select $1::int", 23), sync(),
                bind("", "P_same", "7"), execute(""), sync());
        assertEquals(List.of("B||BERTH_2", "E|", "S"), out.sent());

        b.server(bindComplete(), error("22012", "division by zero"));
        assertEquals(List.of("B||P_same|7", "E|", "S"), out.sent(), "PostgreSQL skipped the Parse: no such name");
        b.server(ready(), error("26000", "prepared statement \"P_same\" does not exist"), ready());
        assertEquals(List.of("2", "E|22012|division by zero", "Z|I",
                "E|26000|prepared statement \"P_same\" does not exist", "Z|I"), out.received());
        assertNull(alice.get("P_same"));
        assertTrue(b.relay.isEmpty());
    }

    @Test
    void aParseOfANameWhoseParseWasSkippedInAnEarlierBatchCreatesIt() {
        Backend b = backend(100, alice);
        prepare(b, "P_div", "select 1 / 0");
        b.client(bind("", "P_div"), execute(""), parse("P_new", "select 5"), sync(),
                parse("P_new", "select 8"), bind("", "P_new"), execute(""), sync());
        assertEquals(List.of("B||BERTH_1", "E|", "P|BERTH_2|select 5", "S"), out.sent());
        b.server(bindComplete(), error("22012", "division by zero"));
        assertEquals(List.of("P|BERTH_3|select 8", "B||BERTH_3", "E|", "S"), out.sent(),
                "a new statement, not PostgreSQL's 42P05 for a name that does not exist");
        b.server(ready(), parseComplete(), bindComplete(), dataRow(), commandComplete("SELECT 1"), ready());
        assertEquals(List.of("2", "E|22012|division by zero", "Z|I", "1", "2", "D", "C", "Z|I"), out.received());
        assertEquals("select 8", alice.get("P_new").key().query());
    }

    @Test
    void aCloseTheServerSkippedLeavesTheName() {
        Backend b = backend(100, alice);
        prepare(b, "P_div", "select 1 / 0");
        prepare(b, "S_1", "select 1");
        b.client(bind("", "P_div"), execute(""), close('S', "S_1"), sync());
        b.server(bindComplete(), error("22012", "division by zero"), ready());
        assertEquals(List.of("2", "E|22012|division by zero", "Z|I"), out.received(), "no CloseComplete: skipped");
        out.sent();

        b.client(bind("", "S_1"), execute(""), sync());
        assertEquals(List.of("B||BERTH_2", "E|", "S"), out.sent(), "S_1 still exists, as in PostgreSQL");
    }

    @Test
    void aCloseThenAParseOfOneNameInAFailedBatchLeaveTheNameAsItWas() {
        Backend b = backend(100, alice);
        prepare(b, "P_div", "select 1 / 0");
        prepare(b, "S_1", "select 1");
        b.client(bind("", "P_div"), execute(""), close('S', "S_1"), parse("S_1", "select 2"), sync());
        b.server(bindComplete(), error("22012", "division by zero"), ready());
        assertEquals("select 1", alice.get("S_1").key().query());
    }

    @Test
    void berthsOwnRequestAndRejectionsWaitBehindHeldMessages() {
        Backend b = backend(100, alice);
        b.client(parse("S_1", "select 1"), sync(), bind("", "S_1"), execute(""), sync());
        out.sent();
        b.relay.reject(query("LISTEN x"), error("0A000", "LISTEN is not allowed"), out);
        b.relay.appendOwn(sync(), out);
        assertEquals(List.of(), out.sent());

        b.server(parseComplete());
        assertEquals(List.of("B||BERTH_1", "E|", "S", "Q|", "S"), out.sent());
    }

    @Test
    void heldMessagesAreReleasedWhenTheServerGoesAway() {
        Backend b = backend(100, alice);
        b.client(parse("S_1", "select 1"), sync(), bind("", "S_1"), execute(""), sync());
        b.relay.reject(query("LISTEN x"), error("0A000", "LISTEN is not allowed"), out);
        b.relay.close();
        assertFalse(b.relay.holding());
        assertTrue(b.relay.isEmpty());
        // every held frame was released: checked by everyFrameIsReleased
    }

    @Test
    void aFailedReprepareReachesTheClientAndIsForgotten() {
        Backend first = backend(100, alice);
        prepare(first, "S_1", "select * from t");
        Backend second = backend(100, alice);

        second.client(bind("", "S_1"), execute(""), sync());
        assertEquals(List.of("P|BERTH_1|select * from t", "B||BERTH_1", "E|", "S"), out.sent());
        second.server(error("42P01", "relation \"t\" does not exist"), ready());
        assertEquals(List.of("E|42P01|relation \"t\" does not exist", "Z|I"), out.received());
        assertFalse(second.statements.contains("BERTH_1"));
        assertEquals("BERTH_1", alice.get("S_1").serverName()); // the client's statement stays

        second.client(bind("", "S_1"), sync());
        assertEquals(List.of("P|BERTH_1|select * from t", "B||BERTH_1", "S"), out.sent());
    }

    @Test
    void aBatchPipelinedBehindAnUnansweredReprepareDoesNotRelyOnIt() {
        Backend first = backend(100, alice);
        prepare(first, "S_1", "select $1::int", 23);
        Backend second = backend(100, alice);

        // one write: the first batch prepares S_1 here, a second batch after its Sync binds it again
        second.client(bind("", "S_1", "1"), execute(""), sync(), bind("", "S_1", "2"), execute(""), sync());
        assertEquals(List.of("P|BERTH_1|select $1::int|23", "B||BERTH_1|1", "E|", "S",
                "C|S|BERTH_1", "P|BERTH_1|select $1::int|23", "B||BERTH_1|2", "E|", "S"), out.sent(),
                "the second batch closes and prepares again: the first one's Parse may yet be skipped");
        // the first batch fails before its Parse ran (e.g. an aborted transaction): the second still works
        second.server(error("25P02", "current transaction is aborted"), ready(),
                closeComplete(), parseComplete(), bindComplete(), dataRow(), commandComplete("SELECT 1"), ready());
        assertEquals(List.of("E|25P02|current transaction is aborted", "Z|I", "2", "D", "C", "Z|I"), out.received());
        assertTrue(second.statements.ready("BERTH_1"), "the second Parse decided: it is there");

        second.client(bind("", "S_1", "3"), execute(""), sync());
        assertEquals(List.of("B||BERTH_1|3", "E|", "S"), out.sent(), "answered now: used as it is");
    }

    @Test
    void withinOneBatchAStatementPreparedForItIsUsedAsItIs() {
        Backend first = backend(100, alice);
        prepare(first, "S_1", "select 1");
        Backend second = backend(100, alice);

        second.client(bind("", "S_1"), execute(""), bind("", "S_1"), execute(""), sync());
        assertEquals(List.of("P|BERTH_1|select 1", "B||BERTH_1", "E|", "B||BERTH_1", "E|", "S"), out.sent());
        second.server(parseComplete(), bindComplete(), commandComplete("SELECT 1"), bindComplete(),
                commandComplete("SELECT 1"), ready());
        assertEquals(List.of("2", "C", "2", "C", "Z|I"), out.received());
    }

    @Test
    void reusingANameWithoutCloseGetsPostgresErrorUnderTheClientsName() {
        Backend b = backend(100, alice);
        prepare(b, "S_1", "select 1");

        b.client(parse("S_1", "select 2"), sync());
        assertEquals(List.of("P|BERTH_1|select 2", "S"), out.sent());
        b.server(error("42P05", "prepared statement \"BERTH_1\" already exists"));
        assertEquals(List.of("E|42P05|prepared statement \"S_1\" already exists"), out.received());
        b.server(ready());
        assertEquals(List.of("Z|I"), out.received());
        assertTrue(b.relay.isEmpty());

        // the original statement is untouched
        assertEquals("select 1", alice.get("S_1").key().query());
        assertTrue(b.statements.contains("BERTH_1"));
        b.client(bind("", "S_1"), sync());
        assertEquals(List.of("B||BERTH_1", "S"), out.sent());
    }

    @Test
    void reusingANameOnAServerThatLacksTheStatementPreparesItBeforeTheProbe() {
        Backend first = backend(100, alice);
        prepare(first, "S_1", "select 1");
        Backend second = backend(100, alice);

        second.client(parse("S_1", "select 2"), sync());
        assertEquals(List.of("P|BERTH_1|select 1", "P|BERTH_1|select 2", "S"), out.sent());
        second.server(parseComplete(), error("42P05", "prepared statement \"BERTH_1\" already exists"), ready());
        assertEquals(List.of("E|42P05|prepared statement \"S_1\" already exists", "Z|I"), out.received());
        assertTrue(second.statements.contains("BERTH_1"));
    }

    @Test
    void aChangedPlanMovesTheStatementToAFreshName() {
        Backend b = backend(100, alice);
        prepare(b, "S_1", "select * from t");
        StatementKey key = new StatementKey("select * from t", new int[0]);
        b.client(bind("", "S_1"), execute(""), sync());
        b.server(bindComplete(), commandComplete("SELECT 0"), ready());
        out.received();
        out.sent();

        b.client(bind("", "S_1"), execute(""), sync());
        assertEquals(List.of("B||BERTH_1", "E|", "S"), out.sent());
        b.server(error("0A000", "cached plan must not change result type"), ready());
        assertEquals(List.of("E|0A000|cached plan must not change result type", "Z|I"), out.received());
        assertEquals("BERTH_2", alice.get("S_1").serverName());
        assertEquals("BERTH_2", registry.nameFor(key));

        b.client(bind("", "S_1"), execute(""), sync());
        assertEquals(List.of("P|BERTH_2|select * from t", "B||BERTH_2", "E|", "S"), out.sent());
    }

    @Test
    void aSchemaChangeGivesSharedStatementsNewNamesAndLeavesTheOldOnesToTheClientsThatHoldThem() {
        Backend b1 = backend(100, alice);
        Backend b2 = backend(100, alice);
        prepare(b1, "S_1", "select * from t");
        b2.client(bind("", "S_1"), sync());
        b2.server(parseComplete(), bindComplete(), ready());
        out.received();
        out.sent();

        b1.client(query("alter table t add column c int"));
        b1.server(commandComplete("ALTER TABLE"), ready());
        assertEquals(List.of("C", "Z|I"), out.received());
        out.sent();
        StatementKey key = new StatementKey("select * from t", new int[0]);
        String fresh = registry.nameFor(key);
        assertTrue(!fresh.equals("BERTH_1"), "a client preparing it now gets a new name: " + fresh);

        b2.relay.attach(bob, registry);
        b2.client(parse("S_1", "select * from t"), sync());
        assertEquals(List.of("P|" + fresh + "|select * from t", "S"), out.sent());
        b2.server(parseComplete(), ready());
        assertEquals(List.of("1", "Z|I"), out.received());
        assertTrue(b2.statements.contains("BERTH_1"), "the old statement stays for the client that holds it");
        // the client that prepared before the change binds its own statement: PostgreSQL decides (0A000 if the type changed)
        b2.relay.attach(alice, registry);
        b2.client(bind("", "S_1"), sync());
        assertEquals(List.of("B||BERTH_1", "S"), out.sent());
        b2.server(bindComplete(), ready());
        assertEquals(List.of("2", "Z|I"), out.received());
    }

    @Test
    void onlyTagsOfSchemaChangesStartAGeneration() {
        for (String tag : List.of("CREATE TABLE", "ALTER TABLE", "DROP VIEW", "DO", "CREATE FUNCTION")) {
            ByteBuf c = commandComplete(tag);
            assertTrue(ResponseMatcher.changesSchema(c), tag);
            c.release();
        }
        for (String tag : List.of("SELECT 1", "DELETE 3", "DISCARD ALL", "COMMIT", "DOMAIN", "ANALYZE", "COPY 2")) {
            ByteBuf c = commandComplete(tag);
            assertFalse(ResponseMatcher.changesSchema(c), tag);
            c.release();
        }
    }

    // ---- eviction ----

    @Test
    void evictionClosesTheOldStatementBeforeTheNewParseAndSwallowsItsCloseComplete() {
        Backend b = backend(1, alice);
        prepare(b, "S_1", "select 1");

        b.client(parse("S_2", "select 2"), sync());
        assertEquals(List.of("C|S|BERTH_1", "P|BERTH_2|select 2", "S"), out.sent());
        b.server(closeComplete(), parseComplete(), ready());
        assertEquals(List.of("1", "Z|I"), out.received());
        assertTrue(b.relay.isEmpty());
        assertEquals(1, b.relay.evictions());
        assertEquals(1, metrics.evicted);
        assertFalse(b.statements.contains("BERTH_1"));
        assertTrue(b.statements.contains("BERTH_2"));
    }

    @Test
    void anEvictedStatementIsPreparedAgainWhenUsed() {
        Backend b = backend(1, alice);
        prepare(b, "S_1", "select 1");
        prepare(b, "S_2", "select 2"); // evicts BERTH_1

        b.client(bind("", "S_1"), execute(""), sync());
        assertEquals(List.of("C|S|BERTH_2", "P|BERTH_1|select 1", "B||BERTH_1", "E|", "S"), out.sent());
        b.server(closeComplete(), parseComplete(), bindComplete(), commandComplete("SELECT 1"), ready());
        assertEquals(List.of("2", "C", "Z|I"), out.received());
        assertEquals(2, b.relay.evictions());
        assertEquals(1, b.relay.reprepares());
    }

    @Test
    void statementsOfTheCurrentPipelineAreNotEvicted() {
        Backend b = backend(1, alice);
        b.client(parse("S_1", "select 1"), parse("S_2", "select 2"), bind("", "S_1"), execute(""), sync());
        assertEquals(List.of("P|BERTH_1|select 1", "P|BERTH_2|select 2", "B||BERTH_1", "E|", "S"), out.sent());
        assertEquals(0, b.relay.evictions());
        assertEquals(2, b.statements.size());
        b.server(parseComplete(), parseComplete(), bindComplete(), commandComplete("SELECT 1"), ready());
        assertEquals(List.of("1", "1", "2", "C", "Z|I"), out.received());
    }

    @Test
    void anEvictionCloseTheServerSkippedLeavesTheStatementKnown() {
        Backend b = backend(2, alice);
        prepare(b, "S_1", "select 1");

        b.client(parse("S_bad", "selec"), parse("S_3", "select 3"), sync());
        assertEquals(List.of("P|BERTH_2|selec", "C|S|BERTH_1", "P|BERTH_3|select 3", "S"), out.sent());
        b.server(error("42601", "syntax error"), ready());
        assertEquals(List.of("E|42601|syntax error", "Z|I"), out.received());

        b.client(bind("", "S_1"), execute(""), sync());
        assertEquals(List.of("B||BERTH_1", "E|", "S"), out.sent());
    }

    // ---- names that look like Berth's ----

    @Test
    void aBerthLikeNameTheClientNeverPreparedIsEscaped() {
        Backend b = backend(100, alice);
        prepare(b, "S_1", "select 1"); // BERTH_1 exists on this server
        b.relay.attach(bob, registry);

        b.client(bind("", "BERTH_1"), describe('S', "BERTH_7"), bind("", "nope"), sync());
        assertEquals(List.of("B||BERTH_1?", "D|S|BERTH_7?", "B||nope", "S"), out.sent());
        b.server(error("26000", "prepared statement \"BERTH_1\" does not exist"), ready());
        assertEquals(List.of("E|26000|prepared statement \"BERTH_1\" does not exist", "Z|I"), out.received());
        assertTrue(b.relay.isEmpty());
    }

    @Test
    void aBerthLikeNameTheClientPreparedIsTranslated() {
        Backend b = backend(100, alice);
        prepare(b, "other", "select 1"); // BERTH_1
        b.client(parse("BERTH_1", "select 5"), bind("", "BERTH_1"), sync());
        assertEquals(List.of("P|BERTH_2|select 5", "B||BERTH_2", "S"), out.sent());
        b.server(parseComplete(), bindComplete(), ready());
        assertEquals(List.of("1", "2", "Z|I"), out.received());
    }

    // ---- reject ----

    @Test
    void aRejectedQueryIsAnsweredInItsTurnWithTheError() {
        Backend b = backend(100, alice);
        b.client(query("select 1"));
        b.relay.reject(query("SET search_path = x"), error("0A000", "SET search_path is not allowed"), out);
        assertEquals(List.of("Q|select 1", "Q|"), out.sent());
        assertEquals(List.of(), out.received());

        b.server(rowDescription(), dataRow(), commandComplete("SELECT 1"), ready());
        assertEquals(List.of("T", "D", "C", "Z|I"), out.received());
        b.server(emptyQueryResponse());
        assertEquals(List.of("E|0A000|SET search_path is not allowed"), out.received());
        b.server(ready());
        assertEquals(List.of("Z|I"), out.received());
        assertTrue(b.relay.isEmpty());
    }

    @Test
    void aRejectedParseIsAnsweredAndItsBatchDroppedUpToSync() {
        Backend b = backend(100, alice);
        b.relay.reject(parse("S_1", "LISTEN x"), error("0A000", "LISTEN is not allowed"), out);
        assertEquals(List.of("E|0A000|LISTEN is not allowed"), out.received());

        b.client(bind("", "S_1"), describe('P', ""), execute(""), sync());
        assertEquals(List.of("S"), out.sent());
        assertEquals(List.of(), out.received());
        b.server(ready());
        assertEquals(List.of("Z|I"), out.received());
        assertTrue(b.relay.isEmpty());
        assertNull(alice.get("S_1"));

        // the next batch goes through
        b.client(parse("S_1", "select 1"));
        assertEquals(List.of("P|BERTH_1|select 1"), out.sent());
        b.server(parseComplete());
        assertEquals(List.of("1"), out.received());
    }

    @Test
    void aRejectedParseWaitsForTheResponsesBeforeIt() {
        Backend b = backend(100, alice);
        b.client(parse("", "select 1"), bind("", ""), execute(""), sync());
        b.relay.reject(parse("S_9", "LISTEN x"), error("0A000", "LISTEN is not allowed"), out);
        b.client(execute(""), sync());
        assertEquals(List.of("P||select 1", "B||", "E|", "S", "S"), out.sent());
        assertEquals(List.of(), out.received());

        b.server(parseComplete(), bindComplete(), commandComplete("SELECT 1"), ready());
        assertEquals(List.of("1", "2", "C", "Z|I", "E|0A000|LISTEN is not allowed"), out.received());
        b.server(ready());
        assertEquals(List.of("Z|I"), out.received());
        assertTrue(b.relay.isEmpty());
    }

    @Test
    void aMalformedClientMessageIsAProtocolErrorAndIsReleased() {
        Backend b = backend(100, alice);
        ProtocolException e = assertThrows(ProtocolException.class, () -> b.client(frame('P', f -> f.writeByte('S'))));
        assertTrue(e.getMessage().startsWith("malformed message of type 'P' from the client"), e.getMessage());
        assertThrows(ProtocolException.class, () -> b.client(frame('B', f -> f.writeByte('p')))); // no names
        assertThrows(ProtocolException.class, () -> b.client(frame('D', f -> { })));
        assertThrows(ProtocolException.class, () -> b.client(frame('P', f -> {
            Messages.writeCString(f, "S_1");
            Messages.writeCString(f, "select 1");
            f.writeShort(2).writeInt(23); // two parameter types announced, one sent
        })));
        assertEquals(List.of(), out.sent());
        assertTrue(b.relay.isEmpty());
        // every frame was released: checked by everyFrameIsReleased
    }

    @Test
    void aServerLostBetweenTheAnswerToARejectedQueryAndItsReadyForQueryReleasesTheAnswerOnce() {
        Backend b = backend(100, alice);
        b.relay.reject(query("LISTEN x"), error("0A000", "LISTEN is not allowed"), out);
        b.server(emptyQueryResponse());
        assertEquals(List.of("E|0A000|LISTEN is not allowed"), out.received());
        b.relay.close(); // threw IllegalReferenceCountException: the error was released when sent, and again here
        assertTrue(b.relay.isEmpty());
    }

    @Test
    void closeReleasesAnswersNeverSent() {
        Backend b = backend(100, alice);
        b.client(query("select pg_sleep(10)"));
        b.relay.reject(query("LISTEN x"), error("0A000", "LISTEN is not allowed"), out);
        assertFalse(b.relay.isEmpty());
        b.relay.close();
        assertTrue(b.relay.isEmpty());
        assertEquals(List.of("Q|select pg_sleep(10)", "Q|"), out.sent());
        assertEquals(List.of(), out.received());
        // the rejected error frame was released: checked by everyFrameIsReleased
    }

    // ---- transparent retry of a batch whose first request met a stale or missing shared statement ----

    private static final String PLAN_CHANGED = "cached plan must not change result type";

    /** Alice prepares the statement on the backend; bob, a fresh client, then uses the backend. */
    private Backend sharedByAliceThenBob() {
        Backend b = backend(100, alice);
        prepare(b, "S_1", "select * from t");
        b.relay.attach(bob, registry);
        return b;
    }

    @Test
    void aStalePlanOnTheDescribeAfterAParseBerthAnsweredIsRetriedUnderAFreshName() {
        Backend b = sharedByAliceThenBob();
        b.client(parse("S_b", "select * from t"), describe('S', "S_b"), sync());
        assertEquals(List.of("D|S|BERTH_1", "S"), out.sent());
        assertEquals(List.of("1"), out.received());

        // PostgreSQL describes the parameters before it finds the plan stale
        b.server(parameterDescription(), error("0A000", PLAN_CHANGED));
        assertEquals(List.of("P|BERTH_2|select * from t", "D|S|BERTH_2", "S"), out.sent());
        assertEquals(List.of(), out.received(), "the client never sees the failure");
        b.server(ready(), parseComplete(), parameterDescription(), rowDescription(), ready());
        assertEquals(List.of("t", "T", "Z|I"), out.received());
        assertTrue(b.relay.isEmpty());
        assertEquals("BERTH_2", bob.get("S_b").serverName());
        assertEquals("BERTH_1", alice.get("S_1").serverName(), "alice's statement predates the change: PostgreSQL decides");
        assertEquals("BERTH_2", registry.nameFor(new StatementKey("select * from t", new int[0])));
    }

    @Test
    void aMissingStatementOnTheBindAfterAParseBerthAnsweredIsPreparedAgainAndTheBatchRetried() {
        Backend b = sharedByAliceThenBob();
        b.client(parse("S_b", "select * from t"), bind("", "S_b"), describe('P', ""), execute(""), sync());
        assertEquals(List.of("B||BERTH_1", "D|P|", "E|", "S"), out.sent());
        b.server(error("26000", "prepared statement \"BERTH_1\" does not exist"));
        assertEquals(List.of("C|S|BERTH_1", "P|BERTH_1|select * from t", "B||BERTH_1", "D|P|", "E|", "S"), out.sent());
        b.server(ready(), closeComplete(), parseComplete(), bindComplete(), rowDescription(), dataRow(),
                commandComplete("SELECT 1"), ready());
        assertEquals(List.of("1", "2", "T", "D", "C", "Z|I"), out.received());
        assertTrue(b.relay.isEmpty());
        assertEquals(1, b.statements.size());
    }

    @Test
    void aRetriedBatchIsNotRetriedASecondTime() {
        Backend b = sharedByAliceThenBob();
        b.client(parse("S_b", "select * from t"), describe('S', "S_b"), sync());
        b.server(error("0A000", PLAN_CHANGED), ready(), parseComplete());
        out.sent();
        b.server(error("0A000", PLAN_CHANGED), ready());
        assertEquals(List.of("1", "E|0A000|" + PLAN_CHANGED, "Z|I"), out.received());
        assertEquals(List.of(), out.sent());
        assertTrue(b.relay.isEmpty());
    }

    @Test
    void aStatementParsedInAnEarlierBatchAndNeverUsedIsRetried() {
        Backend b = sharedByAliceThenBob();
        b.client(parse("S_b", "select * from t"), sync());
        b.server(ready());
        assertEquals(List.of("1", "Z|I"), out.received());
        out.sent();
        b.client(bind("", "S_b"), execute(""), sync());
        b.server(error("0A000", PLAN_CHANGED));
        assertEquals(List.of("B||BERTH_1", "E|", "S", "P|BERTH_2|select * from t", "B||BERTH_2", "E|", "S"), out.sent());
        b.server(ready(), parseComplete(), bindComplete(), dataRow(), commandComplete("SELECT 1"), ready());
        assertEquals(List.of("2", "D", "C", "Z|I"), out.received());
    }

    @Test
    void aStatementTheClientAlreadyDescribedGetsPostgresError() {
        Backend b = sharedByAliceThenBob();
        b.client(parse("S_b", "select * from t"), describe('S', "S_b"), sync());
        b.server(parameterDescription(), rowDescription(), ready());
        assertEquals(List.of("1", "t", "T", "Z|I"), out.received());
        out.sent();
        b.client(bind("", "S_b"), execute(""), sync());
        b.server(error("0A000", PLAN_CHANGED), ready());
        assertEquals(List.of("E|0A000|" + PLAN_CHANGED, "Z|I"), out.received(), "PostgreSQL says so too");
        assertEquals(List.of("B||BERTH_1", "E|", "S"), out.sent());
    }

    @Test
    void aBatchThatRanSomethingFirstIsNotRetried() {
        Backend b = sharedByAliceThenBob();
        b.client(bind("", "S_none"), execute(""), parse("S_b", "select * from t"), describe('S', "S_b"), sync());
        b.server(bindComplete(), commandComplete("SELECT 1"), error("0A000", PLAN_CHANGED), ready());
        assertEquals(List.of("2", "C", "1", "E|0A000|" + PLAN_CHANGED, "Z|I"), out.received());
        assertEquals(List.of("B||S_none", "E|", "D|S|BERTH_1", "S"), out.sent());
    }

    @Test
    void inATransactionBlockTheErrorIsPassedOn() {
        Backend b = sharedByAliceThenBob();
        b.client(query("begin"));
        b.server(commandComplete("BEGIN"), ready('T'));
        out.received();
        out.sent();
        b.client(parse("S_b", "select * from t"), describe('S', "S_b"), sync());
        b.server(error("0A000", PLAN_CHANGED), ready('E'));
        assertEquals(List.of("1", "E|0A000|" + PLAN_CHANGED, "Z|E"), out.received());
        assertEquals(List.of("D|S|BERTH_1", "S"), out.sent());
        assertEquals("BERTH_2", registry.nameFor(new StatementKey("select * from t", new int[0])),
                "the next client prepares it afresh");
    }

    @Test
    void aBatchWhoseSyncHasNotArrivedOrThatMoreFollowedIsNotRetried() {
        Backend b = sharedByAliceThenBob();
        b.client(parse("S_b", "select * from t"), describe('S', "S_b"), flush());
        b.server(error("0A000", PLAN_CHANGED));
        b.client(sync());
        b.server(ready());
        assertEquals(List.of("1", "E|0A000|" + PLAN_CHANGED, "Z|I"), out.received());
        out.sent();

        b.relay.attach(new ClientStatements(), registry);
        b.client(parse("S_c", "select * from t"), sync()); // BERTH_1 renamed: Berth prepares the fresh name
        b.server(parseComplete(), ready());
        out.received();
        out.sent();
        ClientStatements carol = new ClientStatements();
        b.relay.attach(carol, registry);
        b.client(parse("S_c", "select * from t"), describe('S', "S_c"), sync(), query("select 1"));
        assertEquals(List.of("D|S|BERTH_2", "S", "Q|select 1"), out.sent());
        b.server(error("26000", "prepared statement \"BERTH_2\" does not exist"), ready());
        assertEquals(List.of("1", "E|26000|prepared statement \"S_c\" does not exist", "Z|I"), out.received());
        assertEquals(List.of(), out.sent());
        b.server(rowDescription(), dataRow(), commandComplete("SELECT 1"), ready());
        assertTrue(b.relay.isEmpty());
    }

    @Test
    void aDescribeThatSucceedsGetsItsParameterDescriptionBeforeItsRowDescription() {
        Backend b = sharedByAliceThenBob();
        b.client(parse("S_b", "select * from t"), describe('S', "S_b"), sync());
        b.server(parameterDescription(23));
        assertEquals(List.of("1"), out.received());
        b.server(rowDescription(), ready());
        assertEquals(List.of("t", "T", "Z|I"), out.received());
        assertTrue(b.relay.isEmpty());
    }

    @Test
    void aRecordedBatchWhoseFirstRequestSucceedsIsReleased() {
        Backend b = sharedByAliceThenBob();
        b.client(parse("S_b", "select * from t"), bind("", "S_b"), execute(""), sync());
        b.server(bindComplete(), dataRow(), commandComplete("SELECT 1"), ready());
        assertEquals(List.of("1", "2", "D", "C", "Z|I"), out.received());
        // every copy it kept was released: checked by everyFrameIsReleased
    }

    // ---- plumbing ----

    /** One server connection: its statements and its relay. */
    private final class Backend {
        final ServerStatements statements;
        final PreparedStatementRelay relay;

        Backend(int capacity) {
            statements = new ServerStatements(capacity);
            relay = new PreparedStatementRelay(statements, ALLOC, metrics);
            relays.add(relay);
        }

        void client(ByteBuf... frames) {
            for (ByteBuf f : frames) {
                relay.fromClient(f, out);
            }
        }

        /** The transaction status of the last ReadyForQuery, as the server connection knows it. */
        byte status = 'I';

        /** Server messages, each offered to the retry first as the server connection does. */
        void server(ByteBuf... frames) {
            for (ByteBuf f : frames) {
                byte ready = f.getByte(f.readerIndex()) == 'Z' ? f.getByte(f.readerIndex() + 5) : 0;
                if (!relay.retryConsumes(f, status, out)) {
                    relay.fromServer(f, out);
                }
                if (ready != 0) {
                    status = ready;
                }
            }
        }
    }

    private Backend backend(int capacity, ClientStatements client) {
        Backend b = new Backend(capacity);
        b.relay.attach(client, registry);
        return b;
    }

    /** Parse + Sync of a new statement, each message answered by the server; leaves nothing recorded. */
    private void prepare(Backend b, String name, String query, int... types) {
        b.client(parse(name, query, types), sync());
        for (String sent : out.sent()) {
            b.server(sent.startsWith("C|") ? closeComplete() : sent.startsWith("P|") ? parseComplete() : ready());
        }
        assertEquals(List.of("1", "Z|I"), out.received());
        assertTrue(b.relay.isEmpty());
    }

    private static final class CountingMetrics implements PreparedStatementMetrics {
        int reprepared;
        int evicted;

        @Override
        public void reprepared() {
            reprepared++;
        }

        @Override
        public void evicted() {
            evicted++;
        }
    }

    /** Records what the relay outputs, decoded, and releases each frame. */
    private static final class Recorder implements PreparedStatementRelay.Output {
        private final List<String> toServer = new ArrayList<>();
        private final List<String> toClient = new ArrayList<>();

        @Override
        public void toServer(ByteBuf frame) {
            try {
                checkLength(frame);
                toServer.add(frontend(frame));
            } finally {
                frame.release();
            }
        }

        @Override
        public void toClient(ByteBuf frame) {
            try {
                checkLength(frame);
                toClient.add(backend(frame));
            } finally {
                frame.release();
            }
        }

        /** Frames sent to the server since the last call. */
        List<String> sent() {
            List<String> copy = List.copyOf(toServer);
            toServer.clear();
            return copy;
        }

        /** Frames sent to the client since the last call. */
        List<String> received() {
            List<String> copy = List.copyOf(toClient);
            toClient.clear();
            return copy;
        }

        private static void checkLength(ByteBuf frame) {
            assertEquals(frame.readableBytes() - 1, frame.getInt(frame.readerIndex() + 1), "length field");
        }

        private static String frontend(ByteBuf frame) {
            char type = (char) frame.getByte(frame.readerIndex());
            ByteBuf p = Messages.payload(frame);
            String result;
            switch (type) {
                case 'P' -> {
                    String name = Messages.readCString(p);
                    String query = Messages.readCString(p);
                    int count = p.readUnsignedShort();
                    List<String> types = new ArrayList<>();
                    for (int i = 0; i < count; i++) {
                        types.add(String.valueOf(p.readInt()));
                    }
                    result = "P|" + name + "|" + query + (count > 0 ? "|" + String.join(",", types) : "");
                }
                case 'B' -> {
                    String portal = Messages.readCString(p);
                    String statement = Messages.readCString(p);
                    p.skipBytes(2 * p.readUnsignedShort());
                    int count = p.readUnsignedShort();
                    List<String> params = new ArrayList<>();
                    for (int i = 0; i < count; i++) {
                        int length = p.readInt();
                        params.add(length < 0 ? "null" : p.readCharSequence(length, StandardCharsets.UTF_8).toString());
                    }
                    p.skipBytes(2 * p.readUnsignedShort());
                    result = "B|" + portal + "|" + statement + (count > 0 ? "|" + String.join(",", params) : "");
                }
                case 'D', 'C' -> result = type + "|" + (char) p.readByte() + "|" + Messages.readCString(p);
                case 'E' -> {
                    result = "E|" + Messages.readCString(p);
                    p.skipBytes(4);
                }
                case 'Q' -> result = "Q|" + Messages.readCString(p);
                default -> result = String.valueOf(type);
            }
            assertEquals(0, p.readableBytes(), "bytes left over in " + result);
            return result;
        }

        private static String backend(ByteBuf frame) {
            char type = (char) frame.getByte(frame.readerIndex());
            return switch (type) {
                case 'E' -> {
                    ErrorResponse e = ErrorResponse.decode(frame);
                    yield "E|" + e.sqlState() + "|" + e.message();
                }
                case 'Z' -> "Z|" + (char) frame.getByte(frame.readerIndex() + 5);
                default -> String.valueOf(type);
            };
        }
    }

    // ---- frames ----

    private ByteBuf track(ByteBuf frame) {
        created.add(frame);
        return frame;
    }

    private ByteBuf frame(char type, Consumer<ByteBuf> body) {
        ByteBuf buf = Unpooled.buffer();
        int start = Messages.begin(buf, (byte) type);
        body.accept(buf);
        Messages.end(buf, start);
        return track(buf);
    }

    /** The same frame preceded by junk bytes, with the reader index past them. */
    private ByteBuf offset(ByteBuf frame) {
        ByteBuf buf = Unpooled.buffer();
        buf.writeBytes(new byte[] {9, 9, 9});
        buf.writeBytes(frame);
        frame.release();
        buf.readerIndex(3);
        return track(buf);
    }

    private ByteBuf parse(String name, String query, int... types) {
        return frame('P', b -> {
            Messages.writeCString(b, name);
            Messages.writeCString(b, query);
            b.writeShort(types.length);
            for (int t : types) {
                b.writeInt(t);
            }
        });
    }

    private ByteBuf bind(String portal, String statement, String... params) {
        return frame('B', b -> {
            Messages.writeCString(b, portal);
            Messages.writeCString(b, statement);
            b.writeShort(0);
            b.writeShort(params.length);
            for (String param : params) {
                byte[] bytes = param.getBytes(StandardCharsets.UTF_8);
                b.writeInt(bytes.length);
                b.writeBytes(bytes);
            }
            b.writeShort(0);
        });
    }

    private ByteBuf describe(char what, String name) {
        return frame('D', b -> {
            b.writeByte(what);
            Messages.writeCString(b, name);
        });
    }

    private ByteBuf close(char what, String name) {
        return frame('C', b -> {
            b.writeByte(what);
            Messages.writeCString(b, name);
        });
    }

    private ByteBuf execute(String portal) {
        return frame('E', b -> {
            Messages.writeCString(b, portal);
            b.writeInt(0);
        });
    }

    private ByteBuf sync() {
        return frame('S', b -> { });
    }

    private ByteBuf flush() {
        return frame('H', b -> { });
    }

    private ByteBuf query(String sql) {
        return frame('Q', b -> Messages.writeCString(b, sql));
    }

    private ByteBuf parseComplete() {
        return frame('1', b -> { });
    }

    private ByteBuf bindComplete() {
        return frame('2', b -> { });
    }

    private ByteBuf closeComplete() {
        return frame('3', b -> { });
    }

    private ByteBuf noData() {
        return frame('n', b -> { });
    }

    private ByteBuf emptyQueryResponse() {
        return frame('I', b -> { });
    }

    private ByteBuf parameterDescription(int... types) {
        return frame('t', b -> {
            b.writeShort(types.length);
            for (int t : types) {
                b.writeInt(t);
            }
        });
    }

    private ByteBuf rowDescription() {
        return frame('T', b -> b.writeShort(0));
    }

    private ByteBuf dataRow() {
        return frame('D', b -> {
            b.writeShort(1);
            b.writeInt(1);
            b.writeByte('1');
        });
    }

    private ByteBuf commandComplete(String tag) {
        return frame('C', b -> Messages.writeCString(b, tag));
    }

    private ByteBuf ready() {
        return ready('I');
    }

    private ByteBuf ready(char status) {
        return frame('Z', b -> b.writeByte(status));
    }

    private ByteBuf parameterStatus(String name, String value) {
        return track(Messages.parameterStatus(ALLOC, name, value));
    }

    private ByteBuf notice(String message) {
        return track(ErrorResponse.notice(message).encodeAsNotice(ALLOC));
    }

    private ByteBuf error(String sqlState, String message) {
        return track(new ErrorResponse("ERROR", sqlState, message, null, null).encode(ALLOC));
    }
}
