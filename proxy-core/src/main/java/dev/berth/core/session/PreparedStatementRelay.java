package dev.berth.core.session;

import dev.berth.core.prepared.ClientStatements;
import dev.berth.core.prepared.PreparedStatementMetrics;
import dev.berth.core.prepared.PreparedStatementRegistry;
import dev.berth.core.prepared.ServerStatements;
import dev.berth.core.protocol.ErrorResponse;
import dev.berth.core.protocol.MessageType;
import dev.berth.core.protocol.Messages;
import dev.berth.core.protocol.ProtocolException;
import dev.berth.core.session.OutstandingRequests.Kind;
import dev.berth.core.session.OutstandingRequests.Request;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

import java.util.ArrayDeque;
import java.util.List;

/**
 * Named prepared statements in transaction pooling: the client's statement names are its own, the
 * server's are Berth's. On the way in ({@link RequestTranslator}), Parse/Bind/Describe/Close are rewritten
 * to the server-side name, a statement the server lacks is prepared first (its ParseComplete swallowed), a
 * Parse the server already has and a Close of a client name are answered by Berth. On the way out
 * ({@link ResponseMatcher}), each response is matched to its request, so the client sees exactly the
 * responses to its own messages, in order, as PostgreSQL would send them. A batch whose first request
 * meets a stale or missing shared statement before anything of it ran is sent again ({@link StatementRetry}).
 * A message naming a statement whose Parse or Close in an earlier batch is unanswered waits, with everything
 * after it, until that is settled ({@link #holding}): the earlier batch may fail, and then PostgreSQL skips
 * the change. One relay per server connection, used on that connection's event loop.
 */
public final class PreparedStatementRelay {

    /** Where frames go. */
    public interface Output {
        void toServer(ByteBuf frame);

        void toClient(ByteBuf frame);
    }

    private final ServerStatements statements;
    private final ByteBufAllocator alloc;
    private final OutstandingRequests outstanding = new OutstandingRequests();
    private final RequestTranslator requests;
    private final ResponseMatcher responses;
    /** After Berth rejected a Parse the server never saw, the rest of the batch up to Sync is dropped. */
    private boolean droppingUntilSync;
    private final StatementRetry retry = new StatementRetry();
    /** Messages waiting for an earlier batch's change of a name to be settled, in order; empty almost always. */
    private final ArrayDeque<Held> held = new ArrayDeque<>(2);

    /** A held client message, a rejected one with its {@code error}, or one of Berth's own requests ({@code own}). */
    private record Held(ByteBuf frame, ByteBuf error, boolean own) {
    }

    public PreparedStatementRelay(ServerStatements statements, ByteBufAllocator alloc,
                                  PreparedStatementMetrics metrics) {
        this.statements = statements;
        this.alloc = alloc;
        this.requests = new RequestTranslator(statements, outstanding, alloc, metrics, retry);
        this.responses = new ResponseMatcher(statements, outstanding, alloc);
    }

    /** A client starts using this server. */
    public void attach(ClientStatements clientStatements, PreparedStatementRegistry statementRegistry) {
        requests.attach(clientStatements, statementRegistry);
        responses.attach(clientStatements, statementRegistry);
        retry.reset();
        outstanding.batchBegins();
    }

    public void detach() {
        retry.reset();
        releaseHeld(); // the client left with work in flight: the server is closed, not reused
        requests.detach();
        responses.detach();
    }

    /** True when every request sent has been answered and nothing waits to be sent. */
    public boolean isEmpty() {
        return outstanding.isEmpty() && held.isEmpty();
    }

    /**
     * Client messages wait until the server answers an earlier batch; what the client sends meanwhile
     * waits behind them (the caller should stop reading from the client until this is false again).
     */
    public boolean holding() {
        return !held.isEmpty();
    }

    /** The server deallocated every statement (DISCARD ALL, DEALLOCATE ALL, or a reset query). */
    public void serverStatementsLost() {
        statements.clear();
    }

    /** The server connection is gone: nothing outstanding will be answered. */
    public void close() {
        retry.reset();
        outstanding.clear();
        releaseHeld();
    }

    private void releaseHeld() {
        Held h;
        while ((h = held.pollFirst()) != null) {
            h.frame.release();
            if (h.error != null) {
                h.error.release();
            }
        }
    }

    /** Berth sends a request of its own after the client's: a batch before it can no longer be sent again. */
    public void ownRequestSent() {
        retry.reset();
    }

    public long reprepares() {
        return requests.reprepares();
    }

    public long evictions() {
        return requests.evictions();
    }

    /** Handles one framed client message; takes ownership of it. */
    public void fromClient(ByteBuf frame, Output out) {
        if (!held.isEmpty() || !translate(frame, out)) {
            held.addLast(new Held(frame, null, false));
        }
    }

    /** Sends one of Berth's own requests (answered outside this relay) after what the client sent so far. */
    public void appendOwn(ByteBuf request, Output out) {
        if (held.isEmpty()) {
            out.toServer(request);
        } else {
            held.addLast(new Held(request, null, true));
        }
    }

    /** False, without touching the frame, when it must wait for an earlier batch to be answered. */
    private boolean translate(ByteBuf frame, Output out) {
        byte type = MessageType.of(frame);
        if (droppingUntilSync && type != MessageType.SYNC) {
            frame.release();
            return true;
        }
        if (responses.skippingUntilSync() && type != MessageType.SYNC) {
            retry.reset();
            out.toServer(frame); // the server discards it, as it would without Berth
            return true;
        }
        ByteBuf copy = retry.idle() ? null : retry.beforeClientMessage(frame);
        boolean sent;
        try {
            sent = translateMessage(type, frame, out);
        } catch (ProtocolException | IndexOutOfBoundsException | IllegalArgumentException e) {
            // thrown while reading the message, before it was used: the connection closes with 08P01
            if (copy != null) {
                copy.release();
            }
            frame.release();
            throw new ProtocolException("malformed message of type '" + (char) type + "' from the client: "
                    + (e instanceof IndexOutOfBoundsException ? "it ends before its fields do" : e.getMessage()));
        }
        if (copy != null) {
            if (sent) {
                retry.afterClientMessage(copy, type);
            } else {
                copy.release(); // held: copied again when it is sent
            }
        }
        if (sent) {
            outstanding.answerSynthesized(out);
        }
        return sent;
    }

