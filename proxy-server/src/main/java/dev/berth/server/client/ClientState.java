package dev.berth.server.client;

import java.util.Locale;

/**
 * Where a client connection is in its life. Each state falls in one of pgbouncer's client lists for
 * the pool counts: active (holds a server), waiting (for one), idle (logged in, holds none), or none.
 */
enum ClientState {
    STARTUP(Bucket.NONE),
    AUTHENTICATING(Bucket.NONE),
    WAITING_FOR_SERVER(Bucket.WAITING),
    /** Granted a server, which is being brought in line with the client's parameters. */
    SYNCING(Bucket.ACTIVE),
    LINKED(Bucket.ACTIVE),
    IDLE(Bucket.IDLE),
    ADMIN(Bucket.NONE),
    CLOSED(Bucket.NONE);

    enum Bucket { ACTIVE, WAITING, IDLE, NONE }

    final Bucket bucket;

    ClientState(Bucket bucket) {
        this.bucket = bucket;
    }

    /** For SHOW CLIENTS: the list a pooled client is in, else the phase. */
    String label() {
        return bucket == Bucket.NONE ? name().toLowerCase(Locale.ROOT) : bucket.name().toLowerCase(Locale.ROOT);
    }
}
