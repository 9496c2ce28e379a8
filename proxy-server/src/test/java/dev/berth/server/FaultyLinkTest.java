package dev.berth.server;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.BindException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.fail;

/** The relay the fault tests rely on keeps its word: after {@link FaultyLink#down()} no link is left open. */
class FaultyLinkTest {

    /**
     * Connections arriving while the relay goes down: each is refused or ends, none stays linked (the race of
     * the old OutageRelay: a connection accepted just before down() was linked after it had cut the others).
     */
    @Test
    void noConnectionAcceptedAroundDownSurvivesIt() throws Exception {
        List<Socket> held = new CopyOnWriteArrayList<>();
        try (ServerSocket backend = new ServerSocket(0, 200, InetAddress.getLoopbackAddress())) {
            Thread holder = new Thread(() -> {
                while (!backend.isClosed()) {
                    try {
                        held.add(backend.accept());
                    } catch (IOException e) {
                        return;
                    }
                }
            }, "faulty-link-test-backend");
            holder.setDaemon(true);
            holder.start();
            for (int round = 0; round < 50; round++) {
                List<Socket> clients = new CopyOnWriteArrayList<>();
                try (FaultyLink link = new FaultyLink(backend.getLocalPort())) {
                    Thread connecting = new Thread(() -> {
                        for (int i = 0; i < 20; i++) {
                            try {
                                clients.add(new Socket(InetAddress.getLoopbackAddress(), link.port()));
                            } catch (IOException refused) {
                                return; // down already
                            }
                        }
                    });
                    connecting.start();
                    while (clients.size() < round % 10) {
                        Thread.onSpinWait(); // vary the moment of down() among the arrivals
                    }
                    link.down();
                    connecting.join();
                    for (Socket c : clients) {
                        assertEnds(c, round);
                    }
                    RunningBerth.waitFor(() -> link.open() == 0, "no link registered after down()");
                }
            }
        } finally {
            for (Socket s : held) {
                s.close();
            }
        }
    }

    /**
     * While down, connections are refused and the port stays the relay's, so that up() can listen on it again.
     * Many rounds: a connect right after down() once reached the closing listener (its accept() still held it).
     */
    @Test
    void whileDownThePortIsRefusedButKept() throws Exception {
        try (ServerSocket backend = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
             FaultyLink link = new FaultyLink(backend.getLocalPort())) {
            for (int round = 0; round < 200; round++) {
                link.down();
                assertThrows(ConnectException.class, () -> new Socket(InetAddress.getLoopbackAddress(), link.port()).close(),
                        "round " + round + ": refused while down");
                try (Socket other = new Socket()) {
                    assertThrows(BindException.class, () -> other.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), link.port())),
                            "round " + round + ": no other socket can take the port while the relay is down");
                }
                link.up();
                try (Socket client = new Socket(InetAddress.getLoopbackAddress(), link.port()); Socket server = backend.accept()) {
                    client.getOutputStream().write(7);
                    assertEquals(7, server.getInputStream().read(), "round " + round + ": relayed again once up");
                }
            }
        }
    }

    private static void assertEnds(Socket c, int round) throws IOException {
        c.setSoTimeout(30_000);
        try (c) {
            // as Berth does (its startup packet): a connection the kernel dropped around the close without a reset
            // is only half-open, and what the client sends is then answered with a reset
            c.getOutputStream().write(0);
            assertEquals(-1, c.getInputStream().read(), "round " + round + ": no bytes come through a cut link");
        } catch (SocketTimeoutException e) {
            fail("round " + round + ": a connection accepted around down() is still linked 30 s later");
        } catch (IOException reset) {
            // reset: the link was cut
        }
    }
}
