package dev.berth.server.client;

import dev.berth.core.auth.AuthType;
import dev.berth.core.config.BerthConfig;
import dev.berth.core.config.ClientTlsMode;
import dev.berth.server.TestCertificates;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Both engines Berth may use (BoringSSL when it loads, the JDK's otherwise) complete a handshake with ALPN. */
class ClientTlsContextTest {
    private static final TestCertificates CA = TestCertificates.authority("Engine CA");

    @ParameterizedTest
    @EnumSource(value = SslProvider.class, names = {"JDK", "OPENSSL"})
    void eachEngineNegotiatesTlsAndAlpn(SslProvider provider) throws Exception {
        TestCertificates.Pem server = CA.server("localhost");
        BerthConfig config = BerthConfig.builder().authType(AuthType.TRUST).tlsCert(server.cert()).tlsKey(server.key())
                .clientTlsMode(ClientTlsMode.REQUIRE).build();
        ClientTlsContext context = new ClientTlsContext(config, provider);
        assertTrue(context.describe(ClientTlsMode.REQUIRE).contains(provider == SslProvider.JDK ? "(JDK" : "(OpenSSL"));
        SslContext client = SslContextBuilder.forClient().sslProvider(SslProvider.JDK)
                .trustManager(InsecureTrustManagerFactory.INSTANCE)
                .applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
                        ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                        ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT, "postgresql")).build();
        SslHandler serverHandler = context.newHandler(ByteBufAllocator.DEFAULT);
        EmbeddedChannel serverSide = new EmbeddedChannel(serverHandler);
        EmbeddedChannel clientSide = new EmbeddedChannel(client.newHandler(ByteBufAllocator.DEFAULT));
        for (int round = 0; round < 20 && !serverHandler.handshakeFuture().isDone(); round++) {
            shuttle(clientSide, serverSide);
            shuttle(serverSide, clientSide);
        }
        assertTrue(serverHandler.handshakeFuture().isSuccess(), String.valueOf(serverHandler.handshakeFuture().cause()));
        assertEquals("postgresql", serverHandler.applicationProtocol());
        assertTrue(serverHandler.engine().getSession().getProtocol().startsWith("TLSv1."));
        clientSide.finishAndReleaseAll();
        serverSide.finishAndReleaseAll();
    }

    private static void shuttle(EmbeddedChannel from, EmbeddedChannel to) {
        ByteBuf out;
        while ((out = from.readOutbound()) != null) {
            to.writeInbound(out);
        }
    }
}
