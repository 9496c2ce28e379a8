package dev.berth.server.client;

import dev.berth.core.auth.AuthType;
import dev.berth.core.config.AccessSettings;
import dev.berth.core.config.BerthConfig;
import dev.berth.core.config.ClientTlsMode;
import dev.berth.core.config.ConfigException;
import dev.berth.core.config.PemFiles;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;

import javax.net.ssl.SSLException;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.function.Supplier;

/**
 * The server side of clients' TLS: Netty's {@link SslContext} built from the TLS settings, with BoringSSL
 * (netty-tcnative) when its native library loads and the JDK's engine otherwise. {@link #reload} builds
 * a new one from the files as they are now; connections already open keep the one they started with.
 */
public final class ClientTlsContext {
    /** PostgreSQL 17's ALPN protocol name: required on direct TLS, as PostgreSQL requires it. */
    public static final String ALPN_PROTOCOL = "postgresql";

    private final SslProvider provider;
    private volatile SslContext context;
    private volatile String certificate = "";

    /** Builds the context of {@code config} (none when its client_tls_mode is disable); a bad file throws ConfigException. */
    public ClientTlsContext(BerthConfig config) {
        this(config, OpenSsl.isAvailable() ? SslProvider.OPENSSL : SslProvider.JDK);
    }

    /** With a given engine: the JDK's fallback is tested this way on machines where BoringSSL loads. */
    ClientTlsContext(BerthConfig config, SslProvider provider) {
        this.provider = provider;
        reload(config);
    }

    /**
     * Reads the certificate, key and CA of {@code config} again and uses them for new connections; on a
     * problem the previous context stays and the ConfigException names the setting.
     */
    public void reload(BerthConfig config) {
        if (!config.clientTlsMode().enabled()) {
            context = null;
            certificate = "";
            return;
        }
        List<X509Certificate> chain = read(AccessSettings.TLS_CERT.name(), () -> PemFiles.certificates(config.tlsCert()));
        PrivateKey key = read(AccessSettings.TLS_KEY.name(), () -> PemFiles.privateKey(config.tlsKey()));
        String mismatch = PemFiles.mismatch(key, chain.get(0));
        if (mismatch != null) {
            throw new ConfigException(AccessSettings.TLS_KEY.name(), config.tlsKey() + ": " + mismatch);
        }
        SslContextBuilder builder = SslContextBuilder.forServer(key, chain.toArray(X509Certificate[]::new))
                .sslProvider(provider)
                .protocols(config.tlsProtocols())
                // not advertised on a mismatch: the handshake goes on and direct TLS is refused after it
                .applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
                        ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                        ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT, ALPN_PROTOCOL));
        boolean optional = config.authType() == AuthType.HBA && config.tlsCa() != null; // for hba's cert method
        if (config.clientTlsMode().verifiesClients() || optional) {
            List<X509Certificate> ca = read(AccessSettings.TLS_CA.name(), () -> PemFiles.certificates(config.tlsCa()));
            builder.clientAuth(optional && !config.clientTlsMode().verifiesClients() ? ClientAuth.OPTIONAL : ClientAuth.REQUIRE)
                    .trustManager(ca);
        }
        try {
            context = builder.build();
        } catch (SSLException | IllegalArgumentException e) {
            throw new ConfigException(AccessSettings.TLS_CERT.name(), "cannot use " + config.tlsCert() + " and "
                    + config.tlsKey() + ": " + e.getMessage());
        }
        X509Certificate leaf = chain.get(0);
        certificate = leaf.getSubjectX500Principal().getName() + " until " + leaf.getNotAfter().toInstant();
    }

    private static <T> T read(String setting, Supplier<T> reader) {
        try {
            return reader.get();
        } catch (ConfigException e) {
            throw e;
        } catch (IllegalArgumentException e) {
            throw new ConfigException(setting, e.getMessage());
        }
    }

    /** Whether clients can get TLS now. */
    public boolean available() {
        return context != null;
    }

    /** A server-mode handler for one connection; null when TLS is off. */
    SslHandler newHandler(ByteBufAllocator alloc) {
        SslContext c = context;
        return c == null ? null : c.newHandler(alloc);
    }

    /** For the start-up and reload log lines: the engine and the certificate. */
    public String describe(ClientTlsMode mode) {
        if (context == null) {
            return "client TLS " + mode;
        }
        return "client TLS " + mode + " (" + (provider == SslProvider.OPENSSL ? "OpenSSL: " + OpenSsl.versionString() : "JDK")
                + ", certificate " + certificate + ")";
    }
}
