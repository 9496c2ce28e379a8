package dev.berth.server.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufOutputStream;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.timeout.ReadTimeoutException;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/** Answers the operator port's requests: GET or HEAD of /metrics, /healthz (/livez), /readyz, /config; 404 and 405 otherwise. */
@ChannelHandler.Sharable
final class HttpRoutes extends SimpleChannelInboundHandler<FullHttpRequest> {
    private static final Logger LOG = Logger.getLogger(HttpRoutes.class.getName());
    private static final String TEXT = "text/plain; charset=utf-8";

    private final PrometheusRegistry registry;
    private final PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();
    private final Supplier<String> notReadyReason;
    private final Supplier<String> configJson;

    HttpRoutes(PrometheusRegistry registry, Supplier<String> notReadyReason, Supplier<String> configJson) {
        this.registry = registry;
        this.notReadyReason = notReadyReason;
        this.configJson = configJson;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
        if (!request.decoderResult().isSuccess()) {
            respond(ctx, request, HttpResponseStatus.BAD_REQUEST, TEXT, text("bad request"), false);
            return;
        }
        HttpMethod method = request.method();
        if (!method.equals(HttpMethod.GET) && !method.equals(HttpMethod.HEAD)) {
            respond(ctx, request, HttpResponseStatus.METHOD_NOT_ALLOWED, TEXT, text("only GET"), HttpUtil.isKeepAlive(request));
            return;
        }
        boolean keepAlive = HttpUtil.isKeepAlive(request);
        try {
            switch (new QueryStringDecoder(request.uri()).path()) {
                case "/metrics" -> respond(ctx, request, HttpResponseStatus.OK, writer.getContentType(), metrics(ctx), keepAlive);
                case "/healthz", "/livez" -> respond(ctx, request, HttpResponseStatus.OK, TEXT, text("ok"), keepAlive);
                case "/readyz" -> {
                    String reason = notReadyReason.get();
                    respond(ctx, request, reason == null ? HttpResponseStatus.OK : HttpResponseStatus.SERVICE_UNAVAILABLE, TEXT,
                            text(reason == null ? "ready" : reason), keepAlive);
                }
                case "/config" -> respond(ctx, request, HttpResponseStatus.OK, "application/json",
                        Unpooled.copiedBuffer(configJson.get(), StandardCharsets.UTF_8), keepAlive);
                default -> respond(ctx, request, HttpResponseStatus.NOT_FOUND, TEXT,
                        text("not found; try /metrics, /healthz (or /livez), /readyz or /config"), keepAlive);
            }
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.WARNING, "HTTP " + request.uri() + " failed", e);
            respond(ctx, request, HttpResponseStatus.INTERNAL_SERVER_ERROR, TEXT, text("internal error: " + e), false);
        }
    }

    private ByteBuf metrics(ChannelHandlerContext ctx) throws IOException {
        ByteBuf body = ctx.alloc().buffer(16384);
        try (ByteBufOutputStream out = new ByteBufOutputStream(body)) {
            writer.write(out, registry.scrape());
            return body.retain(); // closing the stream does not release it; the retain balances the finally
        } finally {
            body.release();
        }
    }

    private static ByteBuf text(String message) {
        return Unpooled.copiedBuffer(message + "\n", StandardCharsets.UTF_8);
    }

    /** HEAD gets the headers GET would (Content-Length included) and no body. */
    private static void respond(ChannelHandlerContext ctx, FullHttpRequest request, HttpResponseStatus status,
                                String contentType, ByteBuf body, boolean keepAlive) {
        int length = body.readableBytes();
        FullHttpResponse response;
        if (request.method().equals(HttpMethod.HEAD)) {
            body.release();
            response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status);
        } else {
            response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, body);
        }
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType).setInt(HttpHeaderNames.CONTENT_LENGTH, length);
        if (status == HttpResponseStatus.METHOD_NOT_ALLOWED) {
            response.headers().set(HttpHeaderNames.ALLOW, "GET, HEAD");
        }
        if (keepAlive) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
            ctx.writeAndFlush(response, ctx.voidPromise());
        } else {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (!(cause instanceof ReadTimeoutException)) {
            LOG.fine(() -> "HTTP connection closed: " + cause);
        }
        ctx.close();
    }
}
