package dev.berth.core.pool;

import dev.berth.core.protocol.ErrorResponse;

/**
 * A client waiting for a server. The pool calls exactly one of these, outside its lock, unless the
 * waiter was withdrawn first with {@link Pool#cancelWait}.
 */
public interface Waiter<S> {
    /** The server now belongs to the waiter, which must use it or give it back with {@link Pool#release}. */
    void granted(S server);

    /** No server can be had (the backend refuses or cannot be reached). */
    void failed(ErrorResponse error);

    /** The pool withdrew the waiter after it waited too long ({@link PoolJanitor#expireWaiters}). */
    default void waitExpired() {
    }

    /** Where the waiter runs (its event loop); the pool prefers a server with the same affinity. */
    default Object affinity() {
        return null;
    }
}
