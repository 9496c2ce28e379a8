package dev.berth.server.backend;

import dev.berth.core.config.BackendTls;
import dev.berth.core.pool.PoolRoute;
import dev.berth.server.metrics.BerthMetrics;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.NetUtil;
import io.netty.util.ReferenceCountUtil;

import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSession;
import java.util.List;

/**
 * Brings a new backend connection to TLS as its route's {@link BackendTls} says, before anything else is
 * sent: SSLRequest and the server's one-byte answer ('S': TLS; 'N': clear if the mode allows it), or with
 * direct negotiation a handshake at once with ALPN {@code postgresql}. SNI always carries the host name
 * (managed services such as Neon route on it). It sits first in the pipeline while it works and leaves
 * once TLS is up, so the relay's messages pay nothing for it.
 */
final class BackendTlsNegotiation extends ChannelInboundHandlerAdapter {
    /** What the login learns: TLS is up ({@code session}) or not used (null). */
    interface Outcome {
        void ready(SSLSession session);

        void failed(String reason);
    }

    private static final int SSL_REQUEST_CODE = 80877103;

    private final PoolRoute route;
    private final SslContext context;
    private final BerthMetrics metrics;
    private final Outcome outcome;
    private boolean failed;

    private BackendTlsNegotiation(PoolRoute route, SslContext context, BerthMetrics metrics, Outcome outcome) {
        this.route = route;
        this.context = context;
        this.metrics = metrics;
        this.outcome = outcome;
    }

    /** Starts on a connected channel; {@code context} is null when the route does not attempt TLS. */
    static void start(Channel ch, PoolRoute route, SslContext context, BerthMetrics metrics, Outcome outcome) {
        if (context == null) {
            outcome.ready(null);
            return;
        }
        BackendTlsNegotiation negotiation = new BackendTlsNegotiation(route, context, metrics, outcome);
        ch.pipeline().addFirst(negotiation);
        if (route.tls().negotiation() == BackendTls.Negotiation.DIRECT) {
            negotiation.handshake(ch.pipeline().firstContext());
        } else {
            ch.writeAndFlush(ch.alloc().buffer(8).writeInt(8).writeInt(SSL_REQUEST_CODE));
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (failed) {
            ReferenceCountUtil.release(msg);
            return;
        }
        ByteBuf in = (ByteBuf) msg;
        try {
            byte answer = in.readByte();
            if (answer == 'S' && in.isReadable()) {
                // bytes sent before the handshake would be read as if protected (CVE-2021-23222)
                fail(ctx, "server sent unencrypted data after its answer to the SSL request");
            } else if (answer == 'S') {
                handshake(ctx);
            } else if (answer == 'N' && !route.tls().required()) {
                metrics.backendTls("not_supported");
                ctx.pipeline().remove(this);
                outcome.ready(null);
            } else if (answer == 'N') {
                failed = true;
                metrics.backendTls("not_supported");
                outcome.failed("server does not support SSL, but sslmode=" + route.tls().mode().label());
                ctx.close();
            } else {
                fail(ctx, "server answered the SSL request with '" + (char) answer + "' (not S or N)");
            }
        } finally {
            in.release();
        }
    }

    private void handshake(ChannelHandlerContext ctx) {
        SslHandler tls = context.newHandler(ctx.alloc(), route.host(), route.port());
        tls.setHandshakeTimeoutMillis(0); // the login's deadline covers the handshake
        if (!NetUtil.isValidIpV4Address(route.host()) && !NetUtil.isValidIpV6Address(route.host())) {
            // the JDK sends SNI only for names with a dot; "localhost" or a compose service name get it too
            SSLParameters parameters = tls.engine().getSSLParameters();
            parameters.setServerNames(List.of(new SNIHostName(route.host())));
            tls.engine().setSSLParameters(parameters);
        }
        ctx.pipeline().addBefore(ctx.name(), "tls", tls);
        tls.handshakeFuture().addListener(done -> {
            if (failed) {
                return;
            }
            if (done.isSuccess()) {
                metrics.backendTls("ok");
                ctx.pipeline().remove(this);
                outcome.ready(tls.engine().getSession());
            } else {
                fail(ctx, TlsFailures.describe(done.cause(), route));
            }
        });
    }

    private void fail(ChannelHandlerContext ctx, String reason) {
        failed = true;
        metrics.backendTls("failed");
        outcome.failed(reason);
        ctx.close();
    }

    /** Until TLS is up every error is a TLS failure (the handshake's own ones arrive after its future failed). */
    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (!failed) {
            fail(ctx, TlsFailures.describe(cause, route));
        }
    }
}
