package dev.berth.server.client;

import dev.berth.core.config.ClientTlsMode;
import dev.berth.core.protocol.Messages;
import dev.berth.core.protocol.PgFrameDecoder;
import dev.berth.core.protocol.SqlState;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.concurrent.Future;

import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import java.nio.channels.ClosedChannelException;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A client's TLS: the answer to its SSLRequest, PostgreSQL 17's direct TLS, the handshake's outcome, and
 * what client_tls_mode asks before the login may go on (TLS at all, the certificate's CN).
 */
final class ClientTls {
    private static final Logger LOG = Logger.getLogger(ClientTls.class.getName());
    private static final String HANDLER_NAME = "tls";

    private final ClientSession session;
    private SslHandler handler;
    private boolean direct;
    /** "TLSv1.3/TLS_AES_256_GCM_SHA384" once the handshake is done, for SHOW CLIENTS. */
    private volatile String description = "";

    ClientTls(ClientSession session) {
        this.session = session;
    }

    /** SSLRequest: 'S' and a TLS handshake when TLS is on, else 'N'. */
    void onSslRequest() {
        ChannelHandlerContext ctx = session.ctx();
        if (handler != null) {
            session.disconnect(SqlState.PROTOCOL_VIOLATION, "SSLRequest on a connection that already uses TLS", Level.INFO);
            return;
        }
        if (!session.config().clientTlsMode().enabled() || !session.proxy().clientTls().available()) {
            ctx.writeAndFlush(Messages.NO_ENCRYPTION.duplicate());
            return;
        }
        PgFrameDecoder decoder = ctx.pipeline().get(PgFrameDecoder.class);
        if (decoder != null && decoder.bufferedBytes() > 0) {
            // sent before the handshake, so not encrypted: it may have been injected (CVE-2021-23214)
            session.disconnect(SqlState.PROTOCOL_VIOLATION, "received unencrypted data after SSL request: a client"
                    + " must wait for the answer before it starts TLS (a client bug, or an attempted man-in-the-middle)", Level.WARNING);
            return;
        }
        SslHandler h = session.proxy().clientTls().newHandler(ctx.alloc());
        if (h == null) { // turned off by a reload just now
            ctx.writeAndFlush(Messages.NO_ENCRYPTION.duplicate());
            return;
        }
        ctx.writeAndFlush(Messages.ENCRYPTION_ACCEPTED.duplicate()); // written on this loop before the handler exists: in clear
        ctx.pipeline().addFirst(HANDLER_NAME, h);
        started(h, false);
    }

    /** The first byte was a TLS handshake record: PostgreSQL 17's direct TLS, without an SSLRequest. */
    void onDirectTls(ChannelHandlerContext detectorCtx, ChannelHandler detector) {
        SslHandler h = session.config().clientTlsMode().enabled() ? session.proxy().clientTls().newHandler(detectorCtx.alloc()) : null;
        if (h == null) {
            // a TLS client cannot read an error in clear: PostgreSQL closes without one as well
            LOG.info(session.describe() + " refused: direct TLS connection, but client_tls_mode is disable");
            session.end().close();
            return;
        }
        detectorCtx.pipeline().replace(detector, HANDLER_NAME, h); // the bytes read so far go to the new handler
        started(h, true);
    }

    private void started(SslHandler h, boolean isDirect) {
        handler = h;
        direct = isDirect;
        h.handshakeFuture().addListener(this::handshakeDone);
    }

    private void handshakeDone(Future<?> future) {
        session.proxy().metrics().clientTlsHandshake(future.isSuccess());
        if (!future.isSuccess()) {
            if (session.state() != ClientState.CLOSED) {
                Throwable cause = future.cause();
                LOG.info(session.describe() + " TLS handshake failed: " + (cause instanceof ClosedChannelException
                        ? "the client closed the connection" : String.valueOf(cause.getMessage())));
            }
            return; // the SslHandler closes the connection
        }
        SSLSession tls = handler.engine().getSession();
        description = tls.getProtocol() + "/" + tls.getCipherSuite();
        if (direct && !ClientTlsContext.ALPN_PROTOCOL.equals(handler.applicationProtocol())) {
            session.disconnect(SqlState.PROTOCOL_VIOLATION, "direct TLS connection without the ALPN protocol \""
                    + ClientTlsContext.ALPN_PROTOCOL + "\": use a PostgreSQL 17 client (sslnegotiation=direct) or"
                    + " sslnegotiation=postgres", Level.INFO);
        }
    }

    /**
     * Whether client_tls_mode lets this startup packet's login go on; if not, the client is disconnected
     * with 28000 before any password is asked for.
     */
    boolean admits(String user) {
        ClientTlsMode mode = session.config().clientTlsMode();
        if (mode.required() && handler == null) {
            session.disconnect(SqlState.INVALID_AUTHORIZATION, "TLS required: connect with sslmode=require (Berth's"
                    + " client_tls_mode is " + mode + ")", Level.INFO);
            return false;
        }
        if (mode == ClientTlsMode.VERIFY_FULL) {
            String cn = peerCommonName();
            if (!user.equals(cn)) {
                session.disconnect(SqlState.INVALID_AUTHORIZATION, "certificate authentication failed for user \"" + user
                        + "\": the client certificate's CN is " + (cn == null ? "missing" : "\"" + cn + "\"")
                        + " (client_tls_mode verify-full needs it to equal the user name)", Level.INFO);
                return false;
            }
        }
        return true;
    }

    /** Whether the client talks TLS (its handshake may still be running only before the startup packet). */
    boolean active() {
        return handler != null;
    }

    /** The CN of the client certificate the TLS handshake verified, or null without one. */
    String peerCommonName() {
        if (handler == null) {
            return null;
        }
        try {
            Certificate[] chain = handler.engine().getSession().getPeerCertificates();
            if (chain.length == 0 || !(chain[0] instanceof X509Certificate leaf)) {
                return null;
            }
            for (Rdn rdn : new LdapName(leaf.getSubjectX500Principal().getName()).getRdns()) {
                if (rdn.getType().equalsIgnoreCase("CN")) {
                    return rdn.getValue().toString();
                }
            }
            return null;
        } catch (SSLPeerUnverifiedException | InvalidNameException e) {
            return null;
        }
    }

    /** For SHOW CLIENTS: protocol and cipher, or "" without TLS. */
    String description() {
        return description;
    }
}
