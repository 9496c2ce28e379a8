package dev.berth.core.pool;

import dev.berth.core.config.PoolMode;
import dev.berth.core.pool.PoolTest.FakeOpener;
import dev.berth.core.pool.PoolTest.FakeServer;
import dev.berth.core.protocol.ErrorResponse;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

/** max_db_connections, max_user_connections and the reserve pool, driven by hand with a fake clock. */
class ConnectionCapsTest {
    private final FakeOpener opener = new FakeOpener();
    private long now;
    private Map<String, Integer> dbCaps = Map.of();
    private Map<String, Integer> userCaps = Map.of();
    private final ConnectionBudgets budgets = new ConnectionBudgets(new BackendBudget(100),
            db -> dbCaps.getOrDefault(db, 0), user -> userCaps.getOrDefault(user, 0));

    /** Records what it got. */
    static final class Client implements Waiter<FakeServer> {
        FakeServer server;
        ErrorResponse error;

        @Override
        public void granted(FakeServer s) {
            server = s;
        }

        @Override
        public void failed(ErrorResponse e) {
            error = e;
        }
    }

    private Pool<FakeServer> pool(String db, String user, PoolLimits limits) {
        PoolKey key = new PoolKey(db, user);
        return new Pool<>(new PoolRoute(key, "127.0.0.1", 5432, PoolMode.TRANSACTION, limits), budgets.capsFor(key), opener,
                () -> now, () -> 1.0);
    }

    private Pool<FakeServer> pool(String db, String user) {
        return pool(db, user, new PoolLimits(5, 0, 1000));
    }

    private static Client acquire(Pool<FakeServer> pool) {
        Client c = new Client();
        pool.acquire(c);
        return c;
    }

    private static FakeServer opened(Pool<FakeServer> pool, String name) {
        FakeServer s = new FakeServer(name, pool);
        pool.opened(s);
        return s;
    }

    @Test
    void maxDbConnectionsCapsTheBackendsOfOneDatabaseAcrossItsUsers() {
        dbCaps = Map.of("db", 2);
        Pool<FakeServer> alice = pool("db", "alice");
        Pool<FakeServer> bob = pool("db", "bob");
        Pool<FakeServer> other = pool("other", "bob");
        acquire(alice);
        acquire(alice);
        Client b1 = acquire(bob);
        assertEquals(List.of(alice, alice), opener.calls, "the database's two slots went to alice: bob waits");
        acquire(other);
        assertEquals(List.of(alice, alice, other), opener.calls, "another database is not capped");
        assertEquals(2, budgets.database("db").used());

        FakeServer a1 = opened(alice, "a1");
        opened(alice, "a2");
        a1.close(CloseReason.DEAD, null); // a slot of db comes free
        assertEquals(List.of(alice, alice, other, bob), opener.calls, "bob's waiting pool opens in the freed slot");
        FakeServer b = opened(bob, "b");
        assertSame(b, b1.server);
        assertEquals(2, budgets.database("db").used());
    }

    @Test
    void aPoolAtTheDatabaseCapClosesAnIdleServerOfAnotherPoolOfThatDatabase() {
        dbCaps = Map.of("db", 1);
        Pool<FakeServer> alice = pool("db", "alice");
        Pool<FakeServer> bob = pool("db", "bob");
        acquire(alice);
        FakeServer a = opened(alice, "a");
        alice.release(a);
        assertEquals(1, alice.stats().idle());

        acquire(bob);
        assertEquals(List.of("reclaimed: for pool bob@db"), a.closeReasons);
        assertEquals(List.of(alice, bob), opener.calls);
        assertEquals(1, budgets.database("db").used());
    }

