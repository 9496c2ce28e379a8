package dev.berth.core.pool;

/**
 * Why a backend connection was closed: the log gets the description (with any detail), the
 * {@code berth_pool_server_connections_closed_total} counter the label. One place for both, so a
 * new reason cannot end up under the wrong label.
 */
public enum CloseReason {
    IDLE_TIMEOUT("idle_timeout", "idle for longer than the idle timeout"),
    CLIENT_LEFT_BUSY("client_left_busy", "client left with work in flight"),
    RESET_FAILED("reset_failed", "cleanup after the client failed"),
    RECLAIMED("reclaimed", "reclaimed for a pool waiting under the backend connection cap"),
    SERVER_CLOSED("server_closed", "the server closed the connection or ended the session"),
    DEAD("dead", "found unusable"),
    POOL_SHRUNK("pool_shrunk", "above the pool's lowered maximum"),
    SERVER_CHANGED("server_changed", "its pool now points to another server (a reload)"),
    CANCEL_UNANSWERED("cancel_unanswered", "a cancel request forwarded to it went unanswered"),
    LIFETIME("lifetime", "older than the server lifetime (--server-lifetime)"),
    CHECK_FAILED("check_failed", "idle too long and failed its check (--server-check-query)"),
    QUERY_TIMEOUT("query_timeout", "a query still running after its cancel (--query-timeout)"),
    KILLED("killed", "killed by the admin console"),
    PAUSED("paused", "closed by PAUSE, so that PostgreSQL can restart unseen"),
    SHUTDOWN("shutdown", "Berth is shutting down"),
    ERROR("error", "connection error");

    private final String label;
    private final String description;

    CloseReason(String label, String description) {
        this.label = label;
        this.description = description;
    }

    /** The metric label: low cardinality, stable. */
    public String label() {
        return label;
    }

    public String description() {
        return description;
    }
}
