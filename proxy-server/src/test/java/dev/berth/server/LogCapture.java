package dev.berth.server;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/** What the named loggers log at {@code min} or above while it is open; for tests that check Berth's log lines. */
public final class LogCapture extends Handler implements AutoCloseable {
    private final Level min;
    private final List<Logger> loggers = new ArrayList<>();
    private final List<LogRecord> records = new CopyOnWriteArrayList<>();

    private LogCapture(Level min, String... loggerNames) {
        this.min = min;
        for (String name : loggerNames) {
            Logger logger = Logger.getLogger(name);
            loggers.add(logger); // held, so that the logger (and its handler) is not collected meanwhile
            logger.addHandler(this);
        }
    }

    public static LogCapture of(Level min, String... loggerNames) {
        return new LogCapture(min, loggerNames);
    }

    /** The records captured so far, oldest first. */
    public List<LogRecord> records() {
        return records;
    }

    @Override
    public void publish(LogRecord r) {
        if (r.getLevel().intValue() >= min.intValue()) {
            records.add(r);
        }
    }

    @Override
    public void flush() {
    }

    @Override
    public void close() {
        loggers.forEach(l -> l.removeHandler(this));
    }
}
