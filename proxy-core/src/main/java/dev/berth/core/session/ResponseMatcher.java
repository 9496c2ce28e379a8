package dev.berth.core.session;

import dev.berth.core.prepared.ClientStatements;
import dev.berth.core.prepared.PreparedStatementRegistry;
import dev.berth.core.prepared.ServerStatements;
import dev.berth.core.protocol.ErrorResponse;
import dev.berth.core.protocol.MessageType;
import dev.berth.core.session.OutstandingRequests.Action;
import dev.berth.core.session.OutstandingRequests.Kind;
import dev.berth.core.session.OutstandingRequests.Request;
import dev.berth.core.session.PreparedStatementRelay.Output;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;

/**
 * The server-to-client half of {@link PreparedStatementRelay}: matches each server response to the
 * outstanding request it answers, and forwards, swallows or replaces it as that request says, so the
 * client sees exactly the responses to its own messages. After an error it drops the requests the server
 * skips up to Sync and undoes what Berth had recorded for them.
 */
final class ResponseMatcher {
    private static final String PLAN_CHANGED = "cached plan must not change result type";

    private final ServerStatements statements;
    private final OutstandingRequests outstanding;
    private final ByteBufAllocator alloc;
    private ClientStatements client;
    private PreparedStatementRegistry registry;
    /** After an error in an extended-protocol batch the server ignores everything up to the next Sync. */
    private boolean skippingUntilSync;
    /** A schema change completed; the ReadyForQuery 'I' that commits it starts another generation. */
    private boolean schemaChangePending;

    ResponseMatcher(ServerStatements statements, OutstandingRequests outstanding, ByteBufAllocator alloc) {
        this.statements = statements;
        this.outstanding = outstanding;
        this.alloc = alloc;
    }

    void attach(ClientStatements clientStatements, PreparedStatementRegistry statementRegistry) {
        this.client = clientStatements;
        this.registry = statementRegistry;
    }

    void detach() {
        client = null;
    }

    /** The server reported an error and no Sync was outstanding: it discards the client's messages up to Sync. */
    boolean skippingUntilSync() {
        return skippingUntilSync;
    }

    /** The client's Sync went out: the server reads messages again. */
    void syncSent() {
        skippingUntilSync = false;
    }

    void fromServer(ByteBuf frame, Output out) {
        byte type = MessageType.of(frame);
        Request head = outstanding.peek();
        if (head == null || type == MessageType.NOTICE_RESPONSE || type == MessageType.NOTIFICATION_RESPONSE
                || type == MessageType.PARAMETER_STATUS) {
            out.toClient(frame);
            return;
        }
        if (type == MessageType.ERROR_RESPONSE) {
            onError(head, frame, out);
            outstanding.answerSynthesized(out);
            return;
        }
        boolean completes = switch (head.kind) {
            case PARSE -> type == '1';
            case BIND -> type == '2';
            case CLOSE -> type == '3';
            case DESCRIBE_STATEMENT, DESCRIBE_PORTAL -> type == 'T' || type == 'n';
            case EXECUTE -> type == 'C' || type == 'I' || type == 's';
            case SYNC, QUERY, FUNCTION_CALL -> type == MessageType.READY_FOR_QUERY;
        };
        if (type == 'C') {
            if (deallocatedAll(frame)) {
                // the server really dropped every prepared statement: Berth's record of them goes too
                statements.clear();
                if (client != null) {
                    client.clear();
                }
            } else if (changesSchema(frame)) {
                // shared statements prepared before it could describe or run differently from fresh ones: new names,
                // now for this client's own transaction, and again once it commits for everyone else
                registry.newGeneration();
                schemaChangePending = true;
            }
        } else if (type == MessageType.READY_FOR_QUERY && schemaChangePending
                && frame.getByte(frame.readerIndex() + 5) == 'I') {
            schemaChangePending = false;
            registry.newGeneration();
        }
        if (head.action == Action.SWALLOW) {
            frame.release();
        } else if (head.action == Action.REPLACE && type == 'I') {
            frame.release();
            out.toClient(head.response.retainedDuplicate()); // the request keeps its own until it completes
        } else {
            out.toClient(frame);
        }
        if (completes) {
            outstanding.poll();
            if (head.action == Action.REPLACE) {
                head.response.release();
            }
            if (head.preparesServerStatement()) {
                registry.prepared(head.serverName);
                statements.parsed(head.serverName);
            }
            outstanding.answerSynthesized(out);
        }
    }

