package dev.berth.leaks;

import org.junit.platform.launcher.LauncherSession;
import org.junit.platform.launcher.LauncherSessionListener;

/**
 * Installs {@link LeakRecorder} when the JUnit launcher session opens, before any test class is loaded
 * (registered in META-INF/services/org.junit.platform.launcher.LauncherSessionListener).
 */
public final class InstallLeakRecorder implements LauncherSessionListener {
    @Override
    public void launcherSessionOpened(LauncherSession session) {
        LeakRecorder.install();
    }
}
