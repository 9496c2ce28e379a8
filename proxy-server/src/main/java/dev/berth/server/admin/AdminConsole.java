package dev.berth.server.admin;

import dev.berth.core.pool.CloseReason;
import dev.berth.core.pool.Pool;
import dev.berth.core.pool.PoolKey;
import dev.berth.core.protocol.ErrorResponse;
import dev.berth.core.protocol.MessageType;
import dev.berth.core.protocol.Messages;
import dev.berth.core.protocol.SqlState;
import dev.berth.server.PoolsLiveState;
import dev.berth.server.ProxyContext;
import dev.berth.server.backend.ServerConnection;
import dev.berth.server.client.ClientSession;
import dev.berth.server.lifecycle.PauseGate;
import dev.berth.server.lifecycle.PauseWait;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * The admin console: the virtual database {@code berth} (alias {@code pgbouncer}) for users in
 * --admin-users, speaking the simple query protocol. SHOW commands answer with pgbouncer's column names
 * where the concept is the same, so psql users and scripts feel at home.
 */
public final class AdminConsole {
    private static final Logger LOG = Logger.getLogger(AdminConsole.class.getName());
    public static final List<String> DATABASES = List.of("berth", "pgbouncer");

    /** What the console can ask of the running server. */
    public interface Actions {
        void shutdown();

        /** Re-reads the config and auth files; returns a line to tell the operator, throws saying why nothing changed. */
        String reload() throws Exception;

        Map<String, String> settings();

        Map<String, String> sources();
    }

    private static final String HELP = String.join("\n",
            "SHOW HELP|POOLS|STATS|CLIENTS|SERVERS|CONFIG|DATABASES|USERS|VERSION",
            "PAUSE [<db>]  -- hold new transactions, wait for those in flight, close the server connections (then restart PostgreSQL)",
            "RESUME [<db>]",
            "RELOAD  -- re-read the config file, the auth file and the TLS files (as SIGHUP does)",
            "KILL <database>  -- disconnect the clients and backend connections of a database",
            "SHUTDOWN");

    private final ProxyContext proxy;
    private final AdminShow show;
    private final Actions actions;

    public AdminConsole(ProxyContext proxy, PoolsLiveState live, Actions actions) {
        this.proxy = proxy;
        this.show = new AdminShow(proxy, live);
        this.actions = actions;
    }

    /**
     * Completes an admin login. The console answers in UTF-8 text with ISO dates; server_version is the
     * backend's when a backend login has told it, else Berth's own (as pgbouncer reports its own).
     */
    public void greet(ChannelHandlerContext ctx, int processId, int secretKey) {
        ctx.write(Messages.AUTHENTICATION_OK.duplicate());
        String backendVersion = proxy.health().serverVersion();
        Map<String, String> parameters = new LinkedHashMap<>();
        parameters.put("server_version", backendVersion != null ? backendVersion : version() + "/berth");
        parameters.put("server_encoding", "UTF8");
        parameters.put("client_encoding", "UTF8");
        parameters.put("DateStyle", "ISO, MDY");
        parameters.put("integer_datetimes", "on");
        parameters.put("standard_conforming_strings", "on");
        parameters.put("TimeZone", "UTC");
        parameters.put("application_name", "");
        parameters.put("is_superuser", "off");
        parameters.forEach((k, v) -> ctx.write(Messages.parameterStatus(ctx.alloc(), k, v)));
        ctx.write(Messages.backendKeyData(ctx.alloc(), processId, secretKey));
        ctx.writeAndFlush(Messages.readyForQuery(ctx.alloc(), (byte) 'I'));
    }

