package dev.berth.server.backend;

import dev.berth.core.config.PoolMode;
import dev.berth.core.prepared.ClientStatements;
import dev.berth.core.prepared.PreparedStatementRegistry;
import dev.berth.core.prepared.ServerStatements;
import dev.berth.core.protocol.ErrorResponse;
import dev.berth.core.protocol.MessageType;
import dev.berth.core.protocol.Messages;
import dev.berth.core.protocol.ProtocolException;
import dev.berth.core.protocol.SqlState;
import dev.berth.core.session.PreparedStatementRelay;
import dev.berth.core.session.SessionChanges;
import dev.berth.core.session.SessionStateDetector;
import dev.berth.core.session.TransactionTracker;
import dev.berth.server.Coalescer;
import dev.berth.server.metrics.PoolMetrics;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReferenceFieldUpdater;

/**
 * The relay between a server connection and its linked client, both ways. Client messages are tracked
 * (to know when the server is at rest) and, in transaction pooling, translated for the shared prepared
 * statements; server messages go back through the same translation, with ReadyForQuery ending a
 * request/response cycle for the timing metrics ({@link ServerActivity}). Writes are gathered per socket and
 * flushed per batch. Confined to the server's event loop, so a write from another loop is handed over as one task.
 */
final class ServerRelay {
    private final PreparedStatementRegistry registry;
    private final int maxPreparedStatements;
    private final PoolMetrics metrics;
    private ServerConnection server;
    private TransactionTracker tracker;
    private Channel channel;
    /** Created at login; translates prepared statements in transaction pooling. */
    private PreparedStatementRelay statements;
    private static final AtomicReferenceFieldUpdater<ServerRelay, LinkedClient> CLIENT =
            AtomicReferenceFieldUpdater.newUpdater(ServerRelay.class, LinkedClient.class, "client");
    private volatile LinkedClient client;
    private PoolMode mode = PoolMode.SESSION;
    /** Client messages processed since the current client was linked; compared with what the client sent. */
    private int consumed;
    /** Messages on their way to the server and to the linked client, gathered until the next flush. */
    private Coalescer toServer;
    private Coalescer toClient;
    private boolean clientNeedsFlush;
    /** The server sent the linked client a FATAL error: when it then closes, the client needs no second one. */
    private boolean fatalPassedOn;
    /** When the current request, transaction and rest began: the timing metrics and the timeouts. */
    private final ServerActivity activity;
    /** ReadyForQuery messages received while linked: numbers the requests they answer. */
    private long readyCount;
    /** Berth's own requests appended to the client's (see {@link #appendOwn}). */
    private final OwnRequests own = new OwnRequests(this);
    /** What the linked client's statements changed in its session, until it takes effect. */
    private final SessionChanges changes = new SessionChanges();
    /** Writes the statement translation produces. */
    private final PreparedStatementRelay.Output output = new PreparedStatementRelay.Output() {
        @Override
        public void toServer(ByteBuf frame) {
            toServer.add(frame);
        }

        @Override
        public void toClient(ByteBuf frame) {
            forwardToClient(frame);
        }
    };

    ServerRelay(PreparedStatementRegistry registry, int maxPreparedStatements, PoolMetrics metrics) {
        this.registry = registry;
        this.maxPreparedStatements = maxPreparedStatements;
        this.metrics = metrics;
        this.activity = new ServerActivity(metrics);
    }

    ServerActivity activity() {
        return activity;
    }

    void bind(ServerConnection connection, Channel ch) {
        server = connection;
        tracker = connection.tracker();
        channel = ch;
        toServer = new Coalescer(ch.alloc(), frame -> channel.write(frame, channel.voidPromise()));
        toClient = new Coalescer(ch.alloc(), frame -> {
            LinkedClient linked = client;
            if (linked != null) {
                linked.forwardFromServer(frame);
            } else {
                frame.release();
            }
        });
    }