    private void onError(Request head, ByteBuf frame, Output out) {
        if (head.kind == Kind.QUERY || head.kind == Kind.FUNCTION_CALL || head.kind == Kind.SYNC) {
            out.toClient(frame); // a simple query goes on to its ReadyForQuery
            return;
        }
        if (head.errorNameRewrite != null) {
            // the server named its statement (or the "already exists" probe); the client must see its own name
            ByteBuf rewritten = ErrorResponse.replaceInMessage(alloc, frame, "\"" + head.serverName + "\"",
                    "\"" + head.errorNameRewrite + "\"");
            frame.release();
            frame = rewritten;
        }
        ErrorResponse error = ErrorResponse.decode(frame);
        if (head.serverName != null && head.key != null
                && (head.kind == Kind.BIND || head.kind == Kind.DESCRIBE_STATEMENT) && planChanged(error)) {
            // the schema changed under a shared statement: from now on it is prepared afresh under a new name
            String fresh = registry.rename(head.key, head.serverName);
            client.rename(head.serverName, fresh);
        }
        if ((head.kind == Kind.BIND || head.kind == Kind.DESCRIBE_STATEMENT) && isBerths(head.serverName)
                && "26000".equals(error.sqlState())) {
            // a statement Berth prepared here is gone without Berth seeing why: forget what this server holds
            statements.lost();
        }
        out.toClient(frame);
        // the server skips the rest up to Sync: those requests get no response, and undo what they assumed,
        // latest first (a Close then a Parse of one name in a batch must leave the name as it was before both)
        ArrayList<Request> skipped = new ArrayList<>();
        skipped.add(outstanding.poll());
        Request r;
        while ((r = outstanding.peek()) != null && r.kind != Kind.SYNC) {
            skipped.add(outstanding.poll());
        }
        for (int i = skipped.size() - 1; i >= 0; i--) {
            forget(skipped.get(i));
        }
        if (r == null) {
            skippingUntilSync = true;
        }
    }

    static boolean planChanged(ErrorResponse error) {
        return "0A000".equals(error.sqlState()) && error.message() != null && error.message().contains(PLAN_CHANGED);
    }

    /**
     * The first request of a batch failed on a stale ({@code planChanged}) or missing shared statement and
     * the batch is about to be sent again (see {@link StatementRetry}): the statement gets a fresh name for
     * this client and the pool, or this server's statements are forgotten; the failed batch's requests are
     * dropped with what they assumed, and its Sync stays first, to swallow the ReadyForQuery that answers it.
     */
    void abandonForRetry(Request failed, boolean planChanged) {
        if (planChanged) {
            String fresh = registry.rename(failed.key, failed.serverName);
            if (failed.errorNameRewrite != null) {
                client.reassign(failed.errorNameRewrite, fresh);
            } else {
                client.rename(failed.serverName, fresh);
            }
        } else {
            statements.lost();
        }
        // undone latest first, as when the server skips a batch (a Close then a Parse of one name)
        ArrayList<Request> dropped = new ArrayList<>();
        Request r;
        while ((r = outstanding.poll()) != null) {
            dropped.add(r);
            if (r.kind == Kind.SYNC) {
                break;
            }
        }
        for (int i = dropped.size() - 1; i >= 0; i--) {
            forget(dropped.get(i));
        }
        outstanding.addFirst(Request.retriedSync());
    }

    /** One of Berth's server-side names (a client's own name of that form is escaped with a trailing '?'). */
    private static boolean isBerths(String serverName) {
        return serverName != null && serverName.startsWith(PreparedStatementRegistry.PREFIX) && !serverName.endsWith("?");
    }

    /** A request the server did not carry out: what Berth recorded for it is undone. */
    private void forget(Request r) {
        if (r.kind == Kind.CLOSE && r.action == Action.SWALLOW && r.serverName != null) {
            statements.touch(r.serverName); // the eviction's Close was skipped: the statement is still there
        }
        if (r.preparesServerStatement()) {
            statements.remove(r.serverName);
        }
        if (r.clientName != null && client != null) {
            // a Parse of a new client name, or a Close of one
            if (r.kind == Kind.PARSE) {
                client.undoPut(r.clientName, r.statement);
            } else {
                client.undoRemove(r.clientName, r.statement);
            }
        }
        if (r.kind == Kind.PARSE && r.serverName == null && r.action != Action.SYNTHESIZE && client != null) {
            client.forgetUnnamed(); // a Parse of the unnamed statement that failed or was skipped leaves none
        }
        if (r.response != null) {
            r.response.release();
        }
    }

    /** A CommandComplete of a statement that can change what a prepared statement means (the tag is enough). */
    static boolean changesSchema(ByteBuf frame) {
        int at = frame.readerIndex() + 5;
        return switch (frame.getByte(at)) {
            case 'C' -> tagStartsWith(frame, at, "CREATE ");
            case 'A' -> tagStartsWith(frame, at, "ALTER ");
            case 'D' -> tagStartsWith(frame, at, "DROP ") || tagStartsWith(frame, at, "DO\0"); // DO: DDL Berth cannot see
            default -> false;
        };
    }

    private static boolean tagStartsWith(ByteBuf frame, int at, String prefix) {
        if (frame.writerIndex() - at < prefix.length()) {
            return false;
        }
        for (int i = 0; i < prefix.length(); i++) {
            if (frame.getByte(at + i) != prefix.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    /** A CommandComplete of DISCARD ALL or DEALLOCATE ALL (checked by length first: this runs per command). */
    static boolean deallocatedAll(ByteBuf frame) {
        int length = frame.getInt(frame.readerIndex() + 1);
        if (length != 4 + "DISCARD ALL".length() + 1 && length != 4 + "DEALLOCATE ALL".length() + 1) {
            return false;
        }
        String tag = frame.toString(frame.readerIndex() + 5, length - 5, StandardCharsets.US_ASCII);
        return tag.equals("DISCARD ALL") || tag.equals("DEALLOCATE ALL");
    }
}
