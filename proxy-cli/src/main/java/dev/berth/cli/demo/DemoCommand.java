package dev.berth.cli.demo;

import dev.berth.cli.verify.VerifyCommand;
import dev.berth.core.auth.AuthType;
import dev.berth.core.config.BackendUrl;
import dev.berth.core.config.BerthConfig;
import dev.berth.core.config.HostPort;
import dev.berth.server.BerthServer;
import dev.berth.server.Logs;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * {@code berth demo}: an embedded PostgreSQL in a temporary directory with Berth in front of it, on a
 * machine with nothing but a JDK. Ctrl-C stops both and deletes the data.
 */
@Command(name = "demo", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Start an embedded PostgreSQL 17 (data in a temporary directory) with Berth in front of it, "
                + "and print what to try. Ctrl-C stops both and deletes the data.")
public final class DemoCommand implements Callable<Integer> {
    /** Held: java.util.logging keeps loggers weakly and would forget the level. */
    private static final Logger QUIET_ZONKY = Logger.getLogger("io.zonky");

    @Option(names = "--listen", paramLabel = "HOST:PORT", defaultValue = "127.0.0.1:6432", description = "Where clients connect (default ${DEFAULT-VALUE}).")
    String listen;
    @Option(names = "--metrics-listen", paramLabel = "HOST:PORT", defaultValue = "127.0.0.1:9930", description = "The operator's HTTP port (default ${DEFAULT-VALUE}).")
    String metricsListen;
    @Option(names = "--verify", description = "Run berth verify against the demo once it is up, then keep serving.")
    boolean verify;
    @Option(names = "--out", paramLabel = "DIR", defaultValue = "berth-verify", description = "Where --verify writes its report (default ./${DEFAULT-VALUE}).")
    Path out;

    @Override
    public Integer call() {
        HostPort clients;
        HostPort operator;
        try {
            clients = HostPort.parse(listen);
            operator = HostPort.parse(metricsListen);
        } catch (IllegalArgumentException e) {
            System.err.println("berth demo: " + e.getMessage());
            return 2;
        }
        Logs.configure(Level.INFO);
        QUIET_ZONKY.setLevel(Level.WARNING);
        System.out.println("berth demo: starting PostgreSQL 17 (embedded) ...");
        DemoDatabase db;
        try {
            db = DemoDatabase.start();
        } catch (IOException | RuntimeException e) {
            System.err.println("berth demo: cannot start the embedded PostgreSQL: " + e.getMessage());
            return 1;
        }
        BerthServer server;
        try {
            server = new BerthServer(config(db, clients, operator)).start();
        } catch (IOException | RuntimeException e) {
            db.close();
            System.err.println("berth demo: " + e.getMessage() + " (another Berth running? try --listen 127.0.0.1:6433 --metrics-listen 127.0.0.1:9931)");
            return 1;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            db.close();
            System.out.println("berth demo: stopped; deleted " + db.directory());
        }, "berth-demo-shutdown"));
        printWhatToTry(server, db);
        if (verify) {
            String target = "postgresql://" + DemoDatabase.USER + ":" + DemoDatabase.PASSWORD + "@127.0.0.1:" + server.port()
                    + "/" + DemoDatabase.DATABASE;
            new CommandLine(new VerifyCommand()).execute("--target", target, "--metrics-url",
                    "http://127.0.0.1:" + server.metricsPort() + "/metrics", "--out", out.toString());
            System.out.println("berth demo: still serving; Ctrl-C stops it.");
        }
        try {
            server.awaitTermination();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return 0;
    }

    private static BerthConfig config(DemoDatabase db, HostPort clients, HostPort operator) throws IOException {
        Path users = db.directory().resolve("userlist.txt");
        Files.writeString(users, "\"" + DemoDatabase.USER + "\" \"" + DemoDatabase.PASSWORD + "\"\n");
        // no user or database in the backend URL: each client gets its own, as in most deployments
        return BerthConfig.builder().listen(clients).metricsListen(operator)
                .backend(BackendUrl.parse("postgresql://127.0.0.1:" + db.port()))
                .authFile(users).authType(AuthType.SCRAM_SHA_256).adminUsers(Set.of(DemoDatabase.USER))
                .build();
    }

    private static void printWhatToTry(BerthServer server, DemoDatabase db) {
        String port = Integer.toString(server.port());
        String http = "http://127.0.0.1:" + server.metricsPort();
        System.out.println(String.join("\n",
                "berth demo: Berth on 127.0.0.1:" + port + " in front of PostgreSQL 17 on 127.0.0.1:" + db.port()
                        + " (data in " + db.directory() + ")",
                "  user demo, password demo, database demo; pool mode transaction, pool max 200",
                "  psql:     PGPASSWORD=demo psql -h 127.0.0.1 -p " + port + " -U demo demo",
                "  JDBC:     jdbc:postgresql://127.0.0.1:" + port + "/demo?user=demo&password=demo",
                "  metrics:  " + http + "/metrics   config: " + http + "/config   ready: " + http + "/readyz",
                "  admin:    PGPASSWORD=demo psql -h 127.0.0.1 -p " + port + " -U demo berth   (then SHOW POOLS;)",
                "  verify:   ./berth verify --target postgresql://demo:demo@127.0.0.1:" + port + "/demo --metrics-url " + http + "/metrics",
                "Ctrl-C stops Berth and PostgreSQL and deletes the data."));
        System.out.flush();
    }
}
