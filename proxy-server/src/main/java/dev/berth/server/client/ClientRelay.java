package dev.berth.server.client;

import dev.berth.core.config.DoBlockPolicy;
import dev.berth.core.config.PoolMode;
import dev.berth.core.config.SessionStatePolicy;
import dev.berth.core.prepared.StatementKey;
import dev.berth.core.protocol.ErrorResponse;
import dev.berth.core.protocol.MessageType;
import dev.berth.core.protocol.Messages;
import dev.berth.core.protocol.ProtocolException;
import dev.berth.core.protocol.SqlState;
import dev.berth.core.session.ParameterSync;
import dev.berth.core.session.ParameterView;
import dev.berth.core.session.PinReason;
import dev.berth.core.session.SessionStateDetector;
import dev.berth.core.session.SetConfigRequest;
import dev.berth.server.backend.ServerConnection;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.logging.Logger;

/**
 * A client's messages on their way to its server, and what transaction pooling adds to that: the
 * session-state policy (pin, reject or allow a statement that would leave state on a shared server),
 * the answers Berth gives without a server, and the release of the server when the client is at rest.
 */
final class ClientRelay {
    private static final Logger LOG = Logger.getLogger(ClientRelay.class.getName());

    private final ClientSession session;
    /** A pool timeout failed an extended-protocol batch: the rest of it, up to its Sync, is discarded. */
    private boolean discardingUntilSync;
    /** Messages handed to the linked server since it was linked (see {@link #releaseIfAtRest}). */
    private int sent;
    private boolean flushServer;
    /** Startup settings to give back after the next Sync: a Parse of a RESET went to the server. */
    private List<ParameterSync.Change> restoreAtSync;
    private final StatementEffects statementEffects = new StatementEffects();

    ClientRelay(ClientSession session) {
        this.session = session;
    }

    /** A server was linked: count this client's messages to it from zero. */
    void linked() {
        sent = 0;
    }

    void toServer(ByteBuf frame) {
        byte type = MessageType.of(frame);
        if (type == MessageType.TERMINATE) {
            frame.release();
            session.end().close();
            return;
        }
        ServerConnection server = session.server();
        sent++;
        flushServer = true;
        session.metrics().fromClient(frame.readableBytes());
        SessionStateDetector.Effect effect = SessionStateDetector.Effect.NONE;
        if (type == MessageType.BIND && statementEffects.active()) {
            SessionStateDetector.Effect bound;
            try {
                bound = statementEffects.bound(frame);
            } catch (ProtocolException e) {
                throw malformed(frame, type, e);
            }
            effect = rerun(bound);
        } else if (session.mode() != PoolMode.SESSION && (type == MessageType.QUERY || type == MessageType.PARSE)
                && mayHaveEffect(frame, type)) {
            try {
                effect = inspectSessionState(frame, type);
            } catch (ProtocolException e) {
                throw malformed(frame, type, e);
            }
            if (effect.statementName() != null) {
                ErrorResponse refused = sqlStatementRefused(effect);
                if (refused != null) {
                    server.reject(frame, refused, session.link());
                    return;
                }
            }
            if (effect.pins() && session.config().sessionState() == SessionStatePolicy.REJECT) {
                String what = effect.pinReason();
                LOG.fine(() -> session.describe() + " statement rejected: " + what);
                server.reject(frame, ErrorResponse.error(SqlState.FEATURE_NOT_SUPPORTED, what
                        + " is not allowed in transaction pooling: it would leave session state on a shared server connection"
                        + " (--session-state reject)").withHint("use SET LOCAL inside a transaction, or a session-mode pool"), session.link());
                return;
            }
        }
        if (type == MessageType.PARSE && session.mode() != PoolMode.SESSION) {
            statementEffects.parsed(frame, effect);
        }
        server.write(frame, session.link());
        if (effect.changesSession()) {
            server.expectSessionChange(effect, session.link());
        }
        if (effect.resets() != null) {
            restoreAfter(effect.resets(), type, server);
        } else if (type == MessageType.SYNC && restoreAtSync != null) {
            server.appendRequest(SetConfigRequest.restore(session.ctx().alloc(), restoreAtSync), names(restoreAtSync),
                    session.link());
            restoreAtSync = null;
        }
    }

