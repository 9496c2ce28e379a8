package dev.berth.server;

import dev.berth.core.config.BerthConfig;
import io.netty.channel.Channel;
import io.netty.channel.ChannelConfig;
import io.netty.channel.ChannelOption;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.nio.NioChannelOption;
import io.netty.channel.uring.IoUringChannelOption;
import io.netty.channel.uring.IoUringSocketChannel;
import jdk.net.ExtendedSocketOptions;

/**
 * TCP keepalive on a client or backend connection ({@code --tcp-keepalive}, {@code --tcp-keepidle},
 * {@code --tcp-keepintvl}, {@code --tcp-keepcnt}, pgbouncer's names), so that a peer gone silent behind a
 * dead network is noticed: through Netty's native options on epoll and io_uring (each transport has its own
 * constants; another's are ignored), the JDK's extended socket options on NIO.
 * A value of 0 keeps the operating system's default. Applied as each connection is set up, so a new
 * configuration applies to the connections opened after it.
 */
public final class TcpKeepalive {
    private TcpKeepalive() {
    }

    public static void apply(Channel ch, BerthConfig c) {
        ChannelConfig config = ch.config();
        config.setOption(ChannelOption.SO_KEEPALIVE, c.tcpKeepalive());
        if (!c.tcpKeepalive()) {
            return;
        }
        if (ch instanceof EpollSocketChannel) {
            set(config, EpollChannelOption.TCP_KEEPIDLE, c.tcpKeepidle());
            set(config, EpollChannelOption.TCP_KEEPINTVL, c.tcpKeepintvl());
            set(config, EpollChannelOption.TCP_KEEPCNT, c.tcpKeepcnt());
        } else if (ch instanceof IoUringSocketChannel) {
            set(config, IoUringChannelOption.TCP_KEEPIDLE, c.tcpKeepidle());
            set(config, IoUringChannelOption.TCP_KEEPINTVL, c.tcpKeepintvl());
            set(config, IoUringChannelOption.TCP_KEEPCNT, c.tcpKeepcnt());
        } else {
            set(config, NioChannelOption.of(ExtendedSocketOptions.TCP_KEEPIDLE), c.tcpKeepidle());
            set(config, NioChannelOption.of(ExtendedSocketOptions.TCP_KEEPINTERVAL), c.tcpKeepintvl());
            set(config, NioChannelOption.of(ExtendedSocketOptions.TCP_KEEPCOUNT), c.tcpKeepcnt());
        }
    }

    private static void set(ChannelConfig config, ChannelOption<Integer> option, int value) {
        if (value > 0) {
            config.setOption(option, value);
        }
    }
}
