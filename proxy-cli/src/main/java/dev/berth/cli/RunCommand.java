package dev.berth.cli;

import dev.berth.core.config.BerthConfig;
import dev.berth.core.config.ConfigException;
import dev.berth.core.config.SettingsTable;
import dev.berth.server.BerthServer;
import dev.berth.server.Logs;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.util.concurrent.Callable;
import java.util.logging.Level;

/**
 * {@code berth run}: starts the daemon and serves until SIGTERM, SIGINT or SHUTDOWN, then drains and exits 0;
 * SIGHUP reloads the configuration.
 */
@Command(name = "run", mixinStandardHelpOptions = true, description = "Run the pooler until SIGTERM (it drains first); SIGHUP reloads.",
        sortOptions = false, modelTransformer = SettingOptions.class)
final class RunCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        Settings settings = new Settings(SettingOptions.given(spec), System.getenv());
        BerthConfig config = settings.resolveOrReport();
        if (config == null) {
            return 2;
        }
        Logs.configure(Level.INFO, "json".equals(config.logFormat()));
        BerthServer server;
        try {
            server = new BerthServer(settings.resolved(), settings.resolver()).start();
        } catch (IOException e) {
            System.err.println("berth: " + e.getMessage());
            return 1;
        } catch (ConfigException e) { // a TLS file that changed since it was checked
            System.err.println("berth: invalid setting " + SettingsTable.byName(e.setting()).flag() + ": " + e.problem());
            return 2;
        }
        Signals.install(server);
        // the last resort, when the JVM exits for another reason: stop at once (a no-op after a drain)
        Runtime.getRuntime().addShutdownHook(new Thread(server::close, "berth-shutdown"));
        try {
            server.awaitTermination(); // drained after SIGTERM/SIGINT or SHUTDOWN, or stopped
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return 0;
    }
}
