package dev.berth.server;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Instant;
import java.util.logging.ConsoleHandler;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/** One line per event on stderr: time, level, logger, message. */
public final class Logs {
    private Logs() {
    }

    /**
     * Keeps log handlers working during JVM shutdown (the default LogManager closes them in its own
     * shutdown hook, which would swallow the lines that tell how the shutdown went). Install with
     * {@code -Djava.util.logging.manager=dev.berth.server.Logs$Manager} or {@link #installManager()}
     * before the first logger is created.
     */
    public static final class Manager extends LogManager {
        @Override
        public void reset() {
            // handlers stay open until the process exits
        }
    }

    public static void installManager() {
        System.setProperty("java.util.logging.manager", Manager.class.getName());
    }

    public static void configure(Level level) {
        configure(level, false);
    }

    /** @param json one JSON object per line (time, level, logger, message, error) for log shippers */
    public static void configure(Level level, boolean json) {
        Logger root = Logger.getLogger("");
        for (Handler h : root.getHandlers()) {
            root.removeHandler(h);
        }
        ConsoleHandler handler = new ConsoleHandler();
        handler.setLevel(Level.ALL);
        handler.setFormatter(json ? new JsonLine() : new OneLine());
        root.addHandler(handler);
        root.setLevel(Level.INFO);
        Logger.getLogger("dev.berth").setLevel(level);
        Logger.getLogger("io.netty").setLevel(Level.WARNING);
    }

    static final class JsonLine extends Formatter {
        @Override
        public String format(LogRecord r) {
            StringBuilder sb = new StringBuilder(160).append("{\"time\":\"").append(Instant.ofEpochMilli(r.getMillis()))
                    .append("\",\"level\":\"").append(r.getLevel().getName()).append("\",\"logger\":")
                    .append(Json.quote(r.getLoggerName() == null ? "" : r.getLoggerName()))
                    .append(",\"message\":").append(Json.quote(formatMessage(r)));
            if (r.getThrown() != null) {
                StringWriter sw = new StringWriter();
                r.getThrown().printStackTrace(new PrintWriter(sw));
                sb.append(",\"error\":").append(Json.quote(sw.toString()));
            }
            return sb.append("}\n").toString();
        }
    }

    /**
     * Appends {@code text} with its control characters escaped (backslash n, r, t, xNN, and uNNNN for
     * the Unicode line breaks), so a user name or a database name cannot start a forged line of its own.
     */
    static void escapeControls(String text, StringBuilder sb) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c >= 0x20 && c != 0x7f && c != 0x85 && c != 0x2028 && c != 0x2029) {
                sb.append(c);
            } else if (c == '\n') {
                sb.append("\\n");
            } else if (c == '\r') {
                sb.append("\\r");
            } else if (c == '\t') {
                sb.append("\\t");
            } else if (c < 0x100) {
                sb.append(String.format("\\x%02x", (int) c));
            } else {
                sb.append(String.format("\\u%04x", (int) c));
            }
        }
    }

    static final class OneLine extends Formatter {
        @Override
        public String format(LogRecord r) {
            String name = r.getLoggerName() == null ? "" : r.getLoggerName().substring(r.getLoggerName().lastIndexOf('.') + 1);
            StringBuilder sb = new StringBuilder(128).append(Instant.ofEpochMilli(r.getMillis())).append(' ')
                    .append(r.getLevel().getName()).append(' ').append(name).append(": ");
            escapeControls(formatMessage(r), sb);
            if (r.getThrown() != null) {
                StringWriter sw = new StringWriter();
                r.getThrown().printStackTrace(new PrintWriter(sw));
                sb.append('\n').append(sw.toString().stripTrailing());
            }
            return sb.append('\n').toString();
        }
    }
}
