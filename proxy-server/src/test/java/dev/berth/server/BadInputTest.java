package dev.berth.server;

import dev.berth.core.auth.AuthType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Each kind of bad input gets the right ErrorResponse (or a plain close where the protocol leaves no way
 * to answer) and disturbs nothing else: a client holding a server keeps working throughout.
 */
class BadInputTest {
    static RunningBerth berth;
    static Connection bystander;

    /** Short, so that the tests that run into it are fast; only those tests use a Berth with it (see loginTimeoutBerth). */
    static final int LOGIN_TIMEOUT_MS = 700;

    @BeforeAll
    static void start() throws SQLException {
        // the default login timeout (15 s): real logins here (SCRAM, a backend opened) never race it
        berth = RunningBerth.start(b -> b.maxMessageSize(64 * 1024));
        bystander = berth.connectApp();
    }

    @AfterAll
    static void stop() throws SQLException {
        bystander.close();
        berth.close();
    }

    @AfterEach
    void bystanderIsUndisturbed() throws SQLException {
        try (Statement s = bystander.createStatement(); ResultSet rs = s.executeQuery("select 'still here'")) {
            rs.next();
            assertEquals("still here", rs.getString(1));
        }
    }

    @Test
    void garbageBytesGetAProtocolViolation() throws Exception {
        try (RawClient c = new RawClient(berth.port())) {
            c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            RawClient.Message m = c.read();
            assertEquals('E', m.type());
            assertEquals("08P01", m.field('C'));
            assertTrue(m.field('M').contains("invalid startup packet length"), m.field('M'));
            assertTrue(c.closedByServer());
        }
    }

    @Test
    void messageLongerThanTheMaximumIsRefusedAfterLogin() throws Exception {
        try (RunningBerth trust = RunningBerth.start(b -> b.authType(AuthType.TRUST).maxMessageSize(64 * 1024));
             RawClient c = new RawClient(trust.port())) {
            c.startup(Map.of("user", "postgres", "database", "postgres"));
            c.readUntil('Z');
            ByteBuffer header = ByteBuffer.allocate(5).put((byte) 'Q').putInt(1_000_000);
            c.send(header.array());
            RawClient.Message m = c.read();
            assertEquals('E', m.type());
            assertEquals("08P01", m.field('C'));
            assertTrue(m.field('M').contains("above the maximum of 65536 bytes"), m.field('M'));
            assertTrue(c.closedByServer());
        }
    }

    @Test
    void malformedExtendedProtocolMessagesAreAProtocolViolation() throws Exception {
        // found by fuzzing PreparedStatementRelay: a Parse cut short leaked its buffer, a Bind without names
        // or a Parse missing its parameter types was an internal error (XX000) with a stack trace
        byte[] parseWithoutNul = {'P', 0, 0, 0, 7, 'S', '_', '1'};
        byte[] parseCutShort = ByteBuffer.allocate(1 + 4 + 4 + 9 + 2).put((byte) 'P').putInt(19)
                .put("S_1\0".getBytes(StandardCharsets.US_ASCII)).put("select 1\0".getBytes(StandardCharsets.US_ASCII))
                .putShort((short) 1).array(); // one parameter type announced, none sent
        byte[] bindWithoutNames = {'B', 0, 0, 0, 6, 'p', 'q'};
        try (RunningBerth trust = RunningBerth.start(b -> b.authType(AuthType.TRUST))) {
            for (boolean inTransaction : new boolean[] {false, true}) { // without a server, and holding one
                for (byte[] message : List.of(parseWithoutNul, parseCutShort, bindWithoutNames)) {
                    try (RawClient c = RawClient.login(trust.port(), "postgres", "postgres")) {
                        if (inTransaction) {
                            c.query("BEGIN");
                            c.readUntil('Z');
                        }
                        c.send(message);
                        RawClient.Message m = c.read();
                        assertEquals('E', m.type());
                        assertEquals("08P01", m.field('C'), m.field('M'));
                        assertTrue(m.field('M').startsWith("malformed message of type '" + (char) message[0]
                                + "' from the client"), m.field('M'));
                        assertTrue(c.closedByServer());
                    }
                }
            }
        }
    }

    @Test
    void negativeMessageLengthIsAProtocolViolation() throws Exception {
        try (RunningBerth trust = RunningBerth.start(b -> b.authType(AuthType.TRUST));
             RawClient c = new RawClient(trust.port())) {
            c.startup(Map.of("user", "postgres", "database", "postgres"));
            c.readUntil('Z');
            c.send(ByteBuffer.allocate(5).put((byte) 'Q').putInt(2).array());
            RawClient.Message m = c.read();
            assertEquals("08P01", m.field('C'));
            assertTrue(c.closedByServer());
        }
    }

    @Test
    void truncatedStartupPacketIsClosedQuietly() throws Exception {
        try (RawClient c = new RawClient(berth.port())) {
            c.send(ByteBuffer.allocate(12).putInt(60).putInt(196608).put("us".getBytes(StandardCharsets.US_ASCII)).array());
            c.shutdownOutput();
            assertTrue(c.closedByServer(), "the protocol gives no way to answer half a packet: the connection just closes");
        }
    }

    /** A Berth with the short login timeout, for clients that are meant to run into it (no client logs in to it). */
    private static RunningBerth loginTimeoutBerth() {
        return RunningBerth.start(b -> b.clientLoginTimeoutMs(LOGIN_TIMEOUT_MS));
    }

