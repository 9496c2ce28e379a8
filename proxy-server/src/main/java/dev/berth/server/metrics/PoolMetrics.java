package dev.berth.server.metrics;

import dev.berth.core.prepared.PreparedStatementMetrics;
import dev.berth.core.session.PinReason;
import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.datapoints.DistributionDataPoint;

import java.util.concurrent.TimeUnit;

/**
 * One pool's counters and histograms, with their label values resolved once, so that recording on the
 * hot path is an add to a striped counter: no allocation, no lock, no map lookup.
 */
public final class PoolMetrics implements PreparedStatementMetrics {
    private static final double NANOS_PER_SECOND = TimeUnit.SECONDS.toNanos(1);

    private final BerthMetrics all;
    private final String database;
    private final String user;
    private final DistributionDataPoint acquireWait;
    private final DistributionDataPoint transactionDuration;
    private final DistributionDataPoint queryDuration;
    private final CounterDataPoint transactions;
    private final CounterDataPoint queries;
    private final CounterDataPoint bytesFromClients;
    private final CounterDataPoint bytesToClients;
    private final CounterDataPoint serversOpened;
    private final CounterDataPoint serverFailures;
    private final CounterDataPoint acquireTimeouts;
    private final CounterDataPoint reprepares;
    private final CounterDataPoint evictions;
    /** By {@link PinReason}'s ordinal. */
    private final CounterDataPoint[] pins;

    PoolMetrics(BerthMetrics all, String database, String user) {
        this.all = all;
        this.database = database;
        this.user = user;
        acquireWait = all.acquireWait.labelValues(database, user);
        transactionDuration = all.transactionDuration.labelValues(database, user);
        queryDuration = all.queryDuration.labelValues(database, user);
        transactions = all.transactions.labelValues(database, user);
        queries = all.queries.labelValues(database, user);
        bytesFromClients = all.bytesFromClients.labelValues(database, user);
        bytesToClients = all.bytesToClients.labelValues(database, user);
        serversOpened = all.serversOpened.labelValues(database, user);
        serverFailures = all.serverFailures.labelValues(database, user);
        acquireTimeouts = all.acquireTimeouts.labelValues(database, user);
        reprepares = all.reprepares.labelValues(database, user);
        evictions = all.evictions.labelValues(database, user);
        PinReason[] reasons = PinReason.values();
        pins = new CounterDataPoint[reasons.length];
        for (PinReason reason : reasons) {
            pins[reason.ordinal()] = all.pins.labelValues(database, user, reason.label());
        }
    }

    /** Running totals for SHOW STATS, read from the same counters and histograms Prometheus scrapes. */
    public record Totals(long transactions, long queries, long bytesReceived, long bytesSent, double transactionSeconds,
                         double querySeconds, double waitSeconds, long waits) {
    }

    public Totals totals() {
        return new Totals(transactions.getLongValue(), queries.getLongValue(), bytesFromClients.getLongValue(),
                bytesToClients.getLongValue(), transactionDuration.getSum(), queryDuration.getSum(), acquireWait.getSum(),
                acquireWait.getCount());
    }

    public void acquired(long waitNanos) {
        acquireWait.observe(waitNanos / NANOS_PER_SECOND);
    }

    public void acquireTimedOut() {
        acquireTimeouts.inc();
    }

    /** A request/response cycle ended with ReadyForQuery. */
    public void query(long nanos) {
        queries.inc();
        if (nanos > 0) {
            queryDuration.observe(nanos / NANOS_PER_SECOND);
        }
    }

    /** A transaction ended (ReadyForQuery back to idle). */
    public void transaction(long nanos) {
        transactions.inc();
        transactionDuration.observe(nanos / NANOS_PER_SECOND);
    }

    public void fromClient(int bytes) {
        bytesFromClients.inc(bytes);
    }

    public void toClient(int bytes) {
        bytesToClients.inc(bytes);
    }

    public void serverOpened() {
        serversOpened.inc();
    }

    public void serverFailed() {
        serverFailures.inc();
    }

    public void serverClosed(String reason) {
        all.serversClosed.labelValues(database, user, reason).inc();
    }

    /** An ErrorResponse went to a client: counted by SQLSTATE class. */
    public void errorToClient(String sqlState) {
        String sqlStateClass = sqlState == null || sqlState.length() < 2 ? "XX" : sqlState.substring(0, 2);
        all.clientErrors.labelValues(database, user, sqlStateClass).inc();
    }

    public void pinned(PinReason reason) {
        pins[reason.ordinal()].inc();
    }

    @Override
    public void reprepared() {
        reprepares.inc();
    }

    @Override
    public void evicted() {
        evictions.inc();
    }
}
