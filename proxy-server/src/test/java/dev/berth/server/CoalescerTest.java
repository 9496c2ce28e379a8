package dev.berth.server;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CoalescerTest {
    private final List<ByteBuf> written = new ArrayList<>();
    private final Coalescer coalescer = new Coalescer(ByteBufAllocator.DEFAULT, written::add);

    @AfterEach
    void release() {
        written.forEach(ByteBuf::release);
    }

    private static ByteBuf message(String text) {
        return Unpooled.copiedBuffer(text, StandardCharsets.US_ASCII);
    }

    private String writtenText() {
        StringBuilder all = new StringBuilder();
        written.forEach(b -> all.append(b.toString(StandardCharsets.US_ASCII)).append('|'));
        return all.toString();
    }

    @Test
    void smallMessagesLeaveAsOneBufferAtDrain() {
        ByteBuf a = message("T");
        ByteBuf b = message("D");
        coalescer.add(a);
        coalescer.add(b);
        assertEquals(0, written.size(), "nothing goes out before the drain");
        assertEquals(0, a.refCnt(), "a copied message is released at once");
        coalescer.drain();
        assertEquals("TD|", writtenText());
        coalescer.drain();
        assertEquals(1, written.size(), "a second drain has nothing to pass on");
    }

    @Test
    void aLargeMessagePassesThroughUncopiedAfterWhatIsGathered() {
        ByteBuf large = message("x".repeat(Coalescer.SMALL + 1));
        coalescer.add(message("C"));
        coalescer.add(large);
        coalescer.add(message("Z"));
        coalescer.drain();
        assertEquals(3, written.size());
        assertEquals("C", written.get(0).toString(StandardCharsets.US_ASCII));
        assertTrue(written.get(1) == large, "the large message itself, not a copy");
        assertEquals("Z", written.get(2).toString(StandardCharsets.US_ASCII));
    }

    @Test
    void aFullBufferGoesOutBeforeTheNextMessage() {
        String chunk = "y".repeat(Coalescer.SMALL);
        int fit = Coalescer.CAPACITY / Coalescer.SMALL;
        for (int i = 0; i <= fit; i++) {
            coalescer.add(message(chunk));
        }
        assertEquals(1, written.size(), "the first buffer went out when full");
        assertEquals(Coalescer.CAPACITY, written.get(0).readableBytes());
        coalescer.drain();
        assertEquals(Coalescer.SMALL, written.get(1).readableBytes());
    }

    @Test
    void discardReleasesWhatIsGathered() {
        coalescer.add(message("D"));
        coalescer.discard();
        coalescer.drain();
        assertEquals(0, written.size());
    }
}
