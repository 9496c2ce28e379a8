package dev.berth.server.backend;

import dev.berth.core.auth.AuthFile;
import dev.berth.core.auth.BackendCredentials;
import dev.berth.core.auth.Secret;
import dev.berth.core.auth.SecretOrigin;
import dev.berth.core.config.BackendUrl;

import java.util.concurrent.ConcurrentHashMap;

/**
 * What Berth uses to log in to PostgreSQL as each backend user: the password of the pool's server (from
 * the --backend URL or its [databases] entry) when it has one, else the auth file's secret, plus SCRAM keys
 * learned from clients' SCRAM logins (passthrough).
 * <p>
 * What a login teaches is kept for the server its database's pool logs in to (host, port, user): one user
 * name on two clusters (an auth query per [databases] line) can have two passwords, and the one cluster's
 * key must not be offered to the other. It is also kept by user name alone, the fallback for a server none
 * was learned for (a reload pointed a pool elsewhere while its clients stay logged in).
 */
public final class BackendCredentialStore {
    /** A backend server and the user Berth logs in to it as. */
    private record At(String host, int port, String user) {
    }

    /** A secret a login gave, and where it came from (named when it does not fit the server). */
    private record Learned(Secret secret, SecretOrigin origin) {
    }

    private volatile AuthFile authFile;
    private final ConcurrentHashMap<At, byte[]> scramClientKeys = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, byte[]> scramClientKeysByUser = new ConcurrentHashMap<>();
    /** Secrets of users the auth file does not list, as the auth query gave them at a successful login. */
    private final ConcurrentHashMap<At, Learned> looked = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Learned> lookedByUser = new ConcurrentHashMap<>();

    public BackendCredentialStore(AuthFile authFile) {
        this.authFile = authFile;
    }

    BackendCredentials forServer(BackendUrl server) {
        String user = server.user();
        if (server.password() != null) {
            return BackendCredentials.password(user, server.password());
        }
        At at = new At(server.host(), server.port(), user);
        AuthFile file = authFile;
        Secret listed = file == null ? null : file.lookup(user);
        Learned learned = listed != null ? new Learned(listed, SecretOrigin.AUTH_FILE) : looked.get(at);
        if (learned == null) {
            learned = lookedByUser.get(user);
        }
        BackendCredentials credentials = learned == null ? BackendCredentials.none(user)
                : BackendCredentials.fromSecret(user, learned.secret(), learned.origin());
        byte[] clientKey = scramClientKeys.get(at);
        if (clientKey == null) {
            clientKey = scramClientKeysByUser.get(user);
        }
        return clientKey == null ? credentials : credentials.withScramClientKey(clientKey);
    }

    public void authFile(AuthFile file) {
        authFile = file;
    }

    /**
     * A client proved it knows the password of {@code user}: its SCRAM ClientKey (null after an md5 login)
     * lets Berth log in as that user to {@code server} (the server its database's pool logs in to; null when it
     * has none), with {@code secret} (when the auth file lists the user, its entry, read afresh, comes first) from
     * {@code origin} for the server's challenge. Bounded by the users PostgreSQL has, times the servers they log in to.
     */
    public void learn(String user, BackendUrl server, byte[] clientKey, Secret secret, SecretOrigin origin) {
        At at = server == null ? null : new At(server.host(), server.port(), user);
        if (clientKey != null) {
            scramClientKeysByUser.put(user, clientKey);
            if (at != null) {
                scramClientKeys.put(at, clientKey);
            }
        }
        if (secret != null) {
            Learned learned = new Learned(secret, origin);
            lookedByUser.put(user, learned);
            if (at != null) {
                looked.put(at, learned);
            }
        }
    }
}
