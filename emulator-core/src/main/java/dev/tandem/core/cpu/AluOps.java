package dev.tandem.core.cpu;

import static dev.tandem.core.cpu.Cpu.EAX;
import static dev.tandem.core.cpu.Cpu.EBX;
import static dev.tandem.core.cpu.Cpu.ECX;
import static dev.tandem.core.cpu.Cpu.EDX;
import static dev.tandem.core.cpu.Flags.AF;
import static dev.tandem.core.cpu.Flags.CF;
import static dev.tandem.core.cpu.Flags.DF;
import static dev.tandem.core.cpu.Flags.OF;
import static dev.tandem.core.cpu.Flags.PF;
import static dev.tandem.core.cpu.Flags.SF;
import static dev.tandem.core.cpu.Flags.ZF;
import static dev.tandem.core.cpu.LazyFlags.alu;
import static dev.tandem.core.cpu.LazyFlags.alu32;
import static dev.tandem.core.cpu.LazyFlags.cond;
import static dev.tandem.core.cpu.LazyFlags.dec;
import static dev.tandem.core.cpu.LazyFlags.getCF;
import static dev.tandem.core.cpu.LazyFlags.inc;
import static dev.tandem.core.cpu.LazyFlags.materialize;
import static dev.tandem.core.cpu.LazyFlags.setArith;
import static dev.tandem.core.cpu.LazyFlags.setCFOnly;
import static dev.tandem.core.cpu.Operands.readE;
import static dev.tandem.core.cpu.Operands.readEw;
import static dev.tandem.core.cpu.Operands.writeE;

/**
 * Handlers of the ALU and flags family: ADD OR ADC SBB AND SUB XOR CMP in all forms, TEST, INC
 * DEC NOT NEG, MUL IMUL DIV IDIV, decimal adjustment (DAA DAS AAA AAS AAM AAD), XADD and CMPXCHG,
 * SETcc, and the flag instructions (CLC STC CMC CLD STD SAHF LAHF SALC). Shifts, rotates and bit
 * operations are in {@link BitOps}.
 *
 * <p>One method per handler id, named after it ({@code ALU_EvGv} is {@link #aluEvGv}); the
 * {@code ...32} methods are the 32-bit specializations the decoder picks for 32-bit operand size,
 * which behave exactly like the generic form at that size. {@code sz} is the operand size index
 * (0 = 8, 1 = 16, 2 = 32 bits); the ModRM sub-operation ({@code dSub}) selects the ALU operation.
 * Read-modify-write forms read their destination with {@link Operands#readEw}, so a protection
 * fault is raised before anything changes.
 */
final class AluOps {
    private AluOps() { }

    /** ALU operation 7 (CMP) only reads its destination. */
    private static final int CMP = 7;

    // ================================================================== ADD OR ADC SBB AND SUB XOR CMP

    static void aluEbGb(Cpu c) {
        Insn in = c.cur;
        int r = alu(c, in.dSub, in.dSub != CMP ? readEw(c, 0) : readE(c, 0), c.getReg8(in.dReg), 0);
        if (in.dSub != CMP) writeE(c, 0, r);
    }

    static void aluEvGv(Cpu c, int sz) {
        Insn in = c.cur;
        int r = alu(c, in.dSub, in.dSub != CMP ? readEw(c, sz) : readE(c, sz), c.getReg(in.dReg, sz), sz);
        if (in.dSub != CMP) writeE(c, sz, r);
    }

    static void aluGbEb(Cpu c) {
        Insn in = c.cur;
        int r = alu(c, in.dSub, c.getReg8(in.dReg), readE(c, 0), 0);
        if (in.dSub != CMP) c.setReg8(in.dReg, r);
    }

    static void aluGvEv(Cpu c, int sz) {
        Insn in = c.cur;
        int r = alu(c, in.dSub, c.getReg(in.dReg, sz), readE(c, sz), sz);
        if (in.dSub != CMP) c.setReg(in.dReg, sz, r);
    }

    static void aluALIb(Cpu c) {
        Insn in = c.cur;
        int r = alu(c, in.dSub, c.reg[EAX], in.dImm, 0);
        if (in.dSub != CMP) c.setReg8(EAX, r);
    }

    static void aluEAXIz(Cpu c, int sz) {
        Insn in = c.cur;
        int r = alu(c, in.dSub, c.reg[EAX], in.dImm, sz);
        if (in.dSub != CMP) c.setReg(EAX, sz, r);
    }

