package dev.berth.server.backend;

import dev.berth.core.config.BackendTls;
import dev.berth.core.pool.PoolRoute;
import io.netty.handler.ssl.NotSslRecordException;

import java.nio.channels.ClosedChannelException;
import java.security.cert.CertPathBuilderException;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;

/** Why a TLS handshake with a backend failed, in words an operator can act on (the JDK's are not). */
final class TlsFailures {
    private TlsFailures() {
    }

    static String describe(Throwable failure, PoolRoute route) {
        BackendTls tls = route.tls();
        String last = String.valueOf(failure.getMessage());
        for (Throwable t = failure; t != null; t = t.getCause()) {
            String message = String.valueOf(t.getMessage());
            if (t instanceof CertificateExpiredException) {
                return "the server's certificate has expired (" + message + ")";
            }
            if (t instanceof CertificateNotYetValidException) {
                return "the server's certificate is not valid yet (" + message + ")";
            }
            if (message.startsWith("No subject alternative") || message.startsWith("No name matching")) {
                return "certificate does not match host " + route.host() + " (" + message.replaceAll("\\.$", "")
                        + "; sslmode=verify-full checks the host name, verify-ca does not)";
            }
            if (t instanceof CertPathBuilderException || t instanceof CertPathValidatorException) {
                return "certificate is not signed by a trusted CA (" + (tls.rootCert() == null
                        ? "the JDK's trust store; give the CA's PEM file as sslrootcert" : "sslrootcert=" + tls.rootCert()) + ")";
            }
            if (t instanceof NotSslRecordException) {
                return "the server did not answer with TLS" + (tls.negotiation() == BackendTls.Negotiation.DIRECT
                        ? " (sslnegotiation=direct needs PostgreSQL 17 or later; use sslnegotiation=postgres)" : "");
            }
            if (t instanceof ClosedChannelException) {
                return "the server closed the connection during the TLS handshake";
            }
            last = message;
        }
        return "handshake failed: " + last;
    }
}
