package dev.berth.server;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

/**
 * SCRAM logins of a real driver through Berth, many times: asyncpg before 0.28 (Debian 12's 0.27) parses the
 * server-first-message loosely and failed about one login in 300 while Berth's server nonce used any
 * printable character; with base64 nonces, as PostgreSQL sends, none may fail.
 */
class DriverLoginsTest {
    static final int LOGINS = 300;

    @Test
    void asyncpgScramLoginsThroughBerthNeverFail() throws Exception {
        String python = OtherDriversTest.pythonWith("asyncpg");
        try (RunningBerth berth = RunningBerth.start()) {
            String script = "asyncpg_logins.py";
            DriverScript.run(script, Map.of(), List.of(python, DriverScript.path(script).toString(), "127.0.0.1",
                    String.valueOf(berth.port()), TestPostgres.APP_USER, TestPostgres.APP_PASSWORD, TestPostgres.APP_DB,
                    String.valueOf(LOGINS)), LOGINS);
        }
    }
}
