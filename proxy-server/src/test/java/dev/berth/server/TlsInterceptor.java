package dev.berth.server;

import io.netty.handler.ssl.util.InsecureTrustManagerFactory;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A man in the middle between Berth and a TLS PostgreSQL, the attack SCRAM channel binding defeats: it
 * answers SSLRequest with 'S', ends TLS with a certificate of its own, opens its own TLS connection to the
 * server and relays the bytes between the two. Without channel binding a SCRAM login passes through it;
 * with it the server sees the hash of the interceptor's certificate, not its own, and refuses.
 */
final class TlsInterceptor implements AutoCloseable {
    private static final int SSL_REQUEST_CODE = 80877103;

    private final ServerSocket listener;
    private final SSLContext serverSide;
    private final SSLContext clientSide;
    private final int targetPort;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();

    TlsInterceptor(TestCertificates.Issued certificate, int targetPort) throws Exception {
        this.targetPort = targetPort;
        KeyStore keys = KeyStore.getInstance("PKCS12");
        keys.load(null, null);
        keys.setKeyEntry("mitm", certificate.keys().getPrivate(), new char[0], new Certificate[] {certificate.certificate()});
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(keys, new char[0]);
        serverSide = SSLContext.getInstance("TLS");
        serverSide.init(kmf.getKeyManagers(), null, null);
        clientSide = SSLContext.getInstance("TLS");
        clientSide.init(null, InsecureTrustManagerFactory.INSTANCE.getTrustManagers(), null);
        listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(this::accept, "tls-interceptor");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    int port() {
        return listener.getLocalPort();
    }

    private void accept() {
        try {
            while (true) {
                Socket plain = listener.accept();
                sockets.add(plain);
                Thread t = new Thread(() -> intercept(plain), "tls-interceptor-conn");
                t.setDaemon(true);
                t.start();
            }
        } catch (IOException closed) {
            // the test is over
        }
    }

    private void intercept(Socket plain) {
        try {
            DataInputStream in = new DataInputStream(plain.getInputStream());
            if (in.readInt() != 8 || in.readInt() != SSL_REQUEST_CODE) {
                plain.close();
                return;
            }
            plain.getOutputStream().write('S');
            plain.getOutputStream().flush();
            SSLSocket front = (SSLSocket) serverSide.getSocketFactory().createSocket(plain, in, true);
            front.startHandshake();
            Socket upstream = new Socket(InetAddress.getLoopbackAddress(), targetPort);
            sockets.add(upstream);
            DataInputStream upIn = new DataInputStream(upstream.getInputStream());
            OutputStream upOut = upstream.getOutputStream();
            upOut.write(new byte[] {0, 0, 0, 8, 4, (byte) 0xd2, 0x16, 0x2f}); // SSLRequest
            upOut.flush();
            if (upIn.readByte() != 'S') {
                front.close();
                return;
            }
            SSLSocket back = (SSLSocket) clientSide.getSocketFactory().createSocket(upstream, "localhost", targetPort, true);
            back.startHandshake();
            sockets.add(front);
            sockets.add(back);
            Thread up = new Thread(() -> pump(front, back), "tls-interceptor-up");
            up.setDaemon(true);
            up.start();
            pump(back, front);
        } catch (IOException e) {
            // a connection that ends ends
        }
    }

    private static void pump(Socket from, Socket to) {
        try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
            byte[] buf = new byte[8192];
            int n;
            while ((n = in.read(buf)) >= 0) {
                out.write(buf, 0, n);
                out.flush();
            }
        } catch (IOException e) {
            // either side closed
        } finally {
            try {
                to.close();
                from.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
    }

    @Override
    public void close() throws IOException {
        listener.close();
        for (Socket s : sockets) {
            s.close();
        }
    }
}
