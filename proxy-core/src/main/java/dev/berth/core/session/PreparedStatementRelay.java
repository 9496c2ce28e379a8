package dev.berth.core.session;

import dev.berth.core.prepared.ClientStatements;
import dev.berth.core.prepared.PreparedStatementRegistry;
import dev.berth.core.prepared.ServerStatements;
import dev.berth.core.prepared.StatementKey;
import dev.berth.core.protocol.ErrorResponse;
import dev.berth.core.protocol.MessageType;
import dev.berth.core.protocol.Messages;
import dev.berth.core.session.OutstandingRequests.Action;
import dev.berth.core.session.OutstandingRequests.Kind;
import dev.berth.core.session.OutstandingRequests.Request;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Named prepared statements in transaction pooling: the client's statement names are its own, the
 * server's are Berth's. On the way in, Parse/Bind/Describe/Close are rewritten to the server-side name,
 * a statement the server lacks is prepared first (its ParseComplete swallowed), a Parse the server
 * already has and a Close of a client name are answered by Berth. On the way out, each response is
 * matched to its request, so the client sees exactly the responses to its own messages, in order, as
 * PostgreSQL would send them. One relay per server connection, used on that connection's event loop.
 */
public final class PreparedStatementRelay {

    /** Where frames go. */
    public interface Output {
        void toServer(ByteBuf frame);

        void toClient(ByteBuf frame);
    }

    private static final String PLAN_CHANGED = "cached plan must not change result type";

    private final ServerStatements statements;
    private final ByteBufAllocator alloc;
    private final OutstandingRequests outstanding = new OutstandingRequests();
    private ClientStatements client;
    private PreparedStatementRegistry registry;
    /** After an error in an extended-protocol batch the server ignores everything up to the next Sync. */
    private boolean skippingUntilSync;
    /** After Berth rejected a Parse the server never saw, the rest of the batch up to Sync is dropped. */
    private boolean droppingUntilSync;
    private long reprepares;
    private long evictions;
    private final dev.berth.core.prepared.PreparedStatementMetrics metrics;

    public PreparedStatementRelay(ServerStatements statements, ByteBufAllocator alloc) {
        this(statements, alloc, dev.berth.core.prepared.PreparedStatementMetrics.NOOP);
    }

    public PreparedStatementRelay(ServerStatements statements, ByteBufAllocator alloc,
                                  dev.berth.core.prepared.PreparedStatementMetrics metrics) {
        this.statements = statements;
        this.alloc = alloc;
        this.metrics = metrics;
    }

    /** A client starts using this server. */
    public void attach(ClientStatements clientStatements, PreparedStatementRegistry statementRegistry) {
        this.client = clientStatements;
        this.registry = statementRegistry;
    }

    public void detach() {
        client = null;
    }

    /** True when every request sent has been answered. */
    public boolean isEmpty() {
        return outstanding.isEmpty();
    }

    /** The server deallocated every statement (DISCARD ALL, DEALLOCATE ALL, or a reset query). */
    public void serverStatementsLost() {
        statements.clear();
    }

    /** The server connection is gone: nothing outstanding will be answered. */
    public void close() {
        outstanding.clear();
    }

    public long reprepares() {
        return reprepares;
    }

    public long evictions() {
        return evictions;
    }

    // ---- client to server ----

    /** Handles one framed client message; takes ownership of it. */
    public void fromClient(ByteBuf frame, Output out) {
        byte type = MessageType.of(frame);
        if (droppingUntilSync && type != MessageType.SYNC) {
            frame.release();
            return;
        }
        if (skippingUntilSync && type != MessageType.SYNC) {
            out.toServer(frame); // the server discards it, as it would without Berth
            return;
        }
        switch (type) {
            case MessageType.PARSE -> parse(frame, out);
            case MessageType.BIND -> bind(frame, out);
            case MessageType.DESCRIBE -> describe(frame, out);
            case MessageType.CLOSE -> close(frame, out);
            case MessageType.EXECUTE -> forward(frame, Kind.EXECUTE, out);
            case MessageType.SYNC -> {
                skippingUntilSync = false;
                droppingUntilSync = false;
                statements.syncSent();
                forward(frame, Kind.SYNC, out);
            }
            case MessageType.QUERY -> forward(frame, Kind.QUERY, out);
            case MessageType.FUNCTION_CALL -> forward(frame, Kind.FUNCTION_CALL, out);
            default -> out.toServer(frame); // Flush, CopyData, CopyDone, CopyFail: no response of their own
        }
        drainSynthesized(out);
    }

