package dev.berth.server;

import dev.berth.core.auth.AuthType;
import dev.berth.core.auth.KeyDerivation;
import org.junit.jupiter.api.Test;

import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What a login costs the event loop: no key derivation for unknown users, none on the loop at all. */
class AuthCostTest {
    private static final String REKEYED = "rekeyed"; // trusted by PostgreSQL: only Berth checks its password

    private static String withRekeyed(String password) {
        return RunningBerth.AUTH_FILE + "\"" + REKEYED + "\" \"" + password + "\"\n";
    }

    private static void selectOne(RunningBerth berth, String password) throws SQLException {
        try (Connection c = berth.connect(REKEYED, password, TestPostgres.APP_DB); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("select 1")) {
            assertTrue(rs.next());
        }
    }

    @Test
    void aPlaintextPasswordsScramKeysAreDerivedOncePerPasswordNotPerLoginNorPerReload() throws Exception {
        TestPostgres.execute("do $$ begin create role " + REKEYED + " login; exception when duplicate_object then null; end $$");
        Path users = TestPostgres.writeTemp("rekeyed-users", withRekeyed("first-pw"));
        try (RunningBerth berth = RunningBerth.start(b -> b.authFile(users))) {
            long before = KeyDerivation.count();
            for (int i = 0; i < 20; i++) {
                selectOne(berth, "first-pw");
            }
            assertEquals(1, KeyDerivation.count() - before, "20 SCRAM logins of one plaintext user derive its keys once");

            berth.server().reload(); // the same file again
            selectOne(berth, "first-pw");
            assertEquals(1, KeyDerivation.count() - before, "a reload that leaves the password alone derives nothing");

            Files.writeString(users, withRekeyed("second-pw"));
            berth.server().reload();
            for (int i = 0; i < 5; i++) {
                selectOne(berth, "second-pw");
            }
            assertEquals(2, KeyDerivation.count() - before, "a changed password is derived again, once");
            SQLException old = assertThrows(SQLException.class, () -> selectOne(berth, "first-pw"));
            assertEquals("28P01", old.getSQLState(), old.getMessage());
        }
    }

    @Test
    void aFloodOfUnknownUsersDerivesNoKeyAndDoesNotBlockAKnownClient() throws Exception {
        try (RunningBerth berth = RunningBerth.start(b -> b.workers(1));
             Connection known = berth.connectApp(); Statement s = known.createStatement()) {
            long before = KeyDerivation.count();
            ExecutorService flood = Executors.newFixedThreadPool(3);
            List<Future<Integer>> refused = new ArrayList<>();
            for (int t = 0; t < 3; t++) {
                int thread = t;
                refused.add(flood.submit(() -> {
                    int n = 0;
                    for (int i = 0; i < 60; i++) {
                        String user = "ghost" + thread + "_" + i;
                        SQLException e = assertThrows(SQLException.class, () -> berth.connect(user, "guess", TestPostgres.APP_DB));
                        assertEquals("28P01", e.getSQLState(), e.getMessage());
                        n++;
                    }
                    return n;
                }));
            }
            AtomicInteger queries = new AtomicInteger();
            AtomicBoolean floodDone = new AtomicBoolean();
            while (!floodDone.get()) {
                try (ResultSet rs = s.executeQuery("select 1")) {
                    rs.next();
                    queries.incrementAndGet();
                }
                floodDone.set(refused.stream().allMatch(Future::isDone));
            }
            int total = 0;
            for (Future<Integer> f : refused) {
                total += f.get(120, TimeUnit.SECONDS);
            }
            flood.shutdown();
            assertEquals(180, total);
            assertTrue(queries.get() > 0, "the known client ran queries during the flood");
            assertEquals(0, KeyDerivation.count() - before, "unknown users cost no key derivation");
        }
    }

    @Test
    void aCleartextLoginAgainstAScramSecretDerivesOffTheEventLoop() throws Exception {
        // a SCRAM secret with two million iterations: checking a password against it takes a second or more;
        // the login timeout is raised so that a loaded machine's slower check still ends in the wrong-password answer
        Base64.Encoder b64 = Base64.getEncoder();
        String key = b64.encodeToString(new byte[32]);
        String slow = "SCRAM-SHA-256$2000000:" + b64.encodeToString("slow-user-salt!!".getBytes(StandardCharsets.US_ASCII))
                + "$" + key + ":" + key;
        String file = "\"" + TestPostgres.MD5_USER + "\" \"" + TestPostgres.MD5_PASSWORD + "\"\n\"slowuser\" \"" + slow + "\"\n";
        try (RunningBerth berth = RunningBerth.start(b -> b.workers(1).authType(AuthType.PLAIN).clientLoginTimeoutMs(300_000)
                .authFile(TestPostgres.writeTemp("slow-users", file)));
             Connection other = berth.connect(TestPostgres.MD5_USER, TestPostgres.MD5_PASSWORD, TestPostgres.APP_DB);
             Statement s = other.createStatement();
             RawClient slowLogin = new RawClient(berth.port())) {
            slowLogin.startup(Map.of("user", "slowuser", "database", TestPostgres.APP_DB));
            RawClient.Message request = slowLogin.read();
            assertEquals('R', request.type());
            assertEquals(3, request.int32(0), "cleartext password requested");
            long before = KeyDerivation.count();
            slowLogin.message('p', RawClient.cstring("wrong"));
            RunningBerth.waitFor(() -> KeyDerivation.count() > before, "the password check started");
            // the only event loop is free meanwhile: another client's query is answered
            try (ResultSet rs = s.executeQuery("select 1")) {
                rs.next();
                assertEquals(1, rs.getInt(1));
            }
            slowLogin.setTimeout(50);
            assertThrows(SocketTimeoutException.class, slowLogin::read, "the slow check is still running");
            slowLogin.setTimeout(300_000);
            RawClient.Message answer = slowLogin.read();
            assertEquals('E', answer.type());
            assertEquals("28P01", answer.field('C'));
        }
    }
}
