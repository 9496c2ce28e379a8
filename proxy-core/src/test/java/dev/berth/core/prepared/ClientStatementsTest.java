package dev.berth.core.prepared;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

class ClientStatementsTest {
    private final ClientStatements statements = new ClientStatements();
    private final StatementKey one = new StatementKey("select 1", new int[0]);
    private final StatementKey two = new StatementKey("select 2", new int[0]);

    @Test
    void unknownNameIsNull() {
        assertNull(statements.get("S_1"));
        assertEquals(0, statements.size());
    }

    @Test
    void putThenGet() {
        ClientStatements.Statement s = statements.put("S_1", one, "BERTH_1");
        assertSame(s, statements.get("S_1"));
        assertSame(one, s.key());
        assertEquals("BERTH_1", s.serverName());
        assertEquals(1, statements.size());
    }

    @Test
    void putReplacesAName() {
        statements.put("S_1", one, "BERTH_1");
        statements.put("S_1", two, "BERTH_2");
        assertEquals("BERTH_2", statements.get("S_1").serverName());
        assertEquals(1, statements.size());
    }

    @Test
    void remove() {
        statements.put("S_1", one, "BERTH_1");
        statements.remove("S_1");
        statements.remove("never");
        assertNull(statements.get("S_1"));
        assertEquals(0, statements.size());
    }

    @Test
    void renamePointsEveryStatementWithTheOldNameToTheNewOne() {
        statements.put("a", one, "BERTH_1");
        statements.put("b", one, "BERTH_1");
        statements.put("c", two, "BERTH_2");
        statements.rename("BERTH_1", "BERTH_9");
        assertEquals("BERTH_9", statements.get("a").serverName());
        assertEquals("BERTH_9", statements.get("b").serverName());
        assertEquals("BERTH_2", statements.get("c").serverName());
    }

    @Test
    void clear() {
        statements.put("a", one, "BERTH_1");
        statements.put("b", two, "BERTH_2");
        statements.clear();
        assertEquals(0, statements.size());
        assertNull(statements.get("a"));
    }
}
