package dev.berth.server;

import dev.berth.server.RawClient.Message;
import dev.berth.server.client.ClientSession;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A raw-protocol client logged in to a trust Berth as postgres, with the process id Berth gave it: the key
 * to its {@link ClientSession}, for tests that must know which event loop a client runs on.
 */
record RawLogin(RawClient client, int processId) {

    static RawLogin of(RunningBerth berth) throws Exception {
        RawClient c = new RawClient(berth.port());
        c.startup(Map.of("user", "postgres", "database", "postgres"));
        int pid = 0;
        for (Message m : c.readUntil('Z')) {
            if (m.type() == 'K') {
                pid = m.int32(0);
            }
        }
        return new RawLogin(c, pid);
    }

    /** This client's session in {@code berth}. */
    ClientSession session(RunningBerth berth) {
        List<ClientSession> found = new ArrayList<>();
        berth.server().clients().forEach(s -> {
            if (s.processId() == processId) {
                found.add(s);
            }
        });
        assertEquals(1, found.size(), "one session with process id " + processId);
        return found.get(0);
    }
}
