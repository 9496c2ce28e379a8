package dev.berth.server;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A TCP relay between Berth and {@link TestPostgres}, for backend outages without stopping the one embedded
 * PostgreSQL every test shares: {@link #down()} cuts every link and refuses connections (the port is closed,
 * as when PostgreSQL is stopped), {@link #up()} accepts again on the same port, and {@link #severSilently()}
 * drops the links to PostgreSQL while Berth's side stays open and quiet until Berth next writes (a backend
 * that died without Berth hearing of it).
 */
final class OutageRelay implements AutoCloseable {
    private final int targetPort;
    private final int port;
    private final Set<Link> links = ConcurrentHashMap.newKeySet();
    private volatile ServerSocket listener;

    OutageRelay(int targetPort) {
        this.targetPort = targetPort;
        this.listener = listen(0);
        this.port = listener.getLocalPort();
    }

    int port() {
        return port;
    }

    /** PostgreSQL "stops": every link is cut, new connections are refused. */
    synchronized void down() throws IOException {
        listener.close();
        links.forEach(Link::cut);
    }

    /** PostgreSQL is back on the same port. */
    synchronized void up() {
        listener = listen(port);
    }

    /** Every link to PostgreSQL ends; Berth's side notices only when it sends something. */
    void severSilently() {
        links.forEach(Link::sever);
    }

    /** The links open now stop passing bytes either way, without closing (a network gone silent); new links work. */
    void stallExisting() {
        links.forEach(link -> link.stalled = true);
    }

    int links() {
        return links.size();
    }

    private ServerSocket listen(int onPort) {
        try {
            ServerSocket s = new ServerSocket();
            s.setReuseAddress(true);
            s.bind(new InetSocketAddress("127.0.0.1", onPort));
            thread("relay-accept", () -> accept(s));
            return s;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void accept(ServerSocket s) {
        while (!s.isClosed()) {
            try {
                Socket client = s.accept();
                Socket server = new Socket("127.0.0.1", targetPort);
                Link link = new Link(client, server);
                links.add(link);
                thread("relay-up", () -> link.pump(client, server, false));
                thread("relay-down", () -> link.pump(server, client, true));
            } catch (IOException e) {
                // closed: down() or close()
            }
        }
    }

    private static void thread(String name, Runnable r) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        t.start();
    }

    @Override
    public void close() throws IOException {
        down();
    }

    private final class Link {
        final Socket client;
        final Socket server;
        volatile boolean severed;
        volatile boolean stalled;

        Link(Socket client, Socket server) {
            this.client = client;
            this.server = server;
        }

        void pump(Socket from, Socket to, boolean fromServer) {
            byte[] buffer = new byte[16384];
            try (InputStream in = from.getInputStream()) {
                OutputStream out = to.getOutputStream();
                for (int n; (n = in.read(buffer)) >= 0; ) {
                    while (stalled && !to.isClosed()) {
                        Thread.sleep(10); // hold the bytes, as a silent network does
                    }
                    out.write(buffer, 0, n);
                    out.flush();
                }
            } catch (IOException e) {
                // a side closed
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (!(fromServer && severed)) {
                cut(); // a severed link stays open on Berth's side until Berth writes to it
            }
        }

        void sever() {
            severed = true;
            close(server);
        }

        void cut() {
            close(client);
            close(server);
            links.remove(this);
        }

        private void close(Socket s) {
            try {
                s.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
    }
}
