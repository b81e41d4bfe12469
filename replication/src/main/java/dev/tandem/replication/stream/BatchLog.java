package dev.tandem.replication.stream;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * The most recent batches of the stream a replica holds, kept (up to a byte budget) so that a
 * follower that reconnects can get the records it misses instead of a whole new state. Leaders
 * keep what they shipped; followers keep what they received, for when they lead.
 */
public final class BatchLog {
    private final ArrayDeque<Batch> batches = new ArrayDeque<>();
    private final long capacityBytes;
    private long bytes;
    private long nextLsn;

    public BatchLog(long capacityBytes, long nextLsn) {
        this.capacityBytes = capacityBytes;
        this.nextLsn = nextLsn;
    }

    /** Appends a batch that must start where the stream ends. */
    public synchronized void add(Batch b) {
        if (b.firstLsn() != nextLsn) {
            throw new IllegalStateException("batch starts at lsn " + b.firstLsn() + ", the stream ends at " + nextLsn);
        }
        batches.addLast(b);
        bytes += b.records().length;
        nextLsn = b.nextLsn();
        while (bytes > capacityBytes && batches.size() > 1) bytes -= batches.removeFirst().records().length;
    }

    /** The lsn the next batch will start at. */
    public synchronized long nextLsn() {
        return nextLsn;
    }

    /** Restarts the stream at {@code lsn} with nothing retained (a replica that received a state). */
    public synchronized void reset(long lsn) {
        batches.clear();
        bytes = 0;
        nextLsn = lsn;
    }

    /** Drops every batch after {@code lsn} (which must be a batch end). */
    public synchronized void truncateAfter(long lsn) {
        while (!batches.isEmpty() && batches.peekLast().firstLsn() > lsn) bytes -= batches.removeLast().records().length;
        if (!batches.isEmpty() && batches.peekLast().lastLsn() != lsn) {
            throw new IllegalStateException("lsn " + lsn + " is not at a batch end");
        }
        nextLsn = lsn + 1;
    }

    /**
     * The batches from {@code lsn} on, or null if the stream there is no longer retained (or
     * {@code lsn} is not at a batch start).
     */
    public synchronized List<Batch> from(long lsn) {
        if (lsn == nextLsn) return List.of();
        if (lsn > nextLsn) return null;
        List<Batch> out = new ArrayList<>();
        boolean found = false;
        for (Iterator<Batch> it = batches.iterator(); it.hasNext(); ) {
            Batch b = it.next();
            if (b.firstLsn() == lsn) found = true;
            if (found) out.add(b);
        }
        return found ? out : null;
    }

    public synchronized long retainedBytes() {
        return bytes;
    }
}
