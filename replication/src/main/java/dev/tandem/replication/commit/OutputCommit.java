package dev.tandem.replication.commit;

import java.util.ArrayDeque;
import java.util.List;

/**
 * The output-commit rule over any number of output channels (console bytes now; transmitted
 * network frames and input acknowledgements are channels too): what a channel produced before a
 * MARK at instruction count {@code n} is released only when every live follower has acknowledged
 * receiving the log through that MARK, and only while this process holds a valid lease.
 *
 * <p>The machine thread calls {@link #mark} after shipping each batch; acknowledgement handlers
 * call {@link #commit}. Segments are per batch, not per byte.
 */
public final class OutputCommit {
    /** Something whose progress is held until committed. Positions are in the channel's own units. */
    public interface Channel {
        /** Position produced so far (machine thread; read under this object's lock). */
        long produced();

        /** Everything before {@code upTo} may leave the process now. */
        void release(long upTo);
    }

    private record Segment(long markIcount, long[] ends, long firstNanos) {
    }

    private final List<Channel> channels;
    private final ArrayDeque<Segment> segments = new ArrayDeque<>();
    private final long[] lastEnds;
    private final LatencyStats latency = new LatencyStats(1 << 16);
    private long committedIcount = -1;
    private boolean frozen;

    public OutputCommit(List<Channel> channels) {
        this.channels = List.copyOf(channels);
        this.lastEnds = new long[channels.size()];
        for (int i = 0; i < lastEnds.length; i++) lastEnds[i] = channels.get(i).produced();
    }

    /**
     * A batch ending with a MARK at {@code markIcount} was shipped: what the channels produced
     * so far is held until that mark is acknowledged. {@code firstNanos}: host time of the
     * oldest output in it (for the latency figures).
     */
    public synchronized void mark(long markIcount, long firstNanos) {
        long[] ends = new long[channels.size()];
        boolean any = false;
        for (int i = 0; i < ends.length; i++) {
            ends[i] = channels.get(i).produced();
            if (ends[i] != lastEnds[i]) any = true;
        }
        if (!any) return;
        System.arraycopy(ends, 0, lastEnds, 0, ends.length);
        segments.addLast(new Segment(markIcount, ends, firstNanos));
    }

    /**
     * Every live follower has the log through a MARK at {@code ackedIcount} (Long.MAX_VALUE when
     * no follower is live); releases what that covers if {@code allowed} (the lease is valid).
     * Returns true if anything was released.
     */
    public synchronized boolean commit(long ackedIcount, boolean allowed) {
        if (frozen || !allowed) return false;
        Segment last = null;
        long now = System.nanoTime();
        while (!segments.isEmpty() && segments.peekFirst().markIcount() <= ackedIcount) {
            last = segments.pollFirst();
            if (last.firstNanos() > 0) latency.add(now - last.firstNanos());
        }
        committedIcount = Math.max(committedIcount, Math.min(ackedIcount, Long.MAX_VALUE - 1));
        if (last == null) return false;
        for (int i = 0; i < channels.size(); i++) channels.get(i).release(last.ends()[i]);
        return true;
    }

    /** Releases everything produced so far (a new leader without followers: its whole state is the stream's). */
    public synchronized void releaseAll(boolean allowed) {
        if (frozen || !allowed) return;
        segments.clear();
        for (int i = 0; i < channels.size(); i++) {
            lastEnds[i] = channels.get(i).produced();
            channels.get(i).release(lastEnds[i]);
        }
    }

    /** Never release anything again (the lease was lost or a higher epoch appeared). */
    public synchronized void freeze() {
        frozen = true;
        segments.clear();
    }

    public synchronized boolean frozen() {
        return frozen;
    }

    /** Segments waiting for acknowledgements. */
    public synchronized int heldSegments() {
        return segments.size();
    }

    /** The oldest held segment's mark, or -1. */
    public synchronized long oldestHeldMark() {
        return segments.isEmpty() ? -1 : segments.peekFirst().markIcount();
    }

    public LatencyStats latency() {
        return latency;
    }
}