    /**
     * SQL EXECUTE or DEALLOCATE of a name Berth cannot let through: one of Berth's shared server-side
     * statements (never reachable by SQL), or a statement this client prepared by protocol, which runs under
     * a shared name and so cannot be reached by its own name (PostgreSQL would run it; pgbouncer passes it on
     * and the server answers that it does not exist). Null for any other name (a SQL PREPAREd one).
     */
    private ErrorResponse sqlStatementRefused(SessionStateDetector.Effect effect) {
        String name = effect.statementName();
        if (effect.berthStatement() != null) {
            return ErrorResponse.error("26000", "prepared statement \"" + name + "\" does not exist");
        }
        if (session.statements().get(name) == null) {
            return null;
        }
        LOG.fine(() -> session.describe() + " SQL EXECUTE/DEALLOCATE of protocol-prepared statement " + name + " refused");
        return ErrorResponse.error("26000", "prepared statement \"" + name + "\" was prepared by the extended"
                + " protocol, which in transaction pooling runs under a name shared by the pool: SQL EXECUTE and"
                + " DEALLOCATE cannot reach it").withHint("run it with Bind/Execute and drop it with Close (the"
                + " driver's prepared-statement API), prepare it with SQL PREPARE (which pins the connection), or use"
                + " a session-mode pool");
    }

    /**
     * A RESET makes PostgreSQL give a parameter the value its connection started with; on a shared server
     * that is not the client's startup setting, so Berth sets that again right after the client's request
     * (a Query, or the Sync that ends a Parse's batch), where the RESET took effect.
     */
    private void restoreAfter(Set<String> resets, byte type, ServerConnection server) {
        List<ParameterSync.Change> changes = ParameterSync.restore(resets, session.login().startupSettings());
        if (changes.isEmpty()) {
            return; // the server's own starting values are the client's
        }
        if (type == MessageType.QUERY) {
            server.appendRequest(SetConfigRequest.restore(session.ctx().alloc(), changes), names(changes), session.link());
        } else {
            restoreAtSync = changes;
        }
    }

    private static Set<String> names(List<ParameterSync.Change> changes) {
        Set<String> names = new HashSet<>();
        for (ParameterSync.Change c : changes) {
            names.add(c.name().toLowerCase(Locale.ROOT));
        }
        return names;
    }

    /**
     * Sends what the client queued while it had no server, now that it has one, and reads it again. Granted
     * within the client's own read (an idle server taken at once), the flush waits for the end of that read:
     * the rest of the batch (Bind, Execute, Sync after a Parse) then leaves with it in one send, not two.
     */
    void sendQueued() {
        ByteBuf frame;
        while ((frame = session.queued().poll()) != null) {
            toServer(frame);
        }
        if (!session.reading()) {
            readComplete();
        }
        session.ctx().channel().config().setAutoRead(true);
    }

    /** The end of a read batch: one flush to the server. */
    void readComplete() {
        if (flushServer) {
            flushServer = false;
            ServerConnection s = session.server();
            if (s != null) {
                s.flush();
            }
        }
    }

