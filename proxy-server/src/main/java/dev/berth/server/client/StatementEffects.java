package dev.berth.server.client;

import dev.berth.core.protocol.Messages;
import dev.berth.core.session.SessionStateDetector.Effect;
import io.netty.buffer.ByteBuf;

import java.util.HashMap;
import java.util.Map;

/**
 * What a client's named prepared statements do to its session (a SET, a RESET, a pin), by the client's
 * name, so that a Bind that runs one again later, without its Parse, is followed as its Parse was. Holds
 * nothing for almost every client: then a Bind costs one check.
 */
final class StatementEffects {
    /** An effect, and whether its Parse (followed itself) has not been bound since. */
    private static final class Entry {
        final Effect effect;
        boolean parseFollowed = true;

        Entry(Effect effect) {
            this.effect = effect;
        }
    }

    private Map<String, Entry> byName;

    boolean active() {
        return byName != null && !byName.isEmpty();
    }

    /** A Parse with {@code effect} (NONE when the text was not inspected); the unnamed statement is not kept. */
    void parsed(ByteBuf parse, Effect effect) {
        boolean matters = effect.changesSession() || effect.resets() != null || effect.pins();
        if (!matters && !active()) {
            return;
        }
        String name = Messages.readCString(Messages.payload(parse));
        if (name.isEmpty()) {
            return;
        }
        if (matters) {
            if (byName == null) {
                byName = new HashMap<>();
            }
            byName.put(name, new Entry(effect));
        } else {
            byName.remove(name); // the name now holds another statement
        }
    }

    /**
     * A Bind: the effect of the statement it runs, when that statement was parsed with one and this is not
     * the first Bind after its Parse (the Parse's own follow-up covers that one); else null.
     */
    Effect bound(ByteBuf bind) {
        ByteBuf p = Messages.payload(bind);
        Messages.readCString(p); // portal
        Entry e = byName.get(Messages.readCString(p));
        if (e == null) {
            return null;
        }
        if (e.parseFollowed) {
            e.parseFollowed = false;
            return null;
        }
        return e.effect;
    }
}
