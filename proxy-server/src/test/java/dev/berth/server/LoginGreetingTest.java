package dev.berth.server;

import dev.berth.core.auth.AuthType;
import dev.berth.core.config.PoolMode;
import dev.berth.server.RawClient.Message;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Transaction pooling completes a login without a server once the pool has greeted a login with the same
 * startup settings (pgbouncer's cached welcome message): a connection storm neither waits for the busy pool
 * nor takes servers from the clients that have work, and the client still sees exactly what a server showed,
 * and gets its own settings on the server its first query runs on.
 */
class LoginGreetingTest {

    @Test
    void aLoginLikeAnEarlierOneCompletesWhileEveryServerIsBusy() throws Exception {
        try (RunningBerth berth = berth()) {
            Map<String, String> startup = startup("greeted");
            RawClient first = new RawClient(berth.port());
            List<Message> firstGreeting = loginHoldingTheServer(first, startup);

            RawClient second = startLogin(berth, startup);
            List<Message> secondGreeting = second.readUntil('Z');
            assertEquals(parameters(firstGreeting), parameters(secondGreeting), "the same parameters as a server showed");
            berth.awaitPool("postgres", "postgres", p -> p.active() == 1 && p.waiting() == 0, "nobody waits: the login took no server");

            second.query("select current_setting('application_name')");
            berth.awaitPool("postgres", "postgres", p -> p.waiting() == 1, "its first query waits for the server");
            first.query("commit").readUntil('Z');
            List<Message> answer = second.readUntil('Z');
            assertEquals(List.of(), RawClient.errorCodes(answer));
            assertEquals(List.of("greeted"), RawClient.firstColumns(answer), "its own application_name on the server");
            first.close();
            second.close();
        }
    }

    @Test
    void aLoginWithOtherSettingsIsGreetedByAServer() throws Exception {
        try (RunningBerth berth = berth()) {
            RawClient first = new RawClient(berth.port());
            loginHoldingTheServer(first, startup("one"));

            RawClient other = startLogin(berth, withDateStyle(startup("two")));
            berth.awaitPool("postgres", "postgres", p -> p.waiting() == 1, "a login with new settings waits for a server");
            first.query("commit").readUntil('Z');
            List<Message> greeting = other.readUntil('Z');
            assertEquals(List.of(), RawClient.errorCodes(greeting));
            assertEquals("German, DMY", parameters(greeting).get("DateStyle"), "what the server reported for its DateStyle");
            assertEquals("two", parameters(greeting).get("application_name"));
            List<Message> answer = other.query("show DateStyle").readUntil('Z');
            assertEquals(List.of("German, DMY"), RawClient.firstColumns(answer));
            first.close();
            other.close();
        }
    }

    /** A client logged in without a server never sees what an earlier client set on the server it gets. */
    @Test
    void aGreetedClientGetsItsOwnSettingsNotThoseTheServerWasLeftWith() throws Exception {
        try (RunningBerth berth = berth()) {
            RawClient setter = new RawClient(berth.port());
            setter.startup(startup("same"));
            setter.readUntil('Z');
            assertEquals(List.of(), RawClient.errorCodes(setter.query("set application_name = 'changed'").readUntil('Z')));
            RawClient greeted = new RawClient(berth.port());
            greeted.startup(startup("same"));
            List<Message> greeting = greeted.readUntil('Z');
            assertEquals("same", parameters(greeting).get("application_name"));
            List<Message> answer = greeted.query("show application_name").readUntil('Z');
            assertEquals(List.of("same"), RawClient.firstColumns(answer));
            assertEquals(List.of("changed"), RawClient.firstColumns(setter.query("show application_name").readUntil('Z')));
            setter.close();
            greeted.close();
        }
    }

    /** Berth in transaction pooling with one server, trust logins. */
    private static RunningBerth berth() {
        return RunningBerth.start(b -> b.authType(AuthType.TRUST).authFile(null).poolMode(PoolMode.TRANSACTION).poolMax(1));
    }

    /** Logs {@code client} in and opens a transaction: the pool's one server is busy from then on. Returns the greeting. */
    private static List<Message> loginHoldingTheServer(RawClient client, Map<String, String> startup) throws Exception {
        client.startup(startup);
        List<Message> greeting = client.readUntil('Z');
        client.query("begin").readUntil('Z');
        return greeting;
    }

    /** A client that sent its startup packet and waits up to 30 s for each answer. */
    private static RawClient startLogin(RunningBerth berth, Map<String, String> startup) throws Exception {
        RawClient client = new RawClient(berth.port());
        client.setTimeout(30_000);
        client.startup(startup);
        return client;
    }

    private static Map<String, String> startup(String applicationName) {
        Map<String, String> startup = new LinkedHashMap<>();
        startup.put("user", "postgres");
        startup.put("database", "postgres");
        startup.put("application_name", applicationName);
        return startup;
    }

    private static Map<String, String> withDateStyle(Map<String, String> startup) {
        startup.put("DateStyle", "german");
        return startup;
    }

    /** The ParameterStatus messages of a greeting, by name. */
    private static Map<String, String> parameters(List<Message> greeting) {
        Map<String, String> found = new LinkedHashMap<>();
        List<String> errors = new ArrayList<>(RawClient.errorCodes(greeting));
        assertTrue(errors.isEmpty(), "logged in: " + errors);
        for (Message m : greeting) {
            if (m.type() == 'S') {
                String[] parts = new String(m.payload(), StandardCharsets.UTF_8).split("\0");
                found.put(parts[0], parts[1]);
            }
        }
        return found;
    }
}
