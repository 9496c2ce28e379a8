package dev.berth.leaks;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The leak recorder sees a deliberately leaked buffer, from each allocator, with its record; the test then
 * clears that record so that {@link FailOnLeaks} does not fail this class for it.
 */
public class LeakRecorderTest {
    @Test
    public void leakedBuffersAreRecordedWithWhereTheyCameFrom() throws Exception {
        Unpooled.buffer(1).release(); // the first buffer creates the ByteBuf leak detector
        assertTrue(LeakRecorder.detectors().contains(ByteBuf.class.getName()),
                "the ByteBuf leak detector was made by the recording factory (installed too late?): " + LeakRecorder.detectors());
        for (ByteBufAllocator alloc : List.of(PooledByteBufAllocator.DEFAULT, ByteBufAllocator.DEFAULT, UnpooledByteBufAllocator.DEFAULT)) {
            String hint = LeakRecorder.DELIBERATE + "-" + UUID.randomUUID();
            leak(alloc, hint);
            List<LeakRecorder.Leak> mine = List.of();
            for (int attempt = 0; attempt < 20 && mine.isEmpty(); attempt++) {
                LeakRecorder.forceDetection();
                mine = LeakRecorder.clear(l -> l.records().contains(hint));
            }
            assertEquals(1, mine.size(), "the leak of a buffer from " + alloc + " was recorded once");
            LeakRecorder.Leak leak = mine.get(0);
            assertEquals("ByteBuf", leak.resourceType());
            assertTrue(leak.records().contains("leak(LeakRecorderTest.java") || leak.records().contains("LeakRecorderTest.leak"),
                    "the record says where the buffer was created: " + leak.records());
        }
        assertFalse(LeakRecorder.leaks().stream().anyMatch(l -> l.records().contains(LeakRecorder.DELIBERATE)));
    }

    @Test
    public void aLeakFailsTheTestClass() throws Exception {
        String hint = LeakRecorder.DELIBERATE + "-" + UUID.randomUUID();
        leak(ByteBufAllocator.DEFAULT, hint);
        List<LeakRecorder.Leak> leaks = List.of();
        for (int attempt = 0; attempt < 20 && leaks.stream().noneMatch(l -> l.records().contains(hint)); attempt++) {
            leaks = new java.util.ArrayList<>(leaks);
            leaks.addAll(FailOnLeaks.collect()); // what FailOnLeaks does after each class
        }
        assertTrue(leaks.stream().anyMatch(l -> l.records().contains(hint)), "the deliberate leak was collected: " + leaks);
        AssertionError failure = FailOnLeaks.failure("SomeTest", leaks);
        assertTrue(failure.getMessage().contains("leaked Netty resource(s) reported by the end of SomeTest")
                && failure.getMessage().contains(hint), failure.getMessage());
        // collect() took every recorded leak; any that is not this test's own still fails the class
        List<LeakRecorder.Leak> real = leaks.stream().filter(l -> !l.records().contains(LeakRecorder.DELIBERATE)).toList();
        if (!real.isEmpty()) {
            throw FailOnLeaks.failure(getClass().getName(), real);
        }
    }

    /** Allocates a buffer, writes to it, marks it with {@code hint} and drops it without releasing it. */
    private static void leak(ByteBufAllocator alloc, String hint) {
        ResourceLeakDetector.Level level = ResourceLeakDetector.getLevel();
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID); // tracked for certain, with records
        try {
            ByteBuf buf = alloc.buffer(16);
            buf.writeInt(42);
            buf.touch(hint);
        } finally {
            ResourceLeakDetector.setLevel(level);
        }
    }
}
