package dev.berth.server;

import dev.berth.core.auth.AuthType;
import dev.berth.core.config.BerthConfig;
import dev.berth.core.config.TransportChoice;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringChannelOption;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioChannelOption;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.socket.nio.NioSocketChannel;
import jdk.net.ExtendedSocketOptions;
import org.junit.jupiter.api.Test;

import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The keepalive settings reach real sockets, on each transport, as the kernel then reports them. */
class TcpKeepaliveTest {
    private static final BerthConfig KEEPALIVE = BerthConfig.builder().authType(AuthType.TRUST)
            .tcpKeepidle(7).tcpKeepintvl(3).tcpKeepcnt(4).build();

    /** Connects a channel of {@code type} with the keepalive of {@code config} applied; returns it connected. */
    private static Channel connect(EventLoopGroup group, Class<? extends SocketChannel> type, BerthConfig config,
                                   ServerSocket peer) throws Exception {
        return new Bootstrap().group(group).channel(type).handler(new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel ch) {
                TcpKeepalive.apply(ch, config);
            }
        }).connect("127.0.0.1", peer.getLocalPort()).sync().channel();
    }

    @Test
    void epollSocketsGetTheKeepaliveSettings() throws Exception {
        assumeTrue(Epoll.isAvailable(), "epoll is not available here");
        nativeSocketsGetTheKeepaliveSettings(TransportChoice.EPOLL, EpollChannelOption.TCP_KEEPIDLE,
                EpollChannelOption.TCP_KEEPINTVL, EpollChannelOption.TCP_KEEPCNT);
    }

    @Test
    void ioUringSocketsGetTheKeepaliveSettings() throws Exception {
        assumeTrue(IoUring.isAvailable(), "io_uring is not available here");
        nativeSocketsGetTheKeepaliveSettings(TransportChoice.IO_URING, IoUringChannelOption.TCP_KEEPIDLE,
                IoUringChannelOption.TCP_KEEPINTVL, IoUringChannelOption.TCP_KEEPCNT);
    }

    /** Each native transport reads only its own option constants: the values, as the kernel reports them. */
    private static void nativeSocketsGetTheKeepaliveSettings(TransportChoice choice, ChannelOption<Integer> idle,
                                                             ChannelOption<Integer> intvl, ChannelOption<Integer> cnt)
            throws Exception {
        Transport transport = Transport.select(choice);
        EventLoopGroup group = transport.newGroup(1);
        try (ServerSocket peer = new ServerSocket(0)) {
            Channel ch = connect(group, transport.socketChannel(), KEEPALIVE, peer);
            try (Socket ignored = peer.accept()) {
                assertTrue(ch.config().getOption(ChannelOption.SO_KEEPALIVE));
                assertEquals(List.of(7, 3, 4), List.of(ch.config().getOption(idle), ch.config().getOption(intvl),
                        ch.config().getOption(cnt)));
            }
            ch.close().sync();
        } finally {
            group.shutdownGracefully().sync();
        }
    }

    @Test
    void nioSocketsGetTheKeepaliveSettingsAndOffTurnsItOff() throws Exception {
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        try (ServerSocket peer = new ServerSocket(0)) {
            Channel on = connect(group, NioSocketChannel.class, KEEPALIVE, peer);
            Channel off = connect(group, NioSocketChannel.class, BerthConfig.builder().authType(AuthType.TRUST)
                    .tcpKeepalive(false).build(), peer);
            try (Socket a = peer.accept(); Socket b = peer.accept()) {
                assertTrue(on.config().getOption(ChannelOption.SO_KEEPALIVE));
                assertEquals(List.of(7, 3, 4), List.of(
                        on.config().getOption(NioChannelOption.of(ExtendedSocketOptions.TCP_KEEPIDLE)),
                        on.config().getOption(NioChannelOption.of(ExtendedSocketOptions.TCP_KEEPINTERVAL)),
                        on.config().getOption(NioChannelOption.of(ExtendedSocketOptions.TCP_KEEPCOUNT))));
                assertFalse(off.config().getOption(ChannelOption.SO_KEEPALIVE));
            }
            on.close().sync();
            off.close().sync();
        } finally {
            group.shutdownGracefully().sync();
        }
    }

    @Test
    void keepaliveIsOnByDefaultWithTheSystemsTimings() {
        BerthConfig defaults = BerthConfig.builder().authType(AuthType.TRUST).build();
        assertTrue(defaults.tcpKeepalive());
        assertEquals(List.of(0, 0, 0), List.of(defaults.tcpKeepidle(), defaults.tcpKeepintvl(), defaults.tcpKeepcnt()));
    }
}
