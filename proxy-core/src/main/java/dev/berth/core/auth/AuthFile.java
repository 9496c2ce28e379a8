package dev.berth.core.auth;

import com.ongres.scram.common.ScramFunctions;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;

/**
 * Users and their secrets, in pgbouncer's {@code userlist.txt} format: one {@code "user" "secret"} per
 * line, a double quote inside a field doubled, lines starting with {@code ;} or {@code #} ignored.
 */
public final class AuthFile implements SecretSource {
    private final Map<String, Secret> secrets;
    private final boolean mostlyScram;
    /** Where the SCRAM secrets of plaintext passwords are derived, and the results (per load of the file). */
    private final Executor derivation;
    private final ConcurrentHashMap<String, CompletableFuture<Secret>> derived = new ConcurrentHashMap<>();
    private final SecureRandom random = new SecureRandom();

    private AuthFile(Map<String, Secret> secrets, Executor derivation) {
        this.secrets = Collections.unmodifiableMap(secrets);
        this.derivation = derivation;
        long scram = secrets.values().stream().filter(s -> s instanceof Secret.Scram).count();
        this.mostlyScram = scram >= secrets.size() - scram;
    }

    public static AuthFile load(Path path) throws IOException {
        return parse(Files.readAllLines(path, StandardCharsets.UTF_8), path.toString());
    }

    /**
     * A reload: as {@link #load(Path)}, keeping {@code previous}'s derived SCRAM secrets of the users whose
     * plaintext password did not change, so that rereading a file of many users (a config reloader sending
     * SIGHUP every minute) derives only what changed. {@code previous} may be null.
     */
    public static AuthFile load(Path path, AuthFile previous) throws IOException {
        AuthFile next = load(path);
        if (previous != null) {
            next.keepDerivedOf(previous);
        }
        return next;
    }

    public static AuthFile parse(List<String> lines, String source) {
        return parse(lines, source, KeyDerivation.executor());
    }

    /** As {@link #parse(List, String)}, deriving the SCRAM secrets of plaintext passwords on {@code derivation}. */
    public static AuthFile parse(List<String> lines, String source, Executor derivation) {
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
        return new AuthFile(secrets, derivation);
    }

    private void keepDerivedOf(AuthFile previous) {
        previous.derived.forEach((user, result) -> {
            // only finished derivations of the very same password: the cache is keyed by user and secret
            if (result.isDone() && !result.isCompletedExceptionally()
                    && result.join() instanceof Secret.Plain old
                    && secrets.get(user) instanceof Secret.Plain now && now.password().equals(old.password())) {
                derived.put(user, result);
            }
        });
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

    /**
     * The user's secret. A plaintext password comes with its SCRAM secret, derived on the first lookup off
     * the caller's thread and kept until the file is reloaded, so that no login derives a key on an event
     * loop and a plaintext user's SCRAM exchange looks like a stored secret's (a salt stable per user).
     */
    @Override
    public CompletionStage<Secret> secret(String user) {
        Secret secret = secrets.get(user);
        if (!(secret instanceof Secret.Plain p) || p.password().isEmpty()) {
            return CompletableFuture.completedFuture(secret);
        }
        CompletableFuture<Secret> result = derived.get(user);
        if (result == null) {
            result = derived.computeIfAbsent(user, u -> KeyDerivation.async(() -> new Secret.Plain(p.password(),
                    ScramServerExchange.scramSecret(p.password(), ScramFunctions.salt(16, random),
                            ScramServerExchange.DEFAULT_ITERATIONS)), derivation));
        }
        if (result.isCompletedExceptionally()) {
            derived.remove(user, result); // refused while busy: the next login tries again
        }
        return result;
    }

    @Override
    public SecretOrigin origin(String database, String user, boolean found) {
        return SecretOrigin.AUTH_FILE;
    }

    @Override
    public boolean mostUsersHaveScramSecrets() {
        return mostlyScram;
    }

    public int size() {
        return secrets.size();
    }
}
