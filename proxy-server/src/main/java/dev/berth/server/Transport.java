package dev.berth.server;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;

import java.io.IOException;

/** The native epoll transport where it loads, NIO otherwise. */
public record Transport(String name, IoHandlerFactory ioHandlerFactory, Class<? extends ServerChannel> serverChannel,
                 Class<? extends SocketChannel> socketChannel) {

    public static Transport best() {
        if (Epoll.isAvailable() && !Boolean.getBoolean("berth.nio")) {
            return new Transport("epoll", EpollIoHandler.newFactory(), EpollServerSocketChannel.class, EpollSocketChannel.class);
        }
        return new Transport("nio", NioIoHandler.newFactory(), NioServerSocketChannel.class, NioSocketChannel.class);
    }

    /**
     * Lets other processes listen on the same port ({@code SO_REUSEPORT}); the kernel spreads new connections
     * over the listeners. Only the native epoll transport has the option.
     */
    public void reusePort(ServerBootstrap bootstrap) throws IOException {
        if (!name.equals("epoll")) {
            Throwable cause = Epoll.unavailabilityCause();
            throw new IOException("--so-reuseport needs the native epoll transport (Linux), which is not in use: "
                    + (cause != null ? cause.getMessage() : "disabled by -Dberth.nio=true"));
        }
        bootstrap.option(EpollChannelOption.SO_REUSEPORT, true);
    }

    public EventLoopGroup newGroup(int threads) {
        return new MultiThreadIoEventLoopGroup(threads, ioHandlerFactory);
    }
}
