package dev.tandem.replication.stream;

import dev.tandem.core.replay.LogRecord;
import dev.tandem.core.replay.RecordSource;
import java.util.ArrayDeque;
import java.util.List;

/**
 * A follower's received records on their way to its {@link dev.tandem.core.replay.Replayer}: the
 * network thread appends whole batches (each ends with a MARK), the machine thread takes records
 * one by one and blocks when it has taken everything, so execution never passes the last MARK.
 * {@link #endAfterQueued()} (promotion) lets the replayer finish what was received and then
 * ends the stream; {@link #abort()} ends it at once.
 */
public final class RecordQueue implements RecordSource {
    private final ArrayDeque<LogRecord> queue = new ArrayDeque<>();
    private boolean endWhenEmpty;
    private boolean aborted;
    private long takenLsn;
    private long lastLsn;

    /** @param nextLsn the lsn of the first record that will be appended */
    public RecordQueue(long nextLsn) {
        this.takenLsn = nextLsn - 1;
        this.lastLsn = nextLsn - 1;
    }

    public synchronized void append(List<LogRecord> records) {
        if (aborted) return;
        for (LogRecord r : records) {
            if (r.index() != lastLsn + 1) throw new IllegalStateException("record " + r.index() + " after " + lastLsn);
            queue.addLast(r);
            lastLsn = r.index();
        }
        notifyAll();
    }

    @Override
    public synchronized LogRecord next() {
        for (;;) {
            if (aborted) return null;
            LogRecord r = queue.pollFirst();
            if (r != null) {
                takenLsn = r.index();
                return r;
            }
            if (endWhenEmpty) return null;
            try {
                wait();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                aborted = true;
                return null;
            }
        }
    }

    @Override
    public synchronized long nextIndex() {
        return takenLsn + 1;
    }

    /** Lets the consumer take what is queued, then ends the stream. */
    public synchronized void endAfterQueued() {
        endWhenEmpty = true;
        notifyAll();
    }

    /** Ends the stream now; queued records are dropped. */
    public synchronized void abort() {
        aborted = true;
        queue.clear();
        notifyAll();
    }

    /**
     * Drops the queued records after {@code lsn}; false if the consumer already took one of them
     * (the replica then needs a new state).
     */
    public synchronized boolean truncateAfter(long lsn) {
        if (takenLsn > lsn) return false;
        while (!queue.isEmpty() && queue.peekLast().index() > lsn) queue.pollLast();
        lastLsn = Math.min(lastLsn, lsn);
        return true;
    }

    /** Lsn of the last record received. */
    public synchronized long lastLsn() {
        return lastLsn;
    }

    /** Lsn of the last record the consumer took. */
    public synchronized long takenLsn() {
        return takenLsn;
    }

    public synchronized int queued() {
        return queue.size();
    }
}
