package dev.berth.core.session;

import dev.berth.core.protocol.MessageType;

/**
 * Follows one server connection's conversation to know when it is at rest: every Query, Sync and
 * FunctionCall sent is answered by exactly one ReadyForQuery, so the server is idle when none is
 * outstanding, no extended-protocol message awaits its Sync, and the last ReadyForQuery said 'I'.
 * Only type bytes are looked at; the caller passes each message as it goes by.
 */
public final class TransactionTracker {
    private int outstanding;
    private boolean extendedOpen;
    private byte transactionStatus = 'I';

    /** A message the client sent to the server. */
    public void clientMessage(byte type) {
        switch (type) {
            case MessageType.QUERY, MessageType.FUNCTION_CALL -> outstanding++;
            case MessageType.SYNC -> {
                outstanding++;
                extendedOpen = false;
            }
            case MessageType.PARSE, MessageType.BIND, MessageType.DESCRIBE, MessageType.EXECUTE,
                 MessageType.CLOSE, MessageType.FLUSH -> extendedOpen = true;
            default -> { }
        }
    }

    /** A ReadyForQuery the server sent, with its transaction status byte. */
    public void readyForQuery(byte status) {
        if (outstanding > 0) {
            outstanding--;
        }
        transactionStatus = status;
    }

    /** No work in flight, no open extended-protocol sequence, and outside a transaction block. */
    public boolean isIdle() {
        return outstanding == 0 && !extendedOpen && transactionStatus == 'I';
    }

    /** Extended-protocol messages were sent without their Sync yet. */
    public boolean extendedOpen() {
        return extendedOpen;
    }

    /** 'I' idle, 'T' in a transaction block, 'E' in a failed transaction block. */
    public byte transactionStatus() {
        return transactionStatus;
    }

    public int outstanding() {
        return outstanding;
    }
}
