package dev.berth.core.hba;

import dev.berth.core.auth.AuthType;

/** The pg_hba.conf methods Berth supports, as pgbouncer does. */
public enum HbaMethod {
    TRUST("trust", AuthType.TRUST),
    REJECT("reject", null),
    MD5("md5", AuthType.MD5),
    SCRAM_SHA_256("scram-sha-256", AuthType.SCRAM_SHA_256),
    PASSWORD("password", AuthType.PLAIN),
    /** The client certificate (verified by tls_ca) must carry the user name as its CN. */
    CERT("cert", null);

    private final String configName;
    private final AuthType authType;

    HbaMethod(String configName, AuthType authType) {
        this.configName = configName;
        this.authType = authType;
    }

    /** How the password is checked; null for reject and cert, which ask for none. */
    public AuthType authType() {
        return authType;
    }

    static HbaMethod parse(String word) {
        for (HbaMethod m : values()) {
            if (m.configName.equals(word)) {
                return m;
            }
        }
        throw new IllegalArgumentException("method \"" + word + "\" is not supported (trust, reject, md5,"
                + " scram-sha-256, password, cert)");
    }

    @Override
    public String toString() {
        return configName;
    }
}
