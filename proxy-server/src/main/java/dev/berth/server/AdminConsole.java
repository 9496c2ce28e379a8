package dev.berth.server;

import dev.berth.core.pool.Pool;
import dev.berth.core.pool.PoolKey;
import dev.berth.core.pool.PoolStats;
import dev.berth.core.protocol.ErrorResponse;
import dev.berth.core.protocol.MessageType;
import dev.berth.core.protocol.Messages;
import dev.berth.core.protocol.SqlState;
import dev.berth.server.metrics.PoolMetrics;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The admin console: the virtual database {@code berth} (alias {@code pgbouncer}) for users in
 * --admin-users, speaking the simple query protocol. SHOW commands answer with pgbouncer's column names
 * where the concept is the same, so psql users and scripts feel at home.
 */
final class AdminConsole {
    static final List<String> DATABASES = List.of("berth", "pgbouncer");

    /** What the console can ask of the running server. */
    interface Actions {
        void shutdown();

        /** Re-reads what can change at run time; returns a line to tell the operator. */
        String reload() throws Exception;

        Map<String, String> settings();

        Map<String, String> sources();
    }

    private static final String HELP = String.join("\n",
            "SHOW HELP|POOLS|STATS|CLIENTS|SERVERS|CONFIG|DATABASES|VERSION",
            "PAUSE   -- new transactions wait until RESUME; /readyz answers 503",
            "RESUME",
            "RELOAD  -- re-read the auth file",
            "KILL <database>  -- disconnect the clients and backend connections of a database",
            "SHUTDOWN");

    private final ProxyContext proxy;
    private final Actions actions;

    AdminConsole(ProxyContext proxy, Actions actions) {
        this.proxy = proxy;
        this.actions = actions;
    }

    /** Completes an admin login. */
    void greet(ChannelHandlerContext ctx, int processId, int secretKey) {
        ctx.write(Messages.AUTHENTICATION_OK.duplicate());
        Map.of("server_version", "17.0", "server_encoding", "UTF8", "client_encoding", "UTF8", "DateStyle", "ISO, MDY",
                "integer_datetimes", "on", "standard_conforming_strings", "on", "TimeZone", "UTC", "application_name", "",
                "is_superuser", "off").forEach((k, v) -> ctx.write(Messages.parameterStatus(ctx.alloc(), k, v)));
        ctx.write(Messages.backendKeyData(ctx.alloc(), processId, secretKey));
        ctx.writeAndFlush(Messages.readyForQuery(ctx.alloc(), (byte) 'I'));
    }