    /** Handles one message of an admin session; takes ownership of the frame. */
    public void handle(ChannelHandlerContext ctx, ByteBuf frame, String who) {
        try {
            byte type = MessageType.of(frame);
            if (type == MessageType.SYNC) {
                ctx.writeAndFlush(Messages.readyForQuery(ctx.alloc(), (byte) 'I'));
                return;
            }
            if (type != MessageType.QUERY) {
                if (type != MessageType.FLUSH && type != MessageType.BIND && type != MessageType.DESCRIBE
                        && type != MessageType.EXECUTE && type != MessageType.CLOSE) {
                    ctx.write(ErrorResponse.error(SqlState.FEATURE_NOT_SUPPORTED,
                            "the admin console speaks the simple query protocol only (psql; pgjdbc with preferQueryMode=simple)").encode(ctx.alloc()));
                }
                if (type == MessageType.PARSE) {
                    ctx.flush();
                }
                return;
            }
            String sql = Messages.readCString(Messages.payload(frame)).trim();
            while (sql.endsWith(";")) {
                sql = sql.substring(0, sql.length() - 1).trim();
            }
            boolean answered = true;
            try {
                answered = run(ctx, sql, who);
            } catch (AdminError e) {
                ctx.write(ErrorResponse.error(e.sqlState, e.getMessage()).encode(ctx.alloc()));
            }
            if (answered) {
                ctx.writeAndFlush(Messages.readyForQuery(ctx.alloc(), (byte) 'I'));
            }
        } finally {
            frame.release();
        }
    }

    /** Runs one command; false when it answers later (PAUSE), ReadyForQuery included. */
    private boolean run(ChannelHandlerContext ctx, String sql, String who) throws AdminError {
        String[] words = sql.split("\\s+");
        String command = words[0].toUpperCase(Locale.ROOT);
        String argument = words.length > 1 ? words[1] : null;
        if (sql.isEmpty()) {
            ResultWriter.emptyQuery(ctx);
            return true;
        }
        switch (command) {
            case "SHOW" -> show(ctx, argument == null ? "" : argument.toUpperCase(Locale.ROOT));
            case "SET" -> ResultWriter.complete(ctx, "SET"); // harmless SETs from drivers and tools are accepted
            case "PAUSE" -> {
                pause(ctx, argument, who);
                return false;
            }
            case "RESUME" -> resume(ctx, argument, who);
            case "RELOAD" -> {
                try {
                    String result = actions.reload();
                    ctx.write(ErrorResponse.notice(result).encodeAsNotice(ctx.alloc()));
                } catch (IOException e) { // a file that cannot be read or is invalid: nothing changed
                    throw new AdminError(SqlState.CONFIG_FILE_ERROR, "RELOAD failed: " + e.getMessage());
                } catch (Exception e) {
                    throw new AdminError(SqlState.INTERNAL_ERROR, "RELOAD failed: " + e.getMessage());
                }
                ResultWriter.complete(ctx, "RELOAD");
            }
            case "KILL" -> {
                if (argument == null) {
                    throw new AdminError("42601", "KILL needs a database name");
                }
                kill(argument);
                ResultWriter.complete(ctx, "KILL");
            }
            case "SHUTDOWN" -> {
                ResultWriter.complete(ctx, "SHUTDOWN");
                ctx.flush();
                actions.shutdown();
            }
            default -> throw new AdminError("42601", "unknown admin command \"" + words[0] + "\"; try SHOW HELP");
        }
        return true;
    }

