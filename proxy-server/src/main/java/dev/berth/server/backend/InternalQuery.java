package dev.berth.server.backend;

import dev.berth.core.protocol.ErrorResponse;
import dev.berth.core.protocol.MessageType;
import dev.berth.core.protocol.Messages;
import dev.berth.core.protocol.SqlState;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;

import java.util.function.Consumer;

/**
 * One of Berth's own requests on a server connection: a simple query (the rollback and reset after a
 * client) or an extended-protocol pipeline that ends with one Sync (bringing parameters in line with a
 * client). Either is answered by one ReadyForQuery; everything before it (ParseComplete, BindComplete,
 * DataRow, CommandComplete...) is swallowed, ParameterStatus recorded, the first error reported. Runs
 * on the connection's event loop.
 */
final class InternalQuery {
    private final ServerConnection server;
    private Consumer<ErrorResponse> done;
    private ErrorResponse firstError;

    InternalQuery(ServerConnection server) {
        this.server = server;
    }

    void run(String sql, Consumer<ErrorResponse> whenDone) {
        if (ready(whenDone)) {
            server.tracker().clientMessage(MessageType.QUERY);
            server.channel().writeAndFlush(Messages.query(server.channel().alloc(), sql));
        }
    }

    /** Sends {@code pipeline}, extended-protocol messages that end with a Sync (taken over, released once sent). */
    void run(ByteBuf pipeline, Consumer<ErrorResponse> whenDone) {
        if (!ready(whenDone)) {
            pipeline.release();
            return;
        }
        server.tracker().clientMessage(MessageType.PARSE);
        server.tracker().clientMessage(MessageType.SYNC); // answered by one ReadyForQuery, as a Query is
        server.channel().writeAndFlush(pipeline);
    }

    private boolean ready(Consumer<ErrorResponse> whenDone) {
        Channel channel = server.channel();
        if (server.state() == ServerConnection.State.CLOSED || !channel.isActive()) {
            whenDone.accept(ErrorResponse.fatal(SqlState.CONNECTION_FAILURE, "server connection closed"));
            return false;
        }
        server.state(ServerConnection.State.INTERNAL_QUERY);
        server.relay().drainToServer();
        done = whenDone;
        firstError = null;
        channel.config().setAutoRead(true);
        return true;
    }

    void onMessage(ByteBuf frame) {
        switch (MessageType.of(frame)) {
            case MessageType.PARAMETER_STATUS -> server.parameters().record(frame);
            case MessageType.ERROR_RESPONSE -> {
                if (firstError == null) {
                    firstError = ErrorResponse.decode(frame);
                }
            }
            case MessageType.READY_FOR_QUERY -> {
                server.tracker().readyForQuery(frame.getByte(frame.readerIndex() + 5));
                Consumer<ErrorResponse> callback = done;
                done = null;
                server.state(server.relay().linked() ? ServerConnection.State.LINKED : ServerConnection.State.IDLE);
                callback.accept(firstError);
            }
            default -> { }
        }
    }

    /** Runs {@code next} (on this loop) after the running query's own callback; call only while one runs. */
    void whenDone(Runnable next) {
        Consumer<ErrorResponse> first = done;
        done = error -> {
            first.accept(error);
            next.run();
        };
    }

    /** The connection closed: a query still running fails. */
    void connectionClosed(String why) {
        if (done != null) {
            Consumer<ErrorResponse> callback = done;
            done = null;
            callback.accept(ErrorResponse.fatal(SqlState.CONNECTION_FAILURE, "server connection closed: " + why));
        }
    }
}
