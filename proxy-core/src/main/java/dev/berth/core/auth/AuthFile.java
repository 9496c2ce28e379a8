package dev.berth.core.auth;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Users and their secrets, in pgbouncer's {@code userlist.txt} format: one {@code "user" "secret"} per
 * line, a double quote inside a field doubled, lines starting with {@code ;} or {@code #} ignored.
 */
public final class AuthFile implements SecretSource {
    private final Map<String, Secret> secrets;

    private AuthFile(Map<String, Secret> secrets) {
        this.secrets = Collections.unmodifiableMap(secrets);
    }

    public static AuthFile load(Path path) throws IOException {
        return parse(Files.readAllLines(path, StandardCharsets.UTF_8), path.toString());
    }

    public static AuthFile parse(List<String> lines, String source) {
        Map<String, Secret> secrets = new LinkedHashMap<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith(";") || line.startsWith("#")) {
                continue;
            }
            try {
                int[] pos = {0};
                String user = quoted(line, pos);
                skipSpaces(line, pos);
                String secret = quoted(line, pos);
                secrets.put(user, Secret.parse(secret));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(source + " line " + (i + 1) + ": " + e.getMessage()
                        + " (expected \"user\" \"password-or-md5-or-SCRAM-secret\")");
            }
        }
        return new AuthFile(secrets);
    }

    private static String quoted(String line, int[] pos) {
        if (pos[0] >= line.length() || line.charAt(pos[0]) != '"') {
            throw new IllegalArgumentException("missing opening quote");
        }
        StringBuilder value = new StringBuilder();
        int i = pos[0] + 1;
        while (true) {
            if (i >= line.length()) {
                throw new IllegalArgumentException("missing closing quote");
            }
            char c = line.charAt(i);
            if (c == '"') {
                if (i + 1 < line.length() && line.charAt(i + 1) == '"') {
                    value.append('"');
                    i += 2;
                    continue;
                }
                pos[0] = i + 1;
                return value.toString();
            }
            value.append(c);
            i++;
        }
    }

    private static void skipSpaces(String line, int[] pos) {
        while (pos[0] < line.length() && Character.isWhitespace(line.charAt(pos[0]))) {
            pos[0]++;
        }
    }

    /** The user's secret, or null. */
    public Secret lookup(String user) {
        return secrets.get(user);
    }

    @Override
    public CompletionStage<Secret> secret(String user) {
        return CompletableFuture.completedFuture(secrets.get(user));
    }

    public int size() {
        return secrets.size();
    }
}