    void loggedIn(ByteBufAllocator alloc) {
        statements = new PreparedStatementRelay(new ServerStatements(maxPreparedStatements), alloc, metrics);
    }

    void link(LinkedClient linked, ClientStatements clientStatements, PoolMode linkedMode) {
        consumed = 0;
        own.linked();
        changes.clear();
        fatalPassedOn = false;
        activity.linked();
        mode = linkedMode;
        client = linked;
        if (mode != PoolMode.SESSION) {
            statements.attach(clientStatements, registry);
        }
    }

    boolean linked() {
        return client != null;
    }

    /**
     * Takes {@code c} out of the relay if it is still linked: true when this call took it, false when a
     * close got there first (and tells the client). Off the hot path: only when linking raced a close.
     */
    boolean takeBack(LinkedClient c) {
        return CLIENT.compareAndSet(this, c, null);
    }

    boolean linkedTo(LinkedClient c) {
        return c != null && client == c;
    }

    void unlink() {
        client = null;
        changes.clear();
        own.dropHeld();
        if (statements != null) {
            statements.detach();
        }
    }

    void write(ByteBuf frame, LinkedClient sender) {
        if (!channel.eventLoop().inEventLoop()) {
            channel.eventLoop().execute(() -> write(frame, sender));
            return;
        }
        if (client != sender) {
            frame.release(); // the client was unlinked meanwhile (it is closing)
            return;
        }
        consumed++;
        activity.clientMessage();
        tracker.clientMessage(MessageType.of(frame));
        if (mode == PoolMode.SESSION) {
            toServer.add(frame);
        } else {
            try {
                statements.fromClient(frame, output);
            } catch (ProtocolException e) {
                sender.protocolViolation(e.getMessage()); // this may run as a task on the server's loop: told, not thrown
                return;
            }
            if (statements.holding()) {
                sender.serverWritabilityChanged(false); // read no more until the held messages can go
            }
        }
    }

    /** After {@link #write} of a Query or Parse: it is answered by the ReadyForQuery of its Query, or of the next Sync. */
    void expectSessionChange(SessionStateDetector.Effect effect, LinkedClient sender) {
        if (!channel.eventLoop().inEventLoop()) {
            channel.eventLoop().execute(() -> expectSessionChange(effect, sender));
            return;
        }
        if (client == sender) {
            changes.sent(readyCount + tracker.outstanding() + (tracker.extendedOpen() ? 1 : 0), effect);
        }
    }

    void reject(ByteBuf frame, ErrorResponse error, LinkedClient sender) {
        if (!channel.eventLoop().inEventLoop()) {
            channel.eventLoop().execute(() -> reject(frame, error, sender));
            return;
        }
        if (client != sender) {
            frame.release();
            return;
        }
        consumed++;
        tracker.clientMessage(MessageType.of(frame));
        statements.reject(frame, error.encode(channel.alloc()), output);
    }

    void flush() {
        if (!channel.eventLoop().inEventLoop()) {
            channel.eventLoop().execute(this::flush);
            return;
        }
        toServer.drain();
        channel.flush();
        if (clientNeedsFlush) {
            flushClient();
        }
    }

    /**
     * One of Berth's own requests (extended-protocol messages ending with a Sync), sent right after what
     * the client sent so far, so that it runs before anything the client sends next. Its answers are
     * swallowed but for ParameterStatus, which the client gets as PostgreSQL would have sent it for the
     * client's request; the client's ReadyForQuery follows them. The client's own reports of the parameters
     * it {@code sets} (lower case) are replaced by its reports ({@link ReplacedReports}).
     */
    void appendOwn(ByteBuf pipeline, Set<String> sets, LinkedClient sender) {
        if (!channel.eventLoop().inEventLoop()) {
            channel.eventLoop().execute(() -> appendOwn(pipeline, sets, sender));
            return;
        }
        if (client != sender) {
            pipeline.release();
            return;
        }
        tracker.clientMessage(MessageType.PARSE);
        tracker.clientMessage(MessageType.SYNC);
        if (statements != null) {
            statements.ownRequestSent();
        }
        own.sent(readyCount + tracker.outstanding(), sets); // answered by that ReadyForQuery from now
        if (mode == PoolMode.SESSION) {
            toServer.add(pipeline);
        } else {
            statements.appendOwn(pipeline, output); // behind client messages the translation holds
        }
    }

