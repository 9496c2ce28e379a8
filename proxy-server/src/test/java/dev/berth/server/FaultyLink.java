package dev.berth.server;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP relay on the loopback address between Berth and PostgreSQL that misbehaves on demand, as a network
 * or a restarting server does, without stopping the one embedded PostgreSQL every test shares: it cuts links
 * (RST both sides), takes PostgreSQL "down" (cuts every link and refuses connections: the port is closed, so
 * connects get ECONNREFUSED) and "up" again on the same port, severs links silently (the PostgreSQL side goes,
 * Berth's side stays quiet until Berth writes), stalls all links or only those open now (bytes stop, nothing
 * closes), slows them, delays a link's first bytes from the server (a compute waking up), and resets new
 * connections after their first bytes. Two threads per link: for the few dozen backend connections of a test.
 */
public final class FaultyLink implements AutoCloseable {
    private final int backendPort;
    private final int port;
    private final List<Link> links = new CopyOnWriteArrayList<>();
    private final AtomicInteger accepted = new AtomicInteger();
    private final Object gate = new Object();
    /** Guarded by this: replaced by {@link #refuse}; a link is registered only while its listener is open. */
    private ServerSocket listener;
    /** Guarded by this: while refusing, the port bound but not listening, so that no other socket takes it. */
    private Socket reservation;
    private volatile boolean stalled;
    private volatile long slowMs;
    private volatile long firstBytesDelayMs;
    private volatile boolean closed;
    private volatile boolean resetNew;

    public FaultyLink(int backendPort) throws IOException {
        this.backendPort = backendPort;
        this.listener = listen(0);
        this.port = listener.getLocalPort();
        startAccepting(listener);
    }

    /** A relay whose every link holds back the server's first bytes for {@code delayMs}. */
    public static FaultyLink delayingFirstBytes(int backendPort, long delayMs) throws IOException {
        FaultyLink link = new FaultyLink(backendPort);
        link.firstBytesDelayMs = delayMs;
        return link;
    }

    public int port() {
        return port;
    }

    /** Connections accepted so far. */
    public int accepted() {
        return accepted.get();
    }

    /** Links open now. */
    public int open() {
        return links.size();
    }

    /** Resets every open link on both sides (as a crashed server or a broken network); returns how many. */
    public int cutAll() {
        int n = 0;
        for (Link link : links) {
            link.cut();
            n++;
        }
        return n;
    }

    /** Resets one open link picked by {@code random}; false when none is open. */
    public boolean cutOne(Random random) {
        List<Link> now = List.copyOf(links);
        if (now.isEmpty()) {
            return false;
        }
        now.get(random.nextInt(now.size())).cut();
        return true;
    }

    /**
     * PostgreSQL "stops": new connections are refused and every link is cut. Atomic with respect to the
     * accepting thread: no link accepted before the call survives it.
     */
    public synchronized void down() throws IOException {
        refuse(true);
        cutAll();
    }

    /** PostgreSQL is back on the same port. */
    public void up() throws IOException {
        refuse(false);
    }

    /** Every link to PostgreSQL ends; Berth's side notices only when it sends something (then it is reset). */
    public void severSilently() {
        links.forEach(Link::sever);
    }

    /** Stops forwarding in both directions without closing anything (a silent network), or resumes. */
    public void stall(boolean on) {
        synchronized (gate) {
            stalled = on;
            gate.notifyAll();
        }
    }

    /** The links open now stop passing bytes either way, without closing; links made later work. */
    public void stallExisting() {
        links.forEach(link -> link.stalled = true);
    }

    /** Holds each chunk for {@code ms} before forwarding it (0: full speed). */
    public void slow(long ms) {
        slowMs = ms;
    }

    /**
     * Closes the listening port, so new connections are refused while open links carry on; {@code false}
     * listens again on the same port.
     */
    public synchronized void refuse(boolean on) throws IOException {
        if (on && !listener.isClosed()) {
            listener.close();
            reservation = reserve(port);
        } else if (!on && listener.isClosed() && !closed) {
            listener = listen(port); // beside the reservation: both reuse the address, and it does not listen
            startAccepting(listener);
            closeReservation();
        }
    }

