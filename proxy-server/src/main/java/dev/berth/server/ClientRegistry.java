package dev.berth.server;

import dev.berth.core.pool.PoolKey;
import dev.berth.server.client.ClientSession;
import dev.berth.server.client.PoolClients;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** Every connected client, and each pool's client counts (kept by the clients as they change state). */
public final class ClientRegistry {
    private final Set<ClientSession> clients = ConcurrentHashMap.newKeySet();
    private final ConcurrentHashMap<PoolKey, PoolClients> counts = new ConcurrentHashMap<>();
    private final ClientCaps caps = new ClientCaps();
    private volatile boolean draining;

    /** The logged-in clients per database and per user, against their caps. */
    public ClientCaps caps() {
        return caps;
    }

    /** On the client's loop, as it connects. */
    public void opened(ClientSession client) {
        clients.add(client);
        if (draining) {
            client.drain(); // accepted just before the listener closed, after the drain told the others
        }
    }

    /** A graceful shutdown: every client, and every one still connecting, ends once between transactions. */
    public void drain() {
        draining = true;
        for (ClientSession client : clients) {
            client.executor().execute(client::drain);
        }
    }

    public void closed(ClientSession client) {
        clients.remove(client);
    }

    /** For SHOW CLIENTS, KILL and shutdown: a live view. */
    public Set<ClientSession> all() {
        return clients;
    }

    public int size() {
        return clients.size();
    }

    public PoolClients countsFor(PoolKey key) {
        return counts.computeIfAbsent(key, k -> new PoolClients());
    }

    /** The pool of {@code key} was removed (no client uses it). */
    void forget(PoolKey key) {
        counts.remove(key);
    }

    /** The counts of the pools that have had clients. */
    public Map<PoolKey, PoolClients> counts() {
        return counts;
    }
}
