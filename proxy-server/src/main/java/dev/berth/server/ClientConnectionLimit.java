package dev.berth.server;

import com.sun.management.UnixOperatingSystemMXBean;
import dev.berth.core.config.RuntimeConfig;
import dev.berth.core.protocol.ErrorResponse;
import dev.berth.core.protocol.SqlState;
import dev.berth.server.metrics.BerthMetrics;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;

import java.lang.management.ManagementFactory;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * --max-client-connections: counts the client connections open at once, logged in or not, and refuses
 * one beyond the limit at once with 53300, before reading anything from it, so that connections that
 * never log in cannot take all of the process's file descriptors (or the operator's port with them).
 */
final class ClientConnectionLimit {
    private static final Logger LOG = Logger.getLogger(ClientConnectionLimit.class.getName());

    /** Descriptors Berth needs besides its connections: jars, listeners, epoll, the operator's port and its probes. */
    private static final int FILES_OF_OUR_OWN = 100;

    private final RuntimeConfig config;
    private final BerthMetrics metrics;
    private final AtomicInteger open = new AtomicInteger();
    private final ThrottledLog refusedLog = new ThrottledLog(LOG, Level.WARNING, ThrottledLog.DEFAULT_INTERVAL_MS);
    private final Refusal refusal = new Refusal();
    private final ChannelFutureListener closed = f -> open.decrementAndGet();

    ClientConnectionLimit(RuntimeConfig config, BerthMetrics metrics) {
        this.config = config;
        this.metrics = metrics;
        metrics.registerClientConnections(open::get, () -> config.current().maxClientConnections());
    }

    /** Logs a warning at start-up when the process may run out of file descriptors before it reaches the limit. */
    void checkFileLimit(int backendConnections) {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof UnixOperatingSystemMXBean os) {
            long files = os.getMaxFileDescriptorCount();
            int max = config.current().maxClientConnections();
            if ((long) max + backendConnections + FILES_OF_OUR_OWN > files) {
                LOG.warning("--max-client-connections " + max + " plus " + backendConnections + " backend connections is"
                        + " more than the open-file limit of " + files + " (ulimit -n) allows: raise the limit or lower"
                        + " --max-client-connections, or clients beyond it will hang instead of getting 53300");
            }
        }
    }

    /**
     * Counts a new connection in (until it closes) and returns true; or, at the limit, gives it the handler
     * that refuses it and returns false.
     */
    boolean admit(Channel channel) {
        int max = config.current().maxClientConnections();
        if (open.incrementAndGet() > max) {
            open.decrementAndGet();
            metrics.clientConnectionRefused();
            refusedLog.event(n -> "refused " + n + " client connection" + (n == 1 ? "" : "s") + " since the last such line:"
                    + " too many client connections (max_client_connections " + max + ")");
            channel.pipeline().addLast(refusal);
            return false;
        }
        channel.closeFuture().addListener(closed);
        return true;
    }

    /** Answers 53300 as soon as the connection is up, discards whatever arrives, and closes. */
    @ChannelHandler.Sharable
    private final class Refusal extends ChannelInboundHandlerAdapter {
        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            int max = config.current().maxClientConnections();
            ErrorResponse error = new ErrorResponse("FATAL", SqlState.TOO_MANY_CONNECTIONS,
                    "too many client connections (max_client_connections " + max + ")", null,
                    "try again later, or raise --max-client-connections");
            ctx.writeAndFlush(error.encode(ctx.alloc())).addListener(ChannelFutureListener.CLOSE);
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ReferenceCountUtil.release(msg);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
