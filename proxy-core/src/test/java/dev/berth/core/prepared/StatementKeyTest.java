package dev.berth.core.prepared;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

class StatementKeyTest {

    @Test
    void sameTextAndTypesAreEqual() {
        StatementKey a = new StatementKey("select $1", new int[] {23});
        StatementKey b = new StatementKey(new String("select $1"), new int[] {23});
        assertEquals(a, b);
        assertEquals(a.hashCode(), b.hashCode());
    }

    @Test
    void parameterTypesArePartOfTheKey() {
        assertNotEquals(new StatementKey("select $1", new int[] {23}), new StatementKey("select $1", new int[] {25}));
        assertNotEquals(new StatementKey("select $1", new int[] {23}), new StatementKey("select $1", new int[0]));
        assertNotEquals(new StatementKey("select $1, $2", new int[] {23, 25}),
                new StatementKey("select $1, $2", new int[] {25, 23}));
    }

    @Test
    void differentTextsAreDifferent() {
        assertNotEquals(new StatementKey("select 1", new int[0]), new StatementKey("select 2", new int[0]));
        assertNotEquals(new StatementKey("select 1", new int[0]), new StatementKey("SELECT 1", new int[0]));
    }

    @Test
    void equalHashesAreNotEnough() {
        // "Aa" and "BB" have the same String.hashCode
        StatementKey a = new StatementKey("Aa", new int[0]);
        StatementKey b = new StatementKey("BB", new int[0]);
        assertEquals(a.hashCode(), b.hashCode());
        assertNotEquals(a, b);
    }

    @Test
    void notEqualToOtherTypesOrNull() {
        StatementKey a = new StatementKey("select 1", new int[0]);
        assertNotEquals(a, null);
        assertNotEquals(a, (Object) "select 1");
    }

    @Test
    void accessors() {
        StatementKey k = new StatementKey("select $1", new int[] {23});
        assertEquals("select $1", k.query());
        assertArrayEquals(new int[] {23}, k.parameterTypes());
    }

    @Test
    void sizeGrowsWithTextAndTypes() {
        assertEquals(64 + 2 * 8 + 4 * 2, new StatementKey("select 1", new int[] {23, 25}).sizeInBytes());
        assertEquals(64, new StatementKey("", new int[0]).sizeInBytes());
    }

    @Test
    void toStringShortensLongTexts() {
        assertEquals("select 1", new StatementKey("select 1", new int[0]).toString());
        String longText = "select " + "x".repeat(100);
        assertEquals(longText.substring(0, 60) + "...", new StatementKey(longText, new int[0]).toString());
    }
}
