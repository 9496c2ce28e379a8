package dev.berth.core.session;

import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ParameterSyncTest {

    private static String setConfig(String name, String value) {
        return "pg_catalog.set_config(E'" + name + "', E'" + value + "', false)";
    }

    @Test
    void nothingToDoWhenEverythingMatches() {
        assertNull(ParameterSync.query(
                Map.of("TimeZone", "UTC", "application_name", "app"),
                Map.of("search_path", "s", "application_name", "app"),
                Map.of("TimeZone", "UTC", "application_name", "app"),
                Map.of("search_path", "s")));
    }

    @Test
    void nothingToDoWhenEverythingIsEmpty() {
        assertNull(ParameterSync.query(Map.of(), Map.of(), Map.of(), Map.of()));
    }

    @Test
    void aReportedParameterThatDiffersIsSet() {
        assertEquals("SELECT " + setConfig("TimeZone", "Europe/Paris") + ";",
                ParameterSync.query(Map.of("TimeZone", "Europe/Paris"), Map.of(), Map.of("TimeZone", "UTC"), Map.of()));
    }

    @Test
    void aReportedParameterTheServerDoesNotReportIsLeftAlone() {
        assertNull(ParameterSync.query(Map.of("some_new_param", "on"), Map.of(), Map.of(), Map.of()));
    }

    @Test
    void readOnlyParametersAreNeverSet() {
        assertNull(ParameterSync.query(
                Map.of("server_version", "16.1", "is_superuser", "on", "server_encoding", "UTF8",
                        "integer_datetimes", "on", "session_authorization", "alice", "in_hot_standby", "off"),
                Map.of(),
                Map.of("server_version", "15.4", "is_superuser", "off", "server_encoding", "SQL_ASCII",
                        "integer_datetimes", "off", "session_authorization", "bob", "in_hot_standby", "on"),
                Map.of()));
    }

    @Test
    void readOnlyParametersAreSkippedButOthersStillSet() {
        Map<String, String> client = new LinkedHashMap<>();
        client.put("server_version", "16.1");
        client.put("DateStyle", "ISO, DMY");
        assertEquals("SELECT " + setConfig("DateStyle", "ISO, DMY") + ";",
                ParameterSync.query(client, Map.of(), Map.of("server_version", "15.4", "DateStyle", "ISO, MDY"), Map.of()));
    }

    @Test
    void anUnreportedSettingIsSetWhenTheServerHasNotGotIt() {
        assertEquals("SELECT " + setConfig("search_path", "app") + ";",
                ParameterSync.query(Map.of(), Map.of("search_path", "app"), Map.of(), Map.of()));
    }

    @Test
    void anUnreportedSettingIsSetWhenTheServerHasAnotherValue() {
        assertEquals("SELECT " + setConfig("extra_float_digits", "3") + ";",
                ParameterSync.query(Map.of(), Map.of("extra_float_digits", "3"), Map.of(), Map.of("extra_float_digits", "2")));
    }

    @Test
    void anUnreportedSettingAlreadyAppliedIsNotSetAgain() {
        assertNull(ParameterSync.query(Map.of(), Map.of("extra_float_digits", "3"), Map.of(), Map.of("extra_float_digits", "3")));
    }

    @Test
    void aStartupSettingTheServerReportsIsLeftToTheReportedValues() {
        // application_name is reported: what counts is what the client last saw, not its startup value
        assertNull(ParameterSync.query(Map.of("application_name", "now"), Map.of("application_name", "startup"),
                Map.of("application_name", "now"), Map.of()));
    }

    @Test
    void anAppliedSettingTheClientHasNotGotIsReset() {
        assertEquals("RESET \"search_path\";",
                ParameterSync.query(Map.of(), Map.of(), Map.of(), Map.of("search_path", "other")));
    }

    @Test
    void resetQuotesTheName() {
        assertEquals("RESET \"my.\"\"odd\"\"\";",
                ParameterSync.query(Map.of(), Map.of(), Map.of(), Map.of("my.\"odd\"", "1")));
    }

    @Test
    void setsComeBeforeResetsInOneQuery() {
        Map<String, String> clientReported = new LinkedHashMap<>();
        clientReported.put("TimeZone", "UTC");
        clientReported.put("DateStyle", "ISO, DMY");
        Map<String, String> serverReported = new LinkedHashMap<>();
        serverReported.put("TimeZone", "Asia/Tokyo");
        serverReported.put("DateStyle", "ISO, MDY");
        assertEquals("SELECT " + setConfig("TimeZone", "UTC") + ", " + setConfig("DateStyle", "ISO, DMY") + ", "
                        + setConfig("search_path", "a") + ";RESET \"statement_timeout\";",
                ParameterSync.query(clientReported, Map.of("search_path", "a"), serverReported,
                        Map.of("statement_timeout", "5s")));
    }

    @Test
    void valuesWithQuotesAndBackslashesAreEscaped() {
        String sql = ParameterSync.query(Map.of("application_name", "it's a \\ test"), Map.of(),
                Map.of("application_name", "x"), Map.of());
        assertEquals("SELECT pg_catalog.set_config(E'application_name', E'it''s a \\\\ test', false);", sql);
    }

    @Test
    void namesAreEscapedToo() {
        String sql = ParameterSync.query(Map.of(), Map.of("my.o'dd", "v"), Map.of(), Map.of());
        assertTrue(sql.contains("set_config(E'my.o''dd', E'v', false)"), sql);
    }

    @Test
    void unreportedKeepsOnlyWhatTheServerDoesNotReport() {
        Map<String, String> settings = Map.of("search_path", "a", "application_name", "app", "extra_float_digits", "3");
        assertEquals(Map.of("search_path", "a", "extra_float_digits", "3"),
                ParameterSync.unreported(settings, Map.of("application_name", "x", "TimeZone", "UTC")));
    }

    @Test
    void unreportedOfNothingIsEmpty() {
        assertEquals(Map.of(), ParameterSync.unreported(Map.of(), Map.of("TimeZone", "UTC")));
    }

    @Test
    void applyingTheUnreportedSettingsMakesTheServerMatch() {
        Map<String, String> settings = Map.of("search_path", "a", "application_name", "app");
        Map<String, String> reported = Map.of("application_name", "app");
        assertNull(ParameterSync.query(reported, settings, reported, ParameterSync.unreported(settings, reported)));
    }
}
