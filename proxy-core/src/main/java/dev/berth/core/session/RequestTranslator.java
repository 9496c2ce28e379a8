package dev.berth.core.session;

import dev.berth.core.prepared.ClientStatements;
import dev.berth.core.prepared.PreparedStatementMetrics;
import dev.berth.core.prepared.PreparedStatementRegistry;
import dev.berth.core.prepared.ServerStatements;
import dev.berth.core.prepared.StatementKey;
import dev.berth.core.protocol.MessageType;
import dev.berth.core.protocol.Messages;
import dev.berth.core.protocol.ProtocolException;
import dev.berth.core.session.OutstandingRequests.Kind;
import dev.berth.core.session.OutstandingRequests.Request;
import dev.berth.core.session.PreparedStatementRelay.Output;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The client-to-server half of {@link PreparedStatementRelay}: rewrites Parse/Bind/Describe/Close of named
 * statements from the client's names to Berth's server-side names, prepares first a statement the server
 * lacks (closing the least recently used ones over the limit), answers itself a Parse the server already
 * has and a Close of a client name, and records every request sent as outstanding. A message that names a
 * statement whose Parse or Close in an earlier batch is still unanswered is not translated yet (the
 * methods return false): that batch may fail, and PostgreSQL would then skip the change.
 */
final class RequestTranslator {
    private final ServerStatements statements;
    private final OutstandingRequests outstanding;
    private final ByteBufAllocator alloc;
    private final PreparedStatementMetrics metrics;
    private ClientStatements client;
    private PreparedStatementRegistry registry;
    private long reprepares;
    private long evictions;
    /** The client parsed the unnamed statement on this server since it was attached. */
    private boolean unnamedHere;
    private final StatementRetry retry;
    /** Numbers the client's batches: Syncs sent. */
    private long batch;
    private final UnsettledNames unsettled;

    RequestTranslator(ServerStatements statements, OutstandingRequests outstanding, ByteBufAllocator alloc,
                      PreparedStatementMetrics metrics, StatementRetry retry) {
        this.statements = statements;
        this.retry = retry;
        this.outstanding = outstanding;
        this.alloc = alloc;
        this.metrics = metrics;
        this.unsettled = outstanding.unsettled();
    }

    void attach(ClientStatements clientStatements, PreparedStatementRegistry statementRegistry) {
        this.client = clientStatements;
        this.registry = statementRegistry;
        unnamedHere = false;
    }

    void detach() {
        client = null;
    }

    /** The client's Sync went out: its next message starts another batch. */
    void syncSent() {
        batch++;
    }

    long reprepares() {
        return reprepares;
    }

    long evictions() {
        return evictions;
    }

    /** Sends a message as the client wrote it; its response goes back unchanged. */
    void forward(ByteBuf frame, Kind kind, Output out) {
        outstanding.add(Request.forwarded(kind));
        out.toServer(frame);
    }

    boolean parse(ByteBuf frame, Output out) {
        boolean unnamed = Messages.parsesUnnamed(frame);
        ByteBuf p = unnamed ? null : Messages.payload(frame);
        String name = unnamed ? "" : Messages.readCString(p);
        if (unsettled.blocks(name, batch)) {
            return false;
        }
        if (unnamed) {
            // the unnamed statement is the server's own; kept for a Bind or Describe after the server changed
            // (drivers send the same unnamed Parse again and again: it is copied only when it differs)
            if (!sameBytes(frame, client.unnamedParse())) {
                byte[] copy = new byte[frame.readableBytes()];
                frame.getBytes(frame.readerIndex(), copy);
                client.unnamedParsed(copy);
            }
            unnamedHere = true;
            forward(frame, Kind.PARSE, out);
            return true;
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
            outstanding.add(Request.parseOfTakenName(existing.serverName(), name));
            out.toServer(parseMessage(existing.serverName(), key));
            return true;
        }
        String serverName = registry.nameFor(key);
        ClientStatements.Statement created = client.put(name, key, serverName);
        unsettled.changed(name, batch);
        if (statements.ready(serverName)) {
            statements.touch(serverName);
            outstanding.add(Request.parseAnswered(name, created));
            return true;
        }
        closeIfInFlight(serverName, out);
        closeEvicted(statements.add(serverName), out);
        closeIfUncertain(serverName, out);
        outstanding.add(Request.parse(serverName, name, created));
        out.toServer(parseMessage(serverName, key));
        return true;
    }

