package dev.berth.server;

import dev.berth.core.auth.AuthType;
import dev.berth.core.config.PoolMode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.EOFException;
import java.io.IOException;
import java.net.SocketException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What a client sees of its backend's own messages: a backend's FATAL once, notifications under the client's pid. */
class ServerMessagesTest {

    @ParameterizedTest
    @EnumSource(value = PoolMode.class, names = {"SESSION", "TRANSACTION"})
    void aTerminatedBackendsFatalReachesTheClientOnce(PoolMode mode) throws Exception {
        try (RunningBerth berth = RunningBerth.start(b -> b.authType(AuthType.TRUST).poolMode(mode));
             RawClient client = RawClient.login(berth.port(), TestPostgres.APP_USER, TestPostgres.APP_DB)) {
            // a transaction keeps the backend linked in transaction mode too
            client.query("begin; select pg_backend_pid()");
            int pid = Integer.parseInt(RawClient.firstColumns(client.readUntil('Z')).get(0));
            try (Connection su = TestPostgres.superuser(TestPostgres.APP_DB); Statement s = su.createStatement()) {
                s.execute("select pg_terminate_backend(" + pid + ")");
            }
            List<RawClient.Message> rest = readToEnd(client);
            List<String> errors = RawClient.errorCodes(rest);
            assertEquals(List.of("57P01"), errors, "PostgreSQL's own error, once: " + RawClient.types(rest));
        }
    }

    @Test
    void ownNotificationsCarryTheClientsProcessIdOthersKeepTheirs() throws Exception {
        try (RunningBerth berth = RunningBerth.start(b -> b.authType(AuthType.TRUST).poolMode(PoolMode.TRANSACTION));
             RawClient client = new RawClient(berth.port())) {
            client.startup(Map.of("user", TestPostgres.APP_USER, "database", TestPostgres.APP_DB));
            int clientPid = client.readUntil('Z').stream().filter(m -> m.type() == 'K').findFirst().orElseThrow().int32(0);
            client.query("listen berth_news");
            client.readUntil('Z');
            client.query("notify berth_news, 'mine'");
            List<RawClient.Message> own = client.readUntil('Z');
            RawClient.Message mine = own.stream().filter(m -> m.type() == 'A').findFirst().orElseThrow(
                    () -> new AssertionError("no notification: " + RawClient.types(own)));
            assertEquals(clientPid, mine.int32(0), "the client recognises its own notification");

            int otherPid;
            try (Connection other = berth.connectApp(); Statement s = other.createStatement()) {
                try (ResultSet rs = s.executeQuery("select pg_backend_pid()")) {
                    rs.next();
                    otherPid = rs.getInt(1);
                }
                s.execute("notify berth_news, 'theirs'");
            }
            client.query("select 1");
            List<RawClient.Message> next = client.readUntil('Z');
            RawClient.Message theirs = next.stream().filter(m -> m.type() == 'A').findFirst().orElseThrow(
                    () -> new AssertionError("no notification: " + RawClient.types(next)));
            assertTrue(theirs.text().contains("theirs"));
            assertEquals(otherPid, theirs.int32(0), "another session's notification keeps its process id");
            assertNotEquals(clientPid, theirs.int32(0));
        }
    }

    private static List<RawClient.Message> readToEnd(RawClient client) throws IOException {
        List<RawClient.Message> messages = new ArrayList<>();
        try {
            while (true) {
                messages.add(client.read());
            }
        } catch (EOFException | SocketException e) {
            return messages;
        }
    }
}
