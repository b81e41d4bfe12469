package dev.tandem.core.cpu;

import static dev.tandem.core.cpu.Cpu.ECX;
import static dev.tandem.core.cpu.Flags.AF;
import static dev.tandem.core.cpu.Flags.CF;
import static dev.tandem.core.cpu.Flags.OF;
import static dev.tandem.core.cpu.Flags.PF;
import static dev.tandem.core.cpu.Flags.SF;
import static dev.tandem.core.cpu.Flags.ZF;
import static dev.tandem.core.cpu.LazyFlags.materialize;
import static dev.tandem.core.cpu.LazyFlags.setCFOnly;
import static dev.tandem.core.cpu.Operands.readE;
import static dev.tandem.core.cpu.Operands.readEw;
import static dev.tandem.core.cpu.Operands.writeE;

/**
 * Handlers of shifts, rotates and bit operations (part of the ALU and flags family): ROL ROR RCL
 * RCR SHL SHR SAR by 1, CL or an immediate, SHLD and SHRD, BT BTS BTR BTC, BSF and BSR. These
 * compute EFLAGS directly (materializing the lazy flags first) rather than through the lazy
 * record. {@code sz} is the operand size index (0 = 8, 1 = 16, 2 = 32 bits).
 */
final class BitOps {
    private BitOps() { }

    /** Group 2 by an immediate count (C0, C1). */
    static void shiftI(Cpu c, int sz) {
        shift(c, sz, c.cur.dImm);
    }

    /** Group 2 by one (D0, D1). */
    static void shift1(Cpu c, int sz) {
        shift(c, sz, 1);
    }

    /** Group 2 by CL (D2, D3). */
    static void shiftCL(Cpu c, int sz) {
        shift(c, sz, c.reg[ECX]);
    }

    /** SHLD Ev,Gv,Ib / SHLD Ev,Gv,CL. */
    static void shldOp(Cpu c, int sz) {
        shld(c, sz, c.cur.dSub == 1 ? c.reg[ECX] : c.cur.dImm, true);
    }

    /** SHRD Ev,Gv,Ib / SHRD Ev,Gv,CL. */
    static void shrdOp(Cpu c, int sz) {
        shld(c, sz, c.cur.dSub == 1 ? c.reg[ECX] : c.cur.dImm, false);
    }

    /** BT/BTS/BTR/BTC Ev,Gv. */
    static void btEvGv(Cpu c, int sz) {
        bitOp(c, sz, c.cur.dSub, c.getReg(c.cur.dReg, sz), true);
    }

    /** BT/BTS/BTR/BTC Ev,Ib (group 8). */
    static void btEvIb(Cpu c, int sz) {
        bitOp(c, sz, c.cur.dSub, c.cur.dImm & 0xFF, false);
    }

    /** BSF ({@code forward}) or BSR. */
    static void bitScan(Cpu c, int sz, boolean forward) {
        int v = readE(c, sz);
        if (sz == 1) v &= 0xFFFF;
        materialize(c);
        if (v == 0) {
            c.eflags |= ZF;
        } else {
            c.eflags &= ~ZF;
            int idx = forward ? Integer.numberOfTrailingZeros(v) : 31 - Integer.numberOfLeadingZeros(v);
            c.setReg(c.cur.dReg, sz, idx);
        }
    }

    /** ROL ROR RCL RCR SHL SHR SAL SAR (ModRM sub-operation) of the E operand by {@code count}. */
    static void shift(Cpu c, int sz, int count) {
        int op = c.cur.dSub;
        count &= 31;
        int v = readEw(c, sz);
        if (count == 0) {
            writeE(c, sz, v); // a memory operand is still written (and its page checked)
            return;
        }
        int bits = sz == 0 ? 8 : sz == 1 ? 16 : 32;
        int m = LazyFlags.mask(sz);
        int sign = LazyFlags.signBit(sz);
        v &= m;
        int r;
        materialize(c);
        int f = c.eflags;
        boolean cf;
        boolean of;
        switch (op) {
            case 0: { // ROL
                int n = count & (bits - 1);
                r = n == 0 ? v : ((v << n) | (v >>> (bits - n))) & m;
                cf = (r & 1) != 0;
                of = ((r & sign) != 0) ^ cf;
                f = (f & ~(CF | OF)) | (cf ? CF : 0) | (of ? OF : 0);
                c.eflags = f;
                writeE(c, sz, r);
                return;
            }
            case 1: { // ROR
                int n = count & (bits - 1);
                r = n == 0 ? v : ((v >>> n) | (v << (bits - n))) & m;
                cf = (r & sign) != 0;
                of = ((r & sign) != 0) ^ ((r & (sign >>> 1)) != 0);
                f = (f & ~(CF | OF)) | (cf ? CF : 0) | (of ? OF : 0);
                c.eflags = f;
                writeE(c, sz, r);
                return;
            }
            case 2: { // RCL
                int n = sz == 2 ? count : count % (bits + 1);
                long x = ((long) ((f & CF) != 0 ? 1 : 0) << bits) | (v & 0xFFFFFFFFL);
                long full = (1L << (bits + 1)) - 1;
                if (n != 0) x = ((x << n) | (x >>> (bits + 1 - n))) & full;
                r = (int) (x & m);
                cf = ((x >>> bits) & 1) != 0;
                of = ((r & sign) != 0) ^ cf;
                f = (f & ~(CF | OF)) | (cf ? CF : 0) | (of ? OF : 0);
                c.eflags = f;
                writeE(c, sz, r);
                return;
            }
            case 3: { // RCR
                int n = sz == 2 ? count : count % (bits + 1);
                long x = ((long) ((f & CF) != 0 ? 1 : 0) << bits) | (v & 0xFFFFFFFFL);
                long full = (1L << (bits + 1)) - 1;
                if (n != 0) x = ((x >>> n) | (x << (bits + 1 - n))) & full;
                r = (int) (x & m);
                cf = ((x >>> bits) & 1) != 0;
                of = ((r & sign) != 0) ^ ((r & (sign >>> 1)) != 0);
                f = (f & ~(CF | OF)) | (cf ? CF : 0) | (of ? OF : 0);
                c.eflags = f;
                writeE(c, sz, r);
                return;
            }
            case 4:
            case 6: { // SHL/SAL
                long x = ((long) v) << count;
                r = (int) x & m;
                cf = count <= bits && ((x >>> bits) & 1) != 0;
                of = ((r & sign) != 0) ^ cf;
                break;
            }
            case 5: { // SHR
                cf = count <= bits && ((v >>> (count - 1)) & 1) != 0;
                r = count >= bits ? 0 : v >>> count;
                // defined for 1-bit shifts only; for longer shifts the last 1-bit step leaves OF clear
                of = count == 1 && (v & sign) != 0;
                break;
            }
            default: { // SAR
                int sv = sz == 0 ? (byte) v : sz == 1 ? (short) v : v;
                int n = Math.min(count, 31);
                cf = ((sv >> (Math.min(count - 1, 31))) & 1) != 0;
                r = (sv >> n) & m;
                of = false;
                break;
            }
        }
        int nf = f & ~(CF | OF | SF | ZF | PF | AF);
        if (cf) nf |= CF;
        if (of) nf |= OF;
        if (r == 0) nf |= ZF;
        if ((r & sign) != 0) nf |= SF;
        if ((Integer.bitCount(r & 0xFF) & 1) == 0) nf |= PF;
        c.eflags = nf;
        writeE(c, sz, r);
    }

