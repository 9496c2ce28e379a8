package dev.berth.core.session;

import dev.berth.core.prepared.ClientStatements;
import dev.berth.core.prepared.StatementKey;
import dev.berth.core.protocol.Messages;
import dev.berth.core.session.PreparedStatementRelay.Output;
import io.netty.buffer.ByteBuf;

import java.util.ArrayDeque;
import java.util.Arrays;

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

    /** One outstanding request; built only by the factories below, each named for what the request is. */
    static final class Request {
        final Kind kind;
        final Action action;
        /** For SYNTHESIZE and REPLACE: the response Berth sends the client in this request's turn. */
        final ByteBuf response;
        /** Server statement prepared by this Parse (to forget if it fails), or used by this Bind/Describe/Close. */
        final String serverName;
        /** Client statement name created by this Parse or removed by this Close (to undo if it is skipped). */
        final String clientName;
        /** The client's statement this Parse created or this Close removed under {@link #clientName}. */
        final ClientStatements.Statement statement;
        /** The statement a Bind runs: needed to prepare it afresh if its plan went stale. */
        final StatementKey key;
        /** The client's name to show in a server error instead of {@link #serverName}, when they differ. */
        final String errorNameRewrite;

        private Request(Kind kind, Action action, ByteBuf response, String serverName, String clientName,
                        StatementKey key, String errorNameRewrite) {
            this(kind, action, response, serverName, clientName, null, key, errorNameRewrite);
        }

        private Request(Kind kind, Action action, ByteBuf response, String serverName, String clientName,
                        ClientStatements.Statement statement, StatementKey key, String errorNameRewrite) {
            this.kind = kind;
            this.action = action;
            this.response = response;
            this.serverName = serverName;
            this.clientName = clientName;
            this.statement = statement;
            this.key = key;
            this.errorNameRewrite = errorNameRewrite;
        }

        private static Request answeredByBerth(Kind kind, ByteBuf response) {
            return new Request(kind, Action.SYNTHESIZE, response, null, null, null, null);
        }

        /** A plainly forwarded request carries nothing but its kind: one shared, immutable instance per kind. */
        private static final Request[] FORWARDED = Arrays.stream(Kind.values())
                .map(kind -> new Request(kind, Action.FORWARD, null, null, null, null, null)).toArray(Request[]::new);

        /** A message passed on as the client sent it (unnamed statements, portals, Execute, Sync, Query...). */
        static Request forwarded(Kind kind) {
            return FORWARDED[kind.ordinal()];
        }

        /** A client's new named statement, sent under its server name; both names are forgotten if it fails. */
        static Request parse(String serverName, String clientName, ClientStatements.Statement created) {
            return new Request(Kind.PARSE, Action.FORWARD, null, serverName, clientName, created, null, null);
        }

        /**
         * A Parse reusing a client name that is taken, sent under its server name so that the server answers
         * 42P05 with its transaction semantics; the error shows the client's name. Nothing to undo.
         */
        static Request parseOfTakenName(String serverName, String clientName) {
            return new Request(Kind.PARSE, Action.FORWARD, null, serverName, null, null, clientName);
        }

        /** A client's Parse of a statement the server already has: Berth answers ParseComplete in its turn. */
        static Request parseAnswered(String clientName, ClientStatements.Statement created) {
            return new Request(Kind.PARSE, Action.SYNTHESIZE, Messages.PARSE_COMPLETE.duplicate(), null, clientName,
                    created, null, null);
        }

        /** Berth's own Parse of a client's statement this server lacks: its ParseComplete is swallowed. */
        static Request reprepare(String serverName) {
            return new Request(Kind.PARSE, Action.SWALLOW, null, serverName, null, null, null);
        }

        /** A Parse Berth refused without sending it: {@code error} answers it in its turn. */
        static Request rejectedParse(ByteBuf error) {
            return answeredByBerth(Kind.PARSE, error);
        }

        /** A Query Berth refused: an empty query goes in its place, and its EmptyQueryResponse becomes {@code error}. */
        static Request rejectedQuery(ByteBuf error) {
            return new Request(Kind.QUERY, Action.REPLACE, error, null, null, null, null);
        }

        /**
         * A Bind of a named statement, sent under {@code serverName}; {@code key} is null for a name the client
         * never prepared, {@code clientName} null when the server sees the client's own name.
         */
        static Request bind(String serverName, StatementKey key, String clientName) {
            return new Request(Kind.BIND, Action.FORWARD, null, serverName, null, key, clientName);
        }

        /** A Describe of a named statement, sent under {@code serverName}; {@code key} and {@code clientName} as for {@link #bind}. */
        static Request describeStatement(String serverName, StatementKey key, String clientName) {
            return new Request(Kind.DESCRIBE_STATEMENT, Action.FORWARD, null, serverName, null, key, clientName);
        }

        /** A Sync of a batch the server failed and Berth sent again: its ReadyForQuery is swallowed. */
        static Request retriedSync() {
            return new Request(Kind.SYNC, Action.SWALLOW, null, null, null, null, null);
        }

        /**
         * A client's Close of its statement name: the server keeps the statement, Berth answers CloseComplete.
         * {@code removed} (null if the client had no such name) comes back if the Close is skipped.
         */
        static Request closeAnswered(String clientName, ClientStatements.Statement removed) {
            return new Request(Kind.CLOSE, Action.SYNTHESIZE, Messages.CLOSE_COMPLETE.duplicate(), null,
                    removed == null ? null : clientName, removed, null, null);
        }

        /** Berth's own Close of a statement evicted to stay within the server's limit: its CloseComplete is swallowed. */
        static Request evictionClose(String serverName) {
            return new Request(Kind.CLOSE, Action.SWALLOW, null, serverName, null, null, null);
        }

        /** A Parse that creates a statement under Berth's name (not the probe of a taken name). */
        boolean preparesServerStatement() {
            return kind == Kind.PARSE && serverName != null && errorNameRewrite == null;
        }
    }

    private final ArrayDeque<Request> queue = new ArrayDeque<>();
    /** Requests added that the server answers (not answered by Berth), in all and when the current batch began. */
    private long sent;
    private long sentAtBatchStart;
    private final UnsettledNames unsettled = new UnsettledNames();

    /** The client names changed by requests still in this queue. */
    UnsettledNames unsettled() {
        return unsettled;
    }

    void add(Request r) {
        queue.addLast(r);
        if (r.action != Action.SYNTHESIZE) {
            sent++;
        }
    }

    /** Puts a request at the head, to be answered before all others (the Sync of a batch being retried). */
    void addFirst(Request r) {
        queue.addFirst(r);
    }

    /** A Sync went out (or a client was attached): what follows is a new batch. */
    void batchBegins() {
        sentAtBatchStart = sent;
    }

    /** Nothing of the current batch has reached the server yet. */
    boolean batchUntouched() {
        return sent == sentAtBatchStart;
    }

    Request peek() {
        return queue.peekFirst();
    }


    Request poll() {
        Request r = queue.pollFirst();
        if (r != null && r.clientName != null) {
            unsettled.settled(r.clientName);
        }
        return r;
    }

    boolean isEmpty() {
        return queue.isEmpty();
    }

    /** Sends the client, in their turn, the responses Berth made for the requests now at the head. */
    void answerSynthesized(Output out) {
        Request head;
        while ((head = queue.peekFirst()) != null && head.action == Action.SYNTHESIZE) {
            poll();
            out.toClient(head.response);
        }
    }

    /** Drops everything, releasing responses Berth had prepared (the server connection is gone). */
    void clear() {
        unsettled.clear();
        Request r;
        while ((r = queue.pollFirst()) != null) {
            if (r.response != null) {
                r.response.release();
            }
        }
    }
}
