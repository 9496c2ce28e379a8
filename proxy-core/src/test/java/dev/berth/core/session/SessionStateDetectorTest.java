package dev.berth.core.session;

import dev.berth.core.session.SessionStateDetector.Effect;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SessionStateDetectorTest {
    /** What PostgreSQL reports by ParameterStatus, lower-cased as the caller passes it. */
    private static final Set<String> REPORTED = Set.of("application_name", "client_encoding", "datestyle",
            "intervalstyle", "timezone", "standard_conforming_strings", "integer_datetimes", "server_version",
            "is_superuser", "session_authorization");

    private static Effect inspect(String sql) {
        return SessionStateDetector.inspect(sql, REPORTED);
    }

    private static String pin(String sql) {
        return inspect(sql).pinReason();
    }

    private static void assertNoEffect(String sql) {
        assertSame(Effect.NONE, inspect(sql), sql);
    }

    // ---- plain statements ----

    @ParameterizedTest
    @ValueSource(strings = {"SELECT 1", "", "   ", ";", "INSERT INTO t VALUES (1)", "BEGIN", "COMMIT",
            "SELECT * FROM listen_log", "SELECT setting FROM pg_settings", "UPDATE t SET x = 1",
            "CREATE TABLE t (x int)", "DECLARE c CURSOR FOR SELECT 1", "DECLARE c CURSOR WITHOUT HOLD FOR SELECT 1",
            "DISCARD PLANS", "SHOW search_path"})
    void ordinaryStatementsHaveNoEffect(String sql) {
        assertNoEffect(sql);
    }

    @Test
    void noEffectDoesNotPin() {
        assertFalse(Effect.NONE.pins());
        assertNull(Effect.NONE.pinReason());
        assertNull(Effect.NONE.berthStatement());
    }

    // ---- SET / RESET ----

    private static List<ParameterSync.Change> sets(String sql) {
        Effect e = inspect(sql);
        assertFalse(e.pins(), sql + " pins: " + e.pinReason());
        return e.sets();
    }

    private static List<ParameterSync.Change> set(String name, String value) {
        return List.of(new ParameterSync.Change(name, value));
    }

    @Test
    void setOfAnUnreportedParameterIsCarriedNotPinned() {
        assertEquals(set("search_path", "myschema"), sets("SET search_path = myschema"));
        assertEquals(set("statement_timeout", "5s"), sets("SET statement_timeout = '5s'"));
        assertEquals(set("statement_timeout", "5000"), sets("set Statement_Timeout TO 5000"));
        assertEquals(set("search_path", "myschema"), sets("SET SESSION search_path = myschema"));
        assertEquals(set("lock_timeout", "-1"), sets("SET lock_timeout = -1"));
        assertEquals(set("work_mem", "64MB"), sets("SET work_mem = '64MB'"));
        assertEquals(set("app.tenant_id", "5"), sets("SET app.tenant_id = 5"));
        assertEquals(set("myapp.user_id", "42"), sets("SET SESSION myapp.user_id TO '42'"));
        assertEquals(set("search_path", "myschema"), sets("SET \"search_path\" = x; SET search_path = myschema").subList(1, 2));
    }

    @Test
    void aListValueIsFlattenedAsPostgresqlStoresIt() {
        assertEquals(set("search_path", "a, \"B\", \"$user\", public"), sets("SET search_path = a, \"B\", '$user', public"));
        assertEquals(set("search_path", "\"My Schema\""), sets("SET search_path TO 'My Schema'"));
        assertEquals(set("search_path", "x"), sets("SET SCHEMA 'x'"));
        assertEquals(set("search_path", "\"A\""), sets("SET search_path = U&'\\0041'"));
        assertEquals(set("datestyle", "iso, dmy"), SessionStateDetector.inspect("SET datestyle = iso, dmy", Set.of()).sets());
    }

    @Test
    void setToDefaultAndResetGiveTheStartupValueBack() {
        assertEquals(set("search_path", null), sets("SET search_path TO DEFAULT"));
        assertEquals(set("search_path", null), sets("RESET search_path"));
        assertEquals(set("app.tenant", null), sets("RESET app.tenant"));
        assertEquals(set("all", null), sets("RESET ALL"));
        assertEquals(set("role", null), sets("RESET ROLE"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"SET search_path = E'\\x41'", "SET search_path = 1 + 2", "SET xml option document",
            "SET statement_timeout", "SET search_path = 'a' || 'b'"})
    void aSetWhoseValueBerthCannotReadPins(String sql) {
        assertEquals(PinReason.OTHER.bit(), inspect(sql).pinBits(), sql);
    }

    @Test
    void setLocalDoesNotPin() {
        assertNoEffect("SET LOCAL search_path = myschema");
        assertNoEffect("SET LOCAL statement_timeout = 1000");
    }

    @Test
    void setTransactionAndConstraintsDoNotPin() {
        assertNoEffect("SET TRANSACTION ISOLATION LEVEL SERIALIZABLE");
        assertNoEffect("SET CONSTRAINTS ALL DEFERRED");
    }

    @Test
    void setOfAReportedParameterDoesNotPin() {
        assertNoEffect("SET application_name = 'batch'");
        assertNoEffect("SET Application_Name TO 'batch'");
        assertNoEffect("SET SESSION DateStyle = 'ISO, DMY'");
    }

    @Test
    void setTimeZoneIsTheReportedTimezone() {
        assertNoEffect("SET TIME ZONE 'UTC'");
        assertNoEffect("SET SESSION TIME ZONE 'Europe/Paris'");
        assertNoEffect("SET timezone = 'UTC'");
    }

    @Test
    void setTimeZoneIsCarriedWhenTimezoneIsNotReported() {
        assertEquals(set("timezone", "UTC"), SessionStateDetector.inspect("SET TIME ZONE 'UTC'", Set.of()).sets());
    }

    @Test
    void reportedNamesAreOnlyThoseGiven() {
        assertEquals(set("application_name", "x"), SessionStateDetector.inspect("SET application_name = 'x'", Set.of()).sets());
    }

    @Test
    void setRoleIsCarried() {
        assertEquals(set("role", "admin"), sets("SET ROLE admin"));
        assertEquals(set("role", "Admin"), sets("SET SESSION ROLE \"Admin\""));
        assertEquals(set("role", "none"), sets("SET ROLE NONE"));
        assertEquals(set("role", "other"), sets("SELECT \"set_config\"('role', 'other', false)"));
    }

    @Test
    void sessionAuthorizationPins() {
        assertEquals(PinReason.SESSION_AUTHORIZATION.bit(), inspect("SET SESSION AUTHORIZATION bob").pinBits());
        assertEquals(PinReason.SESSION_AUTHORIZATION.bit(), inspect("SET session_authorization = 'bob'").pinBits());
        assertEquals(PinReason.SESSION_AUTHORIZATION.bit(), inspect("SET SESSION session_authorization TO bob").pinBits());
        assertEquals(PinReason.SESSION_AUTHORIZATION.bit(), inspect("SELECT set_config('session_authorization', 'bob', false)").pinBits());
        assertNull(pin("SET LOCAL session_authorization = 'bob'"), "ends with the transaction");
        assertEquals("SET SESSION CHARACTERISTICS", pin("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"RESET ALL", "RESET search_path", "DISCARD ALL", "DISCARD PLANS", "DISCARD SEQUENCES",
            "DISCARD TEMP", "UNLISTEN *", "CLOSE ALL", "DEALLOCATE ALL", "SELECT pg_advisory_unlock_all()",
            "SET SESSION AUTHORIZATION DEFAULT", "RESET SESSION AUTHORIZATION", "RESET ROLE",
            "SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL;"})
    void statementsThatClearStateNeverPin(String sql) {
        assertFalse(inspect(sql).pins(), sql);
    }

    @Test
    void statementsThatClearStateEndTheirPins() {
        assertEquals(PinReason.LISTEN.bit(), inspect("UNLISTEN *").clears());
        assertEquals(0, inspect("UNLISTEN ch").clears(), "another channel may still be listened to");
        assertEquals(PinReason.ADVISORY_LOCK.bit(), inspect("SELECT pg_advisory_unlock_all()").clears());
        assertEquals(PinReason.PREPARE.bit(), inspect("DEALLOCATE ALL").clears());
        assertEquals(PinReason.TEMP_TABLE.bit(), inspect("DISCARD TEMP").clears());
        assertEquals(PinReason.HOLD_CURSOR.bit(), inspect("CLOSE ALL").clears());
        assertEquals(PinReason.SESSION_AUTHORIZATION.bit(), inspect("SET SESSION AUTHORIZATION DEFAULT").clears());
        assertEquals(PinReason.DISCARD_ALL, inspect("DISCARD ALL").clears());
        assertEquals(0, inspect("DISCARD ALL").clears() & PinReason.LOAD.bit(), "a loaded library stays");
    }

    @Test
    void aPinAfterItsClearInOneTextStays() {
        Effect e = inspect("UNLISTEN *; LISTEN x");
        assertEquals(PinReason.LISTEN.bit(), e.pinBits());
        assertEquals(0, e.clears());
        Effect ended = inspect("LISTEN x; UNLISTEN *");
        assertEquals(PinReason.LISTEN.bit(), ended.clears());
    }

    @Test
    void resetOfAnUnreportedParameterDoesNotPin() {
        assertFalse(inspect("RESET search_path").pins());
        assertFalse(inspect("RESET ALL").pins());
        assertFalse(inspect("RESET ROLE").pins());
    }

    @Test
    void resetOfAReportedParameterDoesNotPin() {
        assertFalse(inspect("RESET application_name").pins());
        assertFalse(inspect("RESET TimeZone").pins());
    }

    @Test
    void resetTimeZoneIsTheReportedTimezone() {
        assertEquals(Set.of("timezone"), inspect("RESET TIME ZONE").resets());
    }

    @Test
    void resetsAreNamedInLowerCaseWhereverTheyAre() {
        assertEquals(Set.of("timezone", "datestyle"), inspect("SELECT 1; RESET TimeZone; SET x.y = 1; reset \"DateStyle\"").resets());
        assertEquals(Set.of("all"), inspect("RESET ALL").resets());
        assertEquals(Set.of("search_path"), inspect("RESET search_path").resets());
        assertNull(inspect("RESET SESSION AUTHORIZATION").resets());
        assertNull(inspect("SELECT 'RESET TimeZone'").resets());
    }

    // ---- other session state ----

    @Test
    void prepareStatementPins() {
        assertEquals("PREPARE", pin("PREPARE q AS SELECT 1"));
        assertEquals("PREPARE", pin("prepare q (int) as select $1"));
    }

    @Test
    void prepareTransactionDoesNotPin() {
        assertNoEffect("PREPARE TRANSACTION 'tx1'");
    }

    @Test
    void listenPins() {
        assertEquals("LISTEN", pin("LISTEN channel"));
        assertEquals("LISTEN", pin("listen \"Channel\""));
    }

    @Test
    void loadPins() {
        assertEquals("LOAD", pin("LOAD 'auto_explain'"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"CREATE TEMP TABLE t (x int)", "CREATE TEMPORARY TABLE t (x int)",
            "create temp view v as select 1", "CREATE LOCAL TEMPORARY TABLE t (x int)",
            "CREATE GLOBAL TEMP TABLE t (x int)", "CREATE OR REPLACE TEMP VIEW v AS SELECT 1",
            "CREATE TEMP SEQUENCE s"})
    void temporaryObjectsPin(String sql) {
        assertEquals("CREATE TEMP", pin(sql), sql);
    }

    @Test
    void selectIntoTempPins() {
        assertEquals("SELECT INTO TEMP", pin("SELECT x INTO TEMP t FROM y"));
        assertEquals("SELECT INTO TEMP", pin("SELECT * INTO TEMPORARY TABLE t FROM y"));
    }

    @Test
    void selectIntoAPermanentTableDoesNotPin() {
        assertNoEffect("SELECT x INTO t FROM y");
    }

    @Test
    void declareWithHoldPins() {
        assertEquals("DECLARE ... WITH HOLD", pin("DECLARE c CURSOR WITH HOLD FOR SELECT 1"));
        assertEquals("DECLARE ... WITH HOLD", pin("declare c binary no scroll cursor with hold for select 1"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"SELECT pg_advisory_lock(42)", "SELECT pg_advisory_lock_shared(1)",
            "SELECT pg_try_advisory_lock(1, 2)", "SELECT pg_try_advisory_lock_shared(1)",
            "select PG_ADVISORY_LOCK (1)", "SELECT pg_catalog.pg_advisory_lock(1)",
            "SELECT x FROM t WHERE pg_try_advisory_lock(t.id)"})
    void sessionAdvisoryLocksPin(String sql) {
        assertEquals("session advisory lock", pin(sql), sql);
    }

    @ParameterizedTest
    @ValueSource(strings = {"SELECT pg_advisory_xact_lock(42)", "SELECT pg_try_advisory_xact_lock(1)",
            "SELECT pg_advisory_xact_lock_shared(1)",
            "SELECT pg_advisory_lock FROM t"})
    void transactionAdvisoryLocksAndLookalikesDoNotPin(String sql) {
        assertNoEffect(sql);
    }

    @Test
    void aWholeSetConfigCallIsCarried() {
        assertEquals(set("search_path", "x"), sets("SELECT set_config('search_path', 'x', false)"));
        assertEquals(set("app.user", "1"), sets("SELECT pg_catalog.set_config('app.user', '1', false)"));
        assertEquals(set("app.user", "1"), sets("select set_config('app.user', '1', false) as v"));
        assertNoEffect("SELECT set_config('app.user', '1', true)");
    }

    @ParameterizedTest
    @ValueSource(strings = {"SELECT set_config($1, $2, false)", "SELECT set_config('a.b', x, false) FROM t",
            "SELECT set_config('a.b', '1', false), set_config('a.c', '2', false)", "SELECT 1 WHERE set_config('a.b', '1', false) = ''",
            "SELECT set_config('a.b', '1', $1)"})
    void aSetConfigBerthCannotFollowPins(String sql) {
        assertEquals(PinReason.OTHER.bit(), inspect(sql).pinBits(), sql);
    }

    // ---- spellings the lexer normalises (issue 11 item 3) ----

    @ParameterizedTest
    @ValueSource(strings = {"SELECT \"set_config\"('search_path','x',false)",
            "SELECT U&\"set_config\"('search_path','x',false)", "SELECT U&\"\\0073et_config\"('search_path','x',false)",
            "SELECT u&\"\\+000073et_config\"('search_path','x',false)",
            "SELECT U&\"!0073et_config\" UESCAPE '!' ('search_path','x',false)",
            "SELECT \"pg_catalog\".\"set_config\"('search_path','x',false)"})
    void quotedAndEscapedFunctionNamesAreSeen(String sql) {
        assertEquals(set("search_path", "x"), sets(sql), sql);
    }

    @ParameterizedTest
    @ValueSource(strings = {"SELECT \"pg_advisory_lock\"(4242)", "SELECT U&\"pg_advisory_\\006cock\"(1)",
            "SELECT \"pg_catalog\".pg_try_advisory_lock(1)"})
    void quotedAdvisoryLocksPin(String sql) {
        assertEquals(PinReason.ADVISORY_LOCK.bit(), inspect(sql).pinBits(), sql);
    }

    @Test
    void aQuotedNameInOtherCaseIsAnotherFunction() {
        assertNoEffect("SELECT \"SET_CONFIG\"('search_path','x',false)");
    }

    @ParameterizedTest
    @ValueSource(strings = {"CREATE TABLE pg_temp.t (x int)", "create table PG_TEMP.t (x int)",
            "CREATE TABLE \"pg_temp\".t (x int)", "CREATE TABLE pg_temp_3.t (x int)", "CREATE FUNCTION pg_temp.f() RETURNS int AS 'select 1' LANGUAGE sql",
            "SELECT 1 INTO pg_temp.t"})
    void pgTempIsTemporary(String sql) {
        assertEquals(PinReason.TEMP_TABLE.bit(), inspect(sql).pinBits(), sql);
    }

    @ParameterizedTest
    @ValueSource(strings = {"DO $$ BEGIN PERFORM set_config('search_path', 'x', false); END $$",
            "DO 'BEGIN EXECUTE ''SET search_path = x''; END'", "do language plpgsql $b$ begin null; end $b$"})
    void aDoBlockPins(String sql) {
        assertEquals(PinReason.DO_BLOCK.bit(), inspect(sql).pinBits(), sql);
        assertFalse(inspect(sql).withoutPins(PinReason.DO_BLOCK.bit()).pins(), "do_blocks = allow");
    }

    @Test
    void doInsideAStatementIsNoBlock() {
        assertFalse(inspect("INSERT INTO t VALUES (1) ON CONFLICT DO NOTHING").pins());
    }

    @Test
    void setConfigWithoutCallDoesNotPin() {
        assertNoEffect("SELECT set_config FROM t");
    }

    // ---- comments, literals, quotes ----

    @Test
    void lineCommentsAreSkipped() {
        assertNoEffect("-- SET search_path = x\nSELECT 1");
        assertNoEffect("SELECT 1 -- ; LISTEN x");
    }

    @Test
    void codeAfterALineCommentCounts() {
        assertEquals("LISTEN", pin("SELECT 1 -- comment\n; LISTEN x"));
    }

    @Test
    void blockCommentsAreSkipped() {
        assertNoEffect("/* LISTEN x; */ SELECT 1");
        assertNoEffect("SELECT /* pg_advisory_lock(1) */ 1");
    }

    @Test
    void nestedBlockCommentsAreSkippedWhole() {
        assertNoEffect("/* outer /* inner */ LISTEN x; */ SELECT 1");
        assertEquals("LISTEN", pin("/* outer /* inner */ still comment */ LISTEN x"));
    }

    @Test
    void unterminatedCommentSwallowsTheRest() {
        assertNoEffect("SELECT 1 /* LISTEN x");
    }

    @Test
    void stringLiteralsAreSkipped() {
        assertNoEffect("SELECT 'LISTEN x; SET search_path = y'");
        assertNoEffect("SELECT 'pg_advisory_lock(1)'");
    }

    @Test
    void doubledQuotesStayInsideTheLiteral() {
        assertNoEffect("SELECT 'it''s; LISTEN x'");
        assertEquals("LISTEN", pin("SELECT 'it''s'; LISTEN x"));
    }

    @Test
    void backslashEscapesOnlyInEscapeStrings() {
        assertNoEffect("SELECT E'\\'; LISTEN x'");
        assertNoEffect("SELECT e'\\\\\\'; LISTEN x'");
        // a standard string: the backslash is an ordinary character and the literal ends at the second quote
        assertEquals("LISTEN", pin("SELECT '\\'; LISTEN x"));
    }

    @Test
    void aWordEndingInEIsNotAnEscapePrefix() {
        assertEquals("LISTEN", pin("SELECT 1 WHERE 'a' LIKE'\\'; LISTEN x"));
        assertEquals("LISTEN", pin("SELECT CASE WHEN true THEN 'a' ELSE'\\' END; LISTEN x"));
    }

    @Test
    void dollarQuotedBodiesAreSkipped() {
        assertNoEffect("SELECT $$LISTEN x; SET search_path = y$$");
        assertNoEffect("SELECT $fn$ it's; LISTEN x $$ still $fn$");
        assertNoEffect("SELECT $a_1$ LISTEN x $a_1$");
    }

    @Test
    void codeAfterADollarQuoteCounts() {
        assertEquals("LISTEN", pin("SELECT $t$ body $t$; LISTEN x"));
    }

    @Test
    void positionalParametersAreNotDollarQuotes() {
        assertEquals("set_config()", pin("SELECT set_config($1, $2, false)"));
        assertEquals("LISTEN", pin("SELECT $1; LISTEN x"));
        assertEquals("LISTEN", pin("SELECT $1, $2; LISTEN x"));
    }

    @Test
    void quotedIdentifiersAreSkipped() {
        assertNoEffect("SELECT \"listen; set search_path = x\" FROM t");
        assertNoEffect("SELECT 1 AS \"set_config(\"");
        assertNoEffect("SELECT \"a\"\"b; LISTEN x\" FROM t");
    }

    @Test
    void aQuotedIdentifierIsNeverAKeyword() {
        assertNoEffect("CREATE TABLE \"temp\" (x int)");
        assertNoEffect("SELECT 1 INTO \"temp\"");
    }

    // ---- several statements ----

    @Test
    void everyStatementIsInspected() {
        assertEquals("LISTEN", pin("SELECT 1; LISTEN y"));
        assertEquals("LISTEN", pin("SET LOCAL search_path = x; LISTEN y"));
        assertEquals(set("search_path", "x"), sets("BEGIN; SET search_path = x; COMMIT"));
    }

    @Test
    void theFirstPinningStatementGivesTheReason() {
        assertEquals("LISTEN", pin("LISTEN a; PREPARE p AS SELECT 1"));
    }

    @Test
    void aSemicolonInsideAStringDoesNotSplit() {
        assertNoEffect("SELECT ';SET search_path = x'");
    }

    // ---- DISCARD ALL / DEALLOCATE ALL ----

    @Test
    void discardAllAndDeallocateAllNeitherPinNorRefer() {
        for (String sql : List.of("DISCARD ALL", "DEALLOCATE ALL", "deallocate prepare all")) {
            assertFalse(inspect(sql).pins(), sql);
            assertNull(inspect(sql).berthStatement(), sql);
        }
        assertEquals(Set.of("all"), inspect("DISCARD ALL").resets(), "the startup settings come back");
    }

    @Test
    void pinAfterDiscardAllInOneText() {
        assertEquals("LISTEN", inspect("DISCARD ALL; LISTEN x").pinReason());
    }

    // ---- SQL access to Berth's server-side statements ----

    @Test
    void sqlExecuteOrDeallocateOfABerthNameIsFound() {
        assertEquals("berth_3", inspect("EXECUTE BERTH_3").berthStatement(), "unquoted: as PostgreSQL folds it");
        assertEquals("BERTH_3", inspect("execute \"BERTH_3\"(1)").berthStatement());
        assertEquals("BERTH_7", inspect("DEALLOCATE PREPARE \"BERTH_7\"").berthStatement());
        assertNull(inspect("EXECUTE my_plan").berthStatement());
        assertEquals("my_plan", inspect("EXECUTE My_Plan(1)").statementName(), "any name, folded as PostgreSQL does");
        assertEquals("S_1", inspect("select 1; deallocate \"S_1\"").statementName());
        assertNull(inspect("DEALLOCATE ALL").statementName());
        Effect named = inspect("DEALLOCATE foo");
        assertEquals("foo", named.statementName());
        assertFalse(named.pins() || named.changesSession(), "naming a statement neither pins nor changes the session");
        assertNull(inspect("DEALLOCATE ALL").berthStatement());
    }

    // ---- the keyword check in front of the lexer ----

    @Test
    void keywordCheckNeverHidesAnEffectTheLexerFinds() {
        String[] pieces = {"set", "SET", "SeT", "reset", "prepare", "Listen", "load", "declare", "create", "execute",
                "deallocate", "pg_advisory_lock", "pg_try_advisory_lock_shared", "pg_catalog.", "set_config", "temp",
                "TEMPORARY", "into", "with", "hold", "local", "session", "role", "time", "zone", "berth_1", "\"berth_2\"",
                "select", "x", "1", "$1", "$$", "$q$", "'", "''", "E'", "\\", "\"", "--", "/*", "*/", "\n", " ", " ",
                ";", "(", ")", ",", ".", "=", "a$set", "_set", "set1", "\u0130", "\u212a", "é", "\"set_config\"", "U&\"",
                "u&'", "\\0073et_config", "UESCAPE", "'!'", "pg_temp", "pg_temp_2", "PG_TEMP.", "do", "DO", "discard", "all",
                "unlisten", "*", "close", "pg_advisory_unlock_all", "\"pg_advisory_lock\"", "false", "'x'", "authorization",
                "default", "\"pg_catalog\"."};
        java.util.Random random = new java.util.Random(20261127);
        int withEffect = 0;
        int skipped = 0;
        for (int n = 0; n < 50_000; n++) {
            StringBuilder sql = new StringBuilder();
            int length = 1 + random.nextInt(12);
            for (int i = 0; i < length; i++) {
                sql.append(pieces[random.nextInt(pieces.length)]);
                if (random.nextInt(3) > 0) {
                    sql.append(' ');
                }
            }
            String text = sql.toString();
            Effect full = inspect(text);
            io.netty.buffer.ByteBuf bytes = io.netty.buffer.Unpooled.copiedBuffer("x" + text, java.nio.charset.StandardCharsets.UTF_8);
            boolean checked = SessionStateDetector.mayHaveEffect(bytes, 1, bytes.writerIndex());
            if (full != Effect.NONE) {
                assertTrue(checked, text);
                withEffect++;
            } else if (!checked) {
                skipped++;
            }
        }
        assertTrue(withEffect > 1000, "the generated texts exercise effects: " + withEffect);
        assertTrue(skipped > 1000, "the check lets texts skip the lexer: " + skipped);
    }

    @Test
    void aKeywordRightAfterADollarQuoteIsSeen() {
        // found by fuzzing: the check read "q$$q$set_config" as one word; the lexer ends the string at the tag
        String sql = "select $q$$q$set_config('a', 'b', false)";
        assertTrue(inspect(sql).pins());
        io.netty.buffer.ByteBuf bytes = io.netty.buffer.Unpooled.copiedBuffer(sql, java.nio.charset.StandardCharsets.UTF_8);
        try {
            assertTrue(SessionStateDetector.mayHaveEffect(bytes, 0, bytes.writerIndex()));
        } finally {
            bytes.release();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"SELECT abalance FROM pgbench_accounts WHERE aid = 1", "BEGIN", "COMMIT",
            "INSERT INTO settings_log VALUES ($1)", "SELECT 'a' || reset_count FROM t"})
    void textsWithoutKeywordsSkipTheLexer(String sql) {
        io.netty.buffer.ByteBuf bytes = io.netty.buffer.Unpooled.copiedBuffer(sql, java.nio.charset.StandardCharsets.UTF_8);
        assertFalse(SessionStateDetector.mayHaveEffect(bytes, 0, bytes.writerIndex()), sql);
    }
}