    static void aluEbIb(Cpu c) {
        Insn in = c.cur;
        int r = alu(c, in.dSub, in.dSub != CMP ? readEw(c, 0) : readE(c, 0), in.dImm, 0);
        if (in.dSub != CMP) writeE(c, 0, r);
    }

    static void aluEvIz(Cpu c, int sz) {
        Insn in = c.cur;
        int r = alu(c, in.dSub, in.dSub != CMP ? readEw(c, sz) : readE(c, sz), in.dImm, sz);
        if (in.dSub != CMP) writeE(c, sz, r);
    }

    static void aluEvGv32(Cpu c) {
        Insn in = c.cur;
        int op = in.dSub;
        if (in.dMod == 3) {
            int r = alu32(c, op, c.reg[in.dRm], c.reg[in.dReg]);
            if (op != CMP) c.reg[in.dRm] = r;
        } else {
            int r = alu32(c, op, op != CMP ? c.mmu.rdw(in.dSeg, c.eaOff, 2) : c.mmu.rd32(in.dSeg, c.eaOff),
                    c.reg[in.dReg]);
            if (op != CMP) c.mmu.wr32(in.dSeg, c.eaOff, r);
        }
    }

    static void aluGvEv32(Cpu c) {
        Insn in = c.cur;
        int r = alu32(c, in.dSub, c.reg[in.dReg], in.dMod == 3 ? c.reg[in.dRm] : c.mmu.rd32(in.dSeg, c.eaOff));
        if (in.dSub != CMP) c.reg[in.dReg] = r;
    }

    static void aluEvIz32(Cpu c) {
        Insn in = c.cur;
        int op = in.dSub;
        if (in.dMod == 3) {
            int r = alu32(c, op, c.reg[in.dRm], in.dImm);
            if (op != CMP) c.reg[in.dRm] = r;
        } else {
            int r = alu32(c, op, op != CMP ? c.mmu.rdw(in.dSeg, c.eaOff, 2) : c.mmu.rd32(in.dSeg, c.eaOff), in.dImm);
            if (op != CMP) c.mmu.wr32(in.dSeg, c.eaOff, r);
        }
    }

    // ================================================================== TEST

    static void testEbGb(Cpu c) {
        alu(c, 4, readE(c, 0), c.getReg8(c.cur.dReg), 0);
    }

    static void testEvGv(Cpu c, int sz) {
        alu(c, 4, readE(c, sz), c.getReg(c.cur.dReg, sz), sz);
    }

    static void testALIb(Cpu c) {
        alu(c, 4, c.reg[EAX], c.cur.dImm, 0);
    }

    static void testEAXIz(Cpu c, int sz) {
        alu(c, 4, c.reg[EAX], c.cur.dImm, sz);
    }

    static void testEbIb(Cpu c) {
        alu(c, 4, readE(c, 0), c.cur.dImm, 0);
    }

    static void testEvIz(Cpu c, int sz) {
        alu(c, 4, readE(c, sz), c.cur.dImm, sz);
    }

    static void testEvGv32(Cpu c) {
        Insn in = c.cur;
        int r = (in.dMod == 3 ? c.reg[in.dRm] : c.mmu.rd32(in.dSeg, c.eaOff)) & c.reg[in.dReg];
        c.lfDst = 0;
        c.lfSrc = 0;
        c.lfRes = r;
        c.lfOp = LazyFlags.LF_LOGIC << 2 | 2;
    }

    // ================================================================== INC DEC NOT NEG

    static void incZv(Cpu c, int sz) {
        int r = c.cur.dSub;
        c.setReg(r, sz, inc(c, c.reg[r], sz));
    }

    static void decZv(Cpu c, int sz) {
        int r = c.cur.dSub;
        c.setReg(r, sz, dec(c, c.reg[r], sz));
    }

    static void incZv32(Cpu c) {
        int r = c.cur.dSub;
        c.reg[r] = inc(c, c.reg[r], 2);
    }

    static void decZv32(Cpu c) {
        int r = c.cur.dSub;
        c.reg[r] = dec(c, c.reg[r], 2);
    }

    static void incE(Cpu c, int sz) {
        writeE(c, sz, inc(c, readEw(c, sz), sz));
    }

    static void decE(Cpu c, int sz) {
        writeE(c, sz, dec(c, readEw(c, sz), sz));
    }

    static void notE(Cpu c, int sz) {
        writeE(c, sz, ~readEw(c, sz));
    }

