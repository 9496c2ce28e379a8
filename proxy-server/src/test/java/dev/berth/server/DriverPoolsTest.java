package dev.berth.server;

import dev.berth.core.auth.AuthType;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Drivers' own connection pools through Berth in transaction mode, with Berth's pool smaller than the
 * application's: asyncpg's pool (4 connections, its default reset on release) and psycopg_pool (4
 * connections) shared by {@value #TASKS} tasks of {@value #QUERIES} mixed queries each, on {@value #POOL_MAX}
 * backends. Every query must succeed, and no client may be pinned: a pinned pool connection would hold
 * one of the two backends for good. Each script also runs directly against PostgreSQL.
 */
class DriverPoolsTest {
    static final int TASKS = 8;
    static final int QUERIES = 20;
    static final int POOL_MAX = 2;

    @Test
    void asyncpgPoolScriptPassesAgainstPostgres() throws Exception {
        run(OtherDriversTest.pythonWith("asyncpg"), "asyncpg_pool.py", TestPostgres.port());
    }

    /**
     * Fails today only because asyncpg's release reset ends with {@code RESET ALL}, which pins: two pool
     * connections pin both backends and the other two wait past --connection-timeout. The same script with
     * the reset less RESET ALL passes with zero pins.
     */
    @Test
    void asyncpgPoolThroughBerthWithFewerBackendsThanConnections() throws Exception {
        String python = OtherDriversTest.pythonWith("asyncpg");
        try (RunningBerth berth = startBerth()) {
            run(python, "asyncpg_pool.py", berth.port());
            assertEquals(0, pins(berth), "clients pinned while asyncpg's pool ran");
        }
    }

    @Test
    void psycopgPoolScriptPassesAgainstPostgres() throws Exception {
        run(OtherDriversTest.pythonWith("psycopg_pool"), "psycopg_pool_load.py", TestPostgres.port());
    }

    @Test
    void psycopgPoolThroughBerthWithFewerBackendsThanConnections() throws Exception {
        String python = OtherDriversTest.pythonWith("psycopg_pool");
        try (RunningBerth berth = startBerth()) {
            run(python, "psycopg_pool_load.py", berth.port());
            assertEquals(0, pins(berth), "clients pinned while psycopg_pool ran");
        }
    }

    private static RunningBerth startBerth() {
        return RunningBerth.start(b -> b.authType(AuthType.TRUST).authFile(null).poolMax(POOL_MAX));
    }

    /** Runs the script on a fresh table, then checks the rows it wrote: 3 per executemany, 1 per transaction. */
    private static void run(String python, String script, int port) throws Exception {
        String table = "pool_" + script.replaceAll("[^a-z]", "") + "_" + port + "_"
                + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 1);
        TestPostgres.execute("create table " + table + " (task int, q int, k int, note text, primary key (task, q, k))");
        try {
            DriverScript.run(script, Map.of(), List.of(python, DriverScript.path(script).toString(), "127.0.0.1",
                    String.valueOf(port), "postgres", "postgres", table, String.valueOf(TASKS), String.valueOf(QUERIES)),
                    TASKS * QUERIES);
            long perTask = QUERIES / 4 * (3 + 1); // every 4th query writes 3 rows (executemany), every 4th 1 (transaction)
            assertEquals(TASKS * perTask, TestPostgres.rowCount(table), "rows " + script + " wrote");
        } finally {
            TestPostgres.execute("drop table if exists " + table);
        }
    }

    /** berth_pool_client_pins_total summed over pools (0 when no pool has any). */
    static double pins(RunningBerth berth) throws IOException, InterruptedException {
        double sum = 0;
        for (String line : ObservabilityTest.get(berth.server(), "/metrics").body().split("\n")) {
            if (line.startsWith("berth_pool_client_pins_total")) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return sum;
    }


}
