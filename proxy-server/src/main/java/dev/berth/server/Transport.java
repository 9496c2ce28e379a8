package dev.berth.server;

import dev.berth.core.config.TransportChoice;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.channel.unix.UnixChannelOption;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringServerSocketChannel;
import io.netty.channel.uring.IoUringSocketChannel;

import java.io.IOException;

/**
 * The Netty transport of every socket ({@code --transport}): io_uring or epoll (Linux, native) or NIO.
 * {@code skipped} says why {@code auto} did not take epoll (empty when it did).
 */
public record Transport(String name, IoHandlerFactory ioHandlerFactory, Class<? extends ServerChannel> serverChannel,
                        Class<? extends SocketChannel> socketChannel, String skipped) {

    /** The transport {@code choice} names; throws saying why when that one cannot load here. */
    public static Transport select(TransportChoice choice) throws IOException {
        return switch (choice) {
            case IO_URING -> {
                requireLoads("io_uring", IoUring.isAvailable(), IoUring.unavailabilityCause());
                yield ioUring();
            }
            case EPOLL -> {
                requireLoads("epoll", Epoll.isAvailable(), Epoll.unavailabilityCause());
                yield epoll();
            }
            case NIO -> nio("");
            case AUTO -> {
                // epoll first: io_uring measured no faster here and its event loops can hang on shutdown
                // (Netty 4.2.18, kernel 6.18; bench/RESULTS.md, issue 16), so it is used only when named
                if (Epoll.isAvailable()) {
                    yield epoll();
                }
                yield nio("epoll: " + cause(Epoll.unavailabilityCause()));
            }
        };
    }

    private static Transport ioUring() {
        return new Transport("io_uring", IoUringIoHandler.newFactory(), IoUringServerSocketChannel.class,
                IoUringSocketChannel.class, "");
    }

    private static Transport epoll() {
        return new Transport("epoll", EpollIoHandler.newFactory(), EpollServerSocketChannel.class,
                EpollSocketChannel.class, "");
    }

    private static Transport nio(String skipped) {
        return new Transport("nio", NioIoHandler.newFactory(), NioServerSocketChannel.class, NioSocketChannel.class,
                skipped);
    }

    private static void requireLoads(String name, boolean available, Throwable cause) throws IOException {
        if (!available) {
            throw new IOException("--transport " + name + " cannot be used here: " + cause(cause)
                    + "; use --transport auto (or epoll, nio)");
        }
    }

    private static String cause(Throwable t) {
        return t == null ? "not available" : t.getMessage() != null ? t.getMessage() : t.toString();
    }

    /** For the start-up log: the transport, and why auto did not take epoll. */
    public String describe() {
        return skipped.isEmpty() ? "transport " + name : "transport " + name + " (not available: " + skipped + ")";
    }

    /**
     * Lets other processes listen on the same port ({@code SO_REUSEPORT}); the kernel spreads new connections
     * over the listeners. Only the native transports (io_uring, epoll) have the option.
     */
    public void reusePort(ServerBootstrap bootstrap) throws IOException {
        if (name.equals("nio")) {
            throw new IOException("--so-reuseport needs a native transport (io_uring or epoll, Linux), and the"
                    + " transport in use is nio" + (skipped.isEmpty() ? " (--transport nio)" : ": " + skipped));
        }
        bootstrap.option(UnixChannelOption.SO_REUSEPORT, true);
    }

    public EventLoopGroup newGroup(int threads) {
        return new MultiThreadIoEventLoopGroup(threads, ioHandlerFactory);
    }
}