    /**
     * Refuses a Query or Parse with {@code error}, answered in its turn as PostgreSQL would answer a failing
     * statement: a Query is replaced by an empty one (the server then reports its transaction status), a
     * Parse is answered by Berth and the rest of its batch is dropped up to Sync.
     */
    public void reject(ByteBuf frame, ByteBuf error, Output out) {
        byte type = MessageType.of(frame);
        frame.release();
        if (type == MessageType.QUERY) {
            outstanding.add(new Request(Kind.QUERY, Action.REPLACE, error, null, null, null, null));
            out.toServer(Messages.query(alloc, ""));
        } else {
            outstanding.add(new Request(Kind.PARSE, Action.SYNTHESIZE, error, null, null, null, null));
            droppingUntilSync = true;
        }
        drainSynthesized(out);
    }

    private void forward(ByteBuf frame, Kind kind, Output out) {
        outstanding.add(PLAIN[kind.ordinal()]);
        out.toServer(frame);
    }

    /** A plainly forwarded request carries nothing but its kind: one shared, immutable instance per kind. */
    private static final Request[] PLAIN = java.util.Arrays.stream(Kind.values())
            .map(kind -> new Request(kind, Action.FORWARD, null, null, null, null, null)).toArray(Request[]::new);

    private void parse(ByteBuf frame, Output out) {
        ByteBuf p = Messages.payload(frame);
        String name = Messages.readCString(p);
        if (name.isEmpty()) {
            forward(frame, Kind.PARSE, out); // the unnamed statement is the server's own, short-lived
            return;
        }
        String query = Messages.readCString(p);
        int count = p.readUnsignedShort();
        int[] types = new int[count];
        for (int i = 0; i < count; i++) {
            types[i] = p.readInt();
        }
        frame.release();
        StatementKey key = new StatementKey(query, types);
        ClientStatements.Statement existing = client.get(name);
        if (existing != null) {
            // PostgreSQL answers 42P05: let the server say it (with its transaction semantics), under the client's name
            ensurePrepared(existing, out);
            outstanding.add(new Request(Kind.PARSE, Action.FORWARD, null, existing.serverName(), null, null, name));
            out.toServer(parseMessage(existing.serverName(), key));
            return;
        }
        String serverName = registry.nameFor(key);
        client.put(name, key, serverName);
        if (statements.contains(serverName)) {
            statements.touch(serverName);
            outstanding.add(new Request(Kind.PARSE, Action.SYNTHESIZE, Messages.PARSE_COMPLETE.duplicate(), null, name, key, null));
            return;
        }
        closeEvicted(statements.add(serverName), out);
        outstanding.add(new Request(Kind.PARSE, Action.FORWARD, null, serverName, name, key, null));
        out.toServer(parseMessage(serverName, key));
    }

