package dev.berth.core.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Where the backend PostgreSQL is: {@code postgresql://[user[:password]@]host[:port][/database][?sslmode=...]}.
 * No database means the client's database; no user means the client's user. The TLS parameters
 * ({@code sslmode}, {@code sslrootcert}, {@code sslcert}, {@code sslkey}, {@code sslnegotiation},
 * {@code channel_binding}) make its
 * {@link BackendTls}.
 */
public record BackendUrl(String host, int port, String user, String password, String database, BackendTls tls) {
    private static final List<String> TLS_PARAMETERS = List.of("sslmode", "sslrootcert", "sslcert", "sslkey", "sslnegotiation",
            "channel_binding");

    /** Parses the URL; the exception says what is wrong (password masked), the caller which setting it was. */
    public static BackendUrl parse(String value) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException("is empty");
        }
        URI uri;
        try {
            uri = new URI(value.trim());
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("'" + mask(value) + "' is not a URL: " + e.getReason());
        }
        if (!"postgresql".equals(uri.getScheme()) && !"postgres".equals(uri.getScheme())) {
            throw new IllegalArgumentException("'" + mask(value) + "' must start with postgresql://");
        }
        if (uri.getRawAuthority() == null) {
            throw new IllegalArgumentException("'" + mask(value) + "' has no host");
        }
        // java.net.URI leaves names such as my_db (a compose service) without a host: read the authority itself
        String hostPort = uri.getRawAuthority().substring(uri.getRawAuthority().lastIndexOf('@') + 1);
        String host;
        int port = 5432;
        int portColon = hostPort.startsWith("[") ? hostPort.indexOf(':', hostPort.indexOf(']')) : hostPort.lastIndexOf(':');
        if (portColon >= 0) {
            host = hostPort.substring(0, portColon);
            try {
                port = Integer.parseInt(hostPort.substring(portColon + 1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("'" + mask(value) + "' has a non-numeric port");
            }
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("'" + mask(value) + "' has port " + port + ", outside 1-65535");
            }
        } else {
            host = hostPort;
        }
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        if (host.isEmpty()) {
            throw new IllegalArgumentException("'" + mask(value) + "' has no host");
        }
        String user = null;
        String password = null;
        if (uri.getRawUserInfo() != null) {
            String info = uri.getRawUserInfo();
            int colon = info.indexOf(':');
            user = decode(colon < 0 ? info : info.substring(0, colon));
            password = colon < 0 ? null : decode(info.substring(colon + 1));
            if (user.isEmpty()) {
                user = null;
            }
        }
        String database = null;
        String path = uri.getRawPath();
        if (path != null && path.length() > 1) {
            database = decode(path.substring(1));
            if (database.contains("/")) {
                throw new IllegalArgumentException("'" + mask(value) + "' has a path that is not a database name");
            }
        }
        Map<String, String> params = new HashMap<>();
        if (uri.getRawQuery() != null) {
            for (String pair : uri.getRawQuery().split("&")) {
                int eq = pair.indexOf('=');
                String key = eq < 0 ? pair : pair.substring(0, eq);
                if (!TLS_PARAMETERS.contains(key)) {
                    throw new IllegalArgumentException("unknown URL parameter '" + key + "' (supported: "
                            + String.join(", ", TLS_PARAMETERS) + ")");
                }
                params.put(key, eq < 0 ? "" : decode(pair.substring(eq + 1)));
            }
        }
        BackendTls tls = BackendTls.of(params.get("sslmode"), params.get("sslrootcert"), params.get("sslcert"),
                params.get("sslkey"), params.get("sslnegotiation"), params.get("channel_binding"));
        return new BackendUrl(host, port, user, password, database, tls);
    }

    private static String decode(String s) {
        return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
    }

    /** The URL with its password masked, for logs and /config. */
    public String masked() {
        StringBuilder sb = new StringBuilder("postgresql://");
        if (user != null) {
            sb.append(user);
            if (password != null) {
                sb.append(":****");
            }
            sb.append('@');
        }
        sb.append(host.contains(":") ? "[" + host + "]" : host).append(':').append(port);
        if (database != null) {
            sb.append('/').append(database);
        }
        return sb.append(tls.urlParameters()).toString();
    }

    public String address() {
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }

    private static String mask(String url) {
        return url.replaceAll("(://[^:/@]*:)[^@]*@", "$1****@");
    }

    @Override
    public String toString() {
        return masked();
    }
}
