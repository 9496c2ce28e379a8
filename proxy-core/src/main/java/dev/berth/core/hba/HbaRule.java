package dev.berth.core.hba;

import java.net.InetAddress;
import java.util.Set;

/**
 * One line of an hba file. {@code databases} and {@code users} null mean {@code all}.
 *
 * @param line where it came from ("pg_hba.conf:3"), for the log
 */
public record HbaRule(ConnectionType type, Set<String> databases, boolean sameUser, Set<String> users,
                      AddressMatch address, HbaMethod method, String line) {

    /** The first column. {@code local} never matches: Berth has no Unix socket; nor GSS encryption. */
    enum ConnectionType {
        LOCAL, HOST, HOSTSSL, HOSTNOSSL, HOSTGSSENC, HOSTNOGSSENC;

        boolean matches(boolean tls) {
            return switch (this) {
                case LOCAL, HOSTGSSENC -> false;
                case HOST, HOSTNOGSSENC -> true;
                case HOSTSSL -> tls;
                case HOSTNOSSL -> !tls;
            };
        }
    }

    boolean matches(boolean tls, InetAddress address, String database, String user) {
        return type.matches(tls)
                && (databases == null || databases.contains(database) || (sameUser && database.equals(user)))
                && (users == null || users.contains(user))
                && this.address.matches(address);
    }
}
