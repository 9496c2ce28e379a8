package dev.berth.server;

import dev.berth.core.protocol.Messages;
import dev.berth.server.backend.ServerConnection;
import dev.berth.server.client.ClientSession;
import dev.berth.server.metrics.BerthMetrics;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;

import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Gives each client its own BackendKeyData and forwards a CancelRequest for it, with the real key, to
 * the server that client is linked to at that moment, and to no other (a cancel that arrives after the
 * server moved on to another client must not cancel that client's query). The cancel goes to the host
 * and port that server is connected to.
 */
public final class CancelRegistry {
    private static final Logger LOG = Logger.getLogger(CancelRegistry.class.getName());
    /** Anyone can send cancel requests with made-up keys: counted always, logged once per interval. */
    private final ThrottledLog unknownLog = new ThrottledLog(LOG, Level.INFO, ThrottledLog.DEFAULT_INTERVAL_MS);

    private final ConcurrentHashMap<Integer, ClientSession> clients = new ConcurrentHashMap<>();
    private final SecureRandom random;
    private final EventLoopGroup group;
    private final Transport transport;
    private final BerthMetrics metrics;

    CancelRegistry(SecureRandom random, EventLoopGroup group, Transport transport, BerthMetrics metrics) {
        this.random = random;
        this.group = group;
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

    public void forward(int processId, int secretKey, String from) {
        ClientSession client = clients.get(processId);
        if (client == null || !MessageDigest.isEqual(intBytes(secretKey), intBytes(client.secretKey()))) {
            metrics.cancelRequest("unknown");
            unknownLog.event(n -> n == 1 ? "cancel request from " + from + " for unknown process id " + processId + " ignored"
                    : n + " cancel requests for unknown process ids ignored since the last such line (the latest from "
                    + from + "; berth_cancel_requests_total{result=\"unknown\"})");
            return;
        }
        ServerConnection server = client.linkedServer();
        if (server == null) {
            LOG.fine(() -> "cancel request for " + client.describe() + " ignored: it holds no server");
            metrics.cancelRequest("no_server");
            return;
        }
        int serverPid = server.processId();
        int serverKey = server.secretKey();
        String host = server.route().host();
        int port = server.route().port();
        new Bootstrap().group(group).channel(transport.socketChannel())
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                    }
                })
                .connect(host, port)
                .addListener((ChannelFutureListener) f -> {
                    if (f.isSuccess()) {
                        f.channel().writeAndFlush(Messages.cancelRequest(f.channel().alloc(), serverPid, serverKey))
                                .addListener(ChannelFutureListener.CLOSE);
                    } else {
                        LOG.warning("cannot forward cancel request for " + client.describe() + " to "
                                + server.route().address() + ": " + f.cause().getMessage());
                    }
                });
        LOG.info("cancel request for " + client.describe() + " forwarded to server pid " + serverPid);
        metrics.cancelRequest("forwarded");
    }

    private static byte[] intBytes(int v) {
        return new byte[] {(byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8), (byte) v};
    }
}