    @Test
    void truncatedStartupPacketThatStallsRunsIntoTheLoginTimeout() throws Exception {
        try (RunningBerth shortLogin = loginTimeoutBerth(); RawClient c = new RawClient(shortLogin.port())) {
            c.send(ByteBuffer.allocate(12).putInt(60).putInt(196608).put("us".getBytes(StandardCharsets.US_ASCII)).array());
            RawClient.Message m = c.read();
            assertEquals("08006", m.field('C'));
            assertTrue(m.field('M').contains("login not completed within 700 ms"), m.field('M'));
            assertTrue(c.closedByServer());
        }
    }

    @Test
    void clientThatSendsNothingIsDisconnectedAtTheLoginTimeout() throws Exception {
        try (RunningBerth shortLogin = loginTimeoutBerth()) {
            long start = System.nanoTime(); // before the connect: Berth's clock starts at its accept, after it
            try (RawClient c = new RawClient(shortLogin.port())) {
                RawClient.Message m = c.read();
                long ms = (System.nanoTime() - start) / 1_000_000;
                assertEquals('E', m.type());
                assertEquals("FATAL", m.field('S'));
                assertEquals("08006", m.field('C'));
                assertTrue(ms >= LOGIN_TIMEOUT_MS - 100 && ms < 8000, "after " + ms + " ms");
                assertTrue(c.closedByServer());
            }
        }
    }

    @Test
    void unknownProtocolVersionIsRefused() throws Exception {
        try (RawClient c = new RawClient(berth.port())) {
            c.startup(0x00020000, Map.of("user", "app"));
            RawClient.Message m = c.read();
            assertEquals('E', m.type());
            assertEquals("0A000", m.field('C'));
            assertTrue(m.field('M').contains("unsupported frontend protocol 2.0"), m.field('M'));
            assertTrue(c.closedByServer());
        }
    }

    @Test
    void newerMinorVersionIsNegotiatedDownTo30() throws Exception {
        try (RunningBerth trust = RunningBerth.start(b -> b.authType(AuthType.TRUST));
             RawClient c = new RawClient(trust.port())) {
            c.startup(0x00030002, Map.of("user", "postgres", "database", "postgres", "_pq_.unknown_option", "x"));
            RawClient.Message negotiate = c.read();
            assertEquals('v', negotiate.type());
            assertEquals(196608, negotiate.int32(0));
            assertEquals(1, negotiate.int32(4));
            List<RawClient.Message> rest = c.readUntil('Z');
            assertEquals('R', rest.get(0).type());
        }
    }

    @Test
    void sslAndGssRequestsAreAnsweredNoAndLoginContinues() throws Exception {
        try (RunningBerth trust = RunningBerth.start(b -> b.authType(AuthType.TRUST));
             RawClient c = new RawClient(trust.port())) {
            c.send(ByteBuffer.allocate(8).putInt(8).putInt(80877104).array());
            assertEquals('N', c.readByte());
            c.send(ByteBuffer.allocate(8).putInt(8).putInt(80877103).array());
            assertEquals('N', c.readByte());
            c.startup(Map.of("user", "postgres", "database", "postgres", "geqo", "off"));
            List<RawClient.Message> login = c.readUntil('Z');
            assertTrue(login.stream().anyMatch(m -> m.type() == 'S' && m.text().startsWith("server_version\0")));
            assertTrue(login.stream().anyMatch(m -> m.type() == 'K'));
            c.query("show geqo");
            List<RawClient.Message> result = c.readUntil('Z');
            assertTrue(result.stream().anyMatch(m -> m.type() == 'D' && m.text().contains("off")), "startup parameter applied");
        }
    }

    @Test
    void missingUserIsRefused() throws Exception {
        try (RawClient c = new RawClient(berth.port())) {
            c.startup(Map.of("database", "appdb"));
            RawClient.Message m = c.read();
            assertEquals("28000", m.field('C'));
        }
    }

    @Test
    void unsupportedStartupOptionIsRefusedClearly() throws Exception {
        try (RawClient c = new RawClient(berth.port())) {
            c.startup(Map.of("user", "app", "options", "-d 5"));
            RawClient.Message m = c.read();
            assertEquals("08P01", m.field('C'));
            assertTrue(m.field('M').contains("unsupported startup option"), m.field('M'));
        }
    }

    @Test
    void unknownUserAndWrongPasswordGetTheSameAnswer() {
        SQLException unknown = assertThrows(SQLException.class, () -> berth.connect("nobody", "x", "appdb"));
        SQLException wrong = assertThrows(SQLException.class, () -> berth.connect(TestPostgres.APP_USER, "wrong", "appdb"));
        assertEquals("28P01", unknown.getSQLState());
        assertEquals("28P01", wrong.getSQLState());
        assertTrue(wrong.getMessage().contains("password authentication failed for user \"app\""), wrong.getMessage());
        assertTrue(unknown.getMessage().contains("password authentication failed for user \"nobody\""), unknown.getMessage());
    }

    @Test
    void unknownDatabaseGets3D000FromPostgres() {
        SQLException e = assertThrows(SQLException.class,
                () -> berth.connect(TestPostgres.APP_USER, TestPostgres.APP_PASSWORD, "nosuchdb"));
        assertEquals("3D000", e.getSQLState());
        assertTrue(e.getMessage().contains("nosuchdb"), e.getMessage());
    }

    @Test
    void cancelRequestWithAWrongKeyIsIgnored() throws Exception {
        try (RawClient c = new RawClient(berth.port())) {
            c.send(ByteBuffer.allocate(16).putInt(16).putInt(80877102).putInt(12345).putInt(678).array());
            assertTrue(c.closedByServer());
        }
        assertFalse(bystander.isClosed());
    }
}