    /**
     * Binds {@code port} without listening: connections to it are still refused (a SYN finds no listener), but
     * the port cannot become another socket's while the relay is down (an outgoing connection of another
     * process under load took it once, and {@link #up()} then failed with "Address already in use").
     * <p>
     * It also waits for the closed listener to stop listening: the accepting thread's accept() holds the socket
     * until the JDK's signal ends the call, so for a moment after close() the kernel still completes handshakes
     * (a connect right after down() once succeeded). The bind fails while any socket listens on the port.
     */
    private static Socket reserve(int port) throws IOException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (true) {
            Socket s = new Socket();
            try {
                s.setReuseAddress(true);
                s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
                return s;
            } catch (IOException e) {
                reset(s);
                if (System.nanoTime() > deadline) {
                    return null; // another socket took the port since the close: up() will say so
                }
            }
            try {
                TimeUnit.MILLISECONDS.sleep(1); // the accepting thread leaving accept()
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while closing the relay's port", e);
            }
        }
    }

    private void closeReservation() {
        if (reservation != null) {
            reset(reservation);
            reservation = null;
        }
    }

    /**
     * Accepts new connections, reads what they send first and then resets them (the connect and the first
     * write succeed, the read fails), or stops doing so.
     */
    public void resetNew(boolean on) {
        resetNew = on;
    }

    private static ServerSocket listen(int port) throws IOException {
        ServerSocket s = new ServerSocket();
        s.setReuseAddress(true);
        s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 200);
        return s;
    }

    private void startAccepting(ServerSocket socket) {
        daemon(() -> {
            while (!socket.isClosed()) {
                Socket client;
                try {
                    client = socket.accept();
                } catch (IOException e) {
                    return; // the listener closed
                }
                accepted.incrementAndGet();
                if (resetNew) {
                    daemon(() -> resetAfterFirstBytes(client), "faulty-link-reset");
                } else {
                    relay(socket, client);
                }
            }
        }, "faulty-link-accept");
    }

    /** Connects {@code client}, accepted on {@code socket}, to the server, unless the relay went down meanwhile. */
    private void relay(ServerSocket socket, Socket client) {
        Socket server;
        try {
            server = new Socket(InetAddress.getLoopbackAddress(), backendPort);
            client.setTcpNoDelay(true); // forward each chunk as it comes, as Berth and PostgreSQL do
            server.setTcpNoDelay(true);
        } catch (IOException e) {
            reset(client); // the server refused, or the client is gone already: so is the link
            return;
        }
        Link link = new Link(client, server);
        synchronized (this) {
            if (socket.isClosed()) { // down() or refuse() came between the accept and now: it would miss this link
                link.cut();
                return;
            }
            links.add(link);
        }
        daemon(() -> link.pump(client, server, 0, false), "faulty-link-up");
        daemon(() -> link.pump(server, client, firstBytesDelayMs, true), "faulty-link-down");
    }

    /** One relayed connection. */
    private final class Link {
        private final Socket client;
        private final Socket server;
        private final AtomicInteger pumpsDone = new AtomicInteger();
        volatile boolean stalled;
        private volatile boolean severed;
        private volatile boolean cut;

        Link(Socket client, Socket server) {
            this.client = client;
            this.server = server;
        }

        void pump(Socket from, Socket to, long firstDelayMs, boolean fromServer) {
            try {
                InputStream in = from.getInputStream();
                OutputStream out = to.getOutputStream();
                byte[] buffer = new byte[16384];
                boolean first = true;
                for (int n; (n = in.read(buffer)) >= 0; ) {
                    if (first && firstDelayMs > 0) {
                        TimeUnit.MILLISECONDS.sleep(firstDelayMs); // the compute waking up, not a wait for state
                    }
                    first = false;
                    awaitNotStalled(this);
                    long slow = slowMs;
                    if (slow > 0) {
                        TimeUnit.MILLISECONDS.sleep(slow); // the fault itself
                    }
                    out.write(buffer, 0, n);
                    out.flush();
                }
                to.shutdownOutput(); // pass the orderly close on
                if (pumpsDone.incrementAndGet() == 2) {
                    cut();
                }
            } catch (IOException | InterruptedException e) {
                if (!(fromServer && severed)) {
                    cut(); // one side reset or was cut: so is the other (a severed link waits for Berth to write)
                }
            }
        }

        void sever() {
            severed = true;
            reset(server);
        }

        void cut() {
            links.remove(this);
            reset(client);
            reset(server);
            synchronized (gate) {
                cut = true;
                gate.notifyAll(); // a pump held by a stall ends with its link
            }
        }
    }

    private static void resetAfterFirstBytes(Socket s) {
        try {
            s.getInputStream().read(new byte[16384]);
        } catch (IOException ignored) {
            // reset anyway
        }
        reset(s);
    }

    private void awaitNotStalled(Link link) throws InterruptedException, IOException {
        if (!stalled && !link.stalled) {
            return;
        }
        synchronized (gate) {
            while ((stalled || link.stalled) && !link.cut) {
                gate.wait();
            }
        }
        if (link.cut) {
            throw new IOException("cut while stalled");
        }
    }

    /** Closes with an RST rather than a FIN. */
    private static void reset(Socket s) {
        try {
            s.setSoLinger(true, 0);
        } catch (IOException ignored) {
            // already closed
        }
        try {
            s.close();
        } catch (IOException ignored) {
            // already closed
        }
    }

    private static void daemon(Runnable task, String name) {
        Thread t = new Thread(task, name);
        t.setDaemon(true);
        t.start();
    }

    @Override
    public synchronized void close() throws IOException {
        closed = true;
        stall(false);
        listener.close();
        closeReservation();
        cutAll();
    }
}
