package dev.berth.server;

/**
 * Whether the backend answers, from the last backend login: what /readyz reports. A login that
 * succeeded after a failure clears it.
 */
final class BackendHealth {
    private volatile long lastSuccessNanos;
    private volatile long lastFailureNanos;
    private volatile String lastFailure;

    void backendAnswered() {
        lastSuccessNanos = System.nanoTime();
    }

    void backendFailed(String message) {
        lastFailure = message;
        lastFailureNanos = System.nanoTime();
    }

    /** Null when the backend answered last (or was not tried yet); otherwise why it did not. */
    String problem() {
        if (lastFailureNanos != 0 && lastFailureNanos - lastSuccessNanos > 0) {
            return "backend unreachable: " + lastFailure;
        }
        return null;
    }
}
