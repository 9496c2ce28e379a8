package dev.berth.core.config;

import java.util.Locale;

/** Which Netty transport carries the sockets ({@code --transport}). */
public enum TransportChoice {
    /** epoll where it loads, else NIO; io_uring only when named (see Transport in proxy-server). */
    AUTO,
    IO_URING,
    EPOLL,
    NIO;

    public static TransportChoice parse(String value) {
        try {
            return valueOf(value.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("'" + value + "' is not one of auto, io_uring, epoll, nio");
        }
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