    /**
     * Transaction pooling, no server held: a Parse of a statement Berth already knows, a Close of a
     * statement, a Sync and a Flush need no server, so Berth answers them itself. Besides saving a round
     * trip, this keeps clients that prepare synchronously outside a transaction (pgbench -M prepared,
     * asyncpg) from waiting for a server that other clients hold while they wait on this one.
     */
    boolean answeredWithoutServer(ByteBuf frame) {
        ChannelHandlerContext ctx = session.ctx();
        byte type = MessageType.of(frame);
        if (discardingUntilSync && type != MessageType.TERMINATE) {
            discardUpToSync(frame);
            return true;
        }
        try {
            switch (type) {
                case MessageType.PARSE -> {
                    if (!answerParse(frame)) {
                        return false;
                    }
                }
                case MessageType.CLOSE -> {
                    ByteBuf p = Messages.payload(frame);
                    if (p.readByte() != 'S') {
                        return false;
                    }
                    session.statements().remove(Messages.readCString(p));
                    ctx.write(Messages.CLOSE_COMPLETE.duplicate());
                }
                case MessageType.SYNC -> ctx.writeAndFlush(Messages.readyForQuery(ctx.alloc(), (byte) 'I'));
                case MessageType.FLUSH -> ctx.flush();
                default -> {
                    return false;
                }
            }
        } catch (ProtocolException | IndexOutOfBoundsException e) {
            throw malformed(frame, type, e);
        }
        frame.release();
        return true;
    }

    /** A message that could not be read: released, and the client disconnected with 08P01 (as PreparedStatementRelay does). */
    private static ProtocolException malformed(ByteBuf frame, byte type, RuntimeException e) {
        frame.release();
        return new ProtocolException("malformed message of type '" + (char) type + "' from the client: "
                + (e instanceof IndexOutOfBoundsException ? "it ends before its fields do" : e.getMessage()));
    }

    /**
     * The client waited past the connection timeout after its login: the work it queued fails with
     * {@code error} as a failing statement does in PostgreSQL, and the client keeps its connection. A Query or
     * FunctionCall gets the error and ReadyForQuery; an extended-protocol batch gets the error, its messages up
     * to Sync are discarded and the Sync answered with ReadyForQuery. What the client sent after that is
     * handled as if it had just arrived.
     */
    void failQueued(ErrorResponse error) {
        ChannelHandlerContext ctx = session.ctx();
        session.moveTo(ClientState.IDLE);
        ctx.write(error.encode(ctx.alloc()));
        ByteBuf first = session.queued().poll();
        byte type = first == null ? MessageType.SYNC : MessageType.of(first);
        if (type == MessageType.QUERY || type == MessageType.FUNCTION_CALL) {
            first.release();
            ctx.write(Messages.readyForQuery(ctx.alloc(), (byte) 'I'));
        } else {
            discardingUntilSync = true;
            for (ByteBuf frame = first; frame != null; frame = discardingUntilSync ? session.queued().poll() : null) {
                discardUpToSync(frame);
            }
        }
        List<ByteBuf> rest = new ArrayList<>();
        for (ByteBuf frame; (frame = session.queued().poll()) != null; ) {
            rest.add(frame);
        }
        ctx.flush();
        ctx.channel().config().setAutoRead(true);
        for (ByteBuf frame : rest) {
            session.channelRead(ctx, frame);
        }
        session.channelReadComplete(ctx);
        if (session.end().draining() && session.state() == ClientState.IDLE) {
            session.end().betweenTransactions();
        }
    }

    /** A message of a batch that failed before reaching a server: dropped, and its Sync answered. */
    private void discardUpToSync(ByteBuf frame) {
        if (MessageType.of(frame) == MessageType.SYNC) {
            discardingUntilSync = false;
            session.ctx().writeAndFlush(Messages.readyForQuery(session.ctx().alloc(), (byte) 'I'));
        }
        frame.release();
    }

    /** A Parse of a named statement some server of the pool already prepared: ParseComplete at once. */
    private boolean answerParse(ByteBuf frame) {
        if (Messages.parsesUnnamed(frame)) {
            return false; // the unnamed statement lives on a server
        }
        ByteBuf p = Messages.payload(frame);
        String name = Messages.readCString(p);
        if (session.statements().get(name) != null) {
            return false; // a reused name gets PostgreSQL's own error
        }
        String query = Messages.readCString(p);
        int[] types = new int[p.readUnsignedShort()];
        for (int i = 0; i < types.length; i++) {
            types[i] = p.readInt();
        }
        StatementKey key = new StatementKey(query, types);
        String serverName = session.proxy().statementRegistry(session.pool().key()).knownName(key);
        if (serverName == null) {
            return false; // never prepared: a server must check it
        }
        if (mayHaveEffect(frame, MessageType.PARSE) && inspectSessionState(query).changesSession()) {
            return false; // a server must run it, so that Berth follows what it changes
        }
        session.statements().put(name, key, serverName);
        session.ctx().write(Messages.PARSE_COMPLETE.duplicate());
        return true;
    }