    /** Handles one message of an admin session; takes ownership of the frame. */
    void handle(ChannelHandlerContext ctx, ByteBuf frame, String who) {
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
            try {
                run(ctx, sql, who);
            } catch (AdminError e) {
                ctx.write(ErrorResponse.error(e.sqlState, e.getMessage()).encode(ctx.alloc()));
            }
            ctx.writeAndFlush(Messages.readyForQuery(ctx.alloc(), (byte) 'I'));
        } finally {
            frame.release();
        }
    }

    private void run(ChannelHandlerContext ctx, String sql, String who) throws AdminError {
        String[] words = sql.split("\\s+");
        String command = words[0].toUpperCase(Locale.ROOT);
        String argument = words.length > 1 ? words[1] : null;
        if (sql.isEmpty()) {
            ctx.write(Unpooled.emptyQuery(ctx));
            return;
        }
        switch (command) {
            case "SHOW" -> show(ctx, argument == null ? "" : argument.toUpperCase(Locale.ROOT));
            case "SET" -> complete(ctx, "SET"); // harmless SETs from drivers and tools are accepted
            case "PAUSE" -> {
                noDatabaseArgument(argument, "PAUSE");
                proxy.paused(true);
                java.util.logging.Logger.getLogger(AdminConsole.class.getName()).info("paused by " + who);
                complete(ctx, "PAUSE");
            }
            case "RESUME" -> {
                noDatabaseArgument(argument, "RESUME");
                proxy.paused(false);
                java.util.logging.Logger.getLogger(AdminConsole.class.getName()).info("resumed by " + who);
                complete(ctx, "RESUME");
            }
            case "RELOAD" -> {
                try {
                    String result = actions.reload();
                    ctx.write(ErrorResponse.notice(result).encodeAsNotice(ctx.alloc()));
                } catch (Exception e) {
                    throw new AdminError(SqlState.INTERNAL_ERROR, "RELOAD failed: " + e.getMessage());
                }
                complete(ctx, "RELOAD");
            }
            case "KILL" -> {
                if (argument == null) {
                    throw new AdminError("42601", "KILL needs a database name");
                }
                kill(argument);
                complete(ctx, "KILL");
            }
            case "SHUTDOWN" -> {
                complete(ctx, "SHUTDOWN");
                ctx.flush();
                actions.shutdown();
            }
            default -> throw new AdminError("42601", "unknown admin command \"" + words[0] + "\"; try SHOW HELP");
        }
    }

    private static void noDatabaseArgument(String argument, String command) throws AdminError {
        if (argument != null) {
            throw new AdminError(SqlState.FEATURE_NOT_SUPPORTED, command + " applies to all databases; a database argument is not supported yet");
        }
    }

    private void show(ChannelHandlerContext ctx, String what) throws AdminError {
        switch (what) {
            case "HELP" -> {
                ctx.write(ErrorResponse.notice("Console usage\n" + HELP).encodeAsNotice(ctx.alloc()));
                complete(ctx, "SHOW");
            }
            case "VERSION" -> rows(ctx, List.of("version"), List.of(List.of("Berth " + version())));
            case "POOLS" -> pools(ctx);
            case "STATS" -> stats(ctx);
            case "CLIENTS" -> clients(ctx);
            case "SERVERS" -> servers(ctx);
            case "DATABASES" -> databases(ctx);
            case "CONFIG" -> {
                List<List<Object>> rows = new ArrayList<>();
                actions.settings().forEach((k, v) -> rows.add(List.of(k, v, actions.sources().getOrDefault("--" + k, "default"))));
                rows(ctx, List.of("key", "value", "source"), rows);
            }
            default -> throw new AdminError("42601", "unknown SHOW subject \"" + what + "\"; try SHOW HELP");
        }
    }

    private void pools(ChannelHandlerContext ctx) {
        List<List<Object>> rows = new ArrayList<>();
        long now = System.nanoTime();
        for (Pool<ServerConnection> pool : proxy.pools().all()) {
            PoolStats s = pool.stats();
            int active = 0, waiting = 0, idle = 0, pinned = 0;
            long maxWaitNanos = 0;
            for (ClientSession c : proxy.clients()) {
                if (!pool.key().equals(c.poolKey()) || c.gaugeState() == null) {
                    continue;
                }
                switch (c.gaugeState()) {
                    case "active" -> active++;
                    case "waiting" -> {
                        waiting++;
                        maxWaitNanos = Math.max(maxWaitNanos, now - c.waitStartNanos());
                    }
                    default -> idle++;
                }
                pinned += c.pinned() ? 1 : 0;
            }
            rows.add(List.of(s.key().database(), s.key().user(), active, waiting, idle, s.active(), s.idle(), 0, 0, s.opening(),
                    maxWaitNanos / 1_000_000_000L, (maxWaitNanos / 1000) % 1_000_000, proxy.config().poolMode().toString(), pinned));
        }
        rows(ctx, List.of("database", "user", "cl_active", "cl_waiting", "cl_idle", "sv_active", "sv_idle", "sv_used",
                "sv_tested", "sv_login", "maxwait", "maxwait_us", "pool_mode", "cl_pinned"), rows);
    }

    private void stats(ChannelHandlerContext ctx) {
        List<List<Object>> rows = new ArrayList<>();
        for (Pool<ServerConnection> pool : proxy.pools().all()) {
            PoolMetrics m = proxy.metrics().pool(pool.key());
            PoolMetrics.Totals t = m.totals();
            rows.add(List.of(pool.key().database(), pool.key().user(), t.transactions(), t.queries(), t.bytesReceived(), t.bytesSent(),
                    micros(t.transactionSeconds()), micros(t.querySeconds()), micros(t.waitSeconds()),
                    t.transactions() == 0 ? 0 : micros(t.transactionSeconds()) / t.transactions(),
                    t.queries() == 0 ? 0 : micros(t.querySeconds()) / t.queries(),
                    t.waits() == 0 ? 0 : micros(t.waitSeconds()) / t.waits()));
        }
        rows(ctx, List.of("database", "user", "total_xact_count", "total_query_count", "total_received", "total_sent",
                "total_xact_time", "total_query_time", "total_wait_time", "avg_xact_time", "avg_query_time", "avg_wait_time"), rows);
    }

    private void clients(ChannelHandlerContext ctx) {
        List<List<Object>> rows = new ArrayList<>();
        for (ClientSession c : proxy.clients()) {
            PoolKey key = c.poolKey();
            rows.add(List.of("C", c.user() == null ? "" : c.user(), c.database() == null ? "" : c.database(),
                    c.gaugeState() == null ? c.stateName() : c.gaugeState(), c.remoteHost(), c.remotePort(),
                    Instant.ofEpochMilli(c.connectedAtMillis()).toString(), c.pinned() ? "yes" : "no",
                    key == null ? "" : key.toString()));
        }
        rows(ctx, List.of("type", "user", "database", "state", "addr", "port", "connect_time", "pinned", "pool"), rows);
    }

    private void servers(ChannelHandlerContext ctx) {
        List<List<Object>> rows = new ArrayList<>();
        for (Pool<ServerConnection> pool : proxy.pools().all()) {
            for (Map.Entry<ServerConnection, String> e : pool.servers()) {
                ServerConnection s = e.getKey();
                rows.add(List.of("S", pool.key().user(), pool.key().database(), e.getValue(), proxy.config().backend().host(),
                        proxy.config().backend().port(), Instant.ofEpochMilli(s.connectedAtMillis()).toString(), s.processId()));
            }
        }
        rows(ctx, List.of("type", "user", "database", "state", "addr", "port", "connect_time", "backend_pid"), rows);
    }

    private void databases(ChannelHandlerContext ctx) {
        List<List<Object>> rows = new ArrayList<>();
        for (Pool<ServerConnection> pool : proxy.pools().all()) {
            PoolStats s = pool.stats();
            rows.add(List.of(s.key().database(), proxy.config().backend().host(), proxy.config().backend().port(),
                    s.key().database(), proxy.config().backend().user() == null ? "" : proxy.config().backend().user(),
                    s.max(), s.min(), proxy.config().poolMode().toString(), proxy.config().maxBackendConnections(), s.total(),
                    proxy.paused() ? 1 : 0));
        }
        rows(ctx, List.of("name", "host", "port", "database", "force_user", "pool_size", "min_pool_size", "pool_mode",
                "max_connections", "current_connections", "paused"), rows);
    }

    private void kill(String database) {
        for (ClientSession c : proxy.clients()) {
            PoolKey key = c.poolKey();
            if (key != null && key.database().equals(database)) {
                c.channelExecutor().execute(() -> c.disconnect(SqlState.ADMIN_SHUTDOWN, "killed by the admin console (KILL " + database + ")", null));
            }
        }
        for (Pool<ServerConnection> pool : proxy.pools().all()) {
            if (pool.key().database().equals(database)) {
                pool.closeAll("killed by the admin console", ErrorResponse.fatal(SqlState.ADMIN_SHUTDOWN, "killed by the admin console"));
            }
        }
    }

    private static long micros(double seconds) {
        return (long) (seconds * 1_000_000);
    }

    private static void complete(ChannelHandlerContext ctx, String tag) {
        ByteBuf buf = ctx.alloc().buffer(16);
        int start = Messages.begin(buf, (byte) 'C');
        Messages.writeCString(buf, tag);
        Messages.end(buf, start);
        ctx.write(buf);
    }

    /** RowDescription (text columns), DataRows, CommandComplete "SHOW". */
    private static void rows(ChannelHandlerContext ctx, List<String> columns, List<List<Object>> rows) {
        ByteBuf desc = ctx.alloc().buffer(32 * columns.size());
        int start = Messages.begin(desc, (byte) 'T');
        desc.writeShort(columns.size());
        for (String column : columns) {
            Messages.writeCString(desc, column);
            desc.writeInt(0).writeShort(0).writeInt(25).writeShort(-1).writeInt(-1).writeShort(0);
        }
        Messages.end(desc, start);
        ctx.write(desc);
        for (List<Object> row : rows) {
            ByteBuf data = ctx.alloc().buffer(64);
            int at = Messages.begin(data, (byte) 'D');
            data.writeShort(row.size());
            for (Object value : row) {
                byte[] bytes = String.valueOf(value).getBytes(StandardCharsets.UTF_8);
                data.writeInt(bytes.length).writeBytes(bytes);
            }
            Messages.end(data, at);
            ctx.write(data);
        }
        complete(ctx, "SHOW");
    }

    static String version() {
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

    private static final class Unpooled {
        static ByteBuf emptyQuery(ChannelHandlerContext ctx) {
            ByteBuf buf = ctx.alloc().buffer(5);
            Messages.end(buf, Messages.begin(buf, (byte) 'I'));
            return buf;
        }
    }
}
