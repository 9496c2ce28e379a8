package dev.berth.server.chaos;

import dev.berth.server.RawClient;
import dev.berth.server.RawClient.Message;
import dev.berth.server.chaos.ChaosLedger.Outcome;

import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * One chaos client speaking the protocol itself (RawClient): simple queries, pipelines on a statement it
 * prepared once per connection, transactions, errors inside them, COPY both ways, cancels, large rows, and
 * disconnects in the middle of a transaction, a COPY or a pipeline. Every result carries this client's
 * name and a fresh nonce.
 */
final class ChaosRawWorker implements Runnable {
    /** Longer than any wait a fault may cause here (no fault stalls a link for more than a second). */
    private static final int ANSWER_TIMEOUT_MS = 60_000;

    /** The connection went away (EOF, reset, or a FATAL error). */
    private static final class Lost extends Exception {
        Lost(String why) {
            super(why, null, false, false);
        }
    }

    private final String name;
    private final int port;
    private final ChaosLedger ledger;
    private final Random random;
    private final long deadlineNanos;
    private final ScheduledExecutorService canceller;
    private RawClient client;
    private ByteBuffer cancelKey;
    private int seq;

    ChaosRawWorker(String name, int port, ChaosLedger ledger, long seed, long deadlineNanos, ScheduledExecutorService canceller) {
        this.name = name;
        this.port = port;
        this.ledger = ledger;
        this.random = new Random(seed);
        this.deadlineNanos = deadlineNanos;
        this.canceller = canceller;
    }

    @Override
    public void run() {
        while (System.nanoTime() < deadlineNanos) {
            int op = random.nextInt(10);
            int rowSeq = -1;
            try {
                if (client == null) {
                    connect();
                }
                switch (op) {
                    case 0 -> simple();
                    case 1, 2 -> pipeline();
                    case 3 -> {
                        rowSeq = ++seq;
                        commit(rowSeq);
                    }
                    case 4 -> errorInTransaction();
                    case 5 -> disconnectMidway();
                    case 6 -> largeRow();
                    case 7 -> copyOut();
                    default -> cancelled();
                }
            } catch (Lost e) {
                ledger.connectionErrors.incrementAndGet();
                if (rowSeq > 0) {
                    ledger.row(name, rowSeq, Outcome.UNKNOWN); // COMMIT went out with the rest of the batch
                }
                drop();
                pauseAfterLoss();
            } catch (SocketTimeoutException e) {
                ledger.unexpected(name, "op " + op + ": no answer within " + ANSWER_TIMEOUT_MS + " ms");
                drop();
            } catch (IOException e) {
                ledger.connectionErrors.incrementAndGet();
                if (rowSeq > 0) {
                    ledger.row(name, rowSeq, Outcome.UNKNOWN);
                }
                drop();
                pauseAfterLoss();
            }
        }
        drop();
    }

    private void connect() throws IOException, Lost {
        RawClient c = new RawClient(port);
        client = c;
        c.setTimeout(ANSWER_TIMEOUT_MS);
        c.startup(Map.of("user", "app", "database", "appdb", "application_name", name));
        for (Message m : c.readUntil('Z')) {
            if (m.type() == 'K') {
                cancelKey = ByteBuffer.wrap(m.payload());
            } else if (m.type() == 'E') {
                throw lostOrUnexpected(m, "login");
            }
        }
        c.send(RawClient.batch().parse("q", "select $1::text, $2::int").sync());
        expect(1, List.of(), List.of());
    }

