package dev.berth.server.client;

import dev.berth.core.config.PoolMode;
import dev.berth.core.config.SessionStatePolicy;
import dev.berth.core.pool.Pool;
import dev.berth.core.protocol.ErrorResponse;
import dev.berth.core.protocol.ProtocolException;
import dev.berth.core.protocol.SqlState;
import dev.berth.core.protocol.StartupPacket;
import dev.berth.server.backend.ServerConnection;
import dev.berth.server.metrics.PoolMetrics;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;

import javax.net.ssl.SSLException;
import java.io.IOException;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * How a client connection ends: an error Berth decides ({@link #disconnect}, with a SQLSTATE the client
 * sees and a reason the log records), the server's FATAL error, a failed login, the drain at shutdown, the
 * client leaving; and, whichever it was, the clean-up once: its server given back, its wait withdrawn, its
 * pool left. On the client's event loop.
 */
final class ClientEnd {
    /** The session's logger: these lines are the session's. */
    private static final Logger LOG = Logger.getLogger(ClientSession.class.getName());
    /** What a drain tells a client it ends between transactions: PostgreSQL's shutdown message, and what it means here. */
    private static final ErrorResponse SHUTDOWN_BETWEEN_TRANSACTIONS = new ErrorResponse("FATAL", SqlState.ADMIN_SHUTDOWN,
            "terminating connection due to administrator command",
            "Berth is shutting down; this connection was between transactions, so no work of it was lost.",
            "Connect again: another Berth instance (or this one after its restart) serves the next transaction.");

    private final ClientSession session;
    /** Berth is shutting down: the client is ended once it is between transactions. */
    private volatile boolean draining;

    ClientEnd(ClientSession session) {
        this.session = session;
    }

    /**
     * Berth is shutting down (on this client's loop): a client between transactions is ended now; one with
     * work accepted (logging in, waiting for a server, in a transaction, requests outstanding) once that work
     * is done and it is at rest, as PostgreSQL's smart shutdown lets sessions finish.
     */
    void drain() {
        draining = true;
        switch (session.state()) {
            case IDLE, ADMIN -> betweenTransactions();
            case LINKED -> {
                ServerConnection s = session.server();
                if (s != null) {
                    s.reportIfAtRest(session.link()); // pinned or session-mode clients hold their server at rest
                }
            }
            default -> { } // STARTUP, AUTHENTICATING, WAITING_FOR_SERVER, SYNCING: served, then ended at rest
        }
    }

    boolean draining() {
        return draining;
    }

    /** The drain ends a client at rest. */
    void betweenTransactions() {
        disconnect(SHUTDOWN_BETWEEN_TRANSACTIONS, Level.FINE); // one line for the whole drain, logged by Drain
    }

    /** What the channel reported as failed: the client hears why if it can, and the log records it once. */
    void failed(Throwable cause) {
        if (cause instanceof StartupPacket.UnsupportedProtocolException) {
            disconnect(ErrorResponse.fatal(SqlState.FEATURE_NOT_SUPPORTED, cause.getMessage()), Level.INFO);
        } else if (cause instanceof ProtocolException) {
            disconnect(ErrorResponse.fatal(SqlState.PROTOCOL_VIOLATION, cause.getMessage()), Level.WARNING);
        } else if (cause instanceof SSLException || cause.getCause() instanceof SSLException) {
            close(); // a failed handshake: logged once by ClientTls
        } else if (cause instanceof IOException) {
            LOG.fine(() -> session.describe() + " connection error: " + cause.getMessage());
            close();
        } else {
            LOG.log(Level.WARNING, session.describe() + " internal error", cause);
            disconnect(ErrorResponse.fatal(SqlState.INTERNAL_ERROR, "internal error in Berth: " + cause), null);
        }
    }

    /** The one place Berth ends a client connection with an error: the client sees it, the log records it. */
    void disconnect(ErrorResponse error, Level logLevel) {
        if (session.state() == ClientState.CLOSED) {
            return;
        }
        if (logLevel != null) {
            LOG.log(logLevel, session.describe() + " disconnected: " + error);
        }
        PoolMetrics metrics = session.metrics();
        if (metrics != null) {
            metrics.errorToClient(error.sqlState());
        }
        ChannelHandlerContext ctx = session.ctx();
        ctx.channel().config().setAutoRead(false);
        ctx.writeAndFlush(error.encode(ctx.alloc())).addListener(ChannelFutureListener.CLOSE);
        cleanUp();
    }

    /** The server ended the session with a FATAL error the client already got: close, without a second one. */
    void afterServerError(String reason) {
        if (session.state() == ClientState.CLOSED) {
            return;
        }
        LOG.info(session.describe() + " disconnected after its server's FATAL error (" + reason + ")");
        ChannelHandlerContext ctx = session.ctx();
        ctx.channel().config().setAutoRead(false);
        ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        cleanUp();
    }

    /** A login that cannot complete: the error as FATAL. */
    void failLogin(ErrorResponse error) {
        disconnect(new ErrorResponse("FATAL", error.sqlState(), error.message(), error.detail(), error.hint()), Level.WARNING);
    }

    void close() {
        session.ctx().close();
        cleanUp();
    }

    /** The client is gone or going, by whichever path: done once, the first time. */
    void cleanUp() {
        ClientState previous = session.state();
        if (previous == ClientState.CLOSED) {
            return;
        }
        session.moveTo(ClientState.CLOSED);
        session.unpinClosed();
        session.login().cancelTimer();
        session.queued().releaseAll();
        if (previous == ClientState.WAITING_FOR_SERVER) {
            session.serverWait().withdraw(); // if already granted, granted() sees CLOSED and gives the server back
        }
        session.proxy().cancels().unregister(session);
        ServerConnection s = session.server();
        session.server(null);
        if (s != null) {
            boolean reset = session.pinned() || session.mode() == PoolMode.SESSION
                    || session.config().sessionState() == SessionStatePolicy.ALLOW;
            s.releaseAfterClient(session.config().serverResetQuery(), reset);
        }
        Pool<ServerConnection> pool = session.pool();
        if (pool != null) {
            session.proxy().clients().caps().leave(pool.key().database(), session.user());
            session.proxy().pools().leave(pool.key()); // last: its server is back in (or on its way to) the pool
        }
    }
}
