package dev.berth.server.backend;

import io.netty.buffer.ByteBuf;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;

/**
 * ParameterStatus messages the client's request sends for parameters that one of Berth's own requests, appended
 * right after it, sets again: a RESET reports the server's default, which the client never had in PostgreSQL
 * (there RESET gives back the value the connection started with), and Berth's request then reports the
 * client's startup value. Those reports are held, and dropped once Berth's request has answered with a report
 * of its own for the same parameter; otherwise (it failed, or the value did not change again) they are passed
 * on after all, so that the client's view matches the server.
 */
final class ReplacedReports {
    /** Lower-case names whose reports are held while Berth's own requests are outstanding, or null. */
    private Set<String> names;
    private final List<ByteBuf> held = new ArrayList<>(2);
    private final List<Map.Entry<String, String>> heldValues = new ArrayList<>(2);
    private boolean ownFailed;
    /** Lower-case names Berth's own requests reported. */
    private final Set<String> reportedByOwn = new HashSet<>();

    /** Berth's own request sets these parameters (lower case) again. */
    void replacing(Set<String> lowerCaseNames) {
        if (names == null) {
            names = new HashSet<>();
        }
        names.addAll(lowerCaseNames);
    }

    /** Holds {@code frame} (reporting {@code parameter}) if it is to be replaced; true when held. */
    boolean hold(ByteBuf frame, Map.Entry<String, String> parameter) {
        if (names == null || !names.contains(parameter.getKey().toLowerCase(Locale.ROOT))) {
            return false;
        }
        held.add(frame);
        heldValues.add(parameter);
        return true;
    }

    /** One of Berth's own requests reported this parameter (and the report went to the client). */
    void reportedByOwn(String name) {
        if (names != null) {
            reportedByOwn.add(name.toLowerCase(Locale.ROOT));
        }
    }

    /** One of Berth's own requests failed. */
    void ownFailed() {
        ownFailed = true;
    }

    /** Berth's own requests are all answered: held reports they did not replace go to {@code passOn}. */
    void ownAnswered(BiConsumer<ByteBuf, Map.Entry<String, String>> passOn) {
        for (int i = 0; i < held.size(); i++) {
            if (ownFailed || !reportedByOwn.contains(heldValues.get(i).getKey().toLowerCase(Locale.ROOT))) {
                passOn.accept(held.get(i), heldValues.get(i));
            } else {
                held.get(i).release();
            }
        }
        held.clear();
        clear();
    }

    /** The client is gone or the connection closed. */
    void clear() {
        held.forEach(ByteBuf::release);
        held.clear();
        heldValues.clear();
        reportedByOwn.clear();
        names = null;
        ownFailed = false;
    }
}
