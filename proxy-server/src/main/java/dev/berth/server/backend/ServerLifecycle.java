package dev.berth.server.backend;

import dev.berth.core.pool.CloseReason;
import dev.berth.core.pool.Pool;
import dev.berth.core.pool.PoolRoute;
import dev.berth.core.pool.ServerAge;
import dev.berth.core.protocol.ErrorResponse;
import dev.berth.core.protocol.Messages;
import dev.berth.core.protocol.SqlState;
import dev.berth.server.metrics.PoolMetrics;
import io.netty.channel.Channel;

import java.util.logging.Logger;

/**
 * How a server connection enters and leaves its pool: at the end of its login (and connect_query) the
 * pool gets it, or learns of a failed open; every close has a {@link CloseReason}, which the log, the
 * metrics, the pool and a linked client learn once the socket is closed.
 */
final class ServerLifecycle {
    /** The connection's: its log lines read as they did before this class was split out of it. */
    private static final Logger LOG = Logger.getLogger(ServerConnection.class.getName());

    private final ServerConnection server;
    private final Pool<ServerConnection> pool;
    private final PoolRoute route;
    private final PoolMetrics metrics;
    private final BackendLogin login;
    private volatile ServerAge age;
    private CloseReason closeReason;
    /** Why the connection closed if it just goes away: the server closed it, or it died while checked. */
    private CloseReason lostReason = CloseReason.SERVER_CLOSED;
    private String closeDetail;

    ServerLifecycle(ServerConnection server, Pool<ServerConnection> pool, PoolRoute route, PoolMetrics metrics, BackendLogin login) {
        this.server = server;
        this.pool = pool;
        this.route = route;
        this.metrics = metrics;
        this.login = login;
    }

    // ---- the open ----

    /** Logged in and set up: the pool gets it. */
    void ready() {
        age = ServerAge.bornAt(System.nanoTime());
        server.state(ServerConnection.State.IDLE);
        metrics.serverOpened();
        pool.opened(server);
    }

    /** The login failed: the log and the pool learn why, the connection closes. */
    void loginFailed(ErrorResponse error) {
        if (server.state() != ServerConnection.State.LOGIN) {
            return;
        }
        server.state(ServerConnection.State.CLOSED);
        login.failed(error);
        metrics.serverFailed();
        server.channel().close();
        pool.openFailed(error);
    }

    /** Set-up after the login failed ({@link ConnectQuery}): closed, logged, and a failed open for the pool. */
    void connectFailed(ErrorResponse error) {
        server.state(ServerConnection.State.CLOSED);
        LOG.warning("server connection " + server + " closed: " + error);
        metrics.serverFailed();
        server.channel().close();
        pool.openFailed(error);
    }

    /** Null until the pool got it. */
    ServerAge age() {
        return age;
    }

    // ---- the close ----

    /** Berth closes the connection: a Terminate, then the socket; the first reason given is the one reported. */
    void close(CloseReason reason, String detail) {
        Channel channel = server.channel();
        if (server.state() == ServerConnection.State.LOGIN) {
            channel.eventLoop().execute(() -> loginFailed(ErrorResponse.fatal(SqlState.ADMIN_SHUTDOWN,
                    reason.description() + (detail == null ? "" : ": " + detail))));
            return;
        }
        server.state(ServerConnection.State.CLOSED); // unusable from now on, though the socket closes asynchronously
        if (closeReason == null) {
            closeReason = reason;
            closeDetail = detail;
        }
        if (channel.isOpen()) {
            channel.writeAndFlush(Messages.TERMINATE.duplicate()).addListener(f -> channel.close());
        }
    }

    /** The socket closed, whoever closed it. */
    void closed() {
        ServerConnection.State previous = server.state();
        server.state(ServerConnection.State.CLOSED);
        if (previous == ServerConnection.State.LOGIN) {
            login.connectionLost();
            pool.openFailed(ErrorResponse.fatal(SqlState.CONNECTION_FAILURE,
                    "backend " + route.address() + " closed the connection during login"));
            return;
        }
        if (closeReason == null) {
            closeReason = lostReason;
        }
        String why = closeReason.description() + (closeDetail == null ? "" : ": " + closeDetail);
        LOG.fine(() -> "server connection " + server + " closed: " + why);
        if (age != null) { // else its login failed: counted then as a failure, and never as opened
            metrics.serverClosed(closeReason.label());
        }
        server.relay().closed(why);
        pool.removed(server);
        server.internalQuery().connectionClosed(why);
    }

    /** The socket failed. */
    void failed(Throwable cause) {
        if (server.state() == ServerConnection.State.LOGIN) {
            loginFailed(ErrorResponse.fatal(SqlState.CONNECTION_FAILURE, "backend " + route.address() + ": " + cause.getMessage()));
        } else {
            // a reset during a check is the check failing (lostReason), as a close then is
            close(lostReason == CloseReason.SERVER_CLOSED ? CloseReason.ERROR : lostReason, cause.getMessage());
        }
    }

    void lostReason(CloseReason reason) {
        lostReason = reason;
    }

    /** Berth closed this connection for {@code reason} (on this loop). */
    boolean closedFor(CloseReason reason) {
        return closeReason == reason;
    }
}
