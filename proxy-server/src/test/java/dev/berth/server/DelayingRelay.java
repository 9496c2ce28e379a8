package dev.berth.server;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP relay on the loopback address to a backend that holds back each connection's first bytes from the
 * backend for a while, as a suspended managed compute does while it wakes up. Threads per connection; for
 * a handful of test connections.
 */
final class DelayingRelay implements AutoCloseable {
    private final ServerSocket listener;
    private final int backendPort;
    private final long delayMs;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private final AtomicInteger accepted = new AtomicInteger();

    DelayingRelay(int backendPort, long delayMs) throws IOException {
        this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        this.backendPort = backendPort;
        this.delayMs = delayMs;
        daemon(this::acceptLoop, "relay-accept");
    }

    int port() {
        return listener.getLocalPort();
    }

    /** Connections accepted so far. */
    int accepted() {
        return accepted.get();
    }

    private void acceptLoop() {
        while (!listener.isClosed()) {
            try {
                Socket client = listener.accept();
                accepted.incrementAndGet();
                Socket backend = new Socket(InetAddress.getLoopbackAddress(), backendPort);
                sockets.add(client);
                sockets.add(backend);
                daemon(() -> pump(client, backend, 0), "relay-up");
                daemon(() -> pump(backend, client, delayMs), "relay-down");
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    private static void pump(Socket from, Socket to, long firstBytesDelayMs) {
        try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
            byte[] buffer = new byte[16384];
            boolean first = true;
            for (int n; (n = in.read(buffer)) >= 0; ) {
                if (first && firstBytesDelayMs > 0) {
                    TimeUnit.MILLISECONDS.sleep(firstBytesDelayMs); // the compute waking up, not a wait for state
                }
                first = false;
                out.write(buffer, 0, n);
                out.flush();
            }
        } catch (IOException | InterruptedException e) {
            // either side closed
        } finally {
            closeQuietly(from);
            closeQuietly(to);
        }
    }

    private static void daemon(Runnable task, String name) {
        Thread t = new Thread(task, name);
        t.setDaemon(true);
        t.start();
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // already closed
        }
    }

    @Override
    public void close() throws IOException {
        listener.close();
        sockets.forEach(DelayingRelay::closeQuietly);
    }
}
