package dev.tandem.core.snapshot;

import dev.tandem.core.machine.Machine;
import dev.tandem.core.mem.DirtyLog;
import dev.tandem.core.mem.PhysicalMemory;

/**
 * State digests for repeated checkpoints: the same {@link StateDigest} as
 * {@link StateHasher#digest}, but RAM pages are re-hashed only if they were written since the
 * previous digest (through a {@link DirtyLog} of their own, so migration's dirty tracking can run
 * at the same time). CPU, device and time state are hashed in full every time (a few KiB).
 *
 * <p>The first digest hashes every page. Use on the machine thread, between execution slices.
 */
public final class IncrementalHasher implements AutoCloseable {
    private final PhysicalMemory mem;
    private final DirtyLog log;
    private final long[] pages;
    private final long[] bits;
    private boolean primed;
    private int lastRehashed;
    private long totalRehashed;
    private long digests;

    public IncrementalHasher(Machine m) {
        this.mem = m.memory();
        this.log = mem.openDirtyLog();
        this.pages = new long[mem.ramPages()];
        this.bits = new long[log.bitmapWords()];
    }

    /** The digest of {@code m}'s current state (the machine this hasher was made for). */
    public StateDigest digest(Machine m) {
        if (m.memory() != mem) throw new IllegalArgumentException("this hasher belongs to another machine");
        byte[] ram = mem.ram;
        log.fetchAndClear(bits);
        if (!primed) {
            for (int p = 0; p < pages.length; p++) pages[p] = StateHasher.pageHash(ram, p);
            lastRehashed = pages.length;
            primed = true;
        } else {
            int n = 0;
            for (int w = 0; w < bits.length; w++) {
                long b = bits[w];
                while (b != 0) {
                    int p = (w << 6) + Long.numberOfTrailingZeros(b);
                    b &= b - 1;
                    pages[p] = StateHasher.pageHash(ram, p);
                    n++;
                }
            }
            lastRehashed = n;
        }
        totalRehashed += lastRehashed;
        digests++;
        return StateHasher.digest(m, pages.clone());
    }

    /** Pages hashed by the last digest. */
    public int lastRehashedPages() {
        return lastRehashed;
    }

    /** Pages hashed by all digests so far. */
    public long totalRehashedPages() {
        return totalRehashed;
    }

    public long digests() {
        return digests;
    }

    /** Stops tracking writes (the hasher cannot be used afterwards). */
    @Override
    public void close() {
        log.close();
    }
}
