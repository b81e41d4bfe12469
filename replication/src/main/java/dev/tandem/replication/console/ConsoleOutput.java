package dev.tandem.replication.console;

import dev.tandem.replication.commit.OutputCommit;

/**
 * The guest's console output as a numbered byte stream: offset k is the k-th byte the guest ever
 * wrote to COM1, the same on every replica because the guest is deterministic. Keeps the last
 * {@code capacity} bytes for clients that reconnect; bytes below {@link #released()} may be sent.
 *
 * <p>The machine thread appends ({@link #put}); release and reads happen on other threads.
 */
public final class ConsoleOutput implements OutputCommit.Channel {
    private final byte[] ring;
    private final int mask;
    private volatile long produced;
    private volatile long released;
    private long firstUnmarkedNanos;
    private volatile Runnable onRelease = () -> { };

    /** @param capacity bytes of history kept (rounded up to a power of two) */
    public ConsoleOutput(int capacity) {
        int c = Integer.highestOneBit(Math.max(4096, capacity - 1)) << 1;
        ring = new byte[c];
        mask = c - 1;
    }

    public void setOnRelease(Runnable r) {
        this.onRelease = r;
    }

    /** One byte the guest wrote (machine thread). */
    public void put(int b) {
        long p = produced;
        if (firstUnmarkedNanos == 0) firstUnmarkedNanos = System.nanoTime();
        ring[(int) (p & mask)] = (byte) b;
        produced = p + 1;
    }

    /** Host time of the first byte written since the last call, 0 if none (machine thread, at a mark). */
    public long takeFirstUnmarkedNanos() {
        long t = firstUnmarkedNanos;
        firstUnmarkedNanos = 0;
        return t;
    }

    @Override
    public long produced() {
        return produced;
    }

    public long released() {
        return released;
    }

    /** The oldest offset still held. */
    public long historyStart() {
        return Math.max(0, produced - ring.length);
    }

    public int capacity() {
        return ring.length;
    }

    @Override
    public void release(long upTo) {
        if (upTo > produced) throw new IllegalArgumentException("release beyond what was produced");
        if (upTo > released) {
            released = upTo;
            onRelease.run();
        }
    }

    /**
     * Copies released bytes from offset {@code from} (at most {@code dst.length}); returns how many,
     * or -1 if {@code from} is no longer in the history.
     */
    public int read(long from, byte[] dst) {
        long rel = released;
        if (from >= rel) return 0;
        int n = (int) Math.min(dst.length, rel - from);
        if (from < historyStart()) return -1;
        for (int i = 0; i < n; i++) dst[i] = ring[(int) ((from + i) & mask)];
        // the machine thread may have overwritten the oldest bytes while we copied
        if (from < historyStart()) return -1;
        return n;
    }

    /** The history from {@code from} to what was produced (for a state transfer; machine thread). */
    public byte[] tail(long from) {
        from = Math.max(from, historyStart());
        byte[] out = new byte[(int) (produced - from)];
        for (int i = 0; i < out.length; i++) out[i] = ring[(int) ((from + i) & mask)];
        return out;
    }

    /** Starts from a transferred state: {@code produced} bytes so far, the last ones being {@code tail} (from {@code tailOffset}). */
    public void restore(long produced, long tailOffset, byte[] tail) {
        if (tailOffset + tail.length != produced) throw new IllegalArgumentException("history tail does not end at the produced offset");
        int skip = Math.max(0, tail.length - ring.length);
        for (int i = skip; i < tail.length; i++) ring[(int) ((tailOffset + i) & mask)] = tail[i];
        this.produced = produced;
        this.released = produced;
    }
}
