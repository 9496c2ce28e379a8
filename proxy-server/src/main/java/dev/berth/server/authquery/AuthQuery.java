package dev.berth.server.authquery;

import dev.berth.core.auth.AuthFile;
import dev.berth.core.auth.Secret;
import dev.berth.core.auth.SecretOrigin;
import dev.berth.core.auth.SecretSource;
import dev.berth.core.config.AuthQueryTarget;
import dev.berth.core.config.BerthConfig;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * pgbouncer's auth_query: a user the auth file does not list has its secret looked up in PostgreSQL
 * (the control plane, {@link ControlPlane}), on threads of its own, never on an event loop. Each {@link
 * AuthQueryTarget} (the global auth user, or a [databases] line's own) has its control plane and its answers,
 * so a user's secret as one database's auth user sees it never answers a client of another. Answers, "no
 * such user" included, are reused for the cache TTL; a RELOAD makes a new instance, so it forgets them.
 */
public final class AuthQuery implements SecretSource, AutoCloseable {
    /** One target's connections and answers. */
    private record Lookups(ControlPlane controlPlane, AnswerCache cache) {
    }

    private final BerthConfig config;
    private final AuthFile authFile;
    private final long budgetMs;
    private final ExecutorService executor;
    private final Consumer<String> outcomes;
    /** At most one entry per [databases] line plus the global one: targets come from the config, not from clients. */
    private final ConcurrentHashMap<AuthQueryTarget, Lookups> targets = new ConcurrentHashMap<>();
    private volatile boolean closed;

    /**
     * @param authFile users listed there are answered from it, as in pgbouncer; null for none
     * @param outcomes told "hit", "found", "unknown" or "failed" for each lookup (metrics)
     */
    public AuthQuery(BerthConfig config, AuthFile authFile, Consumer<String> outcomes) {
        this.config = config;
        this.authFile = authFile;
        this.outcomes = outcomes;
        // the lookup must give up early enough for the client to hear why before its login timeout
        this.budgetMs = Math.max(250, config.clientLoginTimeoutMs() * 2 / 3);
        this.executor = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "berth-auth-query");
            t.setDaemon(true);
            return t;
        });
    }

    @Override
    public CompletionStage<Secret> secret(String user) {
        return secret(null, user);
    }

    @Override
    public CompletionStage<Secret> secret(String database, String user) {
        Secret listed = authFile == null ? null : authFile.lookup(user);
        if (listed != null) {
            return CompletableFuture.completedFuture(listed);
        }
        AuthQueryTarget target = target(database);
        if (target == null) {
            return CompletableFuture.completedFuture(null); // no auth user for this database: the auth file alone
        }
        Lookups lookups = lookups(target);
        if (lookups == null) {
            return CompletableFuture.failedFuture(new AuthQueryException("auth_query: closed by a reload", null));
        }
        long now = System.nanoTime();
        CompletableFuture<Secret> cached = lookups.cache().get(user, now);
        if (cached != null) {
            outcomes.accept("hit");
            return cached;
        }
        CompletableFuture<Secret> answer = new CompletableFuture<>();
        CompletableFuture<Secret> shared = lookups.cache().put(user, answer, now);
        if (shared != answer) {
            return shared; // another login of this user started the lookup meanwhile
        }
        ControlPlane controlPlane = lookups.controlPlane();
        try {
            CompletableFuture.supplyAsync(() -> controlPlane.lookup(user), executor)
                    .orTimeout(budgetMs, TimeUnit.MILLISECONDS)
                    .whenComplete((secret, error) -> {
                        if (error != null) {
                            lookups.cache().forget(user, answer); // the next login asks again
                            outcomes.accept("failed");
                            answer.completeExceptionally(explain(controlPlane, error));
                        } else {
                            outcomes.accept(secret == null ? "unknown" : "found");
                            answer.complete(secret);
                        }
                    });
        } catch (RejectedExecutionException e) { // closed by a reload just now
            lookups.cache().forget(user, answer);
            answer.completeExceptionally(explain(controlPlane, e));
        }
        return answer;
    }

    @Override
    public SecretOrigin origin(String database, String user, boolean found) {
        if ((authFile != null && authFile.lookup(user) != null) || target(database) == null) {
            return SecretOrigin.AUTH_FILE;
        }
        return found || authFile == null ? SecretOrigin.AUTH_QUERY : SecretOrigin.AUTH_FILE_AND_QUERY;
    }

    private AuthQueryTarget target(String database) {
        return database == null ? AuthQueryTarget.global(config) : AuthQueryTarget.forDatabase(config, database);
    }

    /** The target's lookups, made at its first use (a control plane connects only when asked); null once closed. */
    private Lookups lookups(AuthQueryTarget target) {
        Lookups lookups = targets.get(target);
        if (lookups == null) {
            synchronized (targets) {
                if (closed) {
                    return null;
                }
                lookups = targets.computeIfAbsent(target, t -> new Lookups(new ControlPlane(config, t, authFile, budgetMs),
                        new AnswerCache(TimeUnit.MILLISECONDS.toNanos(config.authSources().cacheTtlMs()))));
            }
        }
        return lookups;
    }

    private AuthQueryException explain(ControlPlane controlPlane, Throwable error) {
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
        synchronized (targets) {
            closed = true;
        }
        targets.values().forEach(l -> l.controlPlane().close());
        executor.shutdownNow();
    }
}
