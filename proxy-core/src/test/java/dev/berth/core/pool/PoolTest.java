package dev.berth.core.pool;

import dev.berth.core.config.PoolMode;
import dev.berth.core.protocol.ErrorResponse;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PoolTest {
    private static final ErrorResponse REFUSED = ErrorResponse.fatal("08006", "connection refused");

    /** A server whose close ends in {@link Pool#removed}, as a real connection's close listener does. */
    static final class FakeServer implements PooledServer {
        final String name;
        final Pool<FakeServer> pool;
        boolean usable = true;
        long idleSince = -1;
        Object loop;
        ServerAge age;
        final List<String> checks = new ArrayList<>();
        final List<String> closeReasons = new ArrayList<>();

        FakeServer(String name, Pool<FakeServer> pool) {
            this.name = name;
            this.pool = pool;
        }

        @Override
        public boolean isUsable() {
            return usable && closeReasons.isEmpty();
        }

        @Override
        public void close(CloseReason reason, String detail) {
            closeReasons.add(reason.label() + (detail == null ? "" : ": " + detail));
            pool.removed(this);
        }

        @Override
        public long idleSinceNanos() {
            return idleSince;
        }

        @Override
        public void idleSinceNanos(long nanos) {
            idleSince = nanos;
        }

        @Override
        public Object affinity() {
            return loop;
        }

        @Override
        public ServerAge age() {
            return age;
        }

        @Override
        public void check(String query) {
            checks.add(query); // the test answers it: pool.release (alive) or close (dead)
        }

        @Override
        public String toString() {
            return name;
        }
    }

    /** Records open() calls; the test completes them with opened/openFailed. */
    static final class FakeOpener implements ServerOpener<FakeServer> {
        final List<Pool<FakeServer>> calls = new ArrayList<>();
        final List<Object> affinities = new ArrayList<>();

        @Override
        public void open(Pool<FakeServer> pool, Object affinity) {
            calls.add(pool);
            affinities.add(affinity);
        }

        int count() {
            return calls.size();
        }
    }

    final class RecordingWaiter implements Waiter<FakeServer> {
        final String name;
        FakeServer server;
        ErrorResponse error;
        Object loop;

        RecordingWaiter(String name) {
            this.name = name;
        }

        @Override
        public void granted(FakeServer s) {
            server = s;
            log.add(name + "<-" + s.name);
        }

        @Override
        public void failed(ErrorResponse e) {
            error = e;
            log.add(name + " failed");
        }

        @Override
        public Object affinity() {
            return loop;
        }
    }

    private final List<String> log = new ArrayList<>();
    private final FakeOpener opener = new FakeOpener();
    private long now;
    /** What the pools draw for the backoff's jitter: 1.0 gives the full delay. */
    private double jitter = 1.0;

    private static long ms(long millis) {
        return TimeUnit.MILLISECONDS.toNanos(millis);
    }

    private Pool<FakeServer> pool(int max, int min, BackendBudget budget) {
        return pool("db", "u", max, min, budget);
    }

    private Pool<FakeServer> pool(String db, String user, int max, int min, BackendBudget budget) {
        return pool(new PoolLimits(max, min, 1000), db, user, budget);
    }

    private Pool<FakeServer> pool(PoolLimits limits, String db, String user, BackendBudget budget) {
        return new Pool<>(new PoolRoute(new PoolKey(db, user), "127.0.0.1", 5432, PoolMode.TRANSACTION, limits),
                new ConnectionCaps(budget), opener, () -> now, () -> jitter);
    }

    private static FakeServer opened(Pool<FakeServer> pool, String name) {
        FakeServer s = new FakeServer(name, pool);
        pool.opened(s);
        return s;
    }

    private RecordingWaiter acquire(Pool<FakeServer> pool, String name) {
        RecordingWaiter w = new RecordingWaiter(name);
        pool.acquire(w);
        return w;
    }

    private static void assertStats(Pool<?> pool, int active, int idle, int opening, int waiting) {
        PoolStats s = pool.stats();
        assertEquals(List.of(active, idle, opening, waiting), List.of(s.active(), s.idle(), s.opening(), s.waiting()),
                "active, idle, opening, waiting");
    }

    @Test
    void idleServersAreReusedLastInFirstOut() {
        Pool<FakeServer> pool = pool(3, 0, new BackendBudget(10));
        RecordingWaiter w1 = acquire(pool, "w1"), w2 = acquire(pool, "w2"), w3 = acquire(pool, "w3");
        assertEquals(3, opener.count());
        FakeServer s1 = opened(pool, "s1"), s2 = opened(pool, "s2"), s3 = opened(pool, "s3");
        assertEquals(List.of("w1<-s1", "w2<-s2", "w3<-s3"), log);
        now = ms(1);
        pool.release(s1);
        now = ms(2);
        pool.release(s2);
        now = ms(3);
        pool.release(s3);
        assertEquals(ms(1), s1.idleSince);
        assertEquals(ms(3), s3.idleSince);
        assertStats(pool, 0, 3, 0, 0);

        assertSame(s3, acquire(pool, "w4").server);
        assertSame(s2, acquire(pool, "w5").server);
        assertSame(s1, acquire(pool, "w6").server);
        assertEquals(3, opener.count(), "no opening while idle servers exist");
        assertSame(s1, w1.server);
        assertSame(s2, w2.server);
        assertSame(s3, w3.server);
    }

    @Test
    void waitersAreServedFirstInFirstOut() {
        Pool<FakeServer> pool = pool(1, 0, new BackendBudget(10));
        acquire(pool, "w1");
        acquire(pool, "w2");
        acquire(pool, "w3");
        acquire(pool, "w4");
        assertEquals(1, opener.count());
        FakeServer s = opened(pool, "s");
        assertStats(pool, 1, 0, 0, 3);
        pool.release(s);
        assertStats(pool, 1, 0, 0, 2);
        pool.release(s);
        pool.release(s);
        assertEquals(List.of("w1<-s", "w2<-s", "w3<-s", "w4<-s"), log);
        assertEquals(-1, s.idleSince, "handed over directly, never idle");
        pool.release(s);
        assertStats(pool, 0, 1, 0, 0);
        assertEquals(1, opener.count());
    }

    @Test
    void neverOpensMoreThanMax() {
        Pool<FakeServer> pool = pool(2, 0, new BackendBudget(10));
        for (int i = 1; i <= 5; i++) {
            acquire(pool, "w" + i);
        }
        assertEquals(2, opener.count());
        assertStats(pool, 0, 0, 2, 5);
        FakeServer s1 = opened(pool, "s1");
        opened(pool, "s2");
        assertStats(pool, 2, 0, 0, 3);
        assertEquals(2, opener.count());
        pool.release(s1);
        assertEquals(List.of("w1<-s1", "w2<-s2", "w3<-s1"), log);
        assertEquals(2, opener.count());
        assertEquals(2, pool.stats().total());
    }

    @Test
    void opensOnlyForWaitersNotAlreadyCoveredByAnOpening() {
        Pool<FakeServer> pool = pool(10, 0, new BackendBudget(10));
        acquire(pool, "w1");
        assertEquals(1, opener.count());
        RecordingWaiter w2 = acquire(pool, "w2");
        assertEquals(2, opener.count());
        assertTrue(pool.cancelWait(w2));
        acquire(pool, "w3"); // 2 waiters, 2 openings
        assertEquals(2, opener.count());
        acquire(pool, "w4");
        assertEquals(3, opener.count());
        opened(pool, "s1"); // w1 served: 2 waiters, 2 openings
        assertEquals(3, opener.count());
        assertStats(pool, 1, 0, 2, 2);
    }

    @Test
    void releaseHandsTheServerToTheFirstWaiter() {
        Pool<FakeServer> pool = pool(1, 0, new BackendBudget(10));
        acquire(pool, "w1");
        FakeServer s = opened(pool, "s");
        RecordingWaiter w2 = acquire(pool, "w2");
        RecordingWaiter w3 = acquire(pool, "w3");
        pool.release(s);
        assertSame(s, w2.server);
        assertNull(w3.server);
        assertStats(pool, 1, 0, 0, 1);
    }

    @Test
    void cancelWaitRemovesAWaiterAndIsFalseOnceGranted() {
        Pool<FakeServer> pool = pool(2, 0, new BackendBudget(10));
        RecordingWaiter w1 = acquire(pool, "w1");
        assertTrue(pool.cancelWait(w1));
        assertFalse(pool.cancelWait(w1));
        FakeServer s = opened(pool, "s");
        assertNull(w1.server, "a withdrawn waiter is not granted");
        assertStats(pool, 0, 1, 0, 0);

        RecordingWaiter w2 = acquire(pool, "w2");
        assertSame(s, w2.server);
        assertFalse(pool.cancelWait(w2));
        assertEquals(List.of("w2<-s"), log);
    }

    @Test
    void openFailedWithNoLiveServerFailsEveryWaiter() {
        BackendBudget budget = new BackendBudget(10);
        Pool<FakeServer> pool = pool(2, 0, budget);
        RecordingWaiter w1 = acquire(pool, "w1"), w2 = acquire(pool, "w2"), w3 = acquire(pool, "w3");
        assertEquals(2, budget.used());
        ErrorResponse first = ErrorResponse.fatal("28P01", "password authentication failed for user \"u\"");
        pool.openFailed(first);
        assertTrue(log.isEmpty(), "another opening is still under way");
        pool.openFailed(REFUSED);
        assertEquals(List.of("w1 failed", "w2 failed", "w3 failed"), log);
        assertSame(REFUSED, w1.error);
        assertSame(REFUSED, w2.error);
        assertSame(REFUSED, w3.error);
        assertStats(pool, 0, 0, 0, 0);
        assertSame(REFUSED, pool.lastOpenError());
        assertTrue(pool.hasNoServer());
        assertEquals(0, budget.used());
    }

    @Test
    void openFailedWhileAServerLivesKeepsTheWaiters() {
        Pool<FakeServer> pool = pool(2, 0, new BackendBudget(10));
        acquire(pool, "w1");
        FakeServer s1 = opened(pool, "s1");
        RecordingWaiter w2 = acquire(pool, "w2");
        assertEquals(2, opener.count());
        pool.openFailed(REFUSED);
        assertNull(w2.error);
        assertStats(pool, 1, 0, 0, 1);
        assertSame(REFUSED, pool.lastOpenError());
        assertFalse(pool.hasNoServer());
        pool.release(s1);
        assertSame(s1, w2.server);
        opened(pool, "s2");
        assertNull(pool.lastOpenError(), "cleared by a successful open");
    }

    @Test
    void unusableReleasedServerIsClosedAndReplacedForTheNextWaiter() {
        BackendBudget budget = new BackendBudget(10);
        Pool<FakeServer> pool = pool(1, 0, budget);
        acquire(pool, "w1");
        FakeServer s1 = opened(pool, "s1");
        RecordingWaiter w2 = acquire(pool, "w2");
        s1.usable = false;
        pool.release(s1);
        assertEquals(List.of("dead: released in an unusable state"), s1.closeReasons);
        assertNull(w2.server);
        assertEquals(2, opener.count());
        assertStats(pool, 0, 0, 1, 1);
        assertEquals(1, budget.used());
    }

    @Test
    void releasingAServerTwiceIsIgnored() {
        Pool<FakeServer> pool = pool(1, 0, new BackendBudget(10));
        acquire(pool, "w1");
        FakeServer s = opened(pool, "s");
        now = ms(5);
        pool.release(s);
        now = ms(9);
        pool.release(s);
        assertEquals(ms(5), s.idleSince);
        assertStats(pool, 0, 1, 0, 0);
    }

    @Test
    void deadIdleServerIsSkippedAndClosed() {
        Pool<FakeServer> pool = pool(2, 0, new BackendBudget(10));
        acquire(pool, "w1");
        FakeServer s1 = opened(pool, "s1");
        pool.release(s1);
        s1.usable = false;
        RecordingWaiter w2 = acquire(pool, "w2");
        assertNull(w2.server);
        assertEquals(List.of("dead"), s1.closeReasons);
        assertEquals(2, opener.count());
        assertStats(pool, 0, 0, 1, 1);
    }

    @Test
    void deadIdleServerGivesBackItsBudgetSlot() {
        BackendBudget budget = new BackendBudget(2);
        Pool<FakeServer> pool = pool(2, 0, budget);
        acquire(pool, "w1");
        FakeServer s1 = opened(pool, "s1");
        pool.release(s1);
        s1.usable = false;
        acquire(pool, "w2");
        opened(pool, "s2");
        assertStats(pool, 1, 0, 0, 0);
        assertEquals(1, budget.used());
    }

    @Test
    void budgetCapsTheTotalAcrossPools() {
        BackendBudget budget = new BackendBudget(2);
        Pool<FakeServer> a = pool("db", "a", 5, 0, budget);
        Pool<FakeServer> b = pool("db", "b", 5, 0, budget);
        acquire(a, "a1");
        acquire(a, "a2");
        acquire(a, "a3");
        acquire(b, "b1");
        assertEquals(2, opener.count());
        assertEquals(List.of(a, a), opener.calls);
        assertEquals(2, budget.used());
        assertStats(a, 0, 0, 2, 3);
        assertStats(b, 0, 0, 0, 1);
    }

    @Test
    void starvedPoolGetsItsServerWhenAnotherPoolsServerIsRemoved() {
        BackendBudget budget = new BackendBudget(1);
        Pool<FakeServer> a = pool("db", "a", 5, 0, budget);
        Pool<FakeServer> b = pool("db", "b", 5, 0, budget);
        acquire(a, "a1");
        FakeServer sa = opened(a, "sa");
        RecordingWaiter b1 = acquire(b, "b1");
        assertEquals(List.of(a), opener.calls, "budget spent: b cannot open");
        assertStats(b, 0, 0, 0, 1);

        a.removed(sa); // a's server died while in use
        assertEquals(List.of(a, b), opener.calls);
        assertStats(b, 0, 0, 1, 1);
        assertEquals(1, budget.used());
        FakeServer sb = opened(b, "sb");
        assertSame(sb, b1.server);
    }

    @Test
    void starvedPoolReclaimsAnotherPoolsIdleServer() {
        BackendBudget budget = new BackendBudget(1);
        Pool<FakeServer> a = pool("db", "a", 5, 0, budget);
        Pool<FakeServer> b = pool("db2", "b", 5, 0, budget);
        acquire(a, "a1");
        FakeServer sa = opened(a, "sa");
        a.release(sa);
        assertStats(a, 0, 1, 0, 0);

        acquire(b, "b1");
        assertEquals(List.of("reclaimed: for pool b@db2"), sa.closeReasons);
        assertStats(a, 0, 0, 0, 0);
        assertEquals(List.of(a, b), opener.calls);
        assertEquals(1, budget.used());
    }

    @Test
    void aPoolWhoseWaiterLeftNoLongerTakesAnotherPoolsServer() {
        BackendBudget budget = new BackendBudget(1);
        Pool<FakeServer> a = pool("db", "a", 5, 0, budget);
        Pool<FakeServer> b = pool("db", "b", 5, 0, budget);
        acquire(a, "a1");
        FakeServer sa = opened(a, "sa");
        RecordingWaiter b1 = acquire(b, "b1");
        assertTrue(b.cancelWait(b1), "b's only client leaves (or times out)");

        a.release(sa);
        assertTrue(sa.closeReasons.isEmpty(), "nobody needs the slot: the server stays, idle");
        assertStats(a, 0, 1, 0, 0);
        assertEquals(List.of(a), opener.calls);
    }

    @Test
    void serverReleasedWhileAnotherPoolStarvesIsGivenUp() {
        BackendBudget budget = new BackendBudget(1);
        Pool<FakeServer> a = pool("db", "a", 5, 0, budget);
        Pool<FakeServer> b = pool("db", "b", 5, 0, budget);
        acquire(a, "a1");
        FakeServer sa = opened(a, "sa");
        acquire(b, "b1");
        assertEquals(List.of(a), opener.calls);

        a.release(sa);
        assertEquals(1, sa.closeReasons.size());
        assertStats(a, 0, 0, 0, 0);
        assertEquals(List.of(a, b), opener.calls);
        assertEquals(1, budget.used());
    }

    /** Several servers past the idle timeout in one sweep: closed down to the minimum, not all of them (which churned). */
    @Test
    void serversIdleBeyondTheTimeoutTogetherCloseDownToTheMinimumOnly() {
        Pool<FakeServer> pool = pool(5, 1, new BackendBudget(10)); // idle timeout 1000 ms
        acquire(pool, "w1");
        acquire(pool, "w2");
        acquire(pool, "w3");
        List<FakeServer> servers = List.of(opened(pool, "s1"), opened(pool, "s2"), opened(pool, "s3"));
        now = ms(0);
        servers.forEach(pool::release);

        now = ms(5000);
        pool.janitor().maintain();
        assertEquals(2, servers.stream().filter(s -> !s.closeReasons.isEmpty()).count(), "two closed, one kept for the minimum");
        assertStats(pool, 0, 1, 0, 0);
        assertEquals(3, opener.calls.size(), "nothing reopened: the minimum was never left");
    }

    @Test
    void maintainClosesServersIdleBeyondTheTimeoutOnlyAboveMin() {
        Pool<FakeServer> pool = pool(5, 1, new BackendBudget(10)); // idle timeout 1000 ms
        acquire(pool, "w1");
        acquire(pool, "w2");
        acquire(pool, "w3");
        FakeServer s1 = opened(pool, "s1"), s2 = opened(pool, "s2"), s3 = opened(pool, "s3");
        now = ms(0);
        pool.release(s1);
        now = ms(500);
        pool.release(s2);
        now = ms(600);
        pool.release(s3);

        now = ms(999);
        pool.janitor().maintain();
        assertStats(pool, 0, 3, 0, 0);

        now = ms(1000);
        pool.janitor().maintain();
        assertEquals(List.of("idle_timeout"), s1.closeReasons);
        assertTrue(s2.closeReasons.isEmpty());
        assertStats(pool, 0, 2, 0, 0);

        now = ms(1499);
        pool.janitor().maintain();
        assertTrue(s2.closeReasons.isEmpty());

        now = ms(1500);
        pool.janitor().maintain();
        assertEquals(1, s2.closeReasons.size());
        assertStats(pool, 0, 1, 0, 0);

        now = ms(60_000);
        pool.janitor().maintain();
        assertTrue(s3.closeReasons.isEmpty(), "the minimum is kept");
        assertStats(pool, 0, 1, 0, 0);
        assertEquals(3, opener.count(), "nothing opened: the minimum is there");
    }

    @Test
    void maintainOpensUpToMinOnlyAfterWarmUp() {
        Pool<FakeServer> pool = pool(5, 2, new BackendBudget(10));
        pool.janitor().maintain();
        assertEquals(0, opener.count(), "an unused pool stays empty");
        pool.janitor().warmUp();
        assertEquals(2, opener.count());
        assertStats(pool, 0, 0, 2, 0);
        pool.janitor().maintain();
        assertEquals(2, opener.count(), "openings count towards the minimum");
    }

    @Test
    void maintainOpensUpToMinAfterASuccessfulOpen() {
        Pool<FakeServer> pool = pool(5, 2, new BackendBudget(10));
        acquire(pool, "w1");
        pool.janitor().maintain();
        assertEquals(1, opener.count());
        opened(pool, "s1");
        pool.janitor().maintain();
        assertEquals(2, opener.count());
        assertStats(pool, 1, 0, 1, 0);
    }

    @Test
    void maintainBacksOffAfterFailures() {
        Pool<FakeServer> pool = pool(5, 1, new BackendBudget(10));
        now = ms(0);
        pool.janitor().warmUp();
        assertEquals(1, opener.count());
        pool.openFailed(REFUSED); // 1st failure at 0: wait 250 ms

        now = ms(249);
        pool.janitor().maintain();
        assertEquals(1, opener.count());
        now = ms(250);
        pool.janitor().maintain();
        assertEquals(2, opener.count());
        pool.openFailed(REFUSED); // 2nd failure at 250: wait 500 ms

        now = ms(749);
        pool.janitor().maintain();
        assertEquals(2, opener.count());
        now = ms(750);
        pool.janitor().maintain();
        assertEquals(3, opener.count());
        FakeServer s = opened(pool, "s"); // success resets the backoff
        now = ms(760);
        pool.removed(s);
        pool.janitor().maintain();
        assertEquals(4, opener.count());
    }

    @Test
    void backoffIsCappedAtTwoSeconds() {
        Pool<FakeServer> pool = pool(5, 1, new BackendBudget(10));
        pool.janitor().warmUp();
        for (int i = 0; i < 12; i++) {
            pool.openFailed(REFUSED);
            now += ms(10_000);
            pool.janitor().maintain();
        }
        assertEquals(13, opener.count());
        pool.openFailed(REFUSED);
        long failedAt = now;
        now = failedAt + ms(1_999);
        pool.janitor().maintain();
        assertEquals(13, opener.count());
        now = failedAt + ms(2_000);
        pool.janitor().maintain();
        assertEquals(14, opener.count());
    }

    @Test
    void closeAllClosesServersFailsWaitersAndStopsKeepingTheMinimum() {
        BackendBudget budget = new BackendBudget(10);
        Pool<FakeServer> pool = pool(2, 1, budget);
        acquire(pool, "w1");
        acquire(pool, "w2");
        FakeServer s1 = opened(pool, "s1"), s2 = opened(pool, "s2");
        pool.release(s2);
        RecordingWaiter w3 = acquire(pool, "w3"); // gets s2
        RecordingWaiter w4 = acquire(pool, "w4"); // waits
        assertSame(s2, w3.server);
        ErrorResponse shutdown = ErrorResponse.fatal("57P01", "shutting down");
        pool.janitor().closeAll(CloseReason.SHUTDOWN, shutdown);
        assertEquals(List.of("shutdown"), s1.closeReasons);
        assertEquals(List.of("shutdown"), s2.closeReasons);
        assertSame(shutdown, w4.error);
        assertStats(pool, 0, 0, 0, 0);
        assertEquals(0, budget.used());
        pool.janitor().maintain();
        assertEquals(2, opener.count());
    }

    @Test
    void statsCountEveryList() {
        Pool<FakeServer> pool = pool(4, 1, new BackendBudget(10));
        acquire(pool, "w1");
        acquire(pool, "w2");
        RecordingWaiter w3 = acquire(pool, "w3");
        FakeServer s1 = opened(pool, "s1");
        PoolStats s = pool.stats();
        assertEquals(new PoolStats(new PoolKey("db", "u"), 1, 0, 0, 2, 2, 4, 1), s);
        assertEquals(3, s.total());
        pool.release(s1); // to w2
        assertTrue(pool.cancelWait(w3));
        opened(pool, "s2"); // nobody waits: idle
        assertEquals(new PoolStats(new PoolKey("db", "u"), 1, 1, 0, 1, 0, 4, 1), pool.stats());
        assertEquals("pool u@db: 1/4 in use, 1 idle, 0 tested, 1 connecting, 0 waiting", pool.toString());
    }

    // ---- affinity: client and server on the same event loop ----

    private static FakeServer openedOn(Pool<FakeServer> pool, String name, String loop) {
        FakeServer s = new FakeServer(name, pool);
        s.loop = loop;
        pool.opened(s);
        return s;
    }

    private RecordingWaiter acquireOn(Pool<FakeServer> pool, String name, String loop) {
        RecordingWaiter w = new RecordingWaiter(name);
        w.loop = loop;
        pool.acquire(w);
        return w;
    }

    @Test
    void anIdleServerOnTheClientsLoopIsPreferred() {
        Pool<FakeServer> pool = pool(4, 0, new BackendBudget(10));
        openedOn(pool, "a1", "A");
        openedOn(pool, "b1", "B");
        openedOn(pool, "a2", "A");
        assertEquals("b1", acquireOn(pool, "c1", "B").server.name, "the only idle server of loop B");
        assertEquals("a2", acquireOn(pool, "c2", "B").server.name, "none left on B: the most recent idle one");
        assertEquals("a1", acquireOn(pool, "c3", "A").server.name);
        assertStats(pool, 3, 0, 0, 0);
    }

    @Test
    void aServerIsOpenedOnTheLoopOfTheClientThatWaits() {
        Pool<FakeServer> pool = pool(4, 0, new BackendBudget(10));
        acquireOn(pool, "c1", "A");
        acquireOn(pool, "c2", "B");
        assertEquals(List.of("A", "B"), opener.affinities);
    }

    @Test
    void aReleasedServerGoesToAWaiterOfItsLoopWithinTheLookahead() {
        Pool<FakeServer> pool = pool(2, 0, new BackendBudget(10));
        FakeServer a = openedOn(pool, "a", "A");
        FakeServer b = openedOn(pool, "b", "B");
        acquireOn(pool, "h1", "A");
        acquireOn(pool, "h2", "B");
        RecordingWaiter w1 = acquireOn(pool, "w1", "A");
        RecordingWaiter w2 = acquireOn(pool, "w2", "B");
        pool.release(b);
        assertSame(b, w2.server, "w2 runs on b's loop: it goes ahead of w1");
        assertNull(w1.server);
        pool.release(a);
        assertSame(a, w1.server);
    }

    @Test
    void noWaiterIsPassedOverMoreThanMaxPassesTimes() {
        Pool<FakeServer> pool = pool(1, 0, new BackendBudget(10));
        FakeServer b = openedOn(pool, "b", "B");
        acquireOn(pool, "holder", "B");
        RecordingWaiter first = acquireOn(pool, "first", "A");
        List<RecordingWaiter> behind = new ArrayList<>();
        for (int i = 0; i < Pool.MAX_PASSES + 2; i++) {
            behind.add(acquireOn(pool, "b" + i, "B"));
        }
        for (int i = 0; i < Pool.MAX_PASSES; i++) {
            pool.release(b);
            assertSame(b, behind.get(i).server, "passed over " + (i + 1) + " time(s)");
        }
        assertNull(first.server);
        pool.release(b);
        assertSame(b, first.server, "after " + Pool.MAX_PASSES + " passes the first waiter is served, whatever its loop");
    }

    @Test
    void withoutAffinityTheQueueIsFirstInFirstOut() {
        Pool<FakeServer> pool = pool(1, 0, new BackendBudget(10));
        FakeServer s = opened(pool, "s");
        acquire(pool, "holder");
        RecordingWaiter w1 = acquireOn(pool, "w1", "A");
        RecordingWaiter w2 = acquire(pool, "w2");
        pool.release(s);
        assertSame(s, w1.server);
        assertNull(w2.server);
    }

    @Test
    void expireWaitersWithdrawsThoseWaitingLongerThanTheLimitOldestFirst() {
        Pool<FakeServer> pool = pool(1, 0, new BackendBudget(10));
        FakeServer s = opened(pool, "s");
        acquire(pool, "holder");
        now = ms(0);
        RecordingWaiter old = acquire(pool, "old");
        now = ms(300);
        RecordingWaiter young = acquire(pool, "young");
        now = ms(999);
        assertEquals(List.of(), pool.janitor().expireWaiters(ms(1000)), "nobody has waited a second yet");
        now = ms(1000);
        assertEquals(List.of(old), pool.janitor().expireWaiters(ms(1000)));
        assertStats(pool, 1, 0, 0, 1);
        pool.release(s);
        assertSame(s, young.server, "the expired waiter is out of the queue");
        assertNull(old.server);
    }

    // ---- cleanup after a client, and limits changed while running ----

    @Test
    void aServerBeingCleanedUpCountsAsTestedUntilReleased() {
        Pool<FakeServer> pool = pool(2, 0, new BackendBudget(10));
        RecordingWaiter a = acquire(pool, "a");
        FakeServer s1 = opened(pool, "s1");
        assertSame(s1, a.server);
        pool.testing(s1);
        PoolStats s = pool.stats();
        assertEquals(List.of(0, 0, 1), List.of(s.active(), s.idle(), s.tested()));
        assertEquals(1, s.total());
        assertFalse(pool.hasNoServer());
        RecordingWaiter b = acquire(pool, "b"); // may open a second one: the tested one still counts
        assertEquals(2, opener.count());
        pool.release(s1);
        assertSame(s1, b.server, "a tested server that comes back goes to the first waiter");
        assertEquals(0, pool.stats().tested());
    }

    @Test
    void aRaisedMaximumOpensForTheClientsAlreadyWaiting() {
        BackendBudget budget = new BackendBudget(10);
        Pool<FakeServer> pool = pool(1, 0, budget);
        acquire(pool, "a");
        acquire(pool, "b");
        assertEquals(1, opener.count());
        pool.reroute(pool.route().withLimits(new PoolLimits(2, 0, 1000)));
        assertEquals(2, opener.count(), "the second waiter gets a connection opened for it");
        assertEquals(2, pool.stats().max());
    }

    @Test
    void aLoweredMaximumClosesServersAsTheyComeBack() {
        Pool<FakeServer> pool = pool(2, 0, new BackendBudget(10));
        RecordingWaiter a = acquire(pool, "a");
        RecordingWaiter b = acquire(pool, "b");
        FakeServer s1 = opened(pool, "s1");
        FakeServer s2 = opened(pool, "s2");
        RecordingWaiter c = acquire(pool, "c");
        pool.reroute(pool.route().withLimits(new PoolLimits(1, 0, 1000)));
        pool.release(a.server);
        assertEquals(List.of("pool_shrunk"), s1.closeReasons, "above the new maximum: closed, not handed on");
        assertNull(c.server);
        pool.release(b.server);
        assertSame(s2, c.server, "at the new maximum: the waiter gets the next one");
        assertTrue(s2.closeReasons.isEmpty());
    }

    @Test
    void rerouteKeepsTheKey() {
        Pool<FakeServer> pool = pool(2, 0, new BackendBudget(10));
        PoolRoute other = new PoolRoute(new PoolKey("other", "u"), "h", 1, PoolMode.TRANSACTION, new PoolLimits(2, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> pool.reroute(other));
    }

    @Test
    void aRaisedBudgetCapWakesStarvingPools() {
        BackendBudget budget = new BackendBudget(1);
        Pool<FakeServer> a = pool("db", "a", 5, 0, budget);
        Pool<FakeServer> b = pool("db", "b", 5, 0, budget);
        acquire(a, "wa");
        opened(a, "sa");
        acquire(b, "wb");
        assertEquals(1, opener.count(), "the cap of 1 is spent");
        budget.cap(2);
        assertEquals(2, opener.count());
        assertSame(b, opener.calls.get(1));
    }

    @Test
    void aWaiterHeldElsewhereKeepsItsWaitingTime() {
        Pool<FakeServer> pool = pool(1, 0, new BackendBudget(10));
        acquire(pool, "holder");
        opened(pool, "s1");
        now = ms(5000);
        RecordingWaiter late = new RecordingWaiter("late");
        pool.acquire(late, ms(1000)); // began waiting at 1 s, e.g. while Berth was paused
        assertEquals(ms(1000), pool.oldestWaitSinceNanos());
        assertEquals(List.of(late), pool.janitor().expireWaiters(ms(3000)));
        assertEquals(-1, pool.oldestWaitSinceNanos());
    }

    @Test
    void backoffIsJitteredBetweenHalfAndAllOfTheDelay() {
        jitter = 0.0;
        Pool<FakeServer> pool = pool(5, 1, new BackendBudget(10));
        pool.janitor().warmUp();
        pool.openFailed(REFUSED); // 1st failure: 250 ms, drawn down to 125
        now = ms(124);
        pool.janitor().maintain();
        assertEquals(1, opener.count());
        now = ms(125);
        pool.janitor().maintain();
        assertEquals(2, opener.count());
        jitter = 0.5;
        pool.openFailed(REFUSED); // 2nd failure at 125: 500 ms, drawn to 375
        now = ms(125 + 374);
        pool.janitor().maintain();
        assertEquals(2, opener.count());
        now = ms(125 + 375);
        pool.janitor().maintain();
        assertEquals(3, opener.count());
    }

    /** A backend restart: the pool worked, so its waiters wait through refused opens, retried with backoff. */
    @Test
    void waitersOfAPoolThatWorkedWaitThroughTransientFailuresAndGetTheServerOpenedWhenTheBackendIsBack() {
        Pool<FakeServer> pool = pool(2, 0, new BackendBudget(10));
        RecordingWaiter first = acquire(pool, "first");
        FakeServer s1 = opened(pool, "s1");
        pool.release(first.server);
        s1.close(CloseReason.SERVER_CLOSED, null); // the backend went away
        RecordingWaiter w = acquire(pool, "w");
        assertEquals(2, opener.count());
        pool.openFailed(REFUSED);
        assertNull(w.error, "keeps waiting: the backend may come back within the connection timeout");
        assertStats(pool, 0, 0, 0, 1);
        now = ms(249);
        pool.janitor().retryOpenings();
        assertEquals(2, opener.count(), "not within the backoff");
        now = ms(250);
        pool.janitor().retryOpenings();
        assertEquals(3, opener.count(), "retried after the backoff");
        pool.janitor().retryOpenings();
        assertEquals(3, opener.count(), "one opening covers the one waiter");
        FakeServer s2 = opened(pool, "s2");
        assertSame(s2, w.server);
    }

    @Test
    void aFailureRetryingCannotCureFailsTheWaitersAtOnceEvenInAPoolThatWorked() {
        Pool<FakeServer> pool = pool(2, 0, new BackendBudget(10));
        RecordingWaiter first = acquire(pool, "first");
        opened(pool, "s1").close(CloseReason.SERVER_CLOSED, null);
        RecordingWaiter w = acquire(pool, "w");
        ErrorResponse denied = ErrorResponse.fatal("28P01", "password authentication failed for user \"u\"");
        pool.openFailed(denied);
        assertSame(denied, w.error);
        assertNull(first.error);
    }

    @Test
    void aServerReleasedAfterItsLifetimeIsClosedAndReplacedForTheWaiter() {
        Pool<FakeServer> pool = pool(new PoolLimits(1, 0, 60_000, 10_000, -1, ""), "db", "u", new BackendBudget(10));
        RecordingWaiter a = acquire(pool, "a");
        FakeServer s1 = opened(pool, "s1");
        s1.age = new ServerAge(0, 0.9); // its lifetime: 9 s of the 10
        RecordingWaiter b = acquire(pool, "b");
        now = ms(8_999);
        pool.release(a.server);
        assertSame(s1, b.server, "younger than its share of the lifetime: reused");
        assertTrue(s1.closeReasons.isEmpty());
        now = ms(9_000);
        RecordingWaiter c = acquire(pool, "c");
        assertEquals(1, opener.count());
        pool.release(b.server);
        assertEquals(List.of("lifetime"), s1.closeReasons, "closed when released, never handed on");
        assertNull(c.server);
        assertEquals(2, opener.count(), "a replacement is opened for the waiter");
        assertSame(opened(pool, "s2"), c.server);
    }

    @Test
    void idleServersPastTheirLifetimeAreClosedByMaintenanceAndTheMinimumRefilled() {
        Pool<FakeServer> pool = pool(new PoolLimits(3, 2, 600_000, 10_000, -1, ""), "db", "u", new BackendBudget(10));
        pool.janitor().warmUp();
        FakeServer young = opened(pool, "young"), old = opened(pool, "old");
        young.age = new ServerAge(ms(5_000), 1.0);
        old.age = new ServerAge(0, 1.0);
        now = ms(10_000);
        pool.janitor().maintain();
        assertEquals(List.of("lifetime"), old.closeReasons);
        assertTrue(young.closeReasons.isEmpty());
        assertEquals(2, opener.count(), "warm-up opened 2; the closed one is counted until removed, so no refill yet");
        pool.janitor().maintain();
        assertEquals(3, opener.count(), "refilled to the minimum");
    }

    @Test
    void serverAgesSpreadOverNinetyToAHundredPercentOfTheLifetime() {
        for (int i = 0; i < 1000; i++) {
            ServerAge age = ServerAge.bornAt(0);
            assertTrue(age.share() >= 0.9 && age.share() < 1.0, "share " + age.share());
            assertFalse(age.outlived(ms(8_999), ms(10_000)));
            assertTrue(age.outlived(ms(10_000), ms(10_000)));
        }
    }

    @Test
    void aServerIdleLongerThanTheCheckDelayIsCheckedBeforeAClientGetsIt() {
        Pool<FakeServer> pool = pool(new PoolLimits(2, 0, 600_000, Long.MAX_VALUE, 30_000, ";"), "db", "u", new BackendBudget(10));
        RecordingWaiter a = acquire(pool, "a");
        FakeServer s1 = opened(pool, "s1");
        now = ms(1_000);
        pool.release(a.server);
        now = ms(30_999);
        assertSame(s1, acquire(pool, "recent").server, "idle less than the delay: no check");
        assertTrue(s1.checks.isEmpty());
        pool.release(s1);
        now = ms(30_999 + 30_000);
        RecordingWaiter b = acquire(pool, "b");
        assertEquals(List.of(";"), s1.checks);
        assertNull(b.server, "waits for the check");
        assertEquals(1, opener.count(), "the server being checked covers the waiter: nothing opened");
        assertEquals(1, pool.stats().tested());
        pool.release(s1); // it answered
        assertSame(s1, b.server);
    }

    @Test
    void aServerThatFailsItsCheckIsClosedAndTheClientGetsAnother() {
        Pool<FakeServer> pool = pool(new PoolLimits(2, 0, 600_000, Long.MAX_VALUE, 0, ";"), "db", "u", new BackendBudget(10));
        RecordingWaiter a = acquire(pool, "a");
        FakeServer s1 = opened(pool, "s1");
        pool.release(a.server);
        RecordingWaiter b = acquire(pool, "b");
        assertEquals(List.of(";"), s1.checks, "a delay of 0 checks every time");
        s1.close(CloseReason.CHECK_FAILED, "server closed the connection");
        assertNull(b.error, "the client never sees the dead server");
        assertEquals(2, opener.count(), "a replacement is opened for the waiter");
        FakeServer s2 = opened(pool, "s2");
        assertSame(s2, b.server);
    }

    @Test
    void anEmptyCheckQueryTurnsChecksOff() {
        assertEquals(-1, new PoolLimits(2, 0, 1, 1, 30_000, "").checkDelayNanos());
        assertEquals(-1, new PoolLimits(2, 0, 1).checkDelayNanos());
        assertEquals(0, new PoolLimits(2, 0, 1, 1, 0, ";").checkDelayNanos());
    }
}
