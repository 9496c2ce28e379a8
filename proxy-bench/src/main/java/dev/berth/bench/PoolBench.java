package dev.berth.bench;

import dev.berth.core.pool.BackendBudget;
import dev.berth.core.pool.ConnectionCaps;
import dev.berth.core.pool.Pool;
import dev.berth.core.pool.PoolKey;
import dev.berth.core.config.PoolMode;
import dev.berth.core.pool.CloseReason;
import dev.berth.core.pool.PoolLimits;
import dev.berth.core.pool.PoolRoute;
import dev.berth.core.pool.PooledServer;
import dev.berth.core.pool.Waiter;
import dev.berth.core.protocol.ErrorResponse;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.Setup;

/** Pool acquire and release with idle servers at hand: what every transaction does in transaction pooling. */
public class PoolBench extends Defaults {
    private static final int PER_LOOP = 4;

    static final class Server implements PooledServer {
        final Object loop;
        long idleSince;

        Server(Object loop) {
            this.loop = loop;
        }

        @Override
        public boolean isUsable() {
            return true;
        }

        @Override
        public void close(CloseReason reason, String detail) {
            throw new IllegalStateException("closed: " + reason);
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
    }

    static final class Client implements Waiter<Server> {
        final Object loop;
        Server server;

        Client(Object loop) {
            this.loop = loop;
        }

        @Override
        public void granted(Server s) {
            server = s;
        }

        @Override
        public void failed(ErrorResponse error) {
            throw new IllegalStateException(error.toString());
        }

        @Override
        public Object affinity() {
            return loop;
        }
    }

    private final Object loopA = new Object();
    private final Object loopB = new Object();
    private Pool<Server> pool;
    private Client plain;
    private Client onA;
    private Client onB;

    @Setup
    public void setup() {
        // servers open at once, on the loop of the client they are opened for
        pool = new Pool<>(new PoolRoute(new PoolKey("pgbench", "bench"), "127.0.0.1", 5432, PoolMode.TRANSACTION,
                new PoolLimits(20, 0, 60_000)), new ConnectionCaps(new BackendBudget(100)),
                (p, affinity) -> p.opened(new Server(affinity)), System::nanoTime);
        // two loops' worth of servers, interleaved in the idle list
        Client[] holders = new Client[2 * PER_LOOP];
        for (int i = 0; i < holders.length; i++) {
            holders[i] = new Client(i % 2 == 0 ? loopA : loopB);
            pool.acquire(holders[i]);
        }
        for (Client c : holders) {
            pool.release(c.server);
        }
        plain = new Client(null);
        onA = new Client(loopA);
        onB = new Client(loopB);
        acquireRelease();
        acquireReleaseWithAffinity();
        if (pool.stats().idle() != 2 * PER_LOOP || onA.server.loop != loopA || onB.server.loop != loopB) {
            throw new IllegalStateException(pool.toString());
        }
    }

    /** A client without affinity takes the most recently idle server and gives it back (LIFO). */
    @Benchmark
    public Server acquireRelease() {
        pool.acquire(plain);
        Server s = plain.server;
        pool.release(s);
        return s;
    }

    /** Clients on two event loops, each taking an idle server of its own loop (per acquire/release pair). */
    @Benchmark
    @OperationsPerInvocation(2)
    public Server acquireReleaseWithAffinity() {
        pool.acquire(onA);
        pool.acquire(onB);
        pool.release(onA.server);
        pool.release(onB.server);
        return onB.server;
    }
}
