package dev.berth.core.config;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class HostPortTest {

    @Test
    void parsesHostAndPort() {
        assertEquals(new HostPort("127.0.0.1", 6432), HostPort.parse(" 127.0.0.1:6432 "));
        assertEquals(new HostPort("::", 9930), HostPort.parse("[::]:9930"));
        assertEquals("[::]:9930", HostPort.parse("[::]:9930").toString());
        assertEquals("db:1", new HostPort("db", 1).toString());
    }

    @Test
    void rejectsBadValuesSayingWhy() {
        assertEquals("'localhost' is not HOST:PORT",
                assertThrows(IllegalArgumentException.class, () -> HostPort.parse("localhost")).getMessage());
        assertEquals("':6432' is not HOST:PORT",
                assertThrows(IllegalArgumentException.class, () -> HostPort.parse(":6432")).getMessage());
        assertEquals("'h:' is not HOST:PORT",
                assertThrows(IllegalArgumentException.class, () -> HostPort.parse("h:")).getMessage());
        assertEquals("'h:x' has a non-numeric port",
                assertThrows(IllegalArgumentException.class, () -> HostPort.parse("h:x")).getMessage());
        assertEquals("port 70000 is out of range 0-65535",
                assertThrows(IllegalArgumentException.class, () -> HostPort.parse("h:70000")).getMessage());
    }

    @Test
    void theListenSettingNamesItself() {
        ConfigException e = assertThrows(ConfigException.class, () -> SettingsTable.METRICS_LISTEN.parse("h:70000"));
        assertEquals("metrics_listen: port 70000 is out of range 0-65535", e.getMessage());
        assertEquals("port 70000 is out of range 0-65535", e.problem());
    }
}
