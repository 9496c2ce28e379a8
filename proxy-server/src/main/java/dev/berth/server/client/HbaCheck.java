package dev.berth.server.client;

import dev.berth.core.hba.HbaMethod;
import dev.berth.core.hba.HbaRule;
import dev.berth.core.hba.HbaRules;
import dev.berth.core.protocol.SqlState;

import java.net.InetSocketAddress;
import java.util.logging.Logger;

/**
 * auth_type hba: the first hba line matching the client's connection picks its method. A client no line
 * matches, a {@code reject} line, and a {@code cert} line without the right client certificate are refused
 * with 28000 in PostgreSQL's words, before any password is asked for.
 */
final class HbaCheck {
    private static final Logger LOG = Logger.getLogger(HbaCheck.class.getName());

    private final ClientSession session;

    HbaCheck(ClientSession session) {
        this.session = session;
    }

    /** The method for this client, or null when it was refused (and disconnected). */
    HbaMethod method() {
        HbaRules rules = session.proxy().hba();
        InetSocketAddress remote = session.remoteAddress();
        boolean tls = session.tls().active();
        HbaRule rule = rules == null || remote == null ? null
                : rules.match(tls, remote.getAddress(), session.database(), session.user());
        if (rule == null) {
            return refuse("no pg_hba.conf entry for " + who(remote, tls), "no hba line matches");
        }
        if (rule.method() == HbaMethod.REJECT) {
            return refuse("pg_hba.conf rejects connection for " + who(remote, tls), rule.line() + " rejects it");
        }
        if (rule.method() == HbaMethod.CERT) {
            String cn = session.tls().peerCommonName();
            if (cn == null) {
                return refuse("connection requires a valid client certificate", rule.line() + " asks for cert, and the"
                        + " client sent none (Berth asks for one when tls_ca is set)");
            }
            if (!cn.equals(session.user())) {
                return refuse("certificate authentication failed for user \"" + session.user() + "\"",
                        rule.line() + ": the client certificate's CN is \"" + cn + "\"");
            }
        }
        return rule.method();
    }

    /** The client as PostgreSQL's refusals name it; built only for a refusal, not on every login. */
    private String who(InetSocketAddress remote, boolean tls) {
        return "host \"" + (remote == null ? "?" : remote.getAddress().getHostAddress()) + "\", user \"" + session.user()
                + "\", database \"" + session.database() + "\", " + (tls ? "SSL encryption" : "no encryption");
    }

    private HbaMethod refuse(String message, String logReason) {
        LOG.warning(session.describe() + " login refused: " + logReason);
        session.disconnect(SqlState.INVALID_AUTHORIZATION, message, null);
        return null;
    }
}
