package dev.berth.server;

import dev.berth.core.auth.AuthType;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Random parameter values through parameter sync on one shared backend that the previous client left
 * in a hostile state (another client_encoding, backslash_quote on, standard_conforming_strings off):
 * the values arrive byte for byte and never run as SQL.
 */
class ParameterSyncPropertyTest {
    /** Client encodings PostgreSQL accepts, among them the ones whose second bytes can be a backslash. */
    private static final List<String> ENCODINGS = List.of("UTF8", "SJIS", "BIG5", "GBK", "UHC", "GB18030", "JOHAB",
            "EUC_JP", "EUC_KR", "LATIN1", "WIN1252", "WIN1251", "KOI8R", "SQL_ASCII");
    private static RunningBerth berth;

    @BeforeContainer
    static void start() {
        berth = RunningBerth.start(b -> b.backend(RunningBerth.appBackend()).authType(AuthType.TRUST).authFile(null)
                .poolMax(1));
    }

    @AfterContainer
    static void stop() {
        berth.close();
    }

    @Property(tries = 40)
    void valuesArriveByteForByteAndNeverRun(@ForAll("values") String value, @ForAll("encodings") String encoding)
            throws IOException {
        check(value, encoding);
    }

    /** The review's case: a UTF-8 second byte that SJIS reads as a lead byte swallows the escaping backslash. */
    @Example
    void aSjisLeadByteCannotEndTheLiteral() throws IOException {
        check("\u00c1\\'; create table berth_pwned(); --", "SJIS");
        check("caf\u00e9 \u30bd\u8868 '\\' $$ \"", "SJIS");
    }

    @Provide
    Arbitrary<String> values() {
        return Arbitraries.strings().withChars("ab'\\\";$-() \u00c1\u00e9\u00a5\u30bd\u8868\u80fd\u20ac\u00ff\ud55c")
                .ofMinLength(0).ofMaxLength(24)
                .edgeCases(e -> e.add("\u00c1\\'; create table berth_pwned(); --"));
    }

    @Provide
    Arbitrary<String> encodings() {
        return Arbitraries.of(ENCODINGS);
    }

    private static void check(String value, String encoding) throws IOException {
        Map<String, String> hostile = Map.of("client_encoding", encoding,
                "options", "-c backslash_quote=on -c standard_conforming_strings=off");
        try (ParameterIsolationTest.Client victim = connect(Map.of("client_encoding", "UTF8", "application_name", value,
                "berth_test.value", value))) {
            verify(victim, value);
            for (int round = 0; round < 2; round++) {
                try (ParameterIsolationTest.Client previous = connect(hostile)) {
                    previous.run("SET TimeZone = 'Asia/Tokyo'");
                }
                // the victim's next transaction brings the hostile backend in line with it
                verify(victim, value);
                victim.run("SET application_name = " + literal(value));
            }
        }
    }

    private static void verify(ParameterIsolationTest.Client victim, String value) throws IOException {
        List<RawClient.Message> rows = victim.run("select current_setting('berth_test.value'), current_setting('application_name'),"
                + " current_setting('client_encoding'), current_setting('search_path'), to_regclass('public.berth_pwned') is null");
        assertEquals(List.of(), RawClient.errorCodes(rows), rows.toString());
        List<String> columns = RawClient.columns(rows.stream().filter(m -> m.type() == 'D').findFirst().orElseThrow());
        assertArrayEquals(value.getBytes(StandardCharsets.UTF_8), columns.get(0).getBytes(StandardCharsets.UTF_8),
                "the startup setting arrives byte for byte: " + value);
        String clean = cleanAscii(value);
        if (clean.length() < NAMEDATALEN) {
            // a longer one PostgreSQL truncates when it is set again, its clean form being longer than the raw value
            assertEquals(clean, columns.get(1), "application_name as PostgreSQL cleans it");
        }
        assertEquals("UTF8", columns.get(2));
        assertEquals("\"$user\", public", columns.get(3));
        assertEquals("t", columns.get(4), "no SQL of the value ran");
    }

    private static ParameterIsolationTest.Client connect(Map<String, String> startup) throws IOException {
        return ParameterIsolationTest.Client.connect(berth.port(), startup);
    }

    /** A standard-conforming literal (the victim's own session has standard_conforming_strings on). */
    private static String literal(String value) {
        return "'" + value.replace("'", "''") + "'";
    }

    private static final int NAMEDATALEN = 64;

    /** What PostgreSQL keeps of an application_name: printable ASCII, every other byte as \xNN. */
    private static String cleanAscii(String value) {
        StringBuilder clean = new StringBuilder();
        for (byte b : value.getBytes(StandardCharsets.UTF_8)) {
            int u = b & 0xff;
            clean.append(u >= 32 && u <= 126 ? String.valueOf((char) u) : String.format("\\x%02x", u));
        }
        return clean.toString();
    }
}
