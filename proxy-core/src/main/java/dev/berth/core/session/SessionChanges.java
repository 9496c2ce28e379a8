package dev.berth.core.session;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * Follows, on one server's answers, when what a client's statements did to its session took effect: the
 * parameters it set ({@link SessionStateDetector.Effect#sets}) and the pins it ended
 * ({@link SessionStateDetector.Effect#clears}) count only once the transaction that ran them committed. A
 * request (a Query, or a batch up to its Sync) that failed outside a transaction block took nothing with it;
 * a transaction block's changes are kept aside until it ends, and dropped when it rolls back. Where the
 * answers leave it open what took effect (a ROLLBACK TO SAVEPOINT after changes, a COMMIT and an error in one
 * request), the outcome is {@link Outcome#uncertain}: the caller pins the client, whose server then keeps
 * whatever really happened.
 * <p>
 * Requests are numbered by the ReadyForQuery that answers them (the caller's count of the server's
 * ReadyForQuery messages); requests without changes cost nothing here.
 */
public final class SessionChanges {
    /** What took effect at a ReadyForQuery that ended a transaction. */
    public record Outcome(List<ParameterSync.Change> sets, int clears, boolean uncertain) {
        static final Outcome UNCERTAIN = new Outcome(List.of(), 0, true);
    }

    private record Request(long ready, SessionStateDetector.Effect effect) {
    }

    private final ArrayDeque<Request> requests = new ArrayDeque<>(2);
    /** The request being answered: an error, a COMMIT, a ROLLBACK (also TO SAVEPOINT) seen. */
    private boolean error;
    private boolean commit;
    private boolean rollback;
    /** Changes of the open transaction block, kept until it ends. */
    private final List<ParameterSync.Change> txSets = new ArrayList<>();
    private int txClears;
    private boolean txUncertain;

    /** Whether anything is followed now (else the caller need not report the server's answers). */
    public boolean active() {
        return !requests.isEmpty() || !txSets.isEmpty() || txClears != 0 || txUncertain;
    }

    /** A request with these changes was sent; it is answered by ReadyForQuery number {@code ready}. */
    public void sent(long ready, SessionStateDetector.Effect effect) {
        requests.add(new Request(ready, effect));
    }

    /** A CommandComplete with this tag. */
    public void commandComplete(String tag) {
        if (tag.equals("COMMIT") || tag.equals("PREPARE TRANSACTION")) {
            commit = true;
        } else if (tag.equals("ROLLBACK")) {
            rollback = true;
        }
    }

    public void error() {
        error = true;
    }

    /**
     * ReadyForQuery number {@code ready}, with the transaction status before ({@code previous}) and after.
     *
     * @return what took effect, or null when nothing did (yet)
     */
    public Outcome readyForQuery(long ready, byte previous, byte status) {
        boolean failed = error;
        boolean committed = commit;
        boolean rolledBack = rollback;
        error = false;
        commit = false;
        rollback = false;
        while (!requests.isEmpty() && requests.peekFirst().ready() < ready) {
            requests.pollFirst(); // answered without this object seeing it (cannot happen; never let it stick)
        }
        Request request = !requests.isEmpty() && requests.peekFirst().ready() == ready ? requests.pollFirst() : null;
        boolean hadChanges = !txSets.isEmpty() || txClears != 0;
        if (request != null) {
            SessionStateDetector.Effect e = request.effect();
            txClears &= ~e.pinBits(); // pinned again after an earlier request ended it
            if (!failed || previous != 'I' || status != 'I') {
                txSets.addAll(e.sets());
                txClears |= e.clears();
            } else if (committed) {
                txUncertain = true; // a COMMIT, then an error: some of it may have taken effect
            }
        }
        if (status != 'I') {
            if ((rolledBack || (committed && hadChanges)) && (!txSets.isEmpty() || txClears != 0)) {
                txUncertain = true; // ROLLBACK TO SAVEPOINT, or a COMMIT inside one request that opened a new block
            }
            return null;
        }
        Outcome outcome;
        if (txUncertain) {
            outcome = Outcome.UNCERTAIN;
        } else if (txSets.isEmpty() && txClears == 0) {
            outcome = null;
        } else if (previous == 'I' && !failed && !rolledBack) {
            outcome = new Outcome(List.copyOf(txSets), txClears, false); // an implicit transaction, or a whole block
        } else if (previous != 'I' && committed && !rolledBack && !failed) {
            outcome = new Outcome(List.copyOf(txSets), txClears, false);
        } else if (previous != 'I' && !committed && (rolledBack || failed)) {
            outcome = null; // the block rolled back: nothing of it stays
        } else {
            outcome = Outcome.UNCERTAIN;
        }
        txSets.clear();
        txClears = 0;
        txUncertain = false;
        return outcome;
    }

    /** The client left its server: nothing more to follow. */
    public void clear() {
        requests.clear();
        txSets.clear();
        txClears = 0;
        txUncertain = false;
        error = false;
        commit = false;
        rollback = false;
    }
}
