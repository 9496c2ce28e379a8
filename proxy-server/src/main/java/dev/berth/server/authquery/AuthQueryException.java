package dev.berth.server.authquery;

/** The auth query could not answer; the message names auth_query, where it ran and why, for the client and the log. */
public final class AuthQueryException extends RuntimeException {
    AuthQueryException(String message, Throwable cause) {
        super(message, cause);
    }
}
