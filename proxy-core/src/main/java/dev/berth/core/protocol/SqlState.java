package dev.berth.core.protocol;

/** The SQLSTATE codes Berth itself answers with. */
public final class SqlState {
    private SqlState() {
    }

    public static final String PROTOCOL_VIOLATION = "08P01";
    public static final String CONNECTION_FAILURE = "08006";
    public static final String CLIENT_UNABLE_TO_CONNECT = "08001";
    public static final String INVALID_AUTHORIZATION = "28000";
    public static final String INVALID_PASSWORD = "28P01";
    public static final String TOO_MANY_CONNECTIONS = "53300";
    public static final String CONFIGURATION_LIMIT_EXCEEDED = "53400";
    public static final String ADMIN_SHUTDOWN = "57P01";
    public static final String INVALID_CATALOG_NAME = "3D000";
    public static final String CONFIG_FILE_ERROR = "F0000";
    public static final String QUERY_CANCELED = "57014";
    public static final String IDLE_SESSION_TIMEOUT = "57P05";
    public static final String IDLE_IN_TRANSACTION_TIMEOUT = "25P03";
    public static final String TRANSACTION_TIMEOUT = "25P04";
    public static final String FEATURE_NOT_SUPPORTED = "0A000";
    public static final String INTERNAL_ERROR = "XX000";
    public static final String OBJECT_NOT_IN_PREREQUISITE_STATE = "55000";
}
