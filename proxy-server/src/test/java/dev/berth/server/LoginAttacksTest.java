package dev.berth.server;

import com.ongres.scram.client.ScramClient;
import com.ongres.scram.common.StringPreparation;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.DataInputStream;
import java.io.IOException;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What an attacker would try at login, byte by byte: telling unknown users from wrong passwords, bad and
 * replayed SCRAM messages, skipping authentication, a huge startup packet, thousands of connections that
 * never log in. A logged-in client is checked after each.
 */
class LoginAttacksTest {
    private static RunningBerth berth;
    private static Connection bystander;

    @BeforeAll
    static void start() throws SQLException {
        berth = RunningBerth.start();
        bystander = berth.connectApp();
    }

    @AfterAll
    static void stop() throws SQLException {
        bystander.close();
        berth.close();
    }

    @AfterEach
    void bystanderIsUndisturbed() throws SQLException {
        assertSelectOne(bystander);
    }

    @Test
    void unknownUserAndWrongPasswordGoThroughTheSameExchangeToTheSameError() throws Exception {
        List<RawClient.Message> unknown = scramLogin("nobody", "guess");
        List<RawClient.Message> wrong = scramLogin(TestPostgres.APP_USER, "guess");
        assertEquals(RawClient.types(unknown), RawClient.types(wrong), "the same messages");
        assertEquals("RRE", RawClient.types(wrong));
        assertEquals(unknown.get(0).text(), wrong.get(0).text(), "the same SASL mechanisms");
        assertEquals(shape(unknown.get(1).text()), shape(wrong.get(1).text()), "a salt of the same length, the same iterations");
        RawClient.Message e1 = unknown.get(2);
        RawClient.Message e2 = wrong.get(2);
        for (char field : new char[] {'S', 'C'}) {
            assertEquals(e1.field(field), e2.field(field));
        }
        assertEquals("28P01", e2.field('C'));
        assertEquals(e1.field('M').replace("\"nobody\"", "\"app\""), e2.field('M'), "the same message but for the name");
    }

    @Test
    void aMalformedClientFinalIsAProtocolViolation() throws Exception {
        try (RawClient c = new RawClient(berth.port())) {
            serverFirst(c, TestPostgres.APP_USER, TestPostgres.APP_PASSWORD);
            c.message('p', "c=biws,r=not-the-nonce,p=AAAA".getBytes(StandardCharsets.US_ASCII));
            assertRefused(c, "08P01");
        }
        try (RawClient c = new RawClient(berth.port())) {
            serverFirst(c, TestPostgres.APP_USER, TestPostgres.APP_PASSWORD);
            c.message('p', new byte[] {1, 2, 3});
            assertRefused(c, "08P01");
        }
    }

    @Test
    void aClientFinalReplayedFromAnotherSessionIsRefused() throws Exception {
        String captured;
        try (RawClient c = new RawClient(berth.port())) {
            ScramClient scram = serverFirst(c, TestPostgres.APP_USER, TestPostgres.APP_PASSWORD);
            captured = scram.clientFinalMessage().toString();
            c.message('p', captured.getBytes(StandardCharsets.UTF_8));
            List<RawClient.Message> login = c.readUntil('Z');
            assertTrue(login.stream().anyMatch(m -> m.type() == 'R' && m.int32(0) == 0), "the genuine session logs in");
        }
        try (RawClient c = new RawClient(berth.port())) {
            serverFirst(c, TestPostgres.APP_USER, "whatever"); // a new server nonce
            c.message('p', captured.getBytes(StandardCharsets.UTF_8));
            assertRefused(c, "08P01");
        }
    }

    @Test
    void aClientThatSkipsAuthenticationIsRefused() throws Exception {
        try (RawClient c = new RawClient(berth.port())) {
            c.startup(Map.of("user", TestPostgres.APP_USER, "database", TestPostgres.APP_DB));
            c.query("select current_user"); // no password message at all
            List<RawClient.Message> answer = c.readUntil('E'); // the SASL request may come first
            assertTrue(answer.stream().noneMatch(m -> m.type() == 'R' && m.int32(0) == 0), "never AuthenticationOk");
            RawClient.Message m = answer.get(answer.size() - 1);
            assertEquals("08P01", m.field('C'));
            assertTrue(c.closedByServer());
        }
    }

    @Test
    void aHugeStartupPacketIsRefusedBeforeItIsBuffered() throws Exception {
        try (RawClient c = new RawClient(berth.port())) {
            byte[] user = RawClient.cstring("user");
            byte[] name = RawClient.cstring(TestPostgres.APP_USER);
            byte[] option = RawClient.cstring("application_name");
            byte[] value = RawClient.cstring("x".repeat(20_000)); // a real startup packet, twice PostgreSQL's limit
            int length = 8 + user.length + name.length + option.length + value.length + 1;
            c.send(ByteBuffer.allocate(length).putInt(length).putInt(196608).put(user).put(name).put(option).put(value)
                    .put((byte) 0).array());
            RawClient.Message m = c.read();
            assertEquals("08P01", m.field('C'));
            assertEquals("invalid startup packet length " + length, m.field('M'));
            assertTrue(c.closedByServer());
        }
        try (RawClient c = new RawClient(berth.port())) {
            c.send(ByteBuffer.allocate(12).putInt(64 * 1024 * 1024).putInt(196608).putInt(0).array()); // declares 64 MiB
            RawClient.Message m = c.read();
            assertEquals("08P01", m.field('C'));
            assertEquals("invalid startup packet length 67108864", m.field('M'));
            assertTrue(c.closedByServer());
        }
    }

