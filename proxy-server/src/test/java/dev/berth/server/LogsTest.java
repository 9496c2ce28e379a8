package dev.berth.server;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LogsTest {
    @Test
    void controlCharactersInATextLineAreEscapedSoNoLineCanBeForged() {
        LogRecord r = new LogRecord(Level.WARNING, "client 1.2.3.4:5 user=evil\n2026-01-01T00:00:00Z INFO ClientLogin: admin"
                + " logged in\r\tx\u0001\u2028 login failed");
        r.setLoggerName("dev.berth.server.client.ClientLogin");
        String line = new Logs.OneLine().format(r);
        assertEquals(1, line.split("\n", -1).length - 1, line); // one line, ended by its own newline
        assertTrue(line.endsWith("user=evil\\n2026-01-01T00:00:00Z INFO ClientLogin: admin logged in\\r\\tx\\x01\\u2028"
                + " login failed\n"), line);
    }

    @Test
    void aThrottledLogWritesOneLinePerIntervalCountingTheEventsItStandsFor() {
        Logger logger = Logger.getLogger("dev.berth.test.throttled");
        List<String> lines = new ArrayList<>();
        Handler capture = new Handler() {
            @Override
            public void publish(LogRecord record) {
                lines.add(record.getMessage());
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        logger.addHandler(capture);
        try {
            ThrottledLog log = new ThrottledLog(logger, Level.INFO, 0); // every event is due: a line each
            log.event(n -> n + " events");
            log.event(n -> n + " events");
            assertEquals(List.of("1 events", "1 events"), lines);
            lines.clear();
            ThrottledLog hourly = new ThrottledLog(logger, Level.INFO, 3_600_000);
            for (int i = 0; i < 1000; i++) {
                hourly.event(n -> n + " events");
            }
            assertEquals(List.of("1 events"), lines); // the first at once, the other 999 wait for the next line
        } finally {
            logger.removeHandler(capture);
        }
    }
}
