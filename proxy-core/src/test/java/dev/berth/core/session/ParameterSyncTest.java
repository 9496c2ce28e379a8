package dev.berth.core.session;

import dev.berth.core.session.ParameterSync.Change;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;

class ParameterSyncTest {

    @Test
    void nothingToDoWhenEverythingMatches() {
        assertEquals(List.of(), ParameterSync.changes(
                Map.of("TimeZone", "UTC", "application_name", "app"),
                Map.of("search_path", "s", "application_name", "app"),
                Map.of("TimeZone", "UTC", "application_name", "app"),
                Map.of("search_path", "s")));
    }

    @Test
    void nothingToDoWhenEverythingIsEmpty() {
        assertEquals(List.of(), ParameterSync.changes(Map.of(), Map.of(), Map.of(), Map.of()));
    }

    @Test
    void aReportedParameterThatDiffersIsSet() {
        assertEquals(List.of(new Change("TimeZone", "Europe/Paris")),
                ParameterSync.changes(Map.of("TimeZone", "Europe/Paris"), Map.of(), Map.of("TimeZone", "UTC"), Map.of()));
    }

    @Test
    void aReportedParameterTheServerDoesNotReportIsLeftAlone() {
        assertEquals(List.of(), ParameterSync.changes(Map.of("some_new_param", "on"), Map.of(), Map.of(), Map.of()));
    }

    @Test
    void whatDescribesTheServerOrWhoTheSessionRunsAsIsNeverSet() {
        assertEquals(List.of(), ParameterSync.changes(
                Map.of("server_version", "16.1", "is_superuser", "on", "server_encoding", "UTF8",
                        "integer_datetimes", "on", "session_authorization", "alice", "in_hot_standby", "off"),
                Map.of(),
                Map.of("server_version", "15.4", "is_superuser", "off", "server_encoding", "SQL_ASCII",
                        "integer_datetimes", "off", "session_authorization", "bob", "in_hot_standby", "on"),
                Map.of()));
    }

    @Test
    void anUnreportedSettingIsSetWhenTheServerHasNotGotItOrHasAnotherValue() {
        assertEquals(List.of(new Change("search_path", "app")),
                ParameterSync.changes(Map.of(), Map.of("search_path", "app"), Map.of(), Map.of()));
        assertEquals(List.of(new Change("extra_float_digits", "3")),
                ParameterSync.changes(Map.of(), Map.of("extra_float_digits", "3"), Map.of(), Map.of("extra_float_digits", "2")));
        assertEquals(List.of(), ParameterSync.changes(Map.of(), Map.of("extra_float_digits", "3"), Map.of(),
                Map.of("extra_float_digits", "3")));
    }

    @Test
    void aStartupSettingTheServerReportsIsLeftToTheReportedValuesWhateverItsCase() {
        // what counts is what the client last saw, not its startup value; timezone is TimeZone
        assertEquals(List.of(), ParameterSync.changes(Map.of("TimeZone", "UTC"), Map.of("timezone", "Asia/Tokyo"),
                Map.of("TimeZone", "UTC"), Map.of()));
        assertEquals(List.of(), ParameterSync.changes(Map.of("TimeZone", "UTC"), Map.of("TIMEZONE", "Asia/Tokyo"),
                Map.of("timezone", "UTC"), Map.of()));
    }

    @Test
    void anAppliedSettingTheClientHasNotGotIsReset() {
        assertEquals(List.of(new Change("search_path", null)),
                ParameterSync.changes(Map.of(), Map.of(), Map.of(), Map.of("search_path", "other")));
        assertEquals(List.of(), ParameterSync.changes(Map.of(), Map.of("Search_Path", "other"), Map.of(),
                Map.of("search_path", "other")), "the same setting in another case");
    }

    @Test
    void setsComeBeforeResets() {
        Map<String, String> clientReported = new LinkedHashMap<>();
        clientReported.put("TimeZone", "UTC");
        clientReported.put("DateStyle", "ISO, DMY");
        Map<String, String> serverReported = new LinkedHashMap<>();
        serverReported.put("TimeZone", "Asia/Tokyo");
        serverReported.put("DateStyle", "ISO, MDY");
        assertEquals(List.of(new Change("TimeZone", "UTC"), new Change("DateStyle", "ISO, DMY"), new Change("search_path", "a"),
                        new Change("statement_timeout", null)),
                ParameterSync.changes(clientReported, Map.of("search_path", "a"), serverReported, Map.of("statement_timeout", "5s")));
    }

    @Test
    void unreportedKeepsOnlyWhatTheServerDoesNotReportByLowerCaseName() {
        Map<String, String> settings = Map.of("Search_Path", "a", "application_name", "app", "extra_float_digits", "3",
                "timezone", "UTC");
        assertEquals(Map.of("search_path", "a", "extra_float_digits", "3"),
                ParameterSync.unreported(settings, Map.of("application_name", "x", "TimeZone", "UTC")));
        assertEquals(Map.of(), ParameterSync.unreported(Map.of(), Map.of("TimeZone", "UTC")));
    }

    @Test
    void applyingTheUnreportedSettingsMakesTheServerMatch() {
        Map<String, String> settings = Map.of("search_path", "a", "application_name", "app");
        Map<String, String> reported = Map.of("application_name", "app");
        assertEquals(List.of(), ParameterSync.changes(reported, settings, reported, ParameterSync.unreported(settings, reported)));
    }

    @Test
    void theLoginViewIsTheInitialValuesWithTheStartupSettingsUnderTheReportedNames() {
        Map<String, String> initial = Map.of("TimeZone", "UTC", "DateStyle", "ISO, MDY", "application_name", "");
        assertEquals(Map.of("TimeZone", "Asia/Tokyo", "DateStyle", "ISO, MDY", "application_name", "app"),
                ParameterSync.loginView(initial, Map.of("timezone", "Asia/Tokyo", "application_name", "app", "search_path", "s")));
    }

    @Test
    void aResetGetsTheStartupSettingsOfItsNamesBack() {
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("TimeZone", "Asia/Tokyo");
        settings.put("extra_float_digits", "2");
        assertEquals(List.of(new Change("TimeZone", "Asia/Tokyo")), ParameterSync.restore(Set.of("timezone"), settings));
        assertEquals(List.of(new Change("TimeZone", "Asia/Tokyo"), new Change("extra_float_digits", "2")),
                ParameterSync.restore(Set.of("all"), settings));
        assertEquals(List.of(), ParameterSync.restore(Set.of("datestyle"), settings));
    }

    @Test
    void theViewIgnoresWhoTheSessionRunsAs() {
        ParameterView view = ParameterView.of(Map.of("session_authorization", "app", "TimeZone", "UTC"), Map.of());
        assertEquals(view, view.with("session_authorization", "postgres"));
        assertEquals(view, view.with("is_superuser", "on"));
        assertEquals("Asia/Tokyo", view.with("TimeZone", "Asia/Tokyo").reported().get("TimeZone"));
    }
}
