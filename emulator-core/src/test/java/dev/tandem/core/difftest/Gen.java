package dev.tandem.core.difftest;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Random operands weighted toward edge values, register/memory operand choice and a tiny
 * instruction encoder. One instance is reused for every case; {@link #begin} starts a case with
 * a fully random state that the form's builder then overrides.
 */
final class Gen {
    static final int EAX = 0, ECX = 1, EDX = 2, EBX = 3, ESP = 4, EBP = 5, ESI = 6, EDI = 7;

    private static final int[] EDGE8 = {0, 1, 2, 0x7F, 0x80, 0x81, 0xFE, 0xFF, 0x0F, 0x10, 0x09, 0x99, 0x55, 0xAA, 0x40, 0x3F};
    private static final int[] EDGE16 = concat(EDGE8, new int[] {0x7FFF, 0x8000, 0x8001, 0xFFFE, 0xFFFF, 0x100, 0xFF00, 0x00FF, 0x5555, 0xAAAA, 0x0FFF, 0x1000});
    private static final int[] EDGE32 = concat(EDGE16, new int[] {0x7FFFFFFF, 0x80000000, 0x80000001, 0xFFFFFFFE, 0xFFFFFFFF,
        0x10000, 0xFFFF0000, 0x0000FFFF, 0x55555555, 0xAAAAAAAA, 0x00FF00FF, 0x0FFFFFFF, 0x10000000, 0xFFFFFF80, 0xFFFF8000});
    private static final int[] EDGE_COUNTS = {0, 1, 2, 3, 4, 7, 8, 9, 15, 16, 17, 18, 31, 32, 33, 63, 64, 65, 0x7F, 0x80, 0xFF};

    final SplittableRandom rnd;
    private TestCase c;
    private final byte[] buf = new byte[15];
    private int n;
    /** 32-bit registers that may not be used as data operands (ESP and chosen pointers). */
    private int ptrReserved;
    /** 32-bit registers used implicitly by the instruction: not usable as address registers. */
    private int implicitRegs;

    // the memory operand chosen by chooseMem
    private int memMod, memRm, memSib = -1, memDispSize;
    private int memDisp;
    int memOff = -1;

    Gen(long seed) {
        rnd = new SplittableRandom(seed);
    }

    // ---------- case lifecycle ----------

    void begin(TestCase tc) {
        c = tc;
        n = 0;
        ptrReserved = 1 << ESP;
        implicitRegs = 0;
        memSib = -1;
        memOff = -1;
        for (int r = 0; r < 8; r++) c.regs[r] = r == ESP ? 0 : val(32);
        c.eflags = rnd.nextInt() & UndefinedFlags.ALL;
        for (int i = 0; i < TestCase.SCRATCH_SIZE; i += 4) {
            int v = rnd.nextInt(4) == 0 ? val(32) : rnd.nextInt();
            setMem(i, 32, v);
        }
    }

    void finish() {
        if (n == 0) throw new IllegalStateException("form " + c.form.name() + " emitted no bytes");
        shufflePrefixes();
        c.code = Arrays.copyOf(buf, n);
    }

    /**
     * The order of legacy prefixes carries no meaning for the instructions generated here (no
     * mandatory-prefix opcodes), so half of the time the leading prefixes are put in random order.
     */
    private void shufflePrefixes() {
        int p = 0;
        while (p < n && isPrefix(buf[p] & 0xFF)) p++;
        if (p < 2 || !chance(50)) return;
        for (int i = p - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            byte t = buf[i];
            buf[i] = buf[j];
            buf[j] = t;
        }
    }

    private static boolean isPrefix(int b) {
        return switch (b) {
            case 0x26, 0x2E, 0x36, 0x3E, 0x64, 0x65, 0x66, 0x67, 0xF0, 0xF2, 0xF3 -> true;
            default -> false;
        };
    }

    // ---------- values ----------

    int val(int size) {
        int r = rnd.nextInt(100);
        int v;
        if (r < 40) {
            int[] e = size == 8 ? EDGE8 : size == 16 ? EDGE16 : EDGE32;
            v = e[rnd.nextInt(e.length)];
            if (rnd.nextInt(4) == 0) v = ~v;
        } else if (r < 55) {
            v = rnd.nextInt(33) - 16;
        } else if (r < 70) {
            int bits = 1 + rnd.nextInt(size);
            v = rnd.nextInt() & (bits == 32 ? -1 : (1 << bits) - 1);
            if (rnd.nextBoolean()) v = ~v;
        } else {
            v = rnd.nextInt();
        }
        return v & UndefinedFlags.sizeMask(size);
    }

    int count() {
        int r = rnd.nextInt(100);
        if (r < 50) return EDGE_COUNTS[rnd.nextInt(EDGE_COUNTS.length)];
        if (r < 85) return rnd.nextInt(41);
        return rnd.nextInt(256);
    }

    boolean chance(int percent) {
        return rnd.nextInt(100) < percent;
    }

    int pick(int... options) {
        return options[rnd.nextInt(options.length)];
    }

    // ---------- registers ----------

    static int owner(int size, int r) {
        return size == 8 ? r & 3 : r;
    }

    /** Marks 32-bit registers as used implicitly (so no address register is chosen among them). */
    void implicit(int... regs32) {
        for (int r : regs32) implicitRegs |= 1 << r;
    }

    /** A register encoding (0..7) for a data operand of this size, avoiding address registers. */
    int pickReg(int size) {
        return pickRegExcept(size, 0);
    }

    int pickRegExcept(int size, int excludeMask32) {
        int bad = ptrReserved | excludeMask32;
        for (int tries = 0; tries < 64; tries++) {
            int r = rnd.nextInt(8);
            if ((bad & (1 << owner(size, r))) == 0) return r;
        }
        throw new IllegalStateException("no free register for form " + c.form.name());
    }

    void setReg(int size, int r, int v) {
        int[] regs = c.regs;
        switch (size) {
            case 8 -> {
                if (r < 4) regs[r] = (regs[r] & ~0xFF) | (v & 0xFF);
                else regs[r - 4] = (regs[r - 4] & ~0xFF00) | ((v & 0xFF) << 8);
            }
            case 16 -> regs[r] = (regs[r] & ~0xFFFF) | (v & 0xFFFF);
            default -> regs[r] = v;
        }
    }

    int getReg(int size, int r) {
        return switch (size) {
            case 8 -> r < 4 ? c.regs[r] & 0xFF : (c.regs[r - 4] >>> 8) & 0xFF;
            case 16 -> c.regs[r] & 0xFFFF;
            default -> c.regs[r];
        };
    }

    void undefineReg(int size, int r) {
        switch (size) {
            case 8 -> c.undefineReg(r & 3, r < 4 ? 0xFF : 0xFF00);
            case 16 -> c.undefineReg(r, 0xFFFF);
            default -> c.undefineReg(r, -1);
        }
    }

    /** Makes a register point at a scratch offset (scratch-relative on both sides). */
    void pointer(int reg32, int off) {
        c.regs[reg32] = off;
        c.relMask |= 0x101 << reg32;
        ptrReserved |= 1 << reg32;
    }

    /** Points ESP into the scratch block (both sides then report ESP relative to their scratch base). */
    void stackInScratch(int off) {
        c.regs[ESP] = off;
        c.relMask |= 0x10;
    }

    /** The final value of this register is reported relative to the scratch base (it holds an address). */
    void resultIsAddress(int reg32) {
        c.relMask |= 0x100 << reg32;
    }

    /** The final value of this register is plain data even though it started as a scratch pointer. */
    void resultIsData(int reg32) {
        c.relMask &= ~(0x100 << reg32);
    }

    // ---------- memory ----------

    void setMem(int off, int size, int v) {
        for (int i = 0; i < size / 8; i++) c.scratch[off + i] = (byte) (v >>> (8 * i));
    }

    int getMem(int off, int size) {
        int v = 0;
        for (int i = 0; i < size / 8; i++) v |= (c.scratch[off + i] & 0xFF) << (8 * i);
        return v;
    }

    /** A stack pointer offset inside the scratch block with room for pushes and pops (usually aligned). */
    int randomStack() {
        int sp = 64 + rnd.nextInt(128);
        return chance(80) ? sp & ~3 : sp;
    }

    // ---------- fault layout (see TestCase#faultLayout) ----------

    /** Switches the case to the fault layout (scratch block at the end of a page, guard and read-only pages after it). */
    void faultLayout() {
        c.faultLayout = true;
    }

    /**
     * An offset for an access of {@code bytes} bytes in the fault layout: about a quarter each
     * straddling the end of the scratch page, inside the not-present guard page (at its start,
     * anywhere, or straddling into the read-only page), inside the read-only page, and fully
     * inside the scratch block's last bytes (no fault, the control group). Never past the
     * read-only page (that page is followed by different mappings on the two sides).
     */
    int faultOff(int bytes) {
        int end = TestCase.SCRATCH_SIZE;
        int r = rnd.nextInt(100);
        if (r < 25) return bytes == 1 ? end : end - bytes + 1 + rnd.nextInt(bytes - 1);
        if (r < 32) return end + rnd.nextInt(8);
        if (r < 42) return end + rnd.nextInt(0x1000 - bytes + 1);
        if (r < 47) return TestCase.RO_OFF - 1 - rnd.nextInt(bytes) + (bytes == 1 ? 1 : 0);
        if (r < 70) return TestCase.RO_OFF + (chance(50) ? rnd.nextInt(16) : rnd.nextInt(0x1000 - bytes + 1));
        return end - bytes - rnd.nextInt(8);
    }

    /** True when an access at {@code off} lies inside the scratch block (its initial bytes can be set). */
    static boolean inScratch(int off, int bytes) {
        return off >= 0 && off + bytes <= TestCase.SCRATCH_SIZE;
    }

    /** A random scratch offset for an access of the given byte length, sometimes misaligned. */
    int randomOff(int bytes) {
        int off = 16 + rnd.nextInt(TestCase.SCRATCH_SIZE - 32 - bytes);
        return chance(70) ? off & ~(bytes - 1) : off;
    }

    /**
     * Chooses an addressing mode reaching scratch offset {@code off}; sets and reserves the
     * address registers. Call before picking data registers; emit with {@link #emitMem}.
     */
    void chooseMem(int off) {
        if (n != 0) throw new IllegalStateException("chooseMem must come before the instruction bytes (form " + c.form.name() + ")");
        memOff = off;
        segmentOverride();
        int bad = ptrReserved | implicitRegs;
        int mode = rnd.nextInt(5);
        memSib = -1;
        switch (mode) {
            case 0 -> { // [base]
                int base = freeReg(bad | (1 << EBP));
                memMod = 0; memRm = base; memDispSize = 0; memDisp = 0;
                pointer(base, off);
            }
            case 1, 2 -> { // [base + disp8/disp32]
                int base = freeReg(bad);
                memMod = mode; memRm = base; memDispSize = mode == 1 ? 1 : 4;
                memDisp = mode == 1 ? rnd.nextInt(256) - 128 : (chance(50) ? rnd.nextInt(0x2000) - 0x1000 : rnd.nextInt());
                pointer(base, off - memDisp);
            }
            case 3 -> { // [base + index*scale + disp8]
                int base = freeReg(bad);
                int index = freeReg(bad | (1 << base));
                int scale = rnd.nextInt(4);
                int iv = rnd.nextInt(16) - 4;
                memMod = 1; memRm = 4; memSib = scale << 6 | index << 3 | base; memDispSize = 1;
                memDisp = rnd.nextInt(256) - 128;
                pointer(base, off - memDisp - (iv << scale));
                c.regs[index] = iv;
                ptrReserved |= 1 << index;
            }
            default -> { // [index*1 + disp32], no base
                int index = freeReg(bad);
                memMod = 0; memRm = 4; memSib = index << 3 | 5; memDispSize = 4;
                memDisp = rnd.nextInt(0x10000) - 0x8000;
                pointer(index, off - memDisp);
            }
        }
    }

    /** Sometimes emits an ES/SS/DS override: all flat on both sides, so it must not change anything. */
    void segmentOverride() {
        if (chance(15)) b(pick(0x26, 0x36, 0x3E));
    }

    private int freeReg(int bad) {
        for (int tries = 0; tries < 64; tries++) {
            int r = rnd.nextInt(8);
            if ((bad & (1 << r)) == 0) return r;
        }
        throw new IllegalStateException("no free address register for form " + c.form.name());
    }

    void emitMem(int regField) {
        b(memMod << 6 | (regField & 7) << 3 | memRm);
        if (memSib >= 0) b(memSib);
        if (memDispSize == 1) b(memDisp);
        else if (memDispSize == 4) imm(32, memDisp);
    }

    // ---------- encoder ----------

    void b(int x) {
        buf[n++] = (byte) x;
    }

    void b(int... xs) {
        for (int x : xs) b(x);
    }

    /** Operand-size prefix for 16-bit operands. */
    void osize(int size) {
        if (size == 16) b(0x66);
    }

    void imm(int size, int v) {
        for (int i = 0; i < size / 8; i++) b(v >>> (8 * i));
    }

    void modrmReg(int regField, int rm) {
        b(0xC0 | (regField & 7) << 3 | (rm & 7));
    }

    private static int[] concat(int[] a, int[] b) {
        int[] r = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }
}
