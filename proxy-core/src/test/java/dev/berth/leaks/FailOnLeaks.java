package dev.berth.leaks;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.util.List;
import java.util.stream.Collectors;

/**
 * Fails a test class when Netty reported a leaked buffer by its end: after the class's own {@code @AfterAll}
 * methods (servers closed), it forces leak detection and fails with every leak's record. Registered for every
 * test class by JUnit's extension auto-detection (META-INF/services/org.junit.jupiter.api.extension.Extension
 * and junit.jupiter.extensions.autodetection.enabled=true in junit-platform.properties). A leak is found once
 * its buffer is garbage collected, so it may be reported after a later class than the one that leaked it;
 * the record's "Created at" trace says where the buffer came from.
 */
public final class FailOnLeaks implements BeforeAllCallback, AfterAllCallback {
    static {
        LeakRecorder.install(); // in case no launcher session listener ran (normally it has already)
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        LeakRecorder.current = context.getRequiredTestClass().getName();
    }

    @Override
    public void afterAll(ExtensionContext context) throws InterruptedException {
        String testClass = context.getRequiredTestClass().getName();
        List<LeakRecorder.Leak> leaks = collect();
        LeakRecorder.current = "after " + testClass;
        if (!leaks.isEmpty()) {
            throw failure(testClass, leaks);
        }
    }

    /** Forces leak detection, then removes and returns every recorded leak (so the next class starts clean). */
    static List<LeakRecorder.Leak> collect() throws InterruptedException {
        LeakRecorder.forceDetection();
        return LeakRecorder.clear(leak -> true);
    }

    static AssertionError failure(String testClass, List<LeakRecorder.Leak> leaks) {
        return new AssertionError(leaks.size() + " leaked Netty resource(s) reported by the end of " + testClass + ":\n"
                + leaks.stream().map(LeakRecorder.Leak::toString).collect(Collectors.joining("\n\n")));
    }
}