    private boolean translateMessage(byte type, ByteBuf frame, Output out) {
        return switch (type) {
            case MessageType.PARSE -> requests.parse(frame, out);
            case MessageType.BIND -> requests.bind(frame, out);
            case MessageType.DESCRIBE -> requests.describe(frame, out);
            case MessageType.CLOSE -> requests.close(frame, out);
            case MessageType.EXECUTE -> forward(frame, Kind.EXECUTE, out);
            case MessageType.SYNC -> {
                responses.syncSent();
                droppingUntilSync = false;
                statements.syncSent();
                requests.syncSent();
                requests.forward(frame, Kind.SYNC, out);
                outstanding.batchBegins();
                yield true;
            }
            case MessageType.QUERY -> {
                requests.query(frame, out);
                yield true;
            }
            case MessageType.FUNCTION_CALL -> forward(frame, Kind.FUNCTION_CALL, out);
            default -> {
                out.toServer(frame); // Flush, CopyData, CopyDone, CopyFail: no response of their own
                yield true;
            }
        };
    }

    private boolean forward(ByteBuf frame, Kind kind, Output out) {
        requests.forward(frame, kind, out);
        return true;
    }

    /**
     * Refuses a Query or Parse with {@code error}, answered in its turn as PostgreSQL would answer a failing
     * statement: a Query is replaced by an empty one (the server then reports its transaction status), a
     * Parse is answered by Berth and the rest of its batch is dropped up to Sync.
     */
    public void reject(ByteBuf frame, ByteBuf error, Output out) {
        if (held.isEmpty()) {
            rejectNow(frame, error, out);
        } else {
            held.addLast(new Held(frame, error, false));
        }
    }

    private void rejectNow(ByteBuf frame, ByteBuf error, Output out) {
        byte type = MessageType.of(frame);
        frame.release();
        retry.reset();
        if (type == MessageType.QUERY) {
            outstanding.add(Request.rejectedQuery(error));
            out.toServer(Messages.query(alloc, ""));
        } else {
            outstanding.add(Request.rejectedParse(error));
            droppingUntilSync = true;
        }
        outstanding.answerSynthesized(out);
    }

    /** Handles one framed server message; takes ownership of it. */
    public void fromServer(ByteBuf frame, Output out) {
        responses.fromServer(frame, out);
        if (!held.isEmpty()) {
            sendHeld(out);
        }
    }

    /** Sends the held messages that no longer wait, in order, up to the next one that still does. */
    private void sendHeld(Output out) {
        Held h;
        while ((h = held.pollFirst()) != null) {
            if (h.own) {
                out.toServer(h.frame);
            } else if (h.error != null) {
                rejectNow(h.frame, h.error, out);
            } else if (!translate(h.frame, out)) {
                held.addFirst(h);
                return;
            }
        }
    }

    /**
     * Called for each server message before anything else looks at it: true when it belonged to a batch
     * being retried and is consumed (the failure, now sent again, or the failed batch's ReadyForQuery), so
     * that neither the client nor the connection's bookkeeping sees it. {@code transactionStatus} is that
     * of the last ReadyForQuery. Costs one check when no batch is recorded.
     */
    public boolean retryConsumes(ByteBuf frame, byte transactionStatus, Output out) {
        if (retry.idle()) {
            return false;
        }
        byte type = MessageType.of(frame);
        if (type == MessageType.NOTICE_RESPONSE || type == MessageType.NOTIFICATION_RESPONSE
                || type == MessageType.PARAMETER_STATUS) {
            return false;
        }
        if (retry.resent()) {
            if (type != MessageType.READY_FOR_QUERY) {
                return false;
            }
            retry.reset();
            responses.fromServer(frame, out); // answers the failed batch's Sync, which swallows it
            return true;
        }
        Request head = outstanding.peek();
        if (head == null || head != retry.first()) {
            return false; // an earlier batch's answer
        }
        boolean retriable = retry.complete() && transactionStatus == 'I';
        if (type == MessageType.PARAMETER_DESCRIPTION && retriable && head.kind == Kind.DESCRIBE_STATEMENT) {
            retry.hold(frame);
            return true;
        }
        ByteBuf parameters = retry.takeHeld();
        if (type == MessageType.ERROR_RESPONSE && retriable) {
            ErrorResponse error = ErrorResponse.decode(frame);
            boolean planChanged = ResponseMatcher.planChanged(error);
            if (planChanged || "26000".equals(error.sqlState())) {
                frame.release();
                if (parameters != null) {
                    parameters.release();
                }
                responses.abandonForRetry(head, planChanged);
                List<ByteBuf> batch = retry.resend();
                for (ByteBuf f : batch) {
                    fromClient(f, out);
                }
                return true;
            }
        }
        if (parameters != null) {
            responses.fromServer(parameters, out);
        }
        retry.reset(); // the first request is answered: nothing of this batch will be sent again
        return false;
    }

    /** A CommandComplete of DISCARD ALL or DEALLOCATE ALL (checked by length first: this runs per command). */
    public static boolean deallocatedAll(ByteBuf frame) {
        return ResponseMatcher.deallocatedAll(frame);
    }
}
