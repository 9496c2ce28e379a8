package dev.berth.core.session;

import dev.berth.core.protocol.ProtocolException;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StartupParametersTest {

    /** A startup map in the given order: name, value, name, value... */
    private static Map<String, String> startup(String... kv) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put(kv[i], kv[i + 1]);
        }
        return m;
    }

    private static Map<String, String> settings(String... kv) {
        return StartupParameters.from(startup(kv)).settings();
    }

    private static StartupParameters.UnsupportedStartupException rejected(String... kv) {
        return assertThrows(StartupParameters.UnsupportedStartupException.class, () -> StartupParameters.from(startup(kv)));
    }

    @Test
    void runTimeParametersAreKeptAndLoginKeysAreNot() {
        Map<String, String> s = settings("user", "u", "database", "d", "application_name", "psql",
                "extra_float_digits", "3", "replication", "false");
        assertEquals(startup("application_name", "psql", "extra_float_digits", "3"), s);
    }

    @Test
    void optionsAreParsed() {
        Map<String, String> s = settings("user", "u", "options", "-c search_path=a,b --work_mem=64MB");
        assertEquals(startup("search_path", "a,b", "work_mem", "64MB"), s);
        assertEquals(List.of("search_path", "work_mem"), List.copyOf(s.keySet()));
    }

    @Test
    void optionsInTheirOtherSpellings() {
        assertEquals(startup("statement_timeout", "5s", "lock_timeout", "1s"),
                settings("options", "  -cstatement_timeout=5s\t--lock-timeout=1s  "));
    }

    @Test
    void backslashEscapesTheNextCharacter() {
        assertEquals(startup("search_path", "my schema", "application_name", "a\\b"),
                settings("options", "-c search_path=my\\ schema -c application_name=a\\\\b"));
    }

    @Test
    void valueMayContainEqualsSigns() {
        assertEquals(startup("application_name", "a=b"), settings("options", "-c application_name=a=b"));
    }

    @Test
    void startupParametersOverrideOptions() {
        assertEquals(startup("search_path", "fromstartup"),
                settings("options", "-c search_path=fromoptions", "search_path", "fromstartup"));
    }

    @Test
    void unsupportedSwitchIsRejected() {
        StartupParameters.UnsupportedStartupException e = rejected("options", "-d 5");
        assertEquals("unsupported startup option \"-d\" in options; Berth accepts only -c name=value and --name=value", e.getMessage());
        assertInstanceOf(ProtocolException.class, e);
        rejected("options", "-c"); // -c without an assignment
        rejected("options", "--work_mem");
    }

    @Test
    void assignmentWithoutNameOrEqualsIsRejected() {
        assertEquals("invalid startup option \"work_mem\": expected name=value",
                rejected("options", "-c work_mem").getMessage());
        assertEquals("invalid startup option \"=x\": expected name=value", rejected("options", "-c =x").getMessage());
    }

    @Test
    void invalidParameterNamesAreRejected() {
        assertEquals("invalid startup parameter name \"bad;name\"", rejected("bad;name", "x").getMessage());
        rejected("options", "-c 1abc=x");
        rejected("", "x");
    }

    @Test
    void replicationConnectionsAreRejected() {
        for (String value : List.of("true", "on", "1", "yes", "database")) {
            StartupParameters.UnsupportedStartupException e = rejected("user", "u", "replication", value);
            assertTrue(e.getMessage().startsWith("replication connections are not supported"), e.getMessage());
        }
        for (String value : List.of("false", "OFF", "0")) {
            assertTrue(settings("user", "u", "replication", value).isEmpty(), value);
        }
    }
}
