package dev.berth.core.pool;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * A pool's idle servers, most recently idle first: reused LIFO (warm caches), so the oldest, at the
 * end, age out. Not thread-safe: the pool uses it under its lock.
 */
final class IdleServers<S extends PooledServer> extends ArrayDeque<S> {
    /** The most recently idle server with this affinity (the client's event loop), else the most recently idle one. */
    S take(Object affinity) {
        if (affinity != null) {
            for (Iterator<S> it = iterator(); it.hasNext(); ) {
                S server = it.next();
                if (affinity.equals(server.affinity())) {
                    it.remove();
                    return server;
                }
            }
        }
        return pollFirst();
    }

    /** Takes out the servers past their lifetime (each its own share of it, see {@link ServerAge}). */
    List<S> takeOutlived(long nowNanos, long lifetimeNanos) {
        List<S> outlived = List.of();
        for (Iterator<S> it = iterator(); it.hasNext(); ) {
            S server = it.next();
            ServerAge age = server.age();
            if (age != null && age.outlived(nowNanos, lifetimeNanos)) {
                it.remove();
                if (outlived.isEmpty()) {
                    outlived = new ArrayList<>();
                }
                outlived.add(server);
            }
        }
        return outlived;
    }
}
