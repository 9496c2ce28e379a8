package dev.berth.server.backend;

import dev.berth.core.auth.AuthFile;
import dev.berth.core.auth.BackendCredentials;
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

    public BackendCredentialStore(AuthFile authFile) {
        this.authFile = authFile;
    }

    BackendCredentials forServer(BackendUrl server) {
        String user = server.user();
        if (server.password() != null) {
            return BackendCredentials.password(user, server.password());
        }
        AuthFile file = authFile;
        BackendCredentials credentials = file == null || file.lookup(user) == null
                ? BackendCredentials.none(user) : BackendCredentials.fromSecret(user, file.lookup(user));
        byte[] clientKey = scramClientKeys.get(user);
        return clientKey == null ? credentials : credentials.withScramClientKey(clientKey);
    }

    public void authFile(AuthFile file) {
        authFile = file;
    }

    /** A client proved it knows the password of {@code user}; its ClientKey lets Berth log in as that user. */
    public void learnScramClientKey(String user, byte[] clientKey) {
        scramClientKeys.put(user, clientKey); // one per user who proved a password: bounded by the auth file
    }
}
