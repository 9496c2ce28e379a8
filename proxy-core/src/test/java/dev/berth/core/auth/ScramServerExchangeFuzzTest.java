package dev.berth.core.auth;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.berth.core.protocol.Messages;
import dev.berth.core.protocol.SqlState;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;

import java.nio.charset.StandardCharsets;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Fuzzes Berth's server side of SCRAM-SHA-256: the client-first-message and the client-final-message, as
 * strings (mostly shaped like the real ones, so that the fuzzer reaches the proof) and as the SASL messages
 * that carry them. Properties: only {@link AuthException} escapes the exchange, with a SQLSTATE; a
 * proof that is not the password's never logs in; the authenticator answers every message with a challenge
 * or a failure and never throws; every buffer is released. Replays the inputs under src/test/resources by
 * default; {@code JAZZER_FUZZ=1} fuzzes (see README).
 */
class ScramServerExchangeFuzzTest {
    private static final ByteBufAllocator ALLOC = UnpooledByteBufAllocator.DEFAULT;
    private static final Secret.Scram SECRET = ScramServerExchange.scramSecret("secret",
            "fixed-salt-16byt".getBytes(StandardCharsets.US_ASCII), 4096);

    @FuzzTest(maxDuration = "2m")
    void exchange(FuzzedDataProvider data) {
        ScramServerExchange server = ScramServerExchange.forSecret(SECRET);
        String clientFirst = data.consumeBoolean() ? data.consumeString(200)
                : data.pickValue(new String[] {"n,,", "y,,", "n,a=x,", "p=tls-server-end-point,,"}) + data.consumeString(200);
        String serverFirst;
        try {
            serverFirst = server.onClientFirst(clientFirst, random());
        } catch (AuthException e) {
            assertNotNull(e.sqlState());
            return;
        }
        String nonce = serverFirst.substring(2, serverFirst.indexOf(','));
        String gs2 = clientFirst.substring(0, clientFirst.indexOf(',', 2) + 1);
        String clientFinal = switch (data.consumeInt(0, 2)) {
            case 0 -> data.consumeString(300);
            case 1 -> "c=" + Base64.getEncoder().encodeToString(gs2.getBytes(StandardCharsets.UTF_8)) + ",r=" + nonce
                    + data.consumeString(40) + ",p=" + data.consumeString(60);
            default -> "c=" + Base64.getEncoder().encodeToString(gs2.getBytes(StandardCharsets.UTF_8)) + ",r=" + nonce
                    + ",p=" + Base64.getEncoder().encodeToString(data.consumeBytes(32)) + data.consumeRemainingAsString();
        };
        try {
            server.onClientFinal(clientFinal);
            fail("a proof made without the password was accepted: " + clientFinal);
        } catch (AuthException e) {
            assertNotNull(e.sqlState());
        }
    }

    @FuzzTest(maxDuration = "2m")
    void saslMessages(FuzzedDataProvider data) {
        boolean knownUser = data.consumeBoolean();
        ClientAuthenticator auth = new ClientAuthenticator(AuthType.SCRAM_SHA_256, knownUser ? SECRET : null, SecretOrigin.AUTH_FILE, true,
                "alice", random(), new byte[32], true, Runnable::run);
        release(auth.start(ALLOC));
        for (int i = 0; i < 2; i++) {
            ByteBuf frame = Unpooled.buffer();
            int start = Messages.begin(frame, data.consumeBoolean() ? (byte) 'p' : data.consumeByte());
            if (i == 0 && data.consumeBoolean()) { // a SASLInitialResponse shaped like one
                Messages.writeCString(frame, ScramServerExchange.MECHANISM);
                byte[] first = data.consumeBytes(data.consumeInt(0, 120));
                frame.writeInt(data.consumeBoolean() ? first.length : data.consumeInt());
                frame.writeBytes(first);
            } else {
                frame.writeBytes(data.consumeBytes(data.consumeInt(0, 200)));
            }
            Messages.end(frame, start);
            ClientAuthenticator.Step step;
            try {
                step = auth.onPasswordMessage(ALLOC, frame);
            } finally {
                frame.release();
            }
            assertFalse(step instanceof ClientAuthenticator.Success, "logged in without the password");
            assertFalse(step instanceof ClientAuthenticator.Pending);
            if (step instanceof ClientAuthenticator.Failure f) {
                assertTrue(f.sqlState().equals(SqlState.PROTOCOL_VIOLATION) || f.sqlState().equals(SqlState.INVALID_PASSWORD),
                        f.sqlState());
                assertFalse(f.message() == null || f.message().isEmpty(), "a failure must say what happened");
                return;
            }
            release(step);
        }
    }

    private static void release(ClientAuthenticator.Step step) {
        if (step instanceof ClientAuthenticator.Challenge c) {
            assertEquals(c.message().readableBytes() - 1, c.message().getInt(c.message().readerIndex() + 1));
            c.message().release();
        }
    }

    /** Deterministic, so that an input replays the same way. */
    private static SecureRandom random() {
        try {
            SecureRandom random = SecureRandom.getInstance("SHA1PRNG");
            random.setSeed(42);
            return random;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