    /** SHLD ({@code left}) or SHRD of the E operand with the G register by {@code count}. */
    static void shld(Cpu c, int sz, int count, boolean left) {
        count &= 31;
        int d = readEw(c, sz);
        if (count == 0) {
            writeE(c, sz, d);
            return;
        }
        int s = c.getReg(c.cur.dReg, sz);
        int bits = sz == 2 ? 32 : 16;
        int m = LazyFlags.mask(sz);
        int sign = LazyFlags.signBit(sz);
        d &= m;
        s &= m;
        int r;
        boolean cf;
        if (sz == 2) {
            long x = left ? (((long) d) << 32) | (s & 0xFFFFFFFFL) : (((long) s) << 32) | (d & 0xFFFFFFFFL);
            if (left) {
                long y = x << count;
                r = (int) (y >>> 32);
                cf = ((x >>> (64 - count)) & 1) != 0;
            } else {
                long y = x >>> count;
                r = (int) y;
                cf = ((x >>> (count - 1)) & 1) != 0;
            }
        } else {
            // 16-bit: the operands form a 48-bit pattern dst:src:dst (counts above 16 are undefined)
            long x = left ? (((long) d) << 32) | ((long) s << 16) | d : (((long) d) << 32) | ((long) s << 16) | d;
            if (left) {
                long y = x << count;
                r = (int) (y >>> 32) & 0xFFFF;
                cf = ((x >>> (48 - count)) & 1) != 0;
            } else {
                long z = ((long) d) | ((long) s << 16) | ((long) d << 32);
                long y = z >>> count;
                r = (int) y & 0xFFFF;
                cf = ((z >>> (count - 1)) & 1) != 0;
            }
        }
        materialize(c);
        int nf = c.eflags & ~(CF | OF | SF | ZF | PF | AF);
        if (cf) nf |= CF;
        if (((r ^ d) & sign) != 0) nf |= OF;
        if ((r & m) == 0) nf |= ZF;
        if ((r & sign) != 0) nf |= SF;
        if ((Integer.bitCount(r & 0xFF) & 1) == 0) nf |= PF;
        c.eflags = nf;
        writeE(c, sz, r);
    }

    /**
     * BT BTS BTR BTC ({@code op} 0..3); with a register bit offset a memory operand is addressed
     * beyond the E operand by the signed offset.
     */
    private static void bitOp(Cpu c, int sz, int op, int bitOff, boolean regOffset) {
        int bits = sz == 2 ? 32 : 16;
        int v;
        int bit;
        if (c.cur.dMod == 3) {
            bit = bitOff & (bits - 1);
            v = c.getReg(c.cur.dRm, sz);
            setCFOnly(c, ((v >>> bit) & 1) != 0);
            if (op != 0) c.setReg(c.cur.dRm, sz, apply(op, v, bit));
            return;
        }
        int off = c.eaOff;
        if (regOffset) {
            int signedOff = sz == 2 ? bitOff : (short) bitOff;
            int unit = signedOff >> (sz == 2 ? 5 : 4);
            off += unit * (bits / 8);
            if (!c.cur.dAddr32) off &= 0xFFFF;
            bit = signedOff & (bits - 1);
        } else {
            bit = bitOff & (bits - 1);
        }
        v = op != 0 ? c.mmu.rdw(c.cur.dSeg, off, sz) : c.mmu.rd(c.cur.dSeg, off, sz);
        setCFOnly(c, ((v >>> bit) & 1) != 0);
        if (op != 0) c.mmu.wr(c.cur.dSeg, off, sz, apply(op, v, bit));
    }

    private static int apply(int op, int v, int bit) {
        return switch (op) {
            case 1 -> v | (1 << bit);
            case 2 -> v & ~(1 << bit);
            default -> v ^ (1 << bit);
        };
    }
}