    static void negE(Cpu c, int sz) {
        writeE(c, sz, alu(c, 5, 0, readEw(c, sz), sz));
    }

    // ================================================================== MUL IMUL DIV IDIV

    static void mulEb(Cpu c) {
        int r = (c.reg[EAX] & 0xFF) * readE(c, 0);
        c.setReg(EAX, 1, r);
        mulFlags(c, (r & 0xFF00) != 0, r, 0);
    }

    static void mulEv(Cpu c, int sz) {
        if (sz == 2) {
            long r = (c.reg[EAX] & 0xFFFFFFFFL) * (readE(c, 2) & 0xFFFFFFFFL);
            c.reg[EAX] = (int) r;
            c.reg[EDX] = (int) (r >>> 32);
            mulFlags(c, (r >>> 32) != 0, (int) r, 2);
        } else {
            int r = (c.reg[EAX] & 0xFFFF) * readE(c, 1);
            c.setReg(EAX, 1, r);
            c.setReg(EDX, 1, r >>> 16);
            mulFlags(c, (r >>> 16) != 0, r, 1);
        }
    }

    static void imulEb(Cpu c) {
        int r = (byte) c.reg[EAX] * (byte) readE(c, 0);
        c.setReg(EAX, 1, r);
        mulFlags(c, r != (byte) r, r, 0);
    }

    static void imulEv(Cpu c, int sz) {
        if (sz == 2) {
            long r = (long) c.reg[EAX] * readE(c, 2);
            c.reg[EAX] = (int) r;
            c.reg[EDX] = (int) (r >>> 32);
            mulFlags(c, r != (int) r, (int) r, 2);
        } else {
            int r = (short) c.reg[EAX] * (short) readE(c, 1);
            c.setReg(EAX, 1, r);
            c.setReg(EDX, 1, r >>> 16);
            mulFlags(c, r != (short) r, r, 1);
        }
    }

    /** IMUL Gv,Ev (0F AF). */
    static void imulGvEv(Cpu c, int sz) {
        int src = readE(c, sz);
        int dst = c.getReg(c.cur.dReg, sz);
        long r = sz == 2 ? (long) dst * src : (long) (short) dst * (short) src;
        c.setReg(c.cur.dReg, sz, (int) r);
        boolean ovf = sz == 2 ? r != (int) r : r != (short) r;
        mulFlags(c, ovf, (int) r, sz);
    }

    /** IMUL Gv,Ev,Iz and IMUL Gv,Ev,Ib. */
    static void imulGvEvI(Cpu c, int sz) {
        int src = readE(c, sz);
        int saveReg = c.cur.dReg;
        long r = sz == 2 ? (long) src * c.cur.dImm : (long) (short) src * (short) c.cur.dImm;
        c.setReg(saveReg, sz, (int) r);
        boolean ovf = sz == 2 ? r != (int) r : r != (short) r;
        mulFlags(c, ovf, (int) r, sz);
    }

    static void divEb(Cpu c) {
        int d = readE(c, 0);
        if (d == 0) throw c.fault(0);
        int a = c.reg[EAX] & 0xFFFF;
        int q = a / d;
        if (q > 0xFF) throw c.fault(0);
        c.setReg(EAX, 1, ((a % d) << 8) | q);
    }

    static void divEv(Cpu c, int sz) {
        if (sz == 2) {
            long d = readE(c, 2) & 0xFFFFFFFFL;
            if (d == 0) throw c.fault(0);
            long a = ((long) c.reg[EDX] << 32) | (c.reg[EAX] & 0xFFFFFFFFL);
            long q = Long.divideUnsigned(a, d);
            if ((q >>> 32) != 0) throw c.fault(0);
            c.reg[EDX] = (int) Long.remainderUnsigned(a, d);
            c.reg[EAX] = (int) q;
        } else {
            int d = readE(c, 1);
            if (d == 0) throw c.fault(0);
            long a = ((c.reg[EDX] & 0xFFFFL) << 16) | (c.reg[EAX] & 0xFFFF);
            long q = a / d;
            if (q > 0xFFFF) throw c.fault(0);
            c.setReg(EDX, 1, (int) (a % d));
            c.setReg(EAX, 1, (int) q);
        }
    }

    static void idivEb(Cpu c) {
        int d = (byte) readE(c, 0);
        if (d == 0) throw c.fault(0);
        int a = (short) c.reg[EAX];
        int q = a / d;
        if (q != (byte) q) throw c.fault(0);
        c.setReg(EAX, 1, ((a % d) << 8) | (q & 0xFF));
    }

