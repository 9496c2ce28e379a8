package dev.berth.server.backend;

import dev.berth.core.session.SessionChanges;
import io.netty.buffer.ByteBuf;

/**
 * What a server connection needs of the client linked to it. Called on the server's event loop; the
 * client hands work over to its own loop where it must.
 */
public interface LinkedClient {
    /** A server message for the client; written, not flushed. */
    void forwardFromServer(ByteBuf frame);

    /** The end of a batch: flush what was forwarded, and stop reading the server while the client cannot keep up. */
    void flushToClient();

    /** The server's writability changed: read the client only while the server can take more. */
    void serverWritabilityChanged(boolean writable);

    /**
     * The server answered with ReadyForQuery idle and nothing outstanding, after {@code consumed} of this
     * client's messages (transaction pooling: it may go back; session pooling: the client may be ended by a drain).
     * The answers up to that ReadyForQuery were forwarded but not flushed: the client flushes them, in an order
     * that decides the release before the client can see the ReadyForQuery.
     */
    void serverAtRest(ServerConnection server, int consumed);

    /** Berth is shutting down: the client is to be ended once at rest (session pooling asks only then). */
    boolean draining();

    /** Statement pooling: the client opened a transaction block. */
    void refuseTransactionBlock();

    /** A message of the client's could not be read (it was not sent on): the client is disconnected with 08P01. */
    void protocolViolation(String message);

    /**
     * Transaction pooling: what the client's statements changed in its session took effect (at the
     * ReadyForQuery that ended their transaction, after {@code consumed} of its messages).
     */
    void sessionChanged(ServerConnection server, SessionChanges.Outcome outcome, int consumed);

    /** The server reported a parameter's new value to this client. */
    void parameterReported(String name, String value);

    /**
     * The server connection closed under the client; {@code errorPassedOn}: after a FATAL error of the
     * server's own that the client already got, so it needs no second one.
     */
    void serverLost(String reason, boolean errorPassedOn);

    /** The process id the client knows for itself (from Berth's BackendKeyData). */
    int processId();
}
