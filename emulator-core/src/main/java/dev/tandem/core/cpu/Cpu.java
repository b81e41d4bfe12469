package dev.tandem.core.cpu;

import dev.tandem.core.io.InterruptController;
import dev.tandem.core.io.IoBus;
import dev.tandem.core.mem.PhysicalMemory;

/** API placeholder: the interpreter lands in the next commit. */
public final class Cpu {
    public static final int EAX = 0, ECX = 1, EDX = 2, EBX = 3, ESP = 4, EBP = 5, ESI = 6, EDI = 7;
    public static final int ES = 0, CS = 1, SS = 2, DS = 3, FS = 4, GS = 5;

    public final int[] reg = new int[8];
    public int eip;
    public final PhysicalMemory mem;
    public final IoBus io;

    public Cpu(PhysicalMemory mem, IoBus io) {
        this.mem = mem;
        this.io = io;
    }

    public int getEflags() { throw new UnsupportedOperationException(); }
    public void setEflags(int v) { throw new UnsupportedOperationException(); }
    public int getSelector(int seg) { throw new UnsupportedOperationException(); }
    public int getSegBase(int seg) { throw new UnsupportedOperationException(); }
    public void loadSegmentReal(int seg, int selector) { throw new UnsupportedOperationException(); }
    public void setSegmentCache(int seg, int selector, int base, int limit, int attrs) { throw new UnsupportedOperationException(); }
    public void enterFlat32() { throw new UnsupportedOperationException(); }
    public void reset() { throw new UnsupportedOperationException(); }
    public long icount() { throw new UnsupportedOperationException(); }
    public boolean halted() { throw new UnsupportedOperationException(); }
    public void setInterruptController(InterruptController pic) { throw new UnsupportedOperationException(); }
    public long run(long untilIcount) { throw new UnsupportedOperationException(); }
}
