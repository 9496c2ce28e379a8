package dev.berth.server.client;

import dev.berth.core.protocol.SqlState;
import dev.berth.core.session.ParameterView;
import dev.berth.server.backend.LinkedClient;
import dev.berth.server.backend.ServerConnection;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;

import java.util.logging.Level;

/**
 * The client as its server connection sees it: the server's messages written to the client, flushes
 * with backpressure both ways, the at-rest handshake that releases the server, reported parameters.
 * Called on the server's event loop; work that touches the client's state goes to the client's loop.
 */
final class ClientLink implements LinkedClient {
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

    @Override
    public void serverAtRest(ServerConnection s, int consumed) {
        if (session.executor().inEventLoop()) {
            session.relay().releaseIfAtRest(s, consumed);
        } else {
            session.executor().execute(() -> session.relay().releaseIfAtRest(s, consumed));
        }
    }

    @Override
    public void refuseTransactionBlock() {
        session.executor().execute(() -> session.disconnect(SqlState.FEATURE_NOT_SUPPORTED,
                "transaction blocks are not allowed in statement pooling mode; use --pool-mode transaction", Level.INFO));
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
                session.closeAfterServerError(reason);
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
