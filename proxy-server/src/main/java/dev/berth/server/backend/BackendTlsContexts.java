package dev.berth.server.backend;

import dev.berth.core.config.BackendTls;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;

import javax.net.ssl.SSLException;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One client-mode {@link SslContext} per distinct {@link BackendTls}, built on first use and shared by every
 * backend connection made with it (certificates are read once, not per connect). The JDK's TLS engine:
 * netty-tcnative is not a dependency of Berth. The host name check and SNI are per connection (see
 * {@link BackendTlsNegotiation}).
 */
public final class BackendTlsContexts {
    /** PostgreSQL 17's ALPN protocol name, which it requires with direct TLS. */
    static final String ALPN_POSTGRESQL = "postgresql";

    private final ConcurrentHashMap<BackendTls, SslContext> contexts = new ConcurrentHashMap<>();

    /** The context for {@code tls} (which must attempt TLS); the exception names the file that could not be used. */
    public SslContext context(BackendTls tls) throws SSLException {
        SslContext context = contexts.get(tls);
        if (context == null) {
            context = build(tls);
            SslContext raced = contexts.putIfAbsent(tls, context);
            context = raced != null ? raced : context;
        }
        return context;
    }

    private static SslContext build(BackendTls tls) throws SSLException {
        SslContextBuilder builder = SslContextBuilder.forClient().sslProvider(SslProvider.JDK)
                // PostgreSQL's own floor (ssl_min_protocol_version)
                .protocols("TLSv1.3", "TLSv1.2")
                // Netty checks the host by default; only verify-full asks for it
                .endpointIdentificationAlgorithm(tls.verifiesHost() ? "HTTPS" : null);
        if (!tls.verifiesChain()) {
            builder.trustManager(InsecureTrustManagerFactory.INSTANCE);
        } else if (tls.rootCert() != null) {
            try {
                builder.trustManager(tls.rootCert().toFile());
            } catch (IllegalArgumentException e) {
                throw new SSLException("sslrootcert=" + tls.rootCert() + " holds no usable PEM certificate: " + e.getMessage(), e);
            }
        } // else the JDK's default trust store
        if (tls.cert() != null) {
            try {
                builder.keyManager(tls.cert().toFile(), tls.key().toFile());
            } catch (IllegalArgumentException e) {
                throw new SSLException("sslcert=" + tls.cert() + " / sslkey=" + tls.key() + " are not a usable PEM certificate"
                        + " and PKCS#8 key: " + e.getMessage(), e);
            }
        }
        if (tls.negotiation() == BackendTls.Negotiation.DIRECT) {
            builder.applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
                    ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                    ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT, ALPN_POSTGRESQL));
        }
        try {
            return builder.build();
        } catch (SSLException e) {
            throw new SSLException("cannot set up TLS to the backend (" + tls.urlParameters().substring(1) + "): " + e.getMessage(), e);
        }
    }
}
