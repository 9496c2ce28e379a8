package dev.berth.server;

import dev.berth.leaks.LeakRecorderTest;

/**
 * proxy-core's leak recorder self-test, run in this module's test JVM: shows the recorder is installed here
 * too (through proxy-core's test-jar), so a leaked buffer fails a proxy-server test class.
 */
class LeakRecorderInServerTest extends LeakRecorderTest {
}