    @Test
    void maxUserConnectionsCapsOneUserAcrossDatabases() {
        userCaps = Map.of("alice", 1);
        Pool<FakeServer> one = pool("db1", "alice");
        Pool<FakeServer> two = pool("db2", "alice");
        Pool<FakeServer> bob = pool("db2", "bob");
        acquire(one);
        Client waiting = acquire(two);
        acquire(bob);
        assertEquals(List.of(one, bob), opener.calls, "alice's one slot is taken; bob is not capped");
        assertNull(waiting.server);
        assertEquals(1, two.stats().waiting());

        budgets.recap(100, db -> 0, user -> user.equals("alice") ? 2 : 0); // a reload raises it: used at once
        assertEquals(List.of(one, bob, two), opener.calls);
    }

    @Test
    void aLoweredCapDrainsAsServersAreReleased() {
        dbCaps = Map.of("db", 2);
        Pool<FakeServer> alice = pool("db", "alice");
        acquire(alice);
        acquire(alice);
        FakeServer a1 = opened(alice, "a1");
        FakeServer a2 = opened(alice, "a2");

        budgets.recap(100, db -> 1, user -> 0);
        assertEquals(List.of(), a1.closeReasons, "a server in use is not taken from its client");
        alice.release(a1);
        assertEquals(List.of("pool_shrunk"), a1.closeReasons.stream().map(r -> r.split(":")[0]).toList());
        alice.release(a2);
        assertEquals(List.of(), a2.closeReasons, "within the new cap: kept");
        assertEquals(1, budgets.database("db").used());
    }

    @Test
    void theReservePoolOpensBeyondThePoolSizeOnceAClientHasWaitedItsTimeout() {
        Pool<FakeServer> pool = pool("db", "alice", new PoolLimits(1, 0, 1000).withReserve(1, 100));
        acquire(pool);
        FakeServer s1 = opened(pool, "s1");
        Client second = acquire(pool);
        assertEquals(1, opener.count(), "at the pool size: the second client waits");

        now += TimeUnit.MILLISECONDS.toNanos(99);
        pool.janitor().retryOpenings();
        assertEquals(1, opener.count(), "not yet waited the reserve timeout");
        now += TimeUnit.MILLISECONDS.toNanos(1);
        pool.janitor().retryOpenings();
        assertEquals(2, opener.count(), "the reserve pool opens one more");
        FakeServer s2 = opened(pool, "s2");
        assertSame(s2, second.server);
        assertEquals(2, pool.stats().total());

        Client third = acquire(pool);
        now += TimeUnit.MILLISECONDS.toNanos(500);
        pool.janitor().retryOpenings();
        assertEquals(2, opener.count(), "the reserve is one: no third server");
        pool.release(s2);
        assertSame(s2, third.server, "a reserve server keeps serving while clients wait");
        pool.release(s2);
        assertEquals(List.of("pool_shrunk"), s2.closeReasons.stream().map(r -> r.split(":")[0]).toList(),
                "released with nobody waiting: back to the pool size");
        pool.release(s1);
        assertEquals(1, pool.stats().idle());
    }

    @Test
    void theReservePoolStaysWithinTheDatabaseCap() {
        dbCaps = Map.of("db", 1);
        Pool<FakeServer> pool = pool("db", "alice", new PoolLimits(1, 0, 1000).withReserve(3, 100));
        acquire(pool);
        opened(pool, "s1");
        acquire(pool);
        now += TimeUnit.MILLISECONDS.toNanos(1000);
        pool.janitor().retryOpenings();
        assertEquals(1, opener.count(), "max_db_connections 1 holds even for the reserve");
    }

    @Test
    void aDatabaseBudgetGoesWithItsLastPool() {
        dbCaps = Map.of("db", 1);
        Pool<FakeServer> alice = pool("db", "alice");
        Pool<FakeServer> bob = pool("db", "bob");
        alice.retire();
        budgets.dropped(alice.key());
        assertEquals(1, budgets.database("db").cap(), "bob still uses it");
        bob.retire();
        budgets.dropped(bob.key());
        assertNull(budgets.database("db"), "names clients merely tried leave nothing behind");
        assertNull(budgets.user("bob"));
    }
}
