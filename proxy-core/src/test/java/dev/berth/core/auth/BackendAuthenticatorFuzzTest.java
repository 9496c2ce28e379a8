package dev.berth.core.auth;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.berth.core.protocol.MessageType;
import dev.berth.core.protocol.Messages;
import dev.berth.core.protocol.ProtocolException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * Fuzzes what a server sends Berth during a backend login: Authentication requests of every kind with any
 * payload, in any order (SASL mechanism lists, server-first and server-final messages shaped like SCRAM's).
 * Properties: only {@link AuthException} (with a SQLSTATE) or {@link ProtocolException} escapes; every
 * response Berth writes is well framed; every buffer is released. The SCRAM keys come from the auth file,
 * so no key derivation runs (a server's iteration count is its own cost). Replays the inputs under
 * src/test/resources by default; {@code JAZZER_FUZZ=1} fuzzes (see README).
 */
class BackendAuthenticatorFuzzTest {
    private static final ByteBufAllocator ALLOC = UnpooledByteBufAllocator.DEFAULT;
    private static final Secret.Scram SECRET = ScramServerExchange.scramSecret("secret",
            "fixed-salt-16byt".getBytes(StandardCharsets.US_ASCII), 4096);
    private static final byte[] CLIENT_KEY = new byte[32];
    private static final int[] CODES = {MessageType.AUTH_OK, MessageType.AUTH_CLEARTEXT_PASSWORD,
            MessageType.AUTH_MD5_PASSWORD, MessageType.AUTH_SASL, MessageType.AUTH_SASL_CONTINUE,
            MessageType.AUTH_SASL_FINAL};

    @FuzzTest(maxDuration = "2m")
    void authenticationRequests(FuzzedDataProvider data) {
        BackendCredentials credentials = data.consumeBoolean()
                ? new BackendCredentials("alice", null, null, CLIENT_KEY, SECRET, SecretOrigin.AUTH_FILE)
                : new BackendCredentials("alice", null, "md5" + "0".repeat(32), null, null, SecretOrigin.AUTH_FILE);
        BackendAuthenticator auth = new BackendAuthenticator(credentials);
        while (data.remainingBytes() > 0) {
            int code = data.consumeBoolean() ? data.pickValue(CODES) : data.consumeInt();
            ByteBuf frame = Unpooled.buffer();
            int start = Messages.begin(frame, MessageType.AUTHENTICATION);
            frame.writeInt(code);
            switch (data.consumeInt(0, 2)) {
                case 0 -> frame.writeBytes(data.consumeBytes(data.consumeInt(0, 64)));
                case 1 -> frame.writeBytes(("SCRAM-SHA-256\0" + data.consumeString(20)).getBytes(StandardCharsets.UTF_8));
                default -> frame.writeBytes((data.pickValue(new String[] {"r=", "v=", "e="}) + data.consumeString(40)
                        + data.pickValue(new String[] {"", ",s=Zml4ZWQtc2FsdC0xNmJ5dA==,i=4096", ",s=AAAA,i=1"}))
                        .getBytes(StandardCharsets.UTF_8));
            }
            Messages.end(frame, start);
            ByteBuf response;
            try {
                response = auth.onAuthenticationRequest(ALLOC, frame);
            } catch (AuthException e) {
                assertNotNull(e.sqlState());
                return;
            } catch (ProtocolException e) {
                return;
            } finally {
                frame.release();
            }
            if (response != null) {
                try {
                    assertEquals(response.readableBytes() - 1, response.getInt(response.readerIndex() + 1), "length");
                } finally {
                    response.release();
                }
            }
        }
    }
}
