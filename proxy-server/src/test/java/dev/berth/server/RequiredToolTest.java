package dev.berth.server;

import org.junit.jupiter.api.Test;
import org.opentest4j.AssertionFailedError;
import org.opentest4j.TestAbortedException;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A missing tool skips the test locally and fails it under CI=true, with a message naming tool and package. */
class RequiredToolTest {
    private static final String WHAT = "frobtool is not installed (Debian package frob)";

    @Test
    void presentToolGoesOn() {
        assertDoesNotThrow(() -> RequiredTool.require(true, WHAT, true));
        assertDoesNotThrow(() -> RequiredTool.require(true, WHAT, false));
    }

    @Test
    void missingToolSkipsLocally() {
        TestAbortedException e = assertThrows(TestAbortedException.class, () -> RequiredTool.require(false, WHAT, false));
        assertTrue(e.getMessage().contains(WHAT), e.getMessage());
    }

    @Test
    void missingToolFailsUnderCi() {
        AssertionFailedError e = assertThrows(AssertionFailedError.class, () -> RequiredTool.require(false, WHAT, true));
        assertTrue(e.getMessage().contains(WHAT) && e.getMessage().contains("CI=true"), e.getMessage());
    }

    @Test
    void pathLookup() {
        assertTrue(RequiredTool.onPath("sh"));
        assertFalse(RequiredTool.onPath("no-such-tool-berth-" + System.nanoTime()));
    }
}
