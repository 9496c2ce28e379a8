package dev.berth.server;

import dev.berth.core.auth.AuthType;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Non-Java drivers through Berth in its default mode (transaction pooling, named prepared statements
 * rewritten across servers): asyncpg, psycopg 3 and node-postgres, each with {@value #CLIENTS} concurrent
 * clients on a pool of {@value #POOL_MAX} servers. The driver scripts (src/test/resources/drivers) check
 * that every result is the one their client asked for, print {@code ok <clients*iterations>} and exit 0;
 * each also runs directly against PostgreSQL, which shows the script itself is right. A driver whose
 * runtime or library is missing is skipped, or fails under CI=true (see {@link RequiredTool}).
 */
class OtherDriversTest {
    static final int CLIENTS = 20;
    static final int ITERATIONS = 50;
    static final int POOL_MAX = 4;
    /** Rows each script inserts: every client, every 5th iteration, 3 rows (see the scripts). */
    static final int EXPECTED_ROWS = CLIENTS * ((ITERATIONS + 4) / 5) * 3;
    static final long TIMEOUT_SECONDS = 120;
    /** Debian's interpreter first: a python3 on PATH (pyenv) may lack the Debian-packaged drivers. */
    static final List<String> PYTHONS = List.of("/usr/bin/python3", "python3");

    // ---- asyncpg ----

    @Test
    void asyncpgScriptPassesAgainstPostgres() throws Exception {
        python(pythonWith("asyncpg"), "asyncpg_load.py", TestPostgres.port());
    }

    @Test
    void asyncpgThroughBerth() throws Exception {
        String python = pythonWith("asyncpg");
        try (RunningBerth berth = startBerth()) {
            python(python, "asyncpg_load.py", berth.port());
        }
    }

    // ---- psycopg 3 ----

    @Test
    void psycopgScriptPassesAgainstPostgres() throws Exception {
        python(pythonWith("psycopg"), "psycopg_load.py", TestPostgres.port());
    }

    @Test
    void psycopgThroughBerth() throws Exception {
        String python = pythonWith("psycopg");
        try (RunningBerth berth = startBerth()) {
            python(python, "psycopg_load.py", berth.port());
        }
    }

    // ---- node-postgres ----

    @Test
    void nodePgScriptPassesAgainstPostgres() throws Exception {
        node(nodeModulesWithPg(), TestPostgres.port());
    }

    @Test
    void nodePgThroughBerth() throws Exception {
        Path modules = nodeModulesWithPg();
        try (RunningBerth berth = startBerth()) {
            node(modules, berth.port());
        }
    }

    // ---- running the scripts ----

    private static RunningBerth startBerth() {
        return RunningBerth.start(b -> b.authType(AuthType.TRUST).authFile(null).poolMax(POOL_MAX));
    }

    private static void python(String python, String script, int port) throws Exception {
        runScript(script, port, Map.of(), python, script(script).toString());
    }

    private static void node(Path modules, int port) throws Exception {
        runScript("node_pg_load.js", port, Map.of("NODE_PATH", modules.toString()), "node", script("node_pg_load.js").toString());
    }

    /** Runs a driver script against {@code port} on a fresh table; asserts exit 0, the summary line and the rows. */
    private static void runScript(String name, int port, Map<String, String> env, String... command) throws Exception {
        String table = "drv_" + name.replaceAll("[^a-z]", "") + "_" + port + "_" + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 1);
        TestPostgres.execute("create table " + table + " (client int, iter int, k int, note text, primary key (client, iter, k))");
        Path log = Files.createTempFile("berth-driver-" + name, ".log");
        try {
            List<String> args = new ArrayList<>(List.of(command));
            args.addAll(List.of("127.0.0.1", String.valueOf(port), "postgres", "postgres", table,
                    String.valueOf(CLIENTS), String.valueOf(ITERATIONS)));
            ProcessBuilder pb = new ProcessBuilder(args).redirectErrorStream(true).redirectOutput(log.toFile());
            pb.environment().putAll(env);
            Process p = pb.start();
            if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                fail(name + " did not finish within " + TIMEOUT_SECONDS + " s (port " + port + "):\n" + tail(log));
            }
            String out = tail(log);
            assertEquals(0, p.exitValue(), name + " failed (port " + port + "):\n" + out);
            assertTrue(out.lines().anyMatch(l -> l.equals("ok " + CLIENTS * ITERATIONS)),
                    name + " did not report ok " + CLIENTS * ITERATIONS + ":\n" + out);
            assertEquals(EXPECTED_ROWS, TestPostgres.rowCount(table), "rows " + name + " inserted into " + table);
        } finally {
            Files.deleteIfExists(log);
            TestPostgres.execute("drop table if exists " + table);
        }
    }

    private static String tail(Path log) throws IOException {
        String out = Files.readString(log, StandardCharsets.UTF_8);
        return out.length() > 20_000 ? "...\n" + out.substring(out.length() - 20_000) : out;
    }

    private static Path script(String name) throws URISyntaxException {
        var url = OtherDriversTest.class.getResource("/drivers/" + name);
        assertTrue(url != null, "test resource drivers/" + name);
        return Path.of(url.toURI());
    }



    // ---- what is installed ----

    /** A Python interpreter that can import {@code module} (for psycopg: with pipeline support), or the test is skipped. */
    static String pythonWith(String module) {
        String check = module.equals("psycopg")
                ? "import psycopg, sys; sys.exit(0 if psycopg.Pipeline.is_supported() else 3)"
                : "import " + module;
        for (String python : PYTHONS) {
            if (exitCode(30, python, "-c", check) == 0) {
                return python;
            }
        }
        RequiredTool.require(false, "no Python among " + PYTHONS + " can import " + module
                + (module.equals("psycopg") ? " with pipeline mode (needs libpq >= 14)" : "")
                + " (Debian package python3-" + module.replace('_', '-') + ")");
        return null;
    }

    private static Path nodeModules;
    private static String nodeProblem;

    /**
     * node_modules with node-postgres: installed by npm into target/node once per JVM (the registry is
     * reachable in CI). The test is skipped when node or npm is missing or the install fails.
     */
    static synchronized Path nodeModulesWithPg() {
        if (nodeModules == null && nodeProblem == null) {
            nodeProblem = installPg();
        }
        RequiredTool.require(nodeProblem == null, nodeProblem);
        return nodeModules;
    }

    private static String installPg() {
        if (exitCode(30, "node", "--version") != 0) {
            return "node is not installed (Debian package nodejs)";
        }
        try {
            Path target = Path.of(OtherDriversTest.class.getProtectionDomain().getCodeSource().getLocation().toURI()).getParent();
            Path prefix = target.resolve("node");
            Path modules = prefix.resolve("node_modules");
            if (!Files.isRegularFile(modules.resolve("pg/package.json"))) {
                if (exitCode(30, "npm", "--version") != 0) {
                    return "npm is not installed (Debian package npm), so node-postgres cannot be installed";
                }
                Files.createDirectories(prefix);
                Path log = Files.createTempFile("berth-npm", ".log");
                try {
                    Process p = new ProcessBuilder("npm", "install", "--prefix", prefix.toString(), "--no-audit", "--no-fund",
                            "--loglevel=error", "pg@8").redirectErrorStream(true).redirectOutput(log.toFile()).start();
                    if (!p.waitFor(180, TimeUnit.SECONDS)) {
                        p.destroyForcibly();
                        return "npm install pg did not finish within 180 s";
                    }
                    if (p.exitValue() != 0 || !Files.isRegularFile(modules.resolve("pg/package.json"))) {
                        return "npm install pg failed (exit " + p.exitValue() + "): " + tail(log);
                    }
                } finally {
                    Files.deleteIfExists(log);
                }
            }
            nodeModules = modules;
            return null;
        } catch (IOException | URISyntaxException e) {
            return "cannot install node-postgres: " + e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted installing node-postgres";
        }
    }

    private static int exitCode(int timeoutSeconds, String... command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return -1;
            }
            return p.exitValue();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }
}
