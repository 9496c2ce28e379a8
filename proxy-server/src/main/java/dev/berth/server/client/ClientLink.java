package dev.berth.server.client;

import dev.berth.core.config.PoolMode;
import dev.berth.core.protocol.SqlState;
import dev.berth.core.session.ParameterSync;
import dev.berth.core.session.ParameterView;
import dev.berth.core.session.PinReason;
import dev.berth.core.session.SessionChanges;
import dev.berth.server.backend.LinkedClient;
import dev.berth.server.backend.ServerConnection;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;

import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The client as its server connection sees it: the server's messages written to the client, flushes
 * with backpressure both ways, the at-rest handshake that releases the server, reported parameters.
 * Called on the server's event loop; work that touches the client's state goes to the client's loop.
 */
final class ClientLink implements LinkedClient {
    private static final Logger LOG = Logger.getLogger(ClientLink.class.getName());
    private final ClientSession session;

    ClientLink(ClientSession session) {
        this.session = session;
    }

    @Override
    public void forwardFromServer(ByteBuf frame) {
        ChannelHandlerContext ctx = session.ctx();
        ctx.write(frame, ctx.voidPromise());
    }

    @Override
    public void flushToClient() {
        Channel channel = session.ctx().channel();
        channel.flush();
        if (!channel.isWritable()) {
            ServerConnection s = session.server();
            if (s != null) {
                s.autoRead(false); // resumed by the client's channelWritabilityChanged
            }
        }
    }

    @Override
    public void serverWritabilityChanged(boolean writable) {
        session.ctx().channel().config().setAutoRead(writable);
    }

    /**
     * On the client's loop the release runs at once, before the flush. From another loop it is queued before
     * the flush, so that the client's loop decides it before the client can see the ReadyForQuery and send its
     * next query: queued after, a next query read first kept the server for it (a third of such transactions
     * in ReleaseAtRestTest).
     */
    @Override
    public void serverAtRest(ServerConnection s, int consumed) {
        // a session-mode client keeps its server; only a drain ends it at rest
        boolean release = session.mode() != PoolMode.SESSION || session.end().draining();
        if (session.executor().inEventLoop()) {
            flushToClient();
            if (release) {
                session.relay().releaseIfAtRest(s, consumed);
            }
        } else {
            if (release) {
                session.executor().execute(() -> session.relay().releaseIfAtRest(s, consumed));
            }
            flushToClient();
        }
    }

    @Override
    public boolean draining() {
        return session.end().draining();
    }

    @Override
    public void refuseTransactionBlock() {
        session.executor().execute(() -> session.disconnect(SqlState.FEATURE_NOT_SUPPORTED,
                "transaction blocks are not allowed in statement pooling mode; use --pool-mode transaction", Level.INFO));
    }

    @Override
    public void protocolViolation(String message) {
        session.executor().execute(() -> session.disconnect(SqlState.PROTOCOL_VIOLATION, message, Level.WARNING));
    }

    /**
     * Parameters the client set are now its own: its view carries them to its next servers, and this server
     * is known to hold them. Pins whose cause ended end (on the client's loop, before the release this
     * ReadyForQuery may bring); where it is not certain what took effect, the client is pinned instead.
     */
    @Override
    public void sessionChanged(ServerConnection s, SessionChanges.Outcome outcome, int consumed) {
        if (outcome.uncertain()) {
            onClientLoop(() -> {
                if (session.server() == s) {
                    session.pin(PinReason.OTHER.bit());
                    LOG.fine(() -> session.describe() + " pinned to its server: what its transaction changed is not certain");
                }
            });
            return;
        }
        ParameterView current = session.view();
        if (!outcome.sets().isEmpty() && current != null) {
            ParameterView next = ParameterView.of(current.reported(), ParameterSync.carried(current.settings(), outcome.sets(),
                    session.login().startupSettings(), current.reportedNamesLower()));
            session.view(next);
            s.parameters().applied(ParameterSync.unreported(next.settings(), s.parameters().reported()));
            s.parameters().syncedView(next);
        }
        if (outcome.clears() != 0) {
            onClientLoop(() -> session.relay().pinsEnded(s, outcome.clears(), consumed));
        }
    }

    private void onClientLoop(Runnable task) {
        if (session.executor().inEventLoop()) {
            task.run();
        } else {
            session.executor().execute(task);
        }
    }

    @Override
    public void parameterReported(String name, String value) {
        ParameterView current = session.view();
        if (current != null) {
            session.view(current.with(name, value));
        }
    }

    @Override
    public void serverLost(String reason, boolean errorPassedOn) {
        session.executor().execute(() -> {
            session.server(null);
            if (errorPassedOn) {
                session.end().afterServerError(reason);
            } else {
                session.disconnect(SqlState.CONNECTION_FAILURE, "server connection lost: " + reason, Level.WARNING);
            }
        });
    }

    @Override
    public int processId() {
        return session.processId();
    }
}
