package dev.berth.server;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP relay on the loopback address to PostgreSQL that passes every connection through, except that it
 * holds a CancelRequest back until {@link #release()}: the test then decides when PostgreSQL signals the
 * backend. It counts the cancels it has received and those whose connection PostgreSQL then closed.
 * Threads per connection; for a handful of test connections.
 */
final class CancelHoldingRelay implements AutoCloseable {
    private static final int CANCEL_REQUEST_CODE = 80877102;

    private final ServerSocket listener;
    private final int backendPort;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private final CountDownLatch released = new CountDownLatch(1);
    private final AtomicInteger cancelsHeld = new AtomicInteger();
    private final AtomicInteger cancelsAnswered = new AtomicInteger();

    CancelHoldingRelay(int backendPort) throws IOException {
        this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        this.backendPort = backendPort;
        daemon(this::acceptLoop, "cancel-relay-accept");
    }

    int port() {
        return listener.getLocalPort();
    }

    /** CancelRequests received (and held until {@link #release()}). */
    int cancelsHeld() {
        return cancelsHeld.get();
    }

    /** CancelRequests passed on whose connection PostgreSQL has closed: it has signalled the backend. */
    int cancelsAnswered() {
        return cancelsAnswered.get();
    }

    /** Lets held cancel requests (and any later ones) through. */
    void release() {
        released.countDown();
    }

    private void acceptLoop() {
        while (!listener.isClosed()) {
            try {
                Socket client = listener.accept();
                sockets.add(client);
                daemon(() -> relay(client), "cancel-relay-conn");
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    private void relay(Socket client) {
        try {
            byte[] first = new byte[8];
            new DataInputStream(client.getInputStream()).readFully(first);
            boolean cancel = ByteBuffer.wrap(first).getInt(4) == CANCEL_REQUEST_CODE;
            if (cancel) {
                cancelsHeld.incrementAndGet();
                released.await();
            }
            Socket backend = new Socket(InetAddress.getLoopbackAddress(), backendPort);
            sockets.add(backend);
            backend.getOutputStream().write(first);
            daemon(() -> pump(client, backend), "cancel-relay-up");
            pump(backend, client);
            if (cancel) {
                cancelsAnswered.incrementAndGet(); // PostgreSQL closed the cancel connection
            }
        } catch (IOException | InterruptedException e) {
            closeQuietly(client);
        }
    }

    private static void pump(Socket from, Socket to) {
        try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
            byte[] buffer = new byte[16384];
            for (int n; (n = in.read(buffer)) >= 0; ) {
                out.write(buffer, 0, n);
                out.flush();
            }
        } catch (IOException e) {
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
        released.countDown();
        listener.close();
        sockets.forEach(CancelHoldingRelay::closeQuietly);
    }
}