    static void idivEv(Cpu c, int sz) {
        if (sz == 2) {
            long d = readE(c, 2);
            if (d == 0) throw c.fault(0);
            long a = ((long) c.reg[EDX] << 32) | (c.reg[EAX] & 0xFFFFFFFFL);
            if (a == Long.MIN_VALUE && d == -1) throw c.fault(0);
            long q = a / d;
            if (q != (int) q) throw c.fault(0);
            c.reg[EDX] = (int) (a % d);
            c.reg[EAX] = (int) q;
        } else {
            int d = (short) readE(c, 1);
            if (d == 0) throw c.fault(0);
            int a = (c.reg[EDX] << 16) | (c.reg[EAX] & 0xFFFF);
            if (a == Integer.MIN_VALUE && d == -1) throw c.fault(0);
            int q = a / d;
            if (q != (short) q) throw c.fault(0);
            c.setReg(EDX, 1, a % d);
            c.setReg(EAX, 1, q);
        }
    }

    private static void mulFlags(Cpu c, boolean overflow, int low, int sz) {
        int f = overflow ? CF | OF : 0;
        low &= LazyFlags.mask(sz);
        if (low == 0) f |= ZF;
        if ((low & LazyFlags.signBit(sz)) != 0) f |= SF;
        if ((Integer.bitCount(low & 0xFF) & 1) == 0) f |= PF;
        setArith(c, f);
    }

    // ================================================================== decimal adjustment

    static void daa(Cpu c) {
        materialize(c);
        int al = c.reg[EAX] & 0xFF;
        boolean oldCf = (c.eflags & CF) != 0;
        boolean af = (c.eflags & AF) != 0;
        boolean cf = false;
        int r = al;
        if ((al & 0xF) > 9 || af) {
            r = al + 6;
            cf = oldCf || r > 0xFF;
            af = true;
        } else {
            af = false;
        }
        if (al > 0x99 || oldCf) {
            r += 0x60;
            cf = true;
        } else {
            cf = false;
        }
        r &= 0xFF;
        c.setReg8(EAX, r);
        bcdFlags(c, r, cf, af);
    }

    static void das(Cpu c) {
        materialize(c);
        int al = c.reg[EAX] & 0xFF;
        boolean oldCf = (c.eflags & CF) != 0;
        boolean af = (c.eflags & AF) != 0;
        boolean cf = false;
        int r = al;
        if ((al & 0xF) > 9 || af) {
            r = al - 6;
            cf = oldCf || r < 0;
            af = true;
        } else {
            af = false;
        }
        if (al > 0x99 || oldCf) {
            r -= 0x60;
            cf = true;
        }
        r &= 0xFF;
        c.setReg8(EAX, r);
        bcdFlags(c, r, cf, af);
    }

    private static void bcdFlags(Cpu c, int r, boolean cf, boolean af) {
        int f = c.eflags & ~(CF | AF | SF | ZF | PF);
        if (cf) f |= CF;
        if (af) f |= AF;
        if (r == 0) f |= ZF;
        if ((r & 0x80) != 0) f |= SF;
        if ((Integer.bitCount(r) & 1) == 0) f |= PF;
        c.eflags = f;
    }

    static void aaa(Cpu c) {
        materialize(c);
        int ax = c.reg[EAX] & 0xFFFF;
        boolean adj = (ax & 0xF) > 9 || (c.eflags & AF) != 0;
        if (adj) ax = (ax + 0x106) & 0xFFFF;
        ax &= 0xFF0F;
        c.setReg(EAX, 1, ax);
        int f = c.eflags & ~(CF | AF);
        if (adj) f |= CF | AF;
        c.eflags = f;
    }

    static void aas(Cpu c) {
        materialize(c);
        int ax = c.reg[EAX] & 0xFFFF;
        boolean adj = (ax & 0xF) > 9 || (c.eflags & AF) != 0;
        if (adj) {
            int al = (ax - 6) & 0xFF;
            int ah = ((ax >>> 8) - 1 - ((ax & 0xFF) < 6 ? 1 : 0)) & 0xFF;
            ax = (ah << 8) | al;
        }
        ax &= 0xFF0F;
        c.setReg(EAX, 1, ax);
        int f = c.eflags & ~(CF | AF);
        if (adj) f |= CF | AF;
        c.eflags = f;
    }

