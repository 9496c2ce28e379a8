package dev.berth.core.prepared;

/** What the prepared-statement relay reports; counted per pool by the server module. */
public interface PreparedStatementMetrics {
    PreparedStatementMetrics NOOP = new PreparedStatementMetrics() {
        @Override
        public void reprepared() {
        }

        @Override
        public void evicted() {
        }
    };

    /** A statement was prepared on a server because the client's new server lacked it. */
    void reprepared();

    /** A statement was closed on a server to stay within --max-prepared-statements. */
    void evicted();
}
