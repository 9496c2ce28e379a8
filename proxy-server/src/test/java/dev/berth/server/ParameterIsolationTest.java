package dev.berth.server;

import dev.berth.core.auth.AuthType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Transaction pooling on one shared backend per pool: what one client does to its parameters never
 * reaches another client, and a client's own parameters come back to it as PostgreSQL would give them.
 */
class ParameterIsolationTest {
    private static RunningBerth berth;

    @BeforeAll
    static void start() {
        berth = RunningBerth.start(b -> b.backend(RunningBerth.appBackend()).authType(AuthType.TRUST).authFile(null)
                .poolMax(1));
    }

    @AfterAll
    static void stop() {
        berth.close();
    }

    @Test
    void aNewClientStartsFromThePoolsInitialParametersNotFromTheLastClients() throws IOException {
        Map<String, String> fresh;
        try (Client first = Client.connect(Map.of())) {
            fresh = first.reported;
        }
        try (Client a = Client.connect(Map.of())) {
            a.run("SET TimeZone = 'Pacific/Chatham'; SET DateStyle = 'SQL, DMY'; SET application_name = 'tenant-A-secret';"
                    + " SET default_transaction_read_only = on; SET standard_conforming_strings = off");
            assertEquals("Pacific/Chatham", a.reported.get("TimeZone"));
        }
        awaitIdle();
        try (Client b = Client.connect(Map.of())) {
            for (String name : List.of("TimeZone", "DateStyle", "application_name", "default_transaction_read_only",
                    "standard_conforming_strings")) {
                assertEquals(fresh.get(name), b.reported.get(name), name + " in the greeting");
            }
            assertEquals("", b.one("select current_setting('application_name')"));
            assertEquals(fresh.get("TimeZone"), b.one("select current_setting('TimeZone')"));
            assertEquals("off", b.one("select current_setting('default_transaction_read_only')"));
            b.run("create table isolation_t1(x int); drop table isolation_t1");
        }
    }

    @Test
    void aChangedSessionAuthorizationPinsAndNeverReachesTheNextClient() throws IOException {
        // the superuser logs in to PostgreSQL as itself (trust), so it can change who its session runs as
        try (RunningBerth superuserBerth = RunningBerth.start(b -> b.authType(AuthType.TRUST).authFile(null).poolMax(1))) {
            Map<String, String> superuser = Map.of("user", "postgres");
            for (String change : List.of("SET session_authorization = 'app'", "SET SESSION AUTHORIZATION app",
                    "SELECT set_config('session_authorization', 'app', false)", "SET ROLE app")) {
                try (Client a = Client.connect(superuserBerth.port(), superuser)) {
                    assertEquals("postgres", a.one("select current_user"));
                    a.run(change);
                    assertEquals("app", a.one("select current_user"), change);
                }
                superuserBerth.awaitPool("postgres", TestPostgres.APP_DB, p -> p.active() == 0 && p.tested() == 0,
                        "the backend back in the pool");
                try (Client b = Client.connect(superuserBerth.port(), superuser)) {
                    assertEquals("postgres", b.reported.get("session_authorization"), change);
                    assertEquals("on", b.reported.get("is_superuser"), change);
                    assertEquals("postgres|postgres", b.one("select current_user || '|' || session_user"), change);
                }
            }
        }
    }

    @Test
    void startupNamesAndReportedNamesAreTheSameParameterWhateverTheirCase() throws IOException {
        Map<String, String> startup = Map.of("timezone", "America/Sao_Paulo", "datestyle", "German, DMY");
        try (Client a = Client.connect(startup)) {
            assertEquals("America/Sao_Paulo", a.reported.get("TimeZone"));
            assertEquals("German, DMY", a.reported.get("DateStyle"));
            a.run("SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'");
            try (Client other = Client.connect(Map.of("TimeZone", "Asia/Tokyo"))) {
                other.run("SET DateStyle = 'Postgres, MDY'");
                assertEquals("Asia/Tokyo", other.one("select current_setting('TimeZone')"));
            }
            assertEquals("UTC|ISO, YMD", a.one("select current_setting('TimeZone') || '|' || current_setting('DateStyle')"));
        }
    }