    /**
     * PAUSE [db]: holds new work at once, then answers once the transactions in flight have ended and every
     * server connection of the paused databases is closed ({@link PauseWait}). Meanwhile this console reads nothing.
     */
    private void pause(ChannelHandlerContext ctx, String database, String who) {
        PauseGate gate = proxy.pauseGate();
        String what = database == null ? "all databases" : "database " + database;
        if (database == null) {
            gate.pause(true);
        } else {
            gate.pause(database);
        }
        LOG.info(what + " paused by " + who + ": new transactions wait; closing server connections as they are released");
        ctx.channel().config().setAutoRead(false);
        long start = System.nanoTime();
        new PauseWait(ctx.executor(), proxy.pools()::all, db -> database == null || database.equals(db),
                () -> database == null ? gate.paused() : gate.paused(database), () -> ctx.channel().isActive(), problem -> {
            if (problem == null) {
                LOG.info(what + " paused: no server connection left after "
                        + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) + " ms");
                ResultWriter.complete(ctx, "PAUSE");
            } else {
                ctx.write(ErrorResponse.error(SqlState.QUERY_CANCELED, "PAUSE did not complete: " + problem).encode(ctx.alloc()));
            }
            ctx.writeAndFlush(Messages.readyForQuery(ctx.alloc(), (byte) 'I'));
            ctx.channel().config().setAutoRead(true);
        }).run();
    }

    private void resume(ChannelHandlerContext ctx, String database, String who) throws AdminError {
        PauseGate gate = proxy.pauseGate();
        if (database == null) {
            if (!gate.anyPaused()) {
                throw new AdminError(SqlState.OBJECT_NOT_IN_PREREQUISITE_STATE, "nothing is paused");
            }
            gate.pause(false);
        } else if (gate.paused()) {
            throw new AdminError(SqlState.OBJECT_NOT_IN_PREREQUISITE_STATE,
                    "all databases are paused; RESUME without a database resumes them all");
        } else if (!gate.resume(database)) {
            throw new AdminError(SqlState.OBJECT_NOT_IN_PREREQUISITE_STATE, "database " + database + " is not paused");
        }
        LOG.info((database == null ? "all databases" : "database " + database) + " resumed by " + who);
        ResultWriter.complete(ctx, "RESUME");
    }

    private void show(ChannelHandlerContext ctx, String what) throws AdminError {
        switch (what) {
            case "HELP" -> {
                ctx.write(ErrorResponse.notice("Console usage\n" + HELP).encodeAsNotice(ctx.alloc()));
                ResultWriter.complete(ctx, "SHOW");
            }
            case "VERSION" -> ResultWriter.rows(ctx, List.of("version"), List.of(List.of("Berth " + version())));
            case "POOLS" -> rows(ctx, show.pools());
            case "STATS" -> rows(ctx, show.stats());
            case "CLIENTS" -> rows(ctx, show.clients());
            case "SERVERS" -> rows(ctx, show.servers());
            case "DATABASES" -> rows(ctx, show.databases());
            case "USERS" -> rows(ctx, show.users());
            case "CONFIG" -> {
                List<List<Object>> rows = new ArrayList<>();
                actions.settings().forEach((k, v) -> rows.add(List.of(k, v, actions.sources().getOrDefault("--" + k, "default"))));
                ResultWriter.rows(ctx, List.of("key", "value", "source"), rows);
            }
            default -> throw new AdminError("42601", "unknown SHOW subject \"" + what + "\"; try SHOW HELP");
        }
    }

    private static void rows(ChannelHandlerContext ctx, AdminShow.Table table) {
        ResultWriter.rows(ctx, table.columns(), table.rows());
    }

    private void kill(String database) {
        for (ClientSession c : proxy.clients().all()) {
            PoolKey key = c.poolKey();
            if (key != null && key.database().equals(database)) {
                c.executor().execute(() -> c.disconnect(SqlState.ADMIN_SHUTDOWN, "killed by the admin console (KILL " + database + ")", null));
            }
        }
        for (Pool<ServerConnection> pool : proxy.pools().all()) {
            if (pool.key().database().equals(database)) {
                pool.janitor().closeAll(CloseReason.KILLED, ErrorResponse.fatal(SqlState.ADMIN_SHUTDOWN, "killed by the admin console"));
            }
        }
    }

    public static String version() {
        Package p = AdminConsole.class.getPackage();
        return p != null && p.getImplementationVersion() != null ? p.getImplementationVersion() : "0.1.0";
    }

    /** An admin command that failed, with its SQLSTATE. */
    static final class AdminError extends Exception {
        final String sqlState;

        AdminError(String sqlState, String message) {
            super(message);
            this.sqlState = sqlState;
        }
    }
}