    /** Whether a Query or Parse needs the session-state check; a malformed one goes on to it and its error. */
    private static boolean mayHaveEffect(ByteBuf frame, byte type) {
        int start = frame.readerIndex() + 5;
        int end = frame.writerIndex();
        if (type == MessageType.PARSE) {
            start = frame.indexOf(start, end, (byte) 0) + 1; // past the statement name
        }
        int nul = start <= 0 ? -1 : frame.indexOf(start, end, (byte) 0);
        return nul < 0 || SessionStateDetector.mayHaveEffect(frame, start, nul);
    }

    /** Transaction pooling: notices what a statement does to the session, and pins the client for what Berth cannot carry. */
    private SessionStateDetector.Effect inspectSessionState(ByteBuf frame, byte type) {
        ByteBuf payload = Messages.payload(frame);
        if (type == MessageType.PARSE) {
            Messages.readCString(payload); // statement name
        }
        return inspectSessionState(Messages.readCString(payload));
    }

    /** A named statement with an effect runs again: followed as its Parse was (pins, SETs, RESETs). */
    private SessionStateDetector.Effect rerun(SessionStateDetector.Effect effect) {
        if (effect == null) {
            return SessionStateDetector.Effect.NONE;
        }
        if (effect.pins() && session.config().sessionState() == SessionStatePolicy.PIN) {
            session.pin(effect.pinBits());
        }
        return effect;
    }

    private SessionStateDetector.Effect inspectSessionState(String sql) {
        ParameterView view = session.view();
        SessionStateDetector.Effect found = SessionStateDetector.inspect(sql, view == null ? Set.of() : view.reportedNamesLower());
        SessionStateDetector.Effect effect = session.config().doBlocks() == DoBlockPolicy.ALLOW
                ? found.withoutPins(PinReason.DO_BLOCK.bit()) : found;
        if (effect.pins() && session.config().sessionState() == SessionStatePolicy.PIN) {
            boolean was = session.pinned();
            session.pin(effect.pinBits());
            if (!was) {
                LOG.fine(() -> session.describe() + " pinned to its server: " + effect.pinReason());
            }
        }
        return effect;
    }

    /**
     * Transaction pooling: the server answered with ReadyForQuery idle and nothing outstanding, after
     * {@code consumed} of this client's messages. If the client sent nothing since, the server goes back.
     */
    void releaseIfAtRest(ServerConnection s, int consumed) {
        if (session.state() != ClientState.LINKED || session.server() != s || sent != consumed) {
            return;
        }
        if (!session.pinned() && session.mode() != PoolMode.SESSION) {
            release(s);
        } else if (session.end().draining()) {
            session.end().betweenTransactions(); // its server is reset (or closed) before anyone else gets it
        }
    }

    /** Pin causes ended on {@code s} after {@code consumed} of this client's messages: they end, unless it sent more since. */
    void pinsEnded(ServerConnection s, int causes, int consumed) {
        if (session.server() == s && sent == consumed && session.pinned()) {
            session.unpin(causes);
            if (!session.pinned()) {
                LOG.fine(() -> session.describe() + " no longer pinned: what pinned it has ended");
            }
        }
    }

    void release(ServerConnection s) {
        session.server(null);
        session.moveTo(ClientState.IDLE);
        s.releaseFromClient();
        if (session.end().draining()) {
            session.end().betweenTransactions();
        }
    }
}
