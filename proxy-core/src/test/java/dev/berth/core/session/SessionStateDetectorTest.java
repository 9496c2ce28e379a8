package dev.berth.core.session;

import dev.berth.core.session.SessionStateDetector.Effect;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

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
            "DEALLOCATE foo", "DISCARD PLANS", "SHOW search_path"})
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

    @Test
    void setOfAnUnreportedParameterPins() {
        Effect e = inspect("SET search_path = myschema");
        assertTrue(e.pins());
        assertEquals("SET search_path", e.pinReason());
    }

    @Test
    void setIsCaseInsensitive() {
        assertEquals("SET search_path", pin("set Search_Path TO myschema"));
    }

    @Test
    void setSessionOfAnUnreportedParameterPins() {
        assertEquals("SET search_path", pin("SET SESSION search_path = myschema"));
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
    void setTimeZonePinsWhenTimezoneIsNotReported() {
        assertEquals("SET timezone", SessionStateDetector.inspect("SET TIME ZONE 'UTC'", Set.of()).pinReason());
    }

    @Test
    void reportedNamesAreOnlyThoseGiven() {
        assertEquals("SET application_name", SessionStateDetector.inspect("SET application_name = 'x'", Set.of()).pinReason());
    }

    @Test
    void setRoleAndSessionAuthorizationPin() {
        assertEquals("SET ROLE", pin("SET ROLE admin"));
        assertEquals("SET SESSION ROLE", pin("SET SESSION ROLE admin"));
        assertEquals("SET SESSION AUTHORIZATION", pin("SET SESSION AUTHORIZATION bob"));
        assertEquals("SET SESSION CHARACTERISTICS", pin("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY"));
    }

    @Test
    void sessionAuthorizationPinsThoughItIsReported() {
        assertEquals("SET session_authorization", pin("SET session_authorization = 'bob'"));
        assertEquals("SET session_authorization", pin("SET SESSION session_authorization TO bob"));
        assertEquals("RESET session_authorization", pin("RESET session_authorization"));
        assertEquals("RESET session", pin("RESET SESSION AUTHORIZATION"));
        assertNull(pin("SET LOCAL session_authorization = 'bob'"), "ends with the transaction");
    }

    @Test
    void setRolePinsEvenIfRoleWereReported() {
        assertEquals("SET ROLE", SessionStateDetector.inspect("SET ROLE admin", Set.of("role")).pinReason());
    }

    @Test
    void customParameterPins() {
        assertTrue(inspect("SET app.tenant_id = 5").pins());
        assertTrue(inspect("SET SESSION myapp.user_id TO '42'").pins());
    }

    @Test
    void quotedParameterNameIsStillSeen() {
        assertEquals("SET search_path", pin("SET \"search_path\" = x"));
    }

    @Test
    void resetOfAnUnreportedParameterPins() {
        assertEquals("RESET search_path", pin("RESET search_path"));
        assertEquals("RESET all", pin("RESET ALL"));
        assertEquals("RESET role", pin("RESET ROLE"));
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
            "SELECT pg_advisory_xact_lock_shared(1)", "SELECT pg_advisory_unlock_all()",
            "SELECT pg_advisory_lock FROM t"})
    void transactionAdvisoryLocksAndLookalikesDoNotPin(String sql) {
        assertNoEffect(sql);
    }

    @Test
    void setConfigCallPins() {
        assertEquals("set_config()", pin("SELECT set_config('search_path', 'x', false)"));
        assertEquals("set_config()", pin("SELECT pg_catalog.set_config('app.user', '1', false)"));
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
        assertNoEffect("DO $$ BEGIN PERFORM pg_advisory_lock(1); END $$");
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
        assertEquals("SET search_path", pin("SELECT 1; SET search_path = x"));
        assertEquals("LISTEN", pin("SET LOCAL search_path = x; LISTEN y"));
        assertEquals("SET search_path", pin("BEGIN; SET search_path = x; COMMIT"));
    }

    @Test
    void theFirstPinningStatementGivesTheReason() {
        assertEquals("LISTEN", pin("LISTEN a; SET search_path = x"));
    }

    @Test
    void aSemicolonInsideAStringDoesNotSplit() {
        assertNoEffect("SELECT ';SET search_path = x'");
    }

    // ---- DISCARD ALL / DEALLOCATE ALL (followed from CommandComplete, not from the text) ----

    @Test
    void discardAllAndDeallocateAllNeitherPinNorRefer() {
        assertNoEffect("DISCARD ALL");
        assertNoEffect("DEALLOCATE ALL");
        assertNoEffect("deallocate prepare all");
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
        assertNull(inspect("DEALLOCATE ALL").berthStatement());
    }

    // ---- the keyword check in front of the lexer ----

    @Test
    void keywordCheckNeverHidesAnEffectTheLexerFinds() {
        String[] pieces = {"set", "SET", "SeT", "reset", "prepare", "Listen", "load", "declare", "create", "execute",
                "deallocate", "pg_advisory_lock", "pg_try_advisory_lock_shared", "pg_catalog.", "set_config", "temp",
                "TEMPORARY", "into", "with", "hold", "local", "session", "role", "time", "zone", "berth_1", "\"berth_2\"",
                "select", "x", "1", "$1", "$$", "$q$", "'", "''", "E'", "\\", "\"", "--", "/*", "*/", "\n", " ", " ",
                ";", "(", ")", ",", ".", "=", "a$set", "_set", "set1", "\u0130", "\u212a", "é"};
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

    @ParameterizedTest
    @ValueSource(strings = {"SELECT abalance FROM pgbench_accounts WHERE aid = 1", "BEGIN", "COMMIT",
            "INSERT INTO settings_log VALUES ($1)", "SELECT 'a' || reset_count FROM t"})
    void textsWithoutKeywordsSkipTheLexer(String sql) {
        io.netty.buffer.ByteBuf bytes = io.netty.buffer.Unpooled.copiedBuffer(sql, java.nio.charset.StandardCharsets.UTF_8);
        assertFalse(SessionStateDetector.mayHaveEffect(bytes, 0, bytes.writerIndex()), sql);
    }
}
