package dev.berth.cli;

import dev.berth.cli.demo.DemoCommand;
import dev.berth.cli.verify.VerifyCommand;
import dev.berth.server.Logs;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** {@code berth}: the command line entry point. */
@Command(name = "berth", mixinStandardHelpOptions = true, versionProvider = BerthCli.Version.class,
        description = "Berth, a PostgreSQL connection pooler and proxy.",
        subcommands = {RunCommand.class, CheckConfigCommand.class, VerifyCommand.class, DemoCommand.class, SettingsCommand.class,
                CommandLine.HelpCommand.class})
public final class BerthCli implements Runnable {

    public static void main(String[] args) {
        Logs.installManager();
        // Netty samples buffers for leak reports by default, at a cost on every read; tests run it at
        // "paranoid", the daemon without it unless -Dio.netty.leakDetection.level says otherwise
        if (System.getProperty("io.netty.leakDetection.level") == null) {
            System.setProperty("io.netty.leakDetection.level", "disabled");
        }
        System.exit(execute(args));
    }

    /** Runs a command line and returns the exit code: 0 ok, 2 invalid usage or settings, 1 failure. */
    public static int execute(String... args) {
        CommandLine cli = new CommandLine(new BerthCli());
        cli.setParameterExceptionHandler((e, a) -> {
            e.getCommandLine().getErr().println("berth: " + e.getMessage());
            String command = e.getCommandLine().getCommandName();
            e.getCommandLine().getErr().println("Try '" + (command.equals("berth") ? "berth" : "berth " + command) + " --help'.");
            return CommandLine.ExitCode.USAGE;
        });
        return cli.execute(args);
    }

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() throws IOException {
            Properties p = new Properties();
            try (InputStream in = BerthCli.class.getResourceAsStream("/berth-version.properties")) {
                if (in != null) {
                    p.load(in);
                }
            }
            return new String[] {"berth " + p.getProperty("version", "unknown") + " (Java " + System.getProperty("java.version") + ")"};
        }
    }
}
