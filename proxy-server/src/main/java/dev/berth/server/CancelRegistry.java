package dev.berth.server;

import dev.berth.core.config.RuntimeConfig;
import dev.berth.core.pool.CloseReason;
import dev.berth.core.protocol.Messages;
import dev.berth.server.backend.ServerConnection;
import dev.berth.server.client.ClientSession;
import dev.berth.server.metrics.BerthMetrics;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.SocketChannel;
import io.netty.util.concurrent.ScheduledFuture;

import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Gives each client its own BackendKeyData and forwards a CancelRequest for it, with the real key, to
 * the server on which a request of that client is in flight at that moment, and to no other: a cancel
 * that arrives after the server answered is dropped, and a server with a cancel on its way serves no
 * other client until PostgreSQL has answered it. The cancel goes to the host and port that server is
 * connected to. The client's own cancel connection is closed only once PostgreSQL has closed the forwarded
 * one (or at once when the cancel is dropped): that close is the protocol's only sign that the cancel has
 * been dealt with, and a client that sends its next query after it must not have that query cancelled.
 */
public final class CancelRegistry {
    private static final Logger LOG = Logger.getLogger(CancelRegistry.class.getName());
    /** Anyone can send cancel requests with made-up keys: counted always, logged once per interval. */
    private final ThrottledLog unknownLog = new ThrottledLog(LOG, Level.INFO, ThrottledLog.DEFAULT_INTERVAL_MS);

    private final ConcurrentHashMap<Integer, ClientSession> clients = new ConcurrentHashMap<>();
    private final SecureRandom random;
    private final RuntimeConfig config;
    private final Transport transport;
    private final BerthMetrics metrics;

    CancelRegistry(SecureRandom random, RuntimeConfig config, Transport transport, BerthMetrics metrics) {
        this.random = random;
        this.config = config;
        this.transport = transport;
        this.metrics = metrics;
    }

    /** Registers a client under a fresh random process id; returns (processId &lt;&lt; 32 | secretKey). */
    public long register(ClientSession client) {
        while (true) {
            int processId = random.nextInt(Integer.MAX_VALUE - 1) + 1;
            if (clients.putIfAbsent(processId, client) == null) {
                int secret = random.nextInt();
                return ((long) processId << 32) | (secret & 0xffffffffL);
            }
        }
    }

    public void unregister(ClientSession client) {
        if (client.processId() != 0) {
            clients.remove(client.processId(), client);
        }
    }

    /**
     * Forwards the cancel request of a client for {@code processId}; {@code done} runs (on any thread) once
     * PostgreSQL has closed the forwarded cancel's connection, or at once when the request is dropped.
     */
    public void forward(int processId, int secretKey, String from, Runnable done) {
        ClientSession client = clients.get(processId);
        if (client == null || !MessageDigest.isEqual(intBytes(secretKey), intBytes(client.secretKey()))) {
            metrics.cancelRequest("unknown");
            unknownLog.event(n -> n == 1 ? "cancel request from " + from + " for unknown process id " + processId + " ignored"
                    : n + " cancel requests for unknown process ids ignored since the last such line (the latest from "
                    + from + "; berth_cancel_requests_total{result=\"unknown\"})");
            done.run();
            return;
        }
        ServerConnection server = client.linkedServer();
        if (server == null) {
            LOG.fine(() -> "cancel request for " + client.describe() + " ignored: it holds no server");
            metrics.cancelRequest("no_server");
            done.run();
            return;
        }
        server.eventLoop().execute(() -> {
            if (!server.cancelling(client.cancelRequester())) {
                LOG.fine(() -> "cancel request for " + client.describe() + " ignored: no request of it in flight");
                metrics.cancelRequest("not_in_flight");
                done.run();
                return;
            }
            send(server, client.describe(), done);
        });
    }

    /**
     * The query timeout passed for the request {@code client} has had in flight on {@code server} since {@code
     * busySince}: cancels it as a CancelRequest from the client would, if it is still in flight.
     */
    public void cancelForTimeout(ClientSession client, ServerConnection server, long busySince, long timeoutMs) {
        server.eventLoop().execute(() -> {
            if (server.cancellingForTimeout(client.cancelRequester(), busySince, timeoutMs)) {
                LOG.info(client.describe() + ": query ran longer than query_timeout (" + timeoutMs + " ms), cancelling it");
                send(server, client.describe(), () -> { });
            }
        });
    }

    /**
     * Sends the cancel with the server's real key, on the server's loop. PostgreSQL signals the backend
     * and then closes the cancel connection; only then may the server serve another client (until then
     * {@link ServerConnection#cancelling} holds it back), or a late signal could cancel that client's query;
     * {@code done} runs then too.
     */
    private void send(ServerConnection server, String client, Runnable done) {
        int serverPid = server.processId();
        long timeoutMs = config.current().serverConnectTimeoutMs();
        new Bootstrap().group(server.eventLoop()).channel(transport.socketChannel())
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, timeoutMs))
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new CancelConnectionErrors(client, server.route().address()));
                    }
                })
                .connect(server.route().host(), server.route().port())
                .addListener((ChannelFutureListener) f -> {
                    if (!f.isSuccess()) {
                        LOG.warning("cannot forward cancel request for " + client + " to "
                                + server.route().address() + ": " + f.cause().getMessage());
                        server.cancelAnswered(); // never sent: nothing can reach the backend late
                        done.run();
                        return;
                    }
                    Channel ch = f.channel();
                    ScheduledFuture<?> unanswered = ch.eventLoop().schedule(() -> {
                        // it may still arrive: this backend serves no one else
                        server.close(CloseReason.CANCEL_UNANSWERED, "no answer within " + timeoutMs + " ms");
                        ch.close();
                    }, timeoutMs, TimeUnit.MILLISECONDS);
                    ch.closeFuture().addListener(closed -> {
                        unanswered.cancel(false);
                        server.cancelAnswered();
                        done.run();
                    });
                    ch.writeAndFlush(Messages.cancelRequest(ch.alloc(), serverPid, server.secretKey()));
                });
        LOG.info("cancel request for " + client + " forwarded to server pid " + serverPid);
        metrics.cancelRequest("forwarded");
    }

    /**
     * The end of a cancel connection's pipeline: a backend (or a network) that resets it gets one log line,
     * not Netty's warning with a stack trace; the close that follows tells the server the cancel is done.
     */
    private static final class CancelConnectionErrors extends ChannelInboundHandlerAdapter {
        private final String client;
        private final String backend;

        CancelConnectionErrors(String client, String backend) {
            this.client = client;
            this.backend = backend;
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            LOG.warning("cancel request for " + client + " to " + backend + " failed: " + cause.getMessage());
            ctx.close();
        }
    }

    private static byte[] intBytes(int v) {
        return new byte[] {(byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8), (byte) v};
    }
}
