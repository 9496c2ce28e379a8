package dev.berth.cli;

import dev.berth.core.config.BerthConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

import java.util.concurrent.Callable;

/** {@code berth check-config}: validates the settings and prints the effective values with their sources. */
@Command(name = "check-config", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Validate the settings (flags and environment) and print the effective configuration.")
final class CheckConfigCommand implements Callable<Integer> {
    @Mixin
    Settings settings;

    @Override
    public Integer call() {
        BerthConfig config;
        try {
            config = settings.resolve();
        } catch (Settings.InvalidSettings e) {
            e.problems.forEach(p -> System.err.println("berth: invalid setting " + p));
            return 2;
        }
        print("--listen", config.listen());
        print("--backend", config.backend().masked());
        print("--auth-file", config.authFile() == null ? "none" : config.authFile());
        print("--auth-type", config.authType());
        print("--pool-mode", config.poolMode());
        print("--pool-max", config.poolMax());
        print("--pool-min", config.poolMin());
        print("--idle-timeout", config.idleTimeoutMs());
        print("--connection-timeout", config.connectionTimeoutMs());
        print("--max-backend-connections", config.maxBackendConnections());
        print("--metrics-listen", config.metricsListen());
        print("--server-reset-query", config.serverResetQuery());
        print("--server-connect-timeout", config.serverConnectTimeoutMs());
        print("--client-login-timeout", config.clientLoginTimeoutMs());
        print("--max-message-size", config.maxMessageSize());
        print("--session-state", config.sessionState());
        print("--max-prepared-statements", config.maxPreparedStatements());
        print("--prepared-statement-registry-bytes", config.preparedStatementRegistryBytes());
        print("--metrics-compat", config.metricsCompat());
        print("--admin-users", config.adminUsers().isEmpty() ? "none" : String.join(",", new java.util.TreeSet<>(config.adminUsers())));
        return 0;
    }

    private void print(String flag, Object value) {
        System.out.printf("%-26s %-40s %s%n", flag, value, settings.sources().getOrDefault(flag, "default"));
    }
}
