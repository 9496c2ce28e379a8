package dev.berth.core.auth;

import com.ongres.scram.common.ScramFunctions;
import com.ongres.scram.common.StringPreparation;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

/**
 * The one place Berth runs PBKDF2 (SCRAM's salted password), and the threads it runs on: never an
 * event loop, where one derivation (about 2 ms at 4,096 iterations) per login would stall every client
 * of that loop. Two daemon threads with a bounded queue: logins that need a derivation beyond that are
 * refused rather than queued without limit.
 */
public final class KeyDerivation {
    private static final int QUEUE = 1024;
    private static final LongAdder DERIVATIONS = new LongAdder();
    private static final ThreadPoolExecutor EXECUTOR = executor(2);

    private KeyDerivation() {
    }

    private static ThreadPoolExecutor executor(int threads) {
        AtomicInteger n = new AtomicInteger();
        ThreadPoolExecutor pool = new ThreadPoolExecutor(threads, threads, 30, TimeUnit.SECONDS, new ArrayBlockingQueue<>(QUEUE), r -> {
            Thread t = new Thread(r, "berth-key-derivation-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        pool.allowCoreThreadTimeOut(true);
        return pool;
    }

    /** The shared derivation threads. */
    public static Executor executor() {
        return EXECUTOR;
    }

    /** Runs {@code work} on {@code executor}; a full queue fails the future with a message that says so. */
    static <T> CompletableFuture<T> async(Supplier<T> work, Executor executor) {
        try {
            return CompletableFuture.supplyAsync(work, executor);
        } catch (RejectedExecutionException e) {
            return CompletableFuture.failedFuture(new IllegalStateException(
                    "too many logins are waiting for a password check; try again shortly"));
        }
    }

    /** SCRAM's SaltedPassword: PBKDF2-HMAC-SHA-256 of the prepared password. */
    static byte[] saltedPassword(String password, byte[] salt, int iterations) {
        DERIVATIONS.increment();
        return ScramFunctions.saltedPassword(ScramServerExchange.SHA_256, StringPreparation.POSTGRESQL_PREPARATION,
                password.toCharArray(), salt, iterations);
    }

    /** How many derivations this process has run (tests check that a path runs none). */
    public static long count() {
        return DERIVATIONS.sum();
    }
}