    /** An answer to one of Berth's own requests; at its ReadyForQuery the server may be at rest. */
    private void ownAnswer(ByteBuf frame, byte type, LinkedClient linked) {
        if (type != MessageType.READY_FOR_QUERY) {
            own.answer(frame, type, server, linked);
            return;
        }
        tracker.readyForQuery(frame.getByte(frame.readerIndex() + 5));
        readyCount++;
        own.answered(linked);
        if (tracker.isIdle() && statements.isEmpty()) {
            atRest(linked);
        }
        frame.release();
    }

    /** Sends what is gathered for the server now (before one of Berth's own queries). */
    void drainToServer() {
        toServer.drain();
    }

    /** A server message while linked; false when no client is linked any more (the caller handles it). */
    boolean fromServer(ByteBuf frame) {
        LinkedClient linked = client;
        if (linked == null) {
            return false;
        }
        if (mode != PoolMode.SESSION && statements.retryConsumes(frame, tracker.transactionStatus(), output)) {
            toServer.drain(); // a failed batch sent again, or the failed one's ReadyForQuery swallowed
            channel.flush();
            return true;
        }
        byte type = MessageType.of(frame);
        if (own.pending() && own.answers(type, readyCount)) {
            ownAnswer(frame, type, linked);
            return true;
        }
        byte status = 0;
        if (type == MessageType.READY_FOR_QUERY) {
            status = frame.getByte(frame.readerIndex() + 5);
            byte previous = tracker.transactionStatus();
            tracker.readyForQuery(status);
            readyCount++;
            activity.readyForQuery(status, tracker.outstanding());
            if (changes.active()) {
                SessionChanges.Outcome outcome = changes.readyForQuery(readyCount, previous, status);
                if (outcome != null) {
                    linked.sessionChanged(server, outcome, consumed);
                }
            }
        } else if (type == MessageType.PARAMETER_STATUS) {
            Map.Entry<String, String> parameter = server.parameters().record(frame);
            if (own.holdsReport(frame, parameter)) {
                return true;
            }
            linked.parameterReported(parameter.getKey(), parameter.getValue());
        } else if (type == MessageType.NOTIFICATION_RESPONSE) {
            ownNotification(frame, linked);
        } else if (type == MessageType.ERROR_RESPONSE) {
            ErrorResponse error = ErrorResponse.decode(frame);
            if (activity.cancelledForMs() != 0 && SqlState.QUERY_CANCELED.equals(error.sqlState())) {
                frame.release(); // Berth cancelled it: the client learns why, and which setting did it
                error = ErrorResponse.error(SqlState.QUERY_CANCELED, "canceling statement due to query timeout ("
                        + "query_timeout=" + activity.cancelledForMs() + " ms)")
                        .withHint("raise --query-timeout, or make the query faster");
                frame = error.encode(channel.alloc());
            }
            metrics.errorToClient(error.sqlState());
            fatalPassedOn |= "FATAL".equals(error.severity()) || "PANIC".equals(error.severity());
            if (changes.active()) {
                changes.error();
            }
        } else if (type == 'C' && mode != PoolMode.SESSION) {
            if (PreparedStatementRelay.deallocatedAll(frame)) {
                server.parameters().applied(Map.of()); // DISCARD ALL also reset the settings Berth applied: apply them again next time
            }
            if (changes.active()) {
                changes.commandComplete(Messages.readCString(Messages.payload(frame)));
            }
        }
        if (mode == PoolMode.SESSION) {
            forwardToClient(frame);
            if (status == 'I' && linked.draining() && tracker.isIdle()) {
                atRest(linked); // the client's last answers, before the drain ends it
            }
        } else {
            boolean holding = statements.holding();
            statements.fromServer(frame, output);
            if (holding) {
                sendReleased(linked);
            }
            own.holdDone();
            if (status != 0 && tracker.isIdle() && statements.isEmpty()) {
                atRest(linked);
            } else if (status == 'T' && mode == PoolMode.STATEMENT) {
                linked.refuseTransactionBlock();
            }
        }
        return true;
    }

