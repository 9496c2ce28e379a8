package dev.berth.server.backend;

import dev.berth.core.auth.AuthFile;
import dev.berth.core.auth.BackendCredentials;
import dev.berth.core.auth.Secret;
import dev.berth.core.config.BackendUrl;

import java.util.concurrent.ConcurrentHashMap;

/**
 * What Berth uses to log in to PostgreSQL as each backend user: the password of the pool's server (from
 * the --backend URL or its [databases] entry) when it has one, else the auth file's secret, plus SCRAM keys
 * learned from clients' SCRAM logins (passthrough).
 */
public final class BackendCredentialStore {
    private volatile AuthFile authFile;
    private final ConcurrentHashMap<String, byte[]> scramClientKeys = new ConcurrentHashMap<>();
    /** Secrets of users the auth file does not list, as the auth query gave them at a successful login. */
    private final ConcurrentHashMap<String, Secret> looked = new ConcurrentHashMap<>();

    public BackendCredentialStore(AuthFile authFile) {
        this.authFile = authFile;
    }

    BackendCredentials forServer(BackendUrl server) {
        String user = server.user();
        if (server.password() != null) {
            return BackendCredentials.password(user, server.password());
        }
        AuthFile file = authFile;
        Secret secret = file == null ? null : file.lookup(user);
        if (secret == null) {
            secret = looked.get(user);
        }
        BackendCredentials credentials = secret == null ? BackendCredentials.none(user) : BackendCredentials.fromSecret(user, secret);
        byte[] clientKey = scramClientKeys.get(user);
        return clientKey == null ? credentials : credentials.withScramClientKey(clientKey);
    }

    public void authFile(AuthFile file) {
        authFile = file;
    }

    /**
     * A client proved it knows the password of {@code user}: its SCRAM ClientKey (null after an md5 login)
     * lets Berth log in as that user, with {@code secret} (from the auth query; null from the auth file, which
     * is read afresh) for the server's challenge. One entry per user who logged in: bounded by the users
     * PostgreSQL has.
     */
    public void learn(String user, byte[] clientKey, Secret secret) {
        if (clientKey != null) {
            scramClientKeys.put(user, clientKey);
        }
        if (secret != null) {
            looked.put(user, secret);
        }
    }
}