    private void bind(ByteBuf frame, Output out) {
        int base = frame.readerIndex();
        int portalEnd = frame.indexOf(base + 5, frame.writerIndex(), (byte) 0);
        int nameEnd = frame.indexOf(portalEnd + 1, frame.writerIndex(), (byte) 0);
        String name = frame.toString(portalEnd + 1, nameEnd - portalEnd - 1, StandardCharsets.UTF_8);
        if (name.isEmpty()) {
            forward(frame, Kind.BIND, out);
            return;
        }
        ClientStatements.Statement s = client.get(name);
        String serverName = s == null ? unknown(name) : s.serverName();
        if (s != null) {
            ensurePrepared(s, out);
        }
        // header, portal name, new statement name, then the rest of the original message as a slice
        ByteBuf head = alloc.buffer(16 + (portalEnd - base) + serverName.length());
        head.writeByte(MessageType.BIND).writeInt(0);
        head.writeBytes(frame, base + 5, portalEnd + 1 - (base + 5));
        Messages.writeCString(head, serverName);
        ByteBuf rest = frame.retainedSlice(nameEnd + 1, frame.writerIndex() - nameEnd - 1);
        head.setInt(1, head.readableBytes() - 1 + rest.readableBytes());
        frame.release();
        CompositeByteBuf rewritten = alloc.compositeBuffer(2).addComponents(true, head, rest);
        // an error about the statement must name it as the client does
        outstanding.add(new Request(Kind.BIND, Action.FORWARD, null, serverName, null, s == null ? null : s.key(),
                escapedFrom(name, serverName)));
        out.toServer(rewritten);
    }

    private void describe(ByteBuf frame, Output out) {
        ByteBuf p = Messages.payload(frame);
        byte what = p.readByte();
        String name = Messages.readCString(p);
        if (what != 'S' || name.isEmpty()) {
            forward(frame, what == 'S' ? Kind.DESCRIBE_STATEMENT : Kind.DESCRIBE_PORTAL, out);
            return;
        }
        frame.release();
        ClientStatements.Statement s = client.get(name);
        String serverName = s == null ? unknown(name) : s.serverName();
        if (s != null) {
            ensurePrepared(s, out);
        }
        outstanding.add(new Request(Kind.DESCRIBE_STATEMENT, Action.FORWARD, null, serverName, null, null,
                escapedFrom(name, serverName)));
        out.toServer(nameMessage(MessageType.DESCRIBE, (byte) 'S', serverName));
    }

    private void close(ByteBuf frame, Output out) {
        ByteBuf p = Messages.payload(frame);
        byte what = p.readByte();
        String name = Messages.readCString(p);
        if (what != 'S' || name.isEmpty()) {
            forward(frame, Kind.CLOSE, out);
            return;
        }
        frame.release();
        // the server-side statement stays for other clients; the client's name is gone, as PostgreSQL would say
        client.remove(name);
        outstanding.add(new Request(Kind.CLOSE, Action.SYNTHESIZE, Messages.CLOSE_COMPLETE.duplicate(), null, null, null, null));
    }

    /** Prepares a client's statement on this server if it is not there yet; the ParseComplete is swallowed. */
    private void ensurePrepared(ClientStatements.Statement s, Output out) {
        if (statements.contains(s.serverName())) {
            statements.touch(s.serverName());
            return;
        }
        reprepares++;
        metrics.reprepared();
        closeEvicted(statements.add(s.serverName()), out);
        outstanding.add(new Request(Kind.PARSE, Action.SWALLOW, null, s.serverName(), null, s.key(), null));
        out.toServer(parseMessage(s.serverName(), s.key()));
    }

    private void closeEvicted(List<String> evicted, Output out) {
        for (String name : evicted) {
            evictions++;
            metrics.evicted();
            outstanding.add(new Request(Kind.CLOSE, Action.SWALLOW, null, name, null, null, null));
            out.toServer(nameMessage(MessageType.CLOSE, (byte) 'S', name));
        }
    }

    /** The client's name when the server sees another (the server's error must show the client's own name), else null. */
    private static String escapedFrom(String clientName, String sentName) {
        return clientName.equals(sentName) ? null : clientName;
    }

    /** A name the client never prepared: passed on so the server reports it, unless it could be one of Berth's. */
    private static String unknown(String clientName) {
        return clientName.startsWith(PreparedStatementRegistry.PREFIX) ? clientName + "?" : clientName;
    }

    // ---- server to client ----

