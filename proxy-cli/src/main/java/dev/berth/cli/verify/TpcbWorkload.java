package dev.berth.cli.verify;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.ThreadLocalRandom;

/**
 * pgbench's TPC-B-like transaction on pgbench's tables. When {@code pgbench_accounts} is missing they are
 * created at scale 1 (100,000 accounts), as {@code pgbench -i -s 1} would; existing tables are used as they are.
 */
final class TpcbWorkload implements Workload {
    private static final int ACCOUNTS_PER_BRANCH = 100_000;
    private static final int TELLERS_PER_BRANCH = 10;
    private volatile int scale = 1;

    @Override
    public void prepare(Connection c) throws SQLException {
        try (Statement s = c.createStatement()) {
            try (ResultSet rs = s.executeQuery("select to_regclass('pgbench_accounts') is not null")) {
                rs.next();
                if (!rs.getBoolean(1)) {
                    create(s);
                }
            }
            try (ResultSet rs = s.executeQuery("select count(*) from pgbench_branches")) {
                rs.next();
                scale = Math.max(1, rs.getInt(1));
            }
        }
    }

    private static void create(Statement s) throws SQLException {
        s.execute("create table pgbench_branches (bid int primary key, bbalance int, filler char(88))");
        s.execute("create table pgbench_tellers (tid int primary key, bid int, tbalance int, filler char(84))");
        s.execute("create table pgbench_accounts (aid int primary key, bid int, abalance int, filler char(84))");
        s.execute("create table pgbench_history (tid int, bid int, aid int, delta int, mtime timestamp, filler char(22))");
        s.execute("insert into pgbench_branches select 1, 0");
        s.execute("insert into pgbench_tellers select t, 1, 0 from generate_series(1, " + TELLERS_PER_BRANCH + ") t");
        s.execute("insert into pgbench_accounts select a, 1, 0, '' from generate_series(1, " + ACCOUNTS_PER_BRANCH + ") a");
        s.execute("analyze pgbench_branches, pgbench_tellers, pgbench_accounts");
    }

    @Override
    public void run(Connection c) throws SQLException {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        int aid = 1 + random.nextInt(ACCOUNTS_PER_BRANCH * scale);
        int bid = 1 + random.nextInt(scale);
        int tid = 1 + random.nextInt(TELLERS_PER_BRANCH * scale);
        int delta = random.nextInt(-5000, 5001);
        c.setAutoCommit(false);
        try {
            update(c, "update pgbench_accounts set abalance = abalance + ? where aid = ?", delta, aid);
            try (PreparedStatement ps = c.prepareStatement("select abalance from pgbench_accounts where aid = ?")) {
                ps.setInt(1, aid);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                }
            }
            update(c, "update pgbench_tellers set tbalance = tbalance + ? where tid = ?", delta, tid);
            update(c, "update pgbench_branches set bbalance = bbalance + ? where bid = ?", delta, bid);
            try (PreparedStatement ps = c.prepareStatement(
                    "insert into pgbench_history (tid, bid, aid, delta, mtime) values (?, ?, ?, ?, current_timestamp)")) {
                ps.setInt(1, tid);
                ps.setInt(2, bid);
                ps.setInt(3, aid);
                ps.setInt(4, delta);
                ps.executeUpdate();
            }
            c.commit();
        } catch (SQLException e) {
            c.rollback();
            throw e;
        }
    }

    private static void update(Connection c, String sql, int delta, int id) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setInt(1, delta);
            ps.setInt(2, id);
            ps.executeUpdate();
        }
    }
}
