package dev.berth.server.backend;

import dev.berth.core.protocol.Messages;
import dev.berth.core.session.ParameterView;
import io.netty.buffer.ByteBuf;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What one backend connection's session holds by way of parameters: what the server reported (now and
 * at login, the pool's baseline for a fresh client), the unreported settings Berth applied for the current
 * or last client, and the client view it was last brought in line with. Written on the server's loop,
 * read from client loops between the server's messages.
 */
public final class ServerParameters {
    private final Map<String, String> reported = new ConcurrentHashMap<>();
    private volatile Map<String, String> initial = Map.of();
    private volatile Map<String, String> applied = Map.of();
    /** The client parameters this server was last brought in line with; null once anything changed since. */
    private volatile ParameterView syncedView;

    /** Records a ParameterStatus; returns (name, value). */
    Map.Entry<String, String> record(ByteBuf frame) {
        ByteBuf payload = Messages.payload(frame);
        String name = Messages.readCString(payload);
        String value = Messages.readCString(payload);
        reported.put(name, value);
        syncedView = null;
        return Map.entry(name, value);
    }

    /** The login completed: what was reported so far is what a fresh connection of this pool starts with. */
    void loggedIn() {
        initial = Map.copyOf(reported);
    }

    /** The parameters the server last reported. */
    public Map<String, String> reported() {
        return reported;
    }

    /** The parameters the server reported at login. */
    public Map<String, String> initial() {
        return initial;
    }

    public Map<String, String> applied() {
        return applied;
    }

    /** The unreported settings now applied for the client; forgets the synced view. */
    public void applied(Map<String, String> settings) {
        applied = Map.copyOf(settings);
        syncedView = null;
    }

    public ParameterView syncedView() {
        return syncedView;
    }

    /** The server now matches {@code view}: the next client with the same view needs no sync. */
    public void syncedView(ParameterView view) {
        syncedView = view;
    }
}
