package dev.berth.server.backend;

import dev.berth.core.protocol.ErrorResponse;
import dev.berth.core.protocol.MessageType;
import io.netty.buffer.ByteBuf;

import java.util.ArrayDeque;
import java.util.Map;
import java.util.Set;
import java.util.logging.Logger;

/**
 * Berth's own requests appended to a linked client's ({@link ServerRelay#appendOwn}): which ReadyForQuery
 * answers each, the client's ReadyForQuery held until they are answered, and their answers, swallowed but
 * for ParameterStatus, which replaces what the client's request reported ({@link ReplacedReports}).
 * Confined to the server's event loop, as the relay is.
 */
final class OwnRequests {
    /** The relay's: its log lines read as they did before this class was split out of it. */
    private static final Logger LOG = Logger.getLogger(ServerRelay.class.getName());

    private final ServerRelay relay;
    /** The numbers of the ReadyForQuery answering each (as the relay counts them), oldest first. */
    private final ArrayDeque<Long> own = new ArrayDeque<>(2);
    /** The client's ReadyForQuery just before one of Berth's own requests is held until that request is answered. */
    private boolean holdReady;
    private ByteBuf heldReady;
    private final ReplacedReports replacedReports = new ReplacedReports();

    OwnRequests(ServerRelay relay) {
        this.relay = relay;
    }

    /** A client was linked. */
    void linked() {
        own.clear();
    }

    /** One was sent, answered by ReadyForQuery number {@code answeredBy}; it sets {@code sets} (lower case) again. */
    void sent(long answeredBy, Set<String> sets) {
        replacedReports.replacing(sets);
        own.add(answeredBy);
    }

    boolean pending() {
        return !own.isEmpty();
    }

    /**
     * While {@link #pending}: whether a server message after {@code readyCount} ReadyForQuery answers one of
     * Berth's own requests. If not, a ReadyForQuery just before one is marked to be held ({@link #held}).
     */
    boolean answers(byte type, long readyCount) {
        long next = own.peekFirst();
        if (readyCount + 1 == next) {
            return true;
        }
        holdReady = type == MessageType.READY_FOR_QUERY && readyCount + 2 == next;
        return false;
    }

    /** An answer to one of Berth's own requests, other than its ReadyForQuery. */
    void answer(ByteBuf frame, byte type, ServerConnection server, LinkedClient linked) {
        if (type == MessageType.PARAMETER_STATUS) {
            Map.Entry<String, String> parameter = server.parameters().record(frame);
            linked.parameterReported(parameter.getKey(), parameter.getValue());
            replacedReports.reportedByOwn(parameter.getKey());
            relay.forwardToClient(frame);
            return;
        }
        if (type == MessageType.ERROR_RESPONSE) {
            LOG.info(() -> "server connection " + server + ": Berth's own request failed: " + ErrorResponse.decode(frame));
            replacedReports.ownFailed();
        }
        frame.release();
    }

    /** The ReadyForQuery of one of Berth's own requests: what waited for it goes to the client. */
    void answered(LinkedClient linked) {
        own.poll();
        if (own.isEmpty()) {
            replacedReports.ownAnswered((report, parameter) -> {
                linked.parameterReported(parameter.getKey(), parameter.getValue());
                relay.forwardToClient(report);
            });
        }
        ByteBuf held = heldReady;
        heldReady = null;
        if (held != null) {
            relay.forwardToClient(held);
        }
    }

    /** Holds {@code frame}, a report of {@code parameter} by the client's request, if Berth's request replaces it. */
    boolean holdsReport(ByteBuf frame, Map.Entry<String, String> parameter) {
        return replacedReports.hold(frame, parameter);
    }

    /** Keeps the client's ReadyForQuery marked by {@link #answers}; true when kept. */
    boolean held(ByteBuf frame) {
        if (holdReady && MessageType.of(frame) == MessageType.READY_FOR_QUERY) {
            holdReady = false;
            heldReady = frame;
            return true;
        }
        return false;
    }

    /** The marked ReadyForQuery was held, or not given on (the translation answered it otherwise). */
    void holdDone() {
        holdReady = false;
    }

    /** The client is gone or the connection closed: what was held is dropped. */
    void dropHeld() {
        holdReady = false;
        if (heldReady != null) {
            heldReady.release();
            heldReady = null;
        }
        replacedReports.clear();
    }
}