    @Test
    void resetGivesBackTheClientsStartupValue() throws IOException {
        String defaultDateStyle;
        try (Client fresh = Client.connect(Map.of())) {
            defaultDateStyle = fresh.reported.get("DateStyle");
        }
        Map<String, String> startup = Map.of("TimeZone", "America/Sao_Paulo", "options", "-c extra_float_digits=2");
        try (Client a = Client.connect(startup)) {
            // not the server's default (UTC here): the RESET changes it, and PostgreSQL would report the startup value
            a.run("SET TimeZone = 'Asia/Tokyo'");
            assertEquals(List.of("TimeZone=America/Sao_Paulo"), reports(a.run("RESET TimeZone")),
                    "one ParameterStatus, of the client's own value, as PostgreSQL sends it (not the server's default first)");
            assertEquals("America/Sao_Paulo", a.reported.get("TimeZone"), "the ParameterStatus the client saw last");
            assertEquals("America/Sao_Paulo", a.one("select current_setting('TimeZone')"));

            a.run("SET TimeZone = 'Asia/Tokyo'; SET DateStyle = 'SQL, DMY'; SET extra_float_digits = 3");
            assertEquals(List.of("DateStyle=" + defaultDateStyle, "TimeZone=America/Sao_Paulo"),
                    reports(a.run("RESET ALL")).stream().sorted().toList());
            assertEquals("America/Sao_Paulo", a.reported.get("TimeZone"));
            assertEquals("America/Sao_Paulo|" + defaultDateStyle + "|2", a.one("select current_setting('TimeZone') || '|'"
                    + " || current_setting('DateStyle') || '|' || current_setting('extra_float_digits')"));
        }
        awaitIdle();
        try (Client a = Client.connect(startup)) {
            a.run("SET TimeZone = 'Asia/Tokyo'");
            // the extended protocol, as pgjdbc sends it
            a.c.send(RawClient.batch().parse("", "RESET TimeZone").bind("", "").execute("").sync());
            assertEquals(List.of("TimeZone=America/Sao_Paulo"), reports(a.read()));
            assertEquals("America/Sao_Paulo", a.reported.get("TimeZone"));
            assertEquals("America/Sao_Paulo", a.one("select current_setting('TimeZone')"));
            // a RESET followed by a SET in the same text keeps the SET
            a.run("RESET TimeZone; SET TimeZone = 'Asia/Tokyo'");
            assertEquals("Asia/Tokyo", a.one("select current_setting('TimeZone')"));
            // a RESET that failed changed nothing
            List<RawClient.Message> failed = a.run("SET TimeZone = 'UTC'; RESET TimeZone; SELECT 1/0");
            assertEquals(List.of("22012"), RawClient.errorCodes(failed));
            assertEquals("Asia/Tokyo", a.one("select current_setting('TimeZone')"));
        }
        awaitIdle();
        try (Client other = Client.connect(Map.of())) {
            assertNotEquals("America/Sao_Paulo", other.one("select current_setting('TimeZone')"), "nothing left for the next client");
            assertEquals("1", other.one("select current_setting('extra_float_digits')"), "PostgreSQL's default");
        }
    }

    /** The ParameterStatus messages among {@code messages}, as name=value. */
    private static List<String> reports(List<RawClient.Message> messages) {
        return messages.stream().filter(m -> m.type() == 'S').map(m -> m.text().split("\0", -1))
                .map(nv -> nv[0] + "=" + nv[1]).toList();
    }

    private static void awaitIdle() {
        berth.awaitPool(p -> p.active() == 0 && p.tested() == 0, "the backend back in the pool");
    }

    /** A raw client of the app pool (or the given user's) with trust, following the ParameterStatus it gets. */
    static final class Client implements AutoCloseable {
        final RawClient c;
        final Map<String, String> reported = new LinkedHashMap<>();

        private Client(RawClient c) {
            this.c = c;
        }

        static Client connect(Map<String, String> startup) throws IOException {
            return connect(berth.port(), startup);
        }

        static Client connect(int port, Map<String, String> startup) throws IOException {
            Map<String, String> params = new LinkedHashMap<>();
            params.put("user", TestPostgres.APP_USER);
            params.put("database", TestPostgres.APP_DB);
            params.putAll(startup);
            Client client = new Client(new RawClient(port));
            client.c.startup(params);
            List<RawClient.Message> greeting = client.read();
            assertTrue(RawClient.errorCodes(greeting).isEmpty(), "login: " + greeting);
            return client;
        }

        List<RawClient.Message> run(String sql) throws IOException {
            c.query(sql);
            return read();
        }

        /** The first column of the first row; fails on an error. */
        String one(String sql) throws IOException {
            List<RawClient.Message> messages = run(sql);
            assertEquals(List.of(), RawClient.errorCodes(messages), sql + ": " + messages.stream()
                    .filter(m -> m.type() == 'E').map(m -> m.field('M')).toList());
            return RawClient.firstColumns(messages).get(0);
        }

        List<RawClient.Message> read() throws IOException {
            List<RawClient.Message> messages = c.readUntil('Z');
            for (RawClient.Message m : messages) {
                if (m.type() == 'S') {
                    List<String> nameValue = List.of(m.text().split("\0", -1));
                    reported.put(nameValue.get(0), nameValue.get(1));
                }
            }
            return messages;
        }

        @Override
        public void close() throws IOException {
            c.message('X', new byte[0]);
            c.close();
        }
    }
}
