package dev.berth.cli.verify;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** Reading Berth's exposition: the pool's series picked by label, and the wait p95 from bucket deltas. */
class BerthSnapshotTest {

    private static BerthSnapshot scrape(double fast, double slow, double total) {
        String text = String.join("\n",
                "# TYPE berth_pool_utilization_ratio gauge",
                "berth_pool_utilization_ratio{database=\"appdb\",user=\"app\"} 0.5",
                "berth_pool_utilization_ratio{database=\"other\",user=\"app\"} 0.9",
                "berth_pool_clients{database=\"appdb\",state=\"waiting\",user=\"app\"} 3",
                "berth_pool_max_server_connections{database=\"appdb\",user=\"app\"} 200",
                "berth_backend_connections 7",
                "berth_pool_acquire_wait_seconds_bucket{database=\"appdb\",le=\"0.001\",user=\"app\"} " + fast,
                "berth_pool_acquire_wait_seconds_bucket{database=\"appdb\",le=\"0.01\",user=\"app\"} " + slow,
                "berth_pool_acquire_wait_seconds_bucket{database=\"appdb\",le=\"+Inf\",user=\"app\"} " + total,
                "berth_pool_acquire_wait_seconds_bucket{database=\"other\",le=\"+Inf\",user=\"app\"} 1000", "");
        return BerthSnapshot.of(PromText.parse(text), "appdb", "app");
    }

    @Test
    void readsThePoolsSeriesOnly() {
        BerthSnapshot s = scrape(1, 2, 3);
        assertEquals(0.5, s.utilization());
        assertEquals(3, s.waiting());
        assertEquals(200, s.poolMax());
        assertEquals(7, s.backends());
    }

    @Test
    void waitP95InterpolatesWithinTheBucketOfTheIntervalsWaits() {
        BerthSnapshot before = scrape(100, 100, 100);
        // 100 waits since: 90 under 1 ms, 10 between 1 and 10 ms; rank 95 is half way into the second bucket
        BerthSnapshot after = scrape(190, 200, 200);
        assertEquals(5.5, after.waitP95MillisSince(before), 1e-9);
        assertEquals(100, after.acquisitionsSince(before));
        assertNull(before.waitP95MillisSince(before));
        // beyond the last finite bound only that bound is known
        assertEquals(10.0, scrape(0, 0, 10).waitP95MillisSince(scrape(0, 0, 0)), 1e-9);
    }
}