    static void aam(Cpu c) {
        int base = c.cur.dImm & 0xFF;
        if (base == 0) throw c.fault(0);
        int al = c.reg[EAX] & 0xFF;
        int r = ((al / base) << 8) | (al % base);
        c.setReg(EAX, 1, r);
        szp(c, r & 0xFF, 0);
    }

    static void aad(Cpu c) {
        int base = c.cur.dImm & 0xFF;
        int al = c.reg[EAX] & 0xFF, ah = (c.reg[EAX] >>> 8) & 0xFF;
        int r = (al + ah * base) & 0xFF;
        c.setReg(EAX, 1, r);
        szp(c, r, 0);
    }

    /** Sets SF ZF PF from {@code r}; clears CF OF AF (the "undefined" ones get a fixed value). */
    private static void szp(Cpu c, int r, int sz) {
        int f = 0;
        r &= LazyFlags.mask(sz);
        if (r == 0) f |= ZF;
        if ((r & LazyFlags.signBit(sz)) != 0) f |= SF;
        if ((Integer.bitCount(r & 0xFF) & 1) == 0) f |= PF;
        setArith(c, f);
    }

    // ================================================================== XADD CMPXCHG

    static void xaddEb(Cpu c) {
        Insn in = c.cur;
        int d = readEw(c, 0);
        int s = c.getReg8(in.dReg);
        int r = alu(c, 0, d, s, 0);
        if (in.dMod == 3) {
            // register form: the source gets the old destination, then the destination the sum
            c.setReg8(in.dReg, d);
            writeE(c, 0, r);
        } else {
            writeE(c, 0, r);
            c.setReg8(in.dReg, d);
        }
    }

    static void xaddEv(Cpu c, int sz) {
        Insn in = c.cur;
        int d = readEw(c, sz);
        int s = c.getReg(in.dReg, sz);
        int r = alu(c, 0, d, s, sz);
        if (in.dMod == 3) {
            c.setReg(in.dReg, sz, d);
            writeE(c, sz, r);
        } else {
            writeE(c, sz, r);
            c.setReg(in.dReg, sz, d);
        }
    }

    static void cmpxchg(Cpu c, int sz) {
        int d = readEw(c, sz);
        int a = c.getReg(EAX, sz);
        alu(c, 7, a, d, sz);
        if (((a ^ d) & LazyFlags.mask(sz)) == 0) {
            writeE(c, sz, c.getReg(c.cur.dReg, sz));
        } else {
            writeE(c, sz, d);
            c.setReg(EAX, sz, d);
        }
    }

    static void cmpxchg8b(Cpu c) {
        Insn in = c.cur;
        // both halves are checked for writing before anything changes, low half first
        int lo = c.mmu.rdw(in.dSeg, c.eaOff, 2);
        int hi = c.mmu.rdw(in.dSeg, c.eaOff + 4, 2);
        materialize(c);
        if (lo == c.reg[EAX] && hi == c.reg[EDX]) {
            c.mmu.wr32(in.dSeg, c.eaOff, c.reg[EBX]);
            c.mmu.wr32(in.dSeg, c.eaOff + 4, c.reg[ECX]);
            c.eflags |= ZF;
        } else {
            c.mmu.wr32(in.dSeg, c.eaOff, lo);
            c.mmu.wr32(in.dSeg, c.eaOff + 4, hi);
            c.reg[EAX] = lo;
            c.reg[EDX] = hi;
            c.eflags &= ~ZF;
        }
    }

    // ================================================================== SETcc and the flag instructions

    static void setcc(Cpu c) {
        writeE(c, 0, cond(c, c.cur.dSub) ? 1 : 0);
    }

    static void clc(Cpu c) {
        setCFOnly(c, false);
    }

    static void stc(Cpu c) {
        setCFOnly(c, true);
    }

    static void cmc(Cpu c) {
        setCFOnly(c, !getCF(c));
    }

    static void cld(Cpu c) {
        c.eflags &= ~DF;
    }

    static void std(Cpu c) {
        c.eflags |= DF;
    }

    static void sahf(Cpu c) {
        materialize(c);
        c.eflags = (c.eflags & ~(SF | ZF | AF | PF | CF)) | ((c.reg[EAX] >>> 8) & (SF | ZF | AF | PF | CF));
    }

    static void lahf(Cpu c) {
        c.setReg8(4, (c.getEflags() & (SF | ZF | AF | PF | CF)) | 2);
    }

    /** SALC (undocumented D6): AL = CF ? FF : 00. */
    static void salc(Cpu c) {
        c.setReg8(EAX, getCF(c) ? 0xFF : 0);
    }
}
