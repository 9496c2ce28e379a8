package dev.berth.core.auth;

/** How Berth checks a client's password (pgbouncer's auth_type). */
public enum AuthType {
    SCRAM_SHA_256("scram-sha-256"), MD5("md5"), PLAIN("plain"), TRUST("trust"),
    /** The method of the first matching line of the hba file, per client. */
    HBA("hba");

    private final String configName;

    AuthType(String configName) {
        this.configName = configName;
    }

    public String configName() {
        return configName;
    }

    public static AuthType parse(String value) {
        for (AuthType type : values()) {
            if (type.configName.equalsIgnoreCase(value.trim())) {
                return type;
            }
        }
        throw new IllegalArgumentException("unknown auth type '" + value + "' (expected scram-sha-256, md5, plain, trust or hba)");
    }

    @Override
    public String toString() {
        return configName;
    }
}