    /** A client that lost its connection tries again after a moment, as applications do, not in a busy loop. */
    private void pauseAfterLoss() {
        try {
            TimeUnit.MILLISECONDS.sleep(10 + random.nextInt(90)); // pacing, not a wait for a state
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void drop() {
        if (client != null) {
            try {
                client.close();
            } catch (IOException ignored) {
                // gone already
            }
            client = null;
        }
    }

    private String nonce() {
        return name + ":" + Long.toHexString(random.nextLong());
    }

    private void simple() throws IOException, Lost {
        String nonce = nonce();
        client.query("select '" + nonce + "'::text");
        expect(1, List.of(nonce), List.of());
    }

    private void pipeline() throws IOException, Lost {
        RawClient.Batch b = RawClient.batch();
        List<String> nonces = new ArrayList<>();
        for (int i = 0, n = 1 + random.nextInt(5); i < n; i++) {
            String nonce = nonce();
            nonces.add(nonce);
            if (random.nextBoolean()) {
                b.bind("", "q", nonce, Integer.toString(i)).execute("");
            } else {
                b.parse("", "select $1::text").bind("", "", nonce).execute("");
            }
        }
        client.send(b.sync());
        expect(1, nonces, List.of());
    }

    private void commit(int rowSeq) throws IOException, Lost {
        ledger.row(name, rowSeq, Outcome.UNKNOWN);
        String nonce = nonce();
        client.send(RawClient.batch().query("begin").query(insert(rowSeq)).query("select '" + nonce + "'::text")
                .query("commit"));
        List<Message> answer = expect(4, List.of(nonce), List.of());
        if (!"COMMIT".equals(lastCommandTag(answer))) {
            ledger.unexpected(name, "commit answered " + RawClient.types(answer));
            return;
        }
        ledger.row(name, rowSeq, Outcome.ACKNOWLEDGED);
    }

    private void errorInTransaction() throws IOException, Lost {
        int rowSeq = ++seq;
        ledger.row(name, rowSeq, Outcome.ABORTED);
        client.send(RawClient.batch().query("begin").query(insert(rowSeq)).query("select 1/0").query("select 1")
                .query("rollback"));
        expect(5, List.of(), List.of("22012", "25P02"));
        ledger.expectedErrors.addAndGet(2);
    }

    /** Leaves in the middle of a transaction, a COPY or a pipeline: nothing of it may be committed. */
    private void disconnectMidway() throws IOException, Lost {
        int rowSeq = ++seq;
        ledger.row(name, rowSeq, Outcome.ABORTED);
        switch (random.nextInt(3)) {
            case 0 -> {
                client.send(RawClient.batch().query("begin").query(insert(rowSeq)));
                expect(2, List.of(), List.of());
            }
            case 1 -> {
                client.query("copy chaos_commits (client, seq) from stdin");
                Message m = client.read();
                if (m.type() != 'G') {
                    throw m.type() == 'E' ? lostOrUnexpected(m, "copy from stdin") : new Lost("copy answered " + m.type());
                }
                client.message('d', (name + "\t" + rowSeq + "\n").getBytes());
            }
            default -> client.send(RawClient.batch().parse("", "insert into chaos_commits (client, seq) values ($1, $2::int)")
                    .bind("", "", name, Integer.toString(rowSeq)).execute("").flush());
        }
        ledger.disconnects.incrementAndGet();
        drop();
    }

    private void largeRow() throws IOException, Lost {
        String nonce = nonce();
        int length = 50_000 + random.nextInt(500_000);
        client.query("select '" + nonce + "' || repeat('x', " + length + ")");
        List<Message> answer = client.readUntil('Z');
        List<String> values = RawClient.firstColumns(answer);
        failOnError(answer, List.of());
        String v = values.size() == 1 ? values.get(0) : String.valueOf(values);
        boolean whole = v.length() == nonce.length() + length && v.startsWith(nonce) && v.endsWith("x");
        ledger.check(name, nonce + "+" + length, whole ? nonce + "+" + length : v);
    }

    private void copyOut() throws IOException, Lost {
        String nonce = nonce();
        int rows = 1 + random.nextInt(300);
        client.query("copy (select '" + nonce + "' from generate_series(1, " + rows + ")) to stdout");
        List<Message> answer = client.readUntil('Z');
        failOnError(answer, List.of());
        StringBuilder got = new StringBuilder();
        answer.stream().filter(m -> m.type() == 'd').forEach(m -> got.append(m.text()));
        ledger.check(name, (nonce + "\n").repeat(rows), got.toString());
    }

    /** A slow query cancelled at a random moment through Berth: its own row, or 57014. */
    private void cancelled() throws IOException, Lost {
        String nonce = nonce();
        client.query("select '" + nonce + "'::text, pg_sleep(0.2)");
        ByteBuffer key = cancelKey;
        ScheduledFuture<?> cancel = canceller.schedule(() -> sendCancel(key), random.nextInt(300), TimeUnit.MILLISECONDS);
        try {
            List<Message> answer = client.readUntil('Z');
            List<String> codes = RawClient.errorCodes(answer);
            if (codes.equals(List.of("57014"))) {
                ledger.cancelled.incrementAndGet();
            } else {
                failOnError(answer, List.of());
                List<String> values = RawClient.firstColumns(answer);
                ledger.check(name, nonce, values.size() == 1 ? values.get(0) : String.valueOf(values));
            }
        } finally {
            try {
                cancel.get(30, TimeUnit.SECONDS);
            } catch (Exception ignored) {
                // a cancel that could not be sent changes nothing to check
            }
        }
    }

    private Void sendCancel(ByteBuffer key) throws IOException {
        try (Socket s = new Socket("127.0.0.1", port)) {
            OutputStream out = s.getOutputStream();
            out.write(ByteBuffer.allocate(16).putInt(16).putInt(80877102).putInt(key.getInt(0)).putInt(key.getInt(4)).array());
            out.flush();
            s.setSoTimeout(30_000);
            while (s.getInputStream().read() >= 0) {
                // Berth closes the cancel connection when done
            }
        }
        return null;
    }

    private String insert(int rowSeq) {
        return "insert into chaos_commits (client, seq) values ('" + name + "', " + rowSeq + ")";
    }

    /** Reads {@code readies} answers; their first columns must be {@code values}, their errors {@code errors}. */
    private List<Message> expect(int readies, List<String> values, List<String> errors) throws IOException, Lost {
        List<Message> answer = client.readUntilReady(readies);
        failOnError(answer, errors);
        List<String> got = RawClient.firstColumns(answer);
        if (got.size() != values.size()) {
            ledger.check(name, String.valueOf(values), String.valueOf(got));
        }
        for (int i = 0; i < Math.min(got.size(), values.size()); i++) {
            ledger.check(name, values.get(i), got.get(i));
        }
        return answer;
    }

    private void failOnError(List<Message> answer, List<String> expected) throws Lost {
        List<String> codes = RawClient.errorCodes(answer);
        if (codes.equals(expected)) {
            return;
        }
        for (Message m : answer) {
            if (m.type() == 'E' && !expected.contains(m.field('C'))) {
                throw lostOrUnexpected(m, RawClient.types(answer));
            }
        }
        ledger.unexpected(name, "errors " + codes + ", expected " + expected);
    }

    private Lost lostOrUnexpected(Message error, String during) {
        if ("57014".equals(error.field('C'))) {
            ledger.cancelled.incrementAndGet(); // a late cancel of this client's own, as PostgreSQL allows
        } else if (!ChaosLedger.connectionClass(error.field('C'))) {
            ledger.unexpected(name, during + ": " + error.field('C') + " " + error.field('M'));
        }
        return new Lost(error.field('C') + " " + error.field('M'));
    }

    private static String lastCommandTag(List<Message> answer) {
        String tag = null;
        for (Message m : answer) {
            if (m.type() == 'C') {
                tag = m.text().replace("\0", "");
            }
        }
        return tag;
    }
}
