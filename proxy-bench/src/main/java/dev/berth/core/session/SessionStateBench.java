package dev.berth.core.session;

import dev.berth.bench.Batch;
import dev.berth.bench.Defaults;
import dev.berth.core.protocol.Messages;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.UnpooledByteBufAllocator;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;

import java.util.Set;

/**
 * The session-state check every Query and Parse goes through in transaction pooling, on a query with no
 * effect: the byte-level keyword check against the lexer it lets most queries skip.
 */
public class SessionStateBench extends Defaults {
    private static final String SQL = "SELECT abalance FROM pgbench_accounts WHERE aid = 12345;";
    private static final Set<String> REPORTED = Set.of("application_name", "client_encoding", "datestyle",
            "intervalstyle", "is_superuser", "server_encoding", "server_version", "session_authorization",
            "standard_conforming_strings", "timezone", "integer_datetimes");

    private Batch batch;
    /** The Query frame, a retained slice of a read buffer as PgFrameDecoder emits it. */
    private ByteBuf query;
    private int textEnd;
    private String sql = SQL;

    @Setup
    public void setup() {
        ByteBuf encoded = Messages.query(UnpooledByteBufAllocator.DEFAULT, SQL);
        batch = new Batch(ByteBufUtil.getBytes(encoded));
        encoded.release();
        query = batch.frame(0);
        textEnd = query.writerIndex() - 1; // the NUL
        if (mayHaveEffect() || inspect().pins()) {
            throw new IllegalStateException("the query was found to have an effect");
        }
    }

    @TearDown
    public void tearDown() {
        query.release();
        batch.close();
    }

    /** ClientSession.relay: the keyword check over the Query's bytes, which every query pays. */
    @Benchmark
    public boolean mayHaveEffect() {
        return SessionStateDetector.mayHaveEffect(query, 5, textEnd);
    }

    /** The lexer alone: what every query would pay without the keyword check in front of it. */
    @Benchmark
    public SessionStateDetector.Effect inspect() {
        return SessionStateDetector.inspect(sql, REPORTED);
    }

    /** What a query that passes the byte check costs: decode the text, then inspect it (ClientSession.inspectSessionState). */
    @Benchmark
    public SessionStateDetector.Effect decodeAndInspect() {
        ByteBuf payload = Messages.payload(query);
        return SessionStateDetector.inspect(Messages.readCString(payload), REPORTED);
    }
}
