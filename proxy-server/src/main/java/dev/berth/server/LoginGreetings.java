package dev.berth.server;

import dev.berth.core.session.ParameterView;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A pool's greetings for logins that need no server (transaction and statement pooling), as pgbouncer's
 * cached welcome message: the parameters a login with given startup settings was shown, learned from the
 * first such login a server of the pool was brought in line for, and shown again to logins with the same
 * settings while the pool's servers start as that server started. A login then costs no server: it neither
 * waits for one while the pool is busy nor takes one from the clients that have work. Bounded: past
 * {@link #MAX_GREETINGS} different settings, logins with new ones go through a server, as the first does.
 */
public final class LoginGreetings {
    static final int MAX_GREETINGS = 256;

    private record Greeting(Map<String, String> serverStart, ParameterView view) {
    }

    private final ConcurrentHashMap<Map<String, String>, Greeting> bySettings = new ConcurrentHashMap<>();

    /** What a login with {@code settings} is shown, if one was learned from a server that started as {@code serverStart}. */
    public ParameterView find(Map<String, String> settings, Map<String, String> serverStart) {
        Greeting greeting = bySettings.get(settings);
        return greeting != null && greeting.serverStart().equals(serverStart) ? greeting.view() : null;
    }

    /** A server that started as {@code serverStart} showed a login with {@code settings} {@code view}. */
    public void learn(Map<String, String> settings, Map<String, String> serverStart, ParameterView view) {
        if (bySettings.size() < MAX_GREETINGS || bySettings.containsKey(settings)) {
            bySettings.put(Map.copyOf(settings), new Greeting(serverStart, view));
        }
    }
}