    /** Handles one framed server message; takes ownership of it. */
    public void fromServer(ByteBuf frame, Output out) {
        byte type = MessageType.of(frame);
        Request head = outstanding.peek();
        if (head == null || type == MessageType.NOTICE_RESPONSE || type == MessageType.NOTIFICATION_RESPONSE
                || type == MessageType.PARAMETER_STATUS) {
            out.toClient(frame);
            return;
        }
        if (type == MessageType.ERROR_RESPONSE) {
            onError(head, frame, out);
            drainSynthesized(out);
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
        if (type == 'C' && deallocatedAll(frame)) {
            // the server really dropped every prepared statement: Berth's record of them goes too
            statements.clear();
            if (client != null) {
                client.clear();
            }
        }
        if (head.action == Action.SWALLOW) {
            frame.release();
        } else if (head.action == Action.REPLACE && type == 'I') {
            frame.release();
            out.toClient(head.response);
        } else {
            out.toClient(frame);
        }
        if (completes) {
            outstanding.poll();
            if (head.kind == Kind.PARSE && head.serverName != null && head.errorNameRewrite == null) {
                registry.prepared(head.serverName);
            }
            drainSynthesized(out);
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
        if (head.serverName != null && head.key != null && head.kind == Kind.BIND
                && error.message() != null && error.message().contains(PLAN_CHANGED)) {
            // the schema changed under a shared statement: from now on it is prepared afresh under a new name
            String fresh = registry.rename(head.key, head.serverName);
            client.rename(head.serverName, fresh);
        }
        out.toClient(frame);
        // the server skips the rest up to Sync: those requests get no response, and undo what they assumed
        Request r = outstanding.poll();
        forget(r);
        while ((r = outstanding.peek()) != null && r.kind != Kind.SYNC) {
            outstanding.poll();
            forget(r);
        }
        if (r == null) {
            skippingUntilSync = true;
        }
    }

    /** A request the server did not carry out: what Berth recorded for it is undone. */
    private void forget(Request r) {
        if (r.kind == Kind.CLOSE && r.action == Action.SWALLOW && r.serverName != null) {
            statements.touch(r.serverName); // the eviction's Close was skipped: the statement is still there
        }
        if (r.kind == Kind.PARSE && r.errorNameRewrite == null) {
            if (r.serverName != null) {
                statements.remove(r.serverName);
            }
            if (r.clientName != null && client != null) {
                client.remove(r.clientName);
            }
        }
        if (r.response != null) {
            r.response.release();
        }
    }

    /** A CommandComplete of DISCARD ALL or DEALLOCATE ALL (checked by length first: this runs per command). */
    public static boolean deallocatedAll(ByteBuf frame) {
        int length = frame.getInt(frame.readerIndex() + 1);
        if (length != 4 + "DISCARD ALL".length() + 1 && length != 4 + "DEALLOCATE ALL".length() + 1) {
            return false;
        }
        String tag = frame.toString(frame.readerIndex() + 5, length - 5, StandardCharsets.US_ASCII);
        return tag.equals("DISCARD ALL") || tag.equals("DEALLOCATE ALL");
    }

    private void drainSynthesized(Output out) {
        Request head;
        while ((head = outstanding.peek()) != null && head.action == Action.SYNTHESIZE) {
            outstanding.poll();
            out.toClient(head.response);
        }
    }

    // ---- encoders ----

    private ByteBuf parseMessage(String name, StatementKey key) {
        ByteBuf buf = alloc.buffer(16 + name.length() + key.query().length() * 2 + key.parameterTypes().length * 4);
        int start = Messages.begin(buf, MessageType.PARSE);
        Messages.writeCString(buf, name);
        Messages.writeCString(buf, key.query());
        buf.writeShort(key.parameterTypes().length);
        for (int t : key.parameterTypes()) {
            buf.writeInt(t);
        }
        Messages.end(buf, start);
        return buf;
    }

    private ByteBuf nameMessage(byte type, byte what, String name) {
        ByteBuf buf = alloc.buffer(8 + name.length());
        int start = Messages.begin(buf, type);
        buf.writeByte(what);
        Messages.writeCString(buf, name);
        Messages.end(buf, start);
        return buf;
    }
}
