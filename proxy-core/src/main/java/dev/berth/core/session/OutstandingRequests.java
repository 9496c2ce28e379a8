package dev.berth.core.session;

import dev.berth.core.prepared.StatementKey;
import io.netty.buffer.ByteBuf;

import java.util.ArrayDeque;

/**
 * The requests sent to a server whose responses have not all arrived, in order (pgbouncer's
 * "outstanding requests"). Each says what to do with its response: forward it, swallow it (Berth sent
 * the request on its own, such as a re-prepare), or answer the client with a response Berth made (a Parse
 * of a statement the server already has, a Close Berth handles itself).
 */
final class OutstandingRequests {

    enum Kind { PARSE, BIND, DESCRIBE_STATEMENT, DESCRIBE_PORTAL, EXECUTE, CLOSE, SYNC, QUERY, FUNCTION_CALL }

    /**
     * FORWARD the server's responses; SWALLOW them (Berth's own request); SYNTHESIZE: answer with
     * {@code response} when this request's turn comes; REPLACE: the server's EmptyQueryResponse to Berth's
     * stand-in empty query becomes {@code response} (a rejected statement, answered in order).
     */
    enum Action { FORWARD, SWALLOW, SYNTHESIZE, REPLACE }

    static final class Request {
        final Kind kind;
        final Action action;
        /** For SYNTHESIZE: the response to send to the client when this request's turn comes. */
        final ByteBuf response;
        /** Server statement prepared by this Parse (to forget if it fails), or used by this Bind/Describe. */
        final String serverName;
        /** Client statement name created by this Parse (to forget if it fails). */
        final String clientName;
        final StatementKey key;
        /** For a Parse sent to provoke "already exists": the client's name to show instead of the server's. */
        final String errorNameRewrite;

        Request(Kind kind, Action action, ByteBuf response, String serverName, String clientName, StatementKey key,
                String errorNameRewrite) {
            this.kind = kind;
            this.action = action;
            this.response = response;
            this.serverName = serverName;
            this.clientName = clientName;
            this.key = key;
            this.errorNameRewrite = errorNameRewrite;
        }
    }

    private final ArrayDeque<Request> queue = new ArrayDeque<>();

    void add(Request r) {
        queue.addLast(r);
    }

    Request peek() {
        return queue.peekFirst();
    }

    Request poll() {
        return queue.pollFirst();
    }

    boolean isEmpty() {
        return queue.isEmpty();
    }

    int size() {
        return queue.size();
    }

    boolean containsSync() {
        for (Request r : queue) {
            if (r.kind == Kind.SYNC) {
                return true;
            }
        }
        return false;
    }

    /** Drops everything, releasing responses Berth had prepared (the server connection is gone). */
    void clear() {
        Request r;
        while ((r = queue.pollFirst()) != null) {
            if (r.response != null) {
                r.response.release();
            }
        }
    }
}