    private static boolean sameBytes(ByteBuf frame, byte[] kept) {
        int length = frame.readableBytes();
        if (kept == null || kept.length != length) {
            return false;
        }
        int base = frame.readerIndex();
        for (int i = length - 1; i >= 0; i--) { // backwards: parameter types and query text differ before the header does
            if (frame.getByte(base + i) != kept[i]) {
                return false;
            }
        }
        return true;
    }

    boolean bind(ByteBuf frame, Output out) {
        int base = frame.readerIndex();
        int portalEnd = frame.indexOf(base + 5, frame.writerIndex(), (byte) 0);
        int nameEnd = portalEnd < 0 ? -1 : frame.indexOf(portalEnd + 1, frame.writerIndex(), (byte) 0);
        if (nameEnd < 0) {
            throw new ProtocolException("Bind message without its portal and statement names");
        }
        String name = frame.toString(portalEnd + 1, nameEnd - portalEnd - 1, StandardCharsets.UTF_8);
        if (name.isEmpty()) {
            ensureUnnamed(out);
            forward(frame, Kind.BIND, out);
            return true;
        }
        if (unsettled.blocks(name, batch)) {
            return false;
        }
        ClientStatements.Statement s = client.get(name);
        String serverName = s == null ? unknown(name) : s.serverName();
        ByteBuf copy = s != null && retriable(s) ? frame.retainedDuplicate() : null;
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
        Request request = Request.bind(serverName, s == null ? null : s.key(), escapedFrom(name, serverName));
        outstanding.add(request);
        if (copy != null) {
            retry.start(copy, request);
        }
        out.toServer(rewritten);
        return true;
    }

    boolean describe(ByteBuf frame, Output out) {
        int base = frame.readerIndex();
        byte kind = frame.readableBytes() > 6 ? frame.getByte(base + 5) : 0;
        if ((kind == 'P' || (kind == 'S' && frame.getByte(base + 6) == 0)) && frame.getByte(frame.writerIndex() - 1) == 0) {
            // a portal or the unnamed statement, well formed: forwarded as it is, seen without a slice or a String
            if (kind == 'S') {
                ensureUnnamed(out);
            }
            forward(frame, kind == 'S' ? Kind.DESCRIBE_STATEMENT : Kind.DESCRIBE_PORTAL, out);
            return true;
        }
        ByteBuf p = Messages.payload(frame);
        byte what = p.readByte();
        String name = Messages.readCString(p);
        if (what != 'S' || name.isEmpty()) {
            if (what == 'S') {
                ensureUnnamed(out);
            }
            forward(frame, what == 'S' ? Kind.DESCRIBE_STATEMENT : Kind.DESCRIBE_PORTAL, out);
            return true;
        }
        if (unsettled.blocks(name, batch)) {
            return false;
        }
        ClientStatements.Statement s = client.get(name);
        String serverName = s == null ? unknown(name) : s.serverName();
        ByteBuf copy = s != null && retriable(s) ? frame.retainedDuplicate() : null;
        frame.release();
        if (s != null) {
            ensurePrepared(s, out);
        }
        Request request = Request.describeStatement(serverName, s == null ? null : s.key(), escapedFrom(name, serverName));
        outstanding.add(request);
        if (copy != null) {
            retry.start(copy, request);
        }
        out.toServer(nameMessage(MessageType.DESCRIBE, (byte) 'S', serverName));
        return true;
    }

