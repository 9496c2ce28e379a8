package dev.berth.core.session;

import dev.berth.core.session.OutstandingRequests.Request;
import io.netty.buffer.ByteBuf;

import java.util.ArrayList;
import java.util.List;

/**
 * What {@link PreparedStatementRelay} needs to send a batch again when a shared statement turns out stale
 * (a schema change Berth did not see: {@code 0A000 cached plan must not change result type}) or missing
 * ({@code 26000}) on the server. Only one case is provably safe, and only it is recorded: the first message
 * of a batch (nothing since the last Sync reached the server) is a Bind or Describe of a client statement that
 * was never bound or described before (the client knows nothing of its shape yet), which the server holds
 * under Berth's shared name. If the server fails that message, it has run nothing of the batch; outside a
 * transaction block the failure leaves nothing behind, so the batch from that message to its Sync is sent
 * again under a fresh statement. Everything else (a batch that ran something first, a statement the client
 * already used, a transaction block, a batch whose Sync has not arrived, a batch followed by more messages)
 * is not recorded or not retried, and a normal batch costs one state check per message.
 */
final class StatementRetry {
    private enum State {
        /** Nothing recorded. */
        IDLE,
        /** The first message qualifies: the batch is kept up to its Sync. */
        RECORDING,
        /** The batch is kept whole and its first request is unanswered. */
        COMPLETE,
        /** The batch was sent again: the failed one's ReadyForQuery is still to come and is swallowed. */
        RESENT
    }

    private State state = State.IDLE;
    /** The batch as the client sent it, from its first message up to its Sync. */
    private final List<ByteBuf> frames = new ArrayList<>(4);
    /** The request of the first message. */
    private Request first;
    /**
     * A Describe's ParameterDescription, held until its RowDescription: PostgreSQL finds the plan stale only
     * after sending it, and a batch sent again would send it twice.
     */
    private ByteBuf held;

    boolean idle() {
        return state == State.IDLE;
    }

    boolean resent() {
        return state == State.RESENT;
    }

    /** The batch is recorded to its Sync, its first request unanswered: a failure of it can be retried. */
    boolean complete() {
        return state == State.COMPLETE;
    }

    Request first() {
        return first;
    }

    /** The first message of a batch qualifies (see the class comment): {@code copy} of it is kept. */
    void start(ByteBuf copy, Request request) {
        frames.add(copy);
        first = request;
        state = State.RECORDING;
    }

    /** Before a client message is handled: a copy of it, when the batch is being recorded. */
    ByteBuf beforeClientMessage(ByteBuf frame) {
        return switch (state) {
            case RECORDING -> frame.retainedDuplicate();
            case COMPLETE -> {
                reset(); // more after the Sync: the batch could no longer be sent again in its place
                yield null;
            }
            default -> null;
        };
    }

    /** After a client message was handled, with the copy {@link #beforeClientMessage} made of it. */
    void afterClientMessage(ByteBuf copy, byte type) {
        frames.add(copy);
        if (type == 'S') {
            state = State.COMPLETE;
        }
    }

    void hold(ByteBuf parameterDescription) {
        held = parameterDescription;
    }

    /** The held ParameterDescription (to pass on before the rest of the answer), or null. */
    ByteBuf takeHeld() {
        ByteBuf h = held;
        held = null;
        return h;
    }

    /** The recorded batch, handed over to be sent again; its ReadyForQuery is swallowed next. */
    List<ByteBuf> resend() {
        if (held != null) {
            held.release();
            held = null;
        }
        List<ByteBuf> batch = List.copyOf(frames);
        frames.clear();
        first = null;
        state = State.RESENT;
        return batch;
    }

    /** Forgets the batch (answered, not retriable, or the connection changed hands). */
    void reset() {
        if (state == State.IDLE) {
            return;
        }
        for (ByteBuf f : frames) {
            f.release();
        }
        frames.clear();
        if (held != null) {
            held.release();
            held = null;
        }
        first = null;
        state = State.IDLE;
    }
}
