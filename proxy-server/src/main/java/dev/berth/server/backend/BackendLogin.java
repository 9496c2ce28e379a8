package dev.berth.server.backend;

import dev.berth.core.auth.AuthException;
import dev.berth.core.auth.BackendAuthenticator;
import dev.berth.core.pool.PoolRoute;
import dev.berth.core.protocol.ErrorResponse;
import dev.berth.core.protocol.MessageType;
import dev.berth.core.protocol.Messages;
import dev.berth.core.protocol.SqlState;
import dev.berth.server.metrics.BerthMetrics;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.ssl.SslContext;
import io.netty.util.concurrent.ScheduledFuture;

import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * Berth's login to PostgreSQL on a new backend connection: TLS if the route asks for it ({@link
 * BackendTlsNegotiation}), StartupMessage, the server's authentication challenges, its parameters and key
 * data, up to the first ReadyForQuery, all within one deadline.
 */
final class BackendLogin implements BackendTlsNegotiation.Outcome {
    private static final Logger LOG = Logger.getLogger(BackendLogin.class.getName());

    private final BackendAuthenticator authenticator;
    private final PoolRoute route;
    private final BackendHealth health;
    private final SslContext tlsContext;
    private final BerthMetrics metrics;
    private final long createdNanos = System.nanoTime();
    private ServerConnection server;
    private Channel channel;
    private Map<String, String> startupParameters;
    private String tls = "";
    private ScheduledFuture<?> timeout;
    private int processId;
    private int secretKey;

    /** {@code tlsContext}: null when the route does not attempt TLS. */
    BackendLogin(BackendAuthenticator authenticator, PoolRoute route, BackendHealth health, SslContext tlsContext,
                 BerthMetrics metrics) {
        this.authenticator = authenticator;
        this.route = route;
        this.health = health;
        this.tlsContext = tlsContext;
        this.metrics = metrics;
    }

    void start(ServerConnection connection, Channel ch, Map<String, String> startupParameters, long timeoutMs) {
        server = connection;
        channel = ch;
        this.startupParameters = startupParameters;
        // one deadline for the TCP connect, TLS and the login together, counted from when the connect began
        long leftNanos = TimeUnit.MILLISECONDS.toNanos(timeoutMs) - (System.nanoTime() - createdNanos);
        timeout = ch.eventLoop().schedule(() -> server.lifecycle().loginFailed(ErrorResponse.fatal(SqlState.CONNECTION_FAILURE,
                "backend " + route.address() + " did not complete login within " + timeoutMs + " ms (--server-connect-timeout)")),
                Math.max(0, leftNanos), TimeUnit.NANOSECONDS);
        BackendTlsNegotiation.start(ch, route, tlsContext, metrics, this);
    }

    @Override
    public void ready(SSLSession session) {
        if (session != null) {
            tls = session.getProtocol() + "/" + session.getCipherSuite();
            authenticator.tlsEstablished(serverCertificate(session));
        }
        channel.writeAndFlush(Messages.startupMessage(channel.alloc(), startupParameters));
        startupParameters = null;
    }

    /** The server's own certificate, for SCRAM channel binding; null if it has no X.509 one. */
    private static X509Certificate serverCertificate(SSLSession session) {
        try {
            Certificate[] chain = session.getPeerCertificates();
            return chain.length > 0 && chain[0] instanceof X509Certificate x ? x : null;
        } catch (SSLPeerUnverifiedException e) {
            return null;
        }
    }

    @Override
    public void failed(String reason) {
        server.lifecycle().loginFailed(ErrorResponse.fatal(SqlState.CONNECTION_FAILURE, "TLS to backend " + route.address() + " failed: " + reason));
    }

    void onMessage(ChannelHandlerContext ctx, ByteBuf frame) {
        switch (MessageType.of(frame)) {
            case MessageType.AUTHENTICATION -> {
                try {
                    ByteBuf response = authenticator.onAuthenticationRequest(ctx.alloc(), frame);
                    if (response != null) {
                        ctx.writeAndFlush(response);
                    }
                } catch (AuthException e) {
                    server.lifecycle().loginFailed(ErrorResponse.fatal(e.sqlState(), e.getMessage()));
                }
            }
            case MessageType.PARAMETER_STATUS -> server.parameters().record(frame);
            case MessageType.BACKEND_KEY_DATA -> {
                processId = frame.getInt(frame.readerIndex() + 5);
                secretKey = frame.getInt(frame.readerIndex() + 9);
            }
            case MessageType.READY_FOR_QUERY -> {
                timeout.cancel(false);
                server.relay().loggedIn(ctx.alloc());
                health.backendAnswered(server.parameters().reported().get("server_version"));
                server.loggedIn();
            }
            case MessageType.ERROR_RESPONSE -> server.lifecycle().loginFailed(ErrorResponse.decode(frame));
            default -> { } // NoticeResponse, NegotiateProtocolVersion: nothing to do
        }
    }

    /** The login failed (the server said so, it timed out, or the connection broke). */
    void failed(ErrorResponse error) {
        connectionLost();
        LOG.warning("backend login to " + route.address() + " for pool " + route.key() + " failed: " + error);
        health.backendFailed(error.message());
    }

    /** The connection closed during login; the pool is told by the connection. */
    void connectionLost() {
        if (timeout != null) {
            timeout.cancel(false);
        }
    }

    int processId() {
        return processId;
    }

    int secretKey() {
        return secretKey;
    }

    /** The TLS protocol and cipher suite, e.g. TLSv1.3/TLS_AES_256_GCM_SHA384; empty in clear. */
    String tls() {
        return tls;
    }
}
