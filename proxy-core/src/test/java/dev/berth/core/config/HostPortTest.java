package dev.berth.core.config;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class HostPortTest {

    @Test
    void parsesHostAndPort() {
        assertEquals(new HostPort("127.0.0.1", 6432), HostPort.parse(" 127.0.0.1:6432 ", "--listen"));
        assertEquals(new HostPort("::", 9930), HostPort.parse("[::]:9930", "--metrics-listen"));
        assertEquals("[::]:9930", HostPort.parse("[::]:9930", "--metrics-listen").toString());
        assertEquals("db:1", new HostPort("db", 1).toString());
    }

    @Test
    void rejectsBadValuesNamingTheSetting() {
        assertEquals("--listen: 'localhost' is not HOST:PORT",
                assertThrows(ConfigException.class, () -> HostPort.parse("localhost", "--listen")).getMessage());
        assertEquals("--listen: ':6432' is not HOST:PORT",
                assertThrows(ConfigException.class, () -> HostPort.parse(":6432", "--listen")).getMessage());
        assertEquals("--listen: 'h:' is not HOST:PORT",
                assertThrows(ConfigException.class, () -> HostPort.parse("h:", "--listen")).getMessage());
        assertEquals("--listen: 'h:x' has a non-numeric port",
                assertThrows(ConfigException.class, () -> HostPort.parse("h:x", "--listen")).getMessage());
        assertEquals("--listen: port 70000 is out of range 0-65535",
                assertThrows(ConfigException.class, () -> HostPort.parse("h:70000", "--listen")).getMessage());
    }
}
