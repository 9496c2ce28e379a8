package dev.berth.cli.verify;

import java.net.ConnectException;
import java.net.http.HttpConnectTimeoutException;

/** Exceptions as one line for the user: the message's first line, or what the exception means when it has none. */
final class Problems {
    private Problems() {
    }

    static String describe(Throwable e) {
        Throwable t = e;
        while ((t.getMessage() == null || t.getMessage().isBlank()) && t.getCause() != null) {
            t = t.getCause();
        }
        if (t.getMessage() == null || t.getMessage().isBlank()) {
            if (t instanceof ConnectException) {
                return "connection refused";
            }
            if (t instanceof HttpConnectTimeoutException) {
                return "connect timed out";
            }
            return t.getClass().getSimpleName();
        }
        return t.getMessage().lines().findFirst().orElse("").strip();
    }
}
