package dev.berth.core.session;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TransactionTrackerTest {
    private final TransactionTracker t = new TransactionTracker();

    private void client(String types) {
        for (char c : types.toCharArray()) {
            t.clientMessage((byte) c);
        }
    }

    private void ready(char status) {
        t.readyForQuery((byte) status);
    }

    @Test
    void startsIdle() {
        assertTrue(t.isIdle());
        assertEquals('I', t.transactionStatus());
        assertEquals(0, t.outstanding());
    }

    @Test
    void simpleQueryCycle() {
        client("Q");
        assertFalse(t.isIdle());
        assertEquals(1, t.outstanding());
        ready('I');
        assertTrue(t.isIdle());
        assertEquals(0, t.outstanding());
    }

    @Test
    void pipelinedExtendedQueriesStayBusyUntilTheLastReadyForQuery() {
        client("PBES");
        client("PBES");
        client("PBES");
        assertEquals(3, t.outstanding());
        ready('I');
        assertFalse(t.isIdle());
        ready('I');
        assertFalse(t.isIdle());
        assertEquals(1, t.outstanding());
        ready('I');
        assertTrue(t.isIdle());
    }

    @Test
    void extendedMessagesWithoutSyncKeepItBusy() {
        client("PBDEH"); // Parse, Bind, Describe, Execute, Flush: results flow, but no Sync yet
        assertFalse(t.isIdle());
        assertEquals(0, t.outstanding());
        client("S");
        ready('I');
        assertTrue(t.isIdle());
    }

    @Test
    void closeWithoutSyncKeepsItBusy() {
        client("C");
        assertFalse(t.isIdle());
        client("S");
        ready('I');
        assertTrue(t.isIdle());
    }

    @Test
    void messagesAfterASyncReopenTheSequence() {
        client("PBES");
        client("PB"); // next statement already on its way before the ReadyForQuery
        ready('I');
        assertFalse(t.isIdle());
        client("ES");
        ready('I');
        assertTrue(t.isIdle());
    }

    @Test
    void transactionBlockKeepsItBusyUntilIdleStatus() {
        client("Q"); // BEGIN
        ready('T');
        assertEquals(0, t.outstanding());
        assertEquals('T', t.transactionStatus());
        assertFalse(t.isIdle());
        client("Q"); // COMMIT
        ready('I');
        assertTrue(t.isIdle());
    }

    @Test
    void failedTransactionKeepsItBusyUntilIdleStatus() {
        client("Q");
        ready('T');
        client("Q"); // fails
        ready('E');
        assertEquals('E', t.transactionStatus());
        assertFalse(t.isIdle());
        client("Q"); // ROLLBACK
        ready('I');
        assertTrue(t.isIdle());
    }

    @Test
    void functionCallIsAnsweredByReadyForQuery() {
        client("F");
        assertFalse(t.isIdle());
        ready('I');
        assertTrue(t.isIdle());
    }

    @Test
    void otherClientMessagesAreIgnored() {
        client("dcfXp");
        assertTrue(t.isIdle());
    }

    @Test
    void copyDuringASimpleQueryIsCoveredByTheQuery() {
        client("Q");
        client("dddc"); // COPY FROM STDIN data
        assertFalse(t.isIdle());
        ready('I');
        assertTrue(t.isIdle());
    }

    @Test
    void unexpectedReadyForQueryDoesNotGoNegative() {
        ready('I');
        assertEquals(0, t.outstanding());
        client("Q");
        assertFalse(t.isIdle());
        ready('I');
        assertTrue(t.isIdle());
    }
}
