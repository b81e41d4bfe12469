package dev.tandem.core.mem;

/**
 * One client's record of the RAM pages written since it was opened or last fetched. Several
 * logs can be open on one {@link PhysicalMemory} at once and do not disturb each other: a fetch
 * clears only this log. A page clean in any open log is write-watched, so the first write to it
 * after a fetch goes through {@link PhysicalMemory#notifyWrite} (the CPU's slow path) and marks
 * it dirty in every log that held it clean; later writes in the same round run at full speed.
 *
 * <p>Not thread-safe: use on the machine thread, between execution slices.
 */
public final class DirtyLog implements AutoCloseable {
    private final PhysicalMemory mem;
    private final long[] bits;
    private int dirtyPages;
    private boolean closed;

    DirtyLog(PhysicalMemory mem, int pages) {
        this.mem = mem;
        this.bits = new long[(pages + 63) >>> 6];
    }

    /** A write to {@code page}: record it once per round. */
    void hit(int page) {
        long m = 1L << page;
        int w = page >>> 6;
        if ((bits[w] & m) == 0) {
            bits[w] |= m;
            dirtyPages++;
            mem.unwatchForLog(page);
        }
    }

    /** Words in a bitmap of this memory's pages (bit p of word p/64 is page p). */
    public int bitmapWords() {
        return bits.length;
    }

    /** Pages written since the last fetch. */
    public int dirtyPages() {
        return dirtyPages;
    }

    /**
     * Copies the dirty bitmap into {@code into} (at least {@link #bitmapWords()} long), starts a new
     * round (all pages clean and watched again) and returns the number of dirty pages.
     * Allocation-free.
     */
    public int fetchAndClear(long[] into) {
        if (closed) throw new IllegalStateException("dirty log is closed");
        System.arraycopy(bits, 0, into, 0, bits.length);
        mem.rewatch(bits);
        java.util.Arrays.fill(bits, 0);
        int n = dirtyPages;
        dirtyPages = 0;
        return n;
    }

    /** As {@link #fetchAndClear(long[])}, into a new array. */
    public long[] fetchAndClear() {
        long[] out = new long[bits.length];
        fetchAndClear(out);
        return out;
    }

    /** Stops recording; pages this log held clean are no longer watched on its account. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            mem.closeLog(this, bits);
        }
    }
}
