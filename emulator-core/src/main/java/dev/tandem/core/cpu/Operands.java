package dev.tandem.core.cpu;

/**
 * Operand access for the instruction being executed ({@code c.cur}): the effective address of
 * its memory operand, and reads and writes of its E operand (the ModRM r/m: a register when mod
 * is 3, else memory in segment {@code dSeg} at offset {@code c.eaOff}) at operand size {@code sz}
 * (0 = 8, 1 = 16, 2 = 32 bits). G operands (the ModRM reg field) are plain {@link Cpu#getReg}.
 */
final class Operands {
    private Operands() { }

    /** Offset of the memory operand: base + index * scale + displacement, 16-bit wrapped for 16-bit addressing. */
    static int computeEa(Cpu c) {
        int a = c.cur.dDisp;
        if (c.cur.dBase >= 0) a += c.reg[c.cur.dBase];
        if (c.cur.dAddr32) {
            if (c.cur.dIndex >= 0) a += c.reg[c.cur.dIndex] << c.cur.dScale;
            return a;
        }
        if (c.cur.dIndex >= 0) a += c.reg[c.cur.dIndex];
        return a & 0xFFFF;
    }

    /** Offset of the moffs forms of MOV (A0-A3): the immediate, at address size. */
    static int moffs(Cpu c) {
        return c.cur.dAddr32 ? c.cur.dImm : c.cur.dImm & 0xFFFF;
    }

    /** Reads the E (ModRM r/m) operand: a register, or memory at {@code c.eaOff}. */
    static int readE(Cpu c, int sz) {
        if (c.cur.dMod == 3) return c.getReg(c.cur.dRm, sz);
        return c.mmu.rd(c.cur.dSeg, c.eaOff, sz);
    }

    /** The E operand of a read-modify-write instruction (see {@link Mmu#rdw}). */
    static int readEw(Cpu c, int sz) {
        if (c.cur.dMod == 3) return c.getReg(c.cur.dRm, sz);
        return c.mmu.rdw(c.cur.dSeg, c.eaOff, sz);
    }

    /** Writes the E (ModRM r/m) operand. */
    static void writeE(Cpu c, int sz, int v) {
        if (c.cur.dMod == 3) c.setReg(c.cur.dRm, sz, v);
        else c.mmu.wr(c.cur.dSeg, c.eaOff, sz, v);
    }
}