    @Test
    void twoThousandConnectionsThatNeverLogInAreClosedAtTheLoginTimeoutWhileLoggedInClientsCarryOn() throws Exception {
        int count = 2_000;
        try (RunningBerth shortLogin = RunningBerth.start(b -> b.clientLoginTimeoutMs(3_000));
             Connection loggedIn = shortLogin.connectApp()) {
            List<Socket> silent = new ArrayList<>();
            try {
                for (int i = 0; i < count; i++) {
                    silent.add(new Socket("127.0.0.1", shortLogin.port())); // connects, sends nothing
                }
                assertSelectOne(loggedIn);
                try (Connection newcomer = shortLogin.connectApp()) {
                    assertSelectOne(newcomer);
                }
                RunningBerth.waitFor(() -> shortLogin.server().clientCount() == 1, "the silent connections closed");
                assertSelectOne(loggedIn);
                for (Socket s : silent) {
                    s.setSoTimeout(10_000);
                    DataInputStream in = new DataInputStream(s.getInputStream());
                    assertEquals('E', in.readUnsignedByte());
                    byte[] payload = new byte[in.readInt() - 4];
                    in.readFully(payload);
                    assertEquals("08006", new RawClient.Message('E', payload).field('C'));
                    assertEquals(-1, in.read(), "closed after the error");
                }
            } finally {
                for (Socket s : silent) {
                    s.close();
                }
            }
        }
    }

    // ---- helpers ----

    /** Startup, SASLInitialResponse with a client-first; returns the client with the server-first applied. */
    private ScramClient serverFirst(RawClient c, String user, String password) throws Exception {
        c.startup(Map.of("user", user, "database", TestPostgres.APP_DB));
        RawClient.Message sasl = c.read();
        assertEquals(10, sasl.int32(0), "AuthenticationSASL");
        ScramClient scram = ScramClient.builder().advertisedMechanisms(List.of("SCRAM-SHA-256")).username("*")
                .password(password.toCharArray()).stringPreparation(StringPreparation.POSTGRESQL_PREPARATION).build();
        byte[] first = scram.clientFirstMessage().toString().getBytes(StandardCharsets.UTF_8);
        byte[] mechanism = RawClient.cstring("SCRAM-SHA-256");
        c.message('p', ByteBuffer.allocate(mechanism.length + 4 + first.length).put(mechanism).putInt(first.length).put(first).array());
        RawClient.Message cont = c.read();
        assertEquals(11, cont.int32(0), "AuthenticationSASLContinue");
        scram.serverFirstMessage(new String(cont.payload(), 4, cont.payload().length - 4, StandardCharsets.UTF_8));
        return scram;
    }

    /** A whole SCRAM login; the messages Berth sent, up to its error or its ReadyForQuery. */
    private List<RawClient.Message> scramLogin(String user, String password) throws Exception {
        try (RawClient c = new RawClient(berth.port())) {
            List<RawClient.Message> messages = new ArrayList<>();
            c.startup(Map.of("user", user, "database", TestPostgres.APP_DB));
            messages.add(c.read());
            ScramClient scram = ScramClient.builder().advertisedMechanisms(List.of("SCRAM-SHA-256")).username("*")
                    .password(password.toCharArray()).stringPreparation(StringPreparation.POSTGRESQL_PREPARATION).build();
            byte[] first = scram.clientFirstMessage().toString().getBytes(StandardCharsets.UTF_8);
            byte[] mechanism = RawClient.cstring("SCRAM-SHA-256");
            c.message('p', ByteBuffer.allocate(mechanism.length + 4 + first.length).put(mechanism).putInt(first.length).put(first).array());
            RawClient.Message cont = c.read();
            messages.add(cont);
            scram.serverFirstMessage(new String(cont.payload(), 4, cont.payload().length - 4, StandardCharsets.UTF_8));
            c.message('p', scram.clientFinalMessage().toString().getBytes(StandardCharsets.UTF_8));
            messages.add(c.read());
            assertTrue(c.closedByServer());
            return messages;
        }
    }

    /** A server-first message with its nonce and salt replaced by their lengths. */
    private static String shape(String saslContinue) {
        StringBuilder shape = new StringBuilder();
        for (String part : saslContinue.substring(4).split(",")) {
            shape.append(part.startsWith("i=") ? part : part.charAt(0) + "=" + (part.length() - 2)).append(',');
        }
        return shape.toString();
    }

    private static void assertRefused(RawClient c, String sqlState) throws IOException {
        RawClient.Message m = c.read();
        assertEquals('E', m.type(), m.text());
        assertEquals(sqlState, m.field('C'), m.field('M'));
        assertTrue(c.closedByServer());
    }

    private static void assertSelectOne(Connection c) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("select 1")) {
            assertTrue(rs.next());
            assertEquals(1, rs.getInt(1));
        }
    }
}