    boolean close(ByteBuf frame, Output out) {
        ByteBuf p = Messages.payload(frame);
        byte what = p.readByte();
        String name = Messages.readCString(p);
        if (what != 'S' || name.isEmpty()) {
            forward(frame, Kind.CLOSE, out);
            return true;
        }
        if (unsettled.blocks(name, batch)) {
            return false;
        }
        frame.release();
        // the server-side statement stays for other clients; the client's name is gone, as PostgreSQL would say
        ClientStatements.Statement removed = client.remove(name);
        if (removed != null) {
            unsettled.changed(name, batch);
        }
        outstanding.add(Request.closeAnswered(name, removed));
        return true;
    }

    /** A simple Query destroys the unnamed statement. */
    void query(ByteBuf frame, Output out) {
        client.forgetUnnamed();
        unnamedHere = false;
        forward(frame, Kind.QUERY, out);
    }

    /**
     * Whether this Bind or Describe starts a batch that can be sent again if the shared statement proves
     * stale or missing (see {@link StatementRetry}): the client's first use of the statement, the first
     * message of the batch, and the server already holds the statement (one Berth prepares now is fresh).
     */
    private boolean retriable(ClientStatements.Statement s) {
        return s.firstUse() && outstanding.batchUntouched() && retry.idle() && statements.ready(s.serverName());
    }

    /**
     * The client uses the unnamed statement it parsed in an earlier round trip, when it may have had another
     * server: it is parsed again here first (its ParseComplete swallowed).
     */
    private void ensureUnnamed(Output out) {
        byte[] parse = client.unnamedParse();
        if (unnamedHere || parse == null) {
            return; // here already, or never parsed: the server answers as PostgreSQL would
        }
        unnamedHere = true;
        outstanding.add(Request.reprepare(null));
        out.toServer(alloc.buffer(parse.length).writeBytes(parse));
    }

    /** Prepares a client's statement on this server if it is not there yet; the ParseComplete is swallowed. */
    private void ensurePrepared(ClientStatements.Statement s, Output out) {
        if (statements.ready(s.serverName())) {
            statements.touch(s.serverName());
            return;
        }
        reprepares++;
        metrics.reprepared();
        closeIfInFlight(s.serverName(), out);
        closeEvicted(statements.add(s.serverName()), out);
        closeIfUncertain(s.serverName(), out);
        outstanding.add(Request.reprepare(s.serverName()));
        out.toServer(parseMessage(s.serverName(), s.key()));
    }

    /**
     * The statement's Parse went out in an earlier batch and is unanswered: if that batch fails it is
     * skipped, so this batch prepares the statement again, closing it first in case it did not fail.
     */
    private void closeIfInFlight(String serverName, Output out) {
        if (statements.contains(serverName) && !statements.uncertain()) {
            outstanding.add(Request.evictionClose(serverName));
            out.toServer(nameMessage(MessageType.CLOSE, (byte) 'S', serverName));
        }
    }

    /** After the server lost track of its statements, one may still be there under this name: closed first. */
    private void closeIfUncertain(String serverName, Output out) {
        if (statements.uncertain()) {
            outstanding.add(Request.evictionClose(serverName));
            out.toServer(nameMessage(MessageType.CLOSE, (byte) 'S', serverName));
        }
    }

    private void closeEvicted(List<String> evicted, Output out) {
        for (String name : evicted) {
            evictions++;
            metrics.evicted();
            outstanding.add(Request.evictionClose(name));
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

    /** A Describe or Close of a statement or portal by name. */
    private ByteBuf nameMessage(byte type, byte what, String name) {
        ByteBuf buf = alloc.buffer(8 + name.length());
        int start = Messages.begin(buf, type);
        buf.writeByte(what);
        Messages.writeCString(buf, name);
        Messages.end(buf, start);
        return buf;
    }
}
