package dev.berth.server.http;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.timeout.ReadTimeoutHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The operator's port (--metrics-listen): /metrics (Prometheus text format), /healthz (the process is
 * alive), /readyz (200 only when Berth can serve: listening, not paused or shutting down, and the
 * backend answered last), /config (the effective configuration as JSON, with each value's source).
 *
 * <p>Served by Netty on an event loop of its own, apart from the clients' loops, so that probes are
 * answered while the client port is busy; a connection that stops sending mid-request only holds its own
 * socket, until the read timeout closes it.
 */
public final class HttpEndpoints implements AutoCloseable {
    /** A request that has not arrived whole within this (or a kept-alive connection idle this long) is closed. */
    static final int READ_TIMEOUT_SECONDS = 10;
    /** Requests here are GETs without a body: anything larger is not one of ours. */
    static final int MAX_REQUEST_BYTES = 8192;

    private final EventLoopGroup group;
    private final Channel channel;
    /** Open connections, closed by {@link #close()}: a connection still being set up at shutdown could outlive its loop. */
    private final ChannelGroup connections = new DefaultChannelGroup("berth-http", GlobalEventExecutor.INSTANCE);

    public HttpEndpoints(String host, int port, IoHandlerFactory ioHandlerFactory, Class<? extends ServerChannel> serverChannel,
                         PrometheusRegistry registry, Supplier<String> notReadyReason, Supplier<String> configJson)
            throws IOException {
        group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("berth-http", true), ioHandlerFactory);
        HttpRoutes routes = new HttpRoutes(registry, notReadyReason, configJson);
        try {
            channel = new ServerBootstrap().group(group).channel(serverChannel)
                    .option(ChannelOption.SO_BACKLOG, 64)
                    .option(ChannelOption.SO_REUSEADDR, true)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            connections.add(ch);
                            ch.pipeline().addLast(new ReadTimeoutHandler(READ_TIMEOUT_SECONDS, TimeUnit.SECONDS),
                                    new HttpServerCodec(), new HttpObjectAggregator(MAX_REQUEST_BYTES), routes);
                        }
                    })
                    .bind(host, port).sync().channel();
        } catch (Exception e) {
            group.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
            throw new IOException(e.getMessage(), e);
        }
    }

    public int port() {
        return ((InetSocketAddress) channel.localAddress()).getPort();
    }

    @Override
    public void close() {
        channel.close().syncUninterruptibly();
        connections.close().awaitUninterruptibly();
        group.shutdownGracefully(0, 1000, TimeUnit.MILLISECONDS).syncUninterruptibly();
    }
}
