package dev.berth.core.auth;

import dev.berth.core.protocol.SqlState;

/** A failed login, with the SQLSTATE the client receives. */
public final class AuthException extends Exception {
    private final String sqlState;

    public AuthException(String sqlState, String message) {
        super(message);
        this.sqlState = sqlState;
    }

    public String sqlState() {
        return sqlState;
    }

    static AuthException protocol(String message) {
        return new AuthException(SqlState.PROTOCOL_VIOLATION, message);
    }

    static AuthException wrongPassword() {
        return new AuthException(SqlState.INVALID_PASSWORD, null);
    }
}
