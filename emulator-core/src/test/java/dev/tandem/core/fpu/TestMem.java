package dev.tandem.core.fpu;

/** Flat little-endian test memory implementing the FPU host (segment ignored). */
final class TestMem implements FpuHost {
    final byte[] m;
    int eflags = 2;
    int eax;

    TestMem(int size) {
        m = new byte[size];
    }

    @Override public int readMem8(int seg, int off) { return m[off] & 0xFF; }
    @Override public int readMem16(int seg, int off) { return readMem8(seg, off) | (readMem8(seg, off + 1) << 8); }
    @Override public int readMem32(int seg, int off) { return readMem16(seg, off) | (readMem16(seg, off + 2) << 16); }
    @Override public void writeMem8(int seg, int off, int v) { m[off] = (byte) v; }
    @Override public void writeMem16(int seg, int off, int v) { writeMem8(seg, off, v); writeMem8(seg, off + 1, v >>> 8); }
    @Override public void writeMem32(int seg, int off, int v) { writeMem16(seg, off, v); writeMem16(seg, off + 2, v >>> 16); }
    @Override public void setAX(int v) { eax = (eax & 0xFFFF0000) | (v & 0xFFFF); }
    @Override public int getEflags() { return eflags; }
    @Override public void setEflags(int v) { eflags = v; }

    long read64(int off) { return (readMem32(0, off) & 0xFFFFFFFFL) | ((long) readMem32(0, off + 4) << 32); }
    void write64(int off, long v) { writeMem32(0, off, (int) v); writeMem32(0, off + 4, (int) (v >>> 32)); }
}
