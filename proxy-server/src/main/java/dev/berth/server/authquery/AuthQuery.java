package dev.berth.server.authquery;

import dev.berth.core.auth.AuthFile;
import dev.berth.core.auth.Secret;
import dev.berth.core.auth.SecretSource;
import dev.berth.core.config.AuthSources;
import dev.berth.core.config.BerthConfig;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * pgbouncer's auth_query: a user the auth file does not list has its secret looked up in PostgreSQL
 * (the control plane, {@link ControlPlane}), on threads of its own, never on an event loop. Answers,
 * "no such user" included, are reused for the cache TTL; a RELOAD makes a new instance, so it forgets them.
 */
public final class AuthQuery implements SecretSource, AutoCloseable {
    private final AuthFile authFile;
    private final ControlPlane controlPlane;
    private final AnswerCache cache;
    private final long budgetMs;
    private final ExecutorService executor;
    private final Consumer<String> outcomes;

    /**
     * @param authFile users listed there are answered from it, as in pgbouncer; null for none
     * @param outcomes told "hit", "found", "unknown" or "failed" for each lookup (metrics)
     */
    public AuthQuery(BerthConfig config, AuthFile authFile, Consumer<String> outcomes) {
        AuthSources settings = config.authSources();
        this.authFile = authFile;
        this.outcomes = outcomes;
        // the lookup must give up early enough for the client to hear why before its login timeout
        this.budgetMs = Math.max(250, config.clientLoginTimeoutMs() * 2 / 3);
        this.controlPlane = new ControlPlane(config, authFile, budgetMs);
        this.cache = new AnswerCache(TimeUnit.MILLISECONDS.toNanos(settings.cacheTtlMs()));
        this.executor = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "berth-auth-query");
            t.setDaemon(true);
            return t;
        });
    }

    @Override
    public CompletionStage<Secret> secret(String user) {
        Secret listed = authFile == null ? null : authFile.lookup(user);
        if (listed != null) {
            return CompletableFuture.completedFuture(listed);
        }
        long now = System.nanoTime();
        CompletableFuture<Secret> cached = cache.get(user, now);
        if (cached != null) {
            outcomes.accept("hit");
            return cached;
        }
        CompletableFuture<Secret> answer = new CompletableFuture<>();
        CompletableFuture<Secret> shared = cache.put(user, answer, now);
        if (shared != answer) {
            return shared; // another login of this user started the lookup meanwhile
        }
        try {
            CompletableFuture.supplyAsync(() -> controlPlane.lookup(user), executor)
                    .orTimeout(budgetMs, TimeUnit.MILLISECONDS)
                    .whenComplete((secret, error) -> {
                        if (error != null) {
                            cache.forget(user, answer); // the next login asks again
                            outcomes.accept("failed");
                            answer.completeExceptionally(explain(error));
                        } else {
                            outcomes.accept(secret == null ? "unknown" : "found");
                            answer.complete(secret);
                        }
                    });
        } catch (RejectedExecutionException e) { // closed by a reload just now
            cache.forget(user, answer);
            answer.completeExceptionally(explain(e));
        }
        return answer;
    }

    private AuthQueryException explain(Throwable error) {
        Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
        if (cause instanceof AuthQueryException e) {
            return e;
        }
        if (cause instanceof TimeoutException) {
            return new AuthQueryException("auth_query " + controlPlane.describe() + " got no answer within " + budgetMs
                    + " ms (two thirds of client_login_timeout)", null);
        }
        return new AuthQueryException("auth_query " + controlPlane.describe() + " failed: " + cause, cause);
    }

    @Override
    public void close() {
        controlPlane.close();
        executor.shutdownNow();
    }
}
