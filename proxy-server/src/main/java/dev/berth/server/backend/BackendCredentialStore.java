package dev.berth.server.backend;

import dev.berth.core.auth.AuthFile;
import dev.berth.core.auth.BackendCredentials;
import dev.berth.core.config.BackendUrl;

import java.util.concurrent.ConcurrentHashMap;

/**
 * What Berth uses to log in to PostgreSQL as each backend user: the --backend URL's password for its
 * user, else the auth file's secret, plus SCRAM keys learned from clients' SCRAM logins (passthrough).
 */
public final class BackendCredentialStore {
    private final BackendUrl backend;
    private volatile AuthFile authFile;
    private final ConcurrentHashMap<String, byte[]> scramClientKeys = new ConcurrentHashMap<>();

    public BackendCredentialStore(BackendUrl backend, AuthFile authFile) {
        this.backend = backend;
        this.authFile = authFile;
    }

    BackendCredentials forUser(String user) {
        if (user.equals(backend.user()) && backend.password() != null) {
            return BackendCredentials.password(user, backend.password());
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
        if (backend.user() == null || backend.user().equals(user)) {
            scramClientKeys.put(user, clientKey);
        }
    }
}
