package dev.berth.cli.verify;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The simulated applications in front of one target: N instances, each with its own HikariCP pool of
 * pgjdbc connections (the driver's default prepareThreshold, so server-side prepared statements are used).
 */
final class AppFleet implements AutoCloseable {
    private final List<HikariDataSource> instances = new ArrayList<>();
    private final Workload workload;
    final LoadStats stats = new LoadStats();
    final Target target;

    AppFleet(Target target, int appInstances, int appPoolSize, Workload workload) {
        this.target = target;
        this.workload = workload;
        for (int i = 1; i <= appInstances; i++) {
            HikariConfig hc = new HikariConfig();
            hc.setPoolName("verify-" + target.role() + "-" + i);
            hc.setJdbcUrl(target.jdbcUrl());
            hc.setDataSourceProperties(target.properties());
            hc.setMaximumPoolSize(appPoolSize);
            hc.setConnectionTimeout(30_000);
            // a target that goes away mid-run is counted as errors, not a failed start
            hc.setInitializationFailTimeout(-1);
            instances.add(new HikariDataSource(hc));
        }
    }

    /**
     * Waits (up to 30 s) until every instance's pool holds its connections, as a running application's does,
     * so that logins are not measured as request latency. A target that refuses some is measured as it is.
     */
    void awaitConnections() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline && instances.stream().anyMatch(app -> app.getHikariPoolMXBean() == null
                || app.getHikariPoolMXBean().getTotalConnections() < app.getMaximumPoolSize())) {
            Thread.sleep(20);
        }
    }

    /**
     * Runs requests on {@code concurrency} threads spread over the instances until {@code requests} are
     * done (when not negative) or {@code deadlineNanos} (System.nanoTime) has passed.
     */
    void run(int concurrency, long requests, long deadlineNanos) throws InterruptedException {
        AtomicLong left = new AtomicLong(requests);
        List<Thread> workers = new ArrayList<>();
        long start = System.nanoTime();
        for (int i = 0; i < concurrency; i++) {
            HikariDataSource app = instances.get(i % instances.size());
            Thread worker = new Thread(() -> {
                while (requests < 0 ? System.nanoTime() < deadlineNanos : left.getAndDecrement() > 0) {
                    request(app);
                }
            }, "verify-" + target.role() + "-worker-" + i);
            worker.start();
            workers.add(worker);
        }
        for (Thread worker : workers) {
            worker.join();
        }
        stats.addActive(System.nanoTime() - start);
    }

    /** From asking the application's pool for a connection to the workload's last result, as the application sees it. */
    private void request(HikariDataSource app) {
        long start = System.nanoTime();
        try (Connection c = app.getConnection()) {
            workload.run(c);
            stats.success(System.nanoTime() - start);
        } catch (SQLException e) {
            stats.error(e.getSQLState());
        }
    }

    @Override
    public void close() {
        instances.forEach(HikariDataSource::close);
    }
}
