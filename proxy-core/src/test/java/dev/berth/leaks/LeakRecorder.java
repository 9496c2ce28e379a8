package dev.berth.leaks;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.util.ResourceLeakDetector;
import io.netty.util.ResourceLeakDetectorFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Predicate;

/**
 * Makes Netty's leak reports something a test can fail on. Netty only logs a leaked buffer; this installs a
 * {@link ResourceLeakDetectorFactory} whose detectors also record every leak they report, still logging it.
 * {@link #install()} must run before the first buffer class creates its detector (a static final field of
 * {@code AbstractByteBuf}): {@link InstallLeakRecorder} does it when the JUnit launcher session opens, before
 * any test class loads, and {@link FailOnLeaks} fails each test class after which a leak was reported.
 */
public final class LeakRecorder {
    /** One reported leak: what leaked, Netty's record of where it was created and touched, and when it was seen. */
    public record Leak(String resourceType, String records, String thread, String detectedDuring) {
        @Override
        public String toString() {
            return "LEAK: " + resourceType + " (reported on thread " + thread + " during " + detectedDuring + ")"
                    + (records.isEmpty() ? " with no record (enable -Dio.netty.leakDetection.level=paranoid)" : ":" + records);
        }
    }

    /** Hint prefix of the buffers LeakRecorderTest leaks on purpose (recorded, but not logged). */
    public static final String DELIBERATE = "berth-deliberate-leak";

    private static final Queue<Leak> LEAKS = new ConcurrentLinkedQueue<>();
    private static final List<String> DETECTORS = new java.util.concurrent.CopyOnWriteArrayList<>();
    private static volatile boolean installed;
    /** The test class running now (set by {@link FailOnLeaks}), to say when a leak was detected. */
    static volatile String current = "test start-up";

    private LeakRecorder() {
    }

    /** Installs the recording factory (idempotent). */
    public static synchronized void install() {
        if (!installed) {
            ResourceLeakDetectorFactory.setResourceLeakDetectorFactory(new RecordingFactory());
            installed = true;
        }
    }

    /** The resource types whose detectors were created by the recording factory (e.g. io.netty.buffer.ByteBuf). */
    public static List<String> detectors() {
        return List.copyOf(DETECTORS);
    }

    /** The leaks reported so far and not yet cleared. */
    public static List<Leak> leaks() {
        return new ArrayList<>(LEAKS);
    }

    /** Removes and returns the recorded leaks that match. */
    public static List<Leak> clear(Predicate<Leak> which) {
        List<Leak> removed = new ArrayList<>();
        for (Leak leak : LEAKS) {
            if (which.test(leak) && LEAKS.remove(leak)) {
                removed.add(leak);
            }
        }
        return removed;
    }

    /**
     * Makes the buffer detector look for leaked buffers now: Netty checks for collected, unreleased buffers only
     * when it tracks a new one, so this collects garbage, gives the reference handler a moment to enqueue, and
     * allocates and releases buffers (enough to be sampled below the paranoid level too), a few times over.
     */
    public static void forceDetection() throws InterruptedException {
        for (int round = 0; round < 3; round++) {
            System.gc();
            Thread.sleep(20L * (round + 1));
            for (int i = 0; i < 200; i++) {
                release(PooledByteBufAllocator.DEFAULT.buffer(8));
                release(ByteBufAllocator.DEFAULT.buffer(8));
                release(Unpooled.buffer(8));
            }
        }
    }

    private static void release(ByteBuf buf) {
        buf.writeByte(1);
        buf.release();
    }

    private static void record(String resourceType, String records) {
        LEAKS.add(new Leak(resourceType, records, Thread.currentThread().getName(), current));
    }

    private static final class RecordingFactory extends ResourceLeakDetectorFactory {
        @Override
        @SuppressWarnings("deprecation")
        public <T> ResourceLeakDetector<T> newResourceLeakDetector(Class<T> resource, int samplingInterval, long maxActive) {
            return newResourceLeakDetector(resource, samplingInterval);
        }

        @Override
        public <T> ResourceLeakDetector<T> newResourceLeakDetector(Class<T> resource, int samplingInterval) {
            DETECTORS.add(resource.getName());
            return new RecordingDetector<>(resource, samplingInterval);
        }
    }

    private static final class RecordingDetector<T> extends ResourceLeakDetector<T> {
        RecordingDetector(Class<T> resource, int samplingInterval) {
            super(resource, samplingInterval);
        }

        /** Report (and so record) even if the logger has error logging off. */
        @Override
        protected boolean needReport() {
            return true;
        }

        @Override
        protected void reportTracedLeak(String resourceType, String records) {
            record(resourceType, records);
            if (!records.contains(DELIBERATE)) { // LeakRecorderTest's own leaks are recorded, not logged as errors
                super.reportTracedLeak(resourceType, records);
            }
        }

        @Override
        protected void reportUntracedLeak(String resourceType) {
            record(resourceType, "");
            super.reportUntracedLeak(resourceType);
        }
    }
}