    /** Client messages the translation held may have gone out: they are sent now, and the client read again. */
    private void sendReleased(LinkedClient linked) {
        toServer.drain();
        channel.flush();
        if (!statements.holding()) {
            linked.serverWritabilityChanged(channel.isWritable());
        }
    }

    /**
     * A notification the backend sent itself (the session NOTIFYs a channel it LISTENs to) carries the
     * backend's process id: the client knows its own as the one Berth gave it, so it gets that one.
     */
    private void ownNotification(ByteBuf frame, LinkedClient linked) {
        int at = frame.readerIndex() + 5;
        if (frame.getInt(at) == server.processId()) {
            frame.setInt(at, linked.processId());
        }
    }

    void forwardToClient(ByteBuf frame) {
        if (own.held(frame)) {
            return;
        }
        if (client != null) {
            metrics.toClient(frame.readableBytes());
            toClient.add(frame);
            clientNeedsFlush = true;
        } else {
            frame.release();
        }
    }

    /**
     * The server is at rest: the client's answers are handed to its channel, and the client flushes them and
     * takes the release in the order that keeps it from passing the release (see {@link LinkedClient#serverAtRest}).
     * Handed over now because once the client takes the release, channelReadComplete no longer knows it.
     */
    private void atRest(LinkedClient linked) {
        clientNeedsFlush = false;
        toClient.drain();
        linked.serverAtRest(server, consumed);
    }

    /** Sends the linked client what it has been forwarded so far. */
    private void flushClient() {
        clientNeedsFlush = false;
        toClient.drain();
        LinkedClient linked = client;
        if (linked != null) {
            linked.flushToClient();
        }
    }

    void readComplete() {
        if (client != null) {
            flushClient();
        }
    }

    void serverWritabilityChanged(boolean writable) {
        LinkedClient linked = client;
        if (linked != null) {
            linked.serverWritabilityChanged(writable);
        }
    }

    /** A drain began: tells {@code c} if it holds this server at rest now (otherwise its next ReadyForQuery will). */
    void reportIfAtRest(LinkedClient c) {
        if (client == c && c != null && tracker.isIdle() && !own.pending() && (statements == null || statements.isEmpty())) {
            c.serverAtRest(server, consumed);
        }
    }

    /** Nothing in flight: every request answered and no translation pending. */
    boolean quiet() {
        return tracker.outstanding() == 0 && !tracker.extendedOpen() && (statements == null || statements.isEmpty());
    }

    /** Drops what the client left unread. */
    void discardToClient() {
        toClient.discard();
    }

    /** The reset query dropped the server's prepared statements. */
    void serverStatementsLost() {
        if (statements != null) {
            statements.serverStatementsLost();
        }
    }

    /** The connection closed: drop what was gathered and tell a linked client. */
    void closed(String why) {
        own.dropHeld();
        if (statements != null) {
            statements.close();
        }
        toServer.discard();
        LinkedClient linked = CLIENT.getAndSet(this, null); // exactly one of this and takeBack has the client
        if (fatalPassedOn && linked != null) {
            flushClient(); // the server's last words
        } else {
            toClient.discard();
        }
        if (linked != null) {
            linked.serverLost(why, fatalPassedOn);
        }
    }
}
