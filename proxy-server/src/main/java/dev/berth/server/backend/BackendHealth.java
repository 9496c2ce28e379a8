package dev.berth.server.backend;

/**
 * Whether the backend answers, from the last backend login: what /readyz reports. A login that
 * succeeded after a failure clears it. It also keeps the server_version the backend last reported.
 */
public final class BackendHealth {
    private volatile long lastSuccessNanos;
    private volatile long lastFailureNanos;
    private volatile String lastFailure;
    private volatile String serverVersion;

    void backendAnswered(String version) {
        lastSuccessNanos = System.nanoTime();
        if (version != null) {
            serverVersion = version;
        }
    }

    void backendFailed(String message) {
        lastFailure = message;
        lastFailureNanos = System.nanoTime();
    }

    /** Null when the backend answered last (or was not tried yet); otherwise why it did not. */
    public String problem() {
        if (lastFailureNanos != 0 && lastFailureNanos - lastSuccessNanos > 0) {
            return "backend unreachable: " + lastFailure;
        }
        return null;
    }

    /** The server_version a backend last reported at login, or null before any login succeeded. */
    public String serverVersion() {
        return serverVersion;
    }
}
