package dev.tandem.core.cpu;

import static dev.tandem.core.cpu.Flags.AF;
import static dev.tandem.core.cpu.Flags.ARITH;
import static dev.tandem.core.cpu.Flags.CF;
import static dev.tandem.core.cpu.Flags.OF;
import static dev.tandem.core.cpu.Flags.PF;
import static dev.tandem.core.cpu.Flags.SF;
import static dev.tandem.core.cpu.Flags.ZF;

/**
 * Lazy arithmetic flags, and the ALU primitives that set them.
 *
 * <p>An arithmetic or logic instruction does not compute CF PF AF ZF SF OF. It records what it did
 * in four fields of {@link Cpu}: {@code lfOp} (the kind of operation, {@code LF_*}, times 4 plus
 * the size index), {@code lfDst} and {@code lfSrc} (the operands, masked to the size),
 * {@code lfRes} (the result) and, for ADC/SBB and INC/DEC, {@code lfCin} (the carry in, or the
 * carry INC/DEC keep). Each flag is derived from that record only when something reads it:
 * {@link #getCF} and the others, {@link #cond} for Jcc/SETcc/CMOVcc (after CMP/SUB and logic
 * operations straight from the operands), and {@link #materialize}, which writes all six into
 * {@code Cpu.eflags} and sets {@code lfOp} to 0. While {@code lfOp} is 0, {@code eflags} holds
 * the flags. Anything that reads or writes EFLAGS as a whole materializes first; snapshots and
 * state hashes save the materialized value.
 *
 * <p>All methods are static and take the CPU, so handlers and compiled code call them directly.
 */
final class LazyFlags {
    private LazyFlags() { }

    // lazy flag kinds; c.lfOp = kind * 4 + size index (0 = 8 bit, 1 = 16 bit, 2 = 32 bit)
    static final int LF_ADD = 1, LF_ADC = 2, LF_SUB = 3, LF_SBB = 4, LF_LOGIC = 5, LF_INC = 6, LF_DEC = 7;

    /** Value mask of size index {@code sz}. */
    static int mask(int sz) {
        return sz == 0 ? 0xFF : sz == 1 ? 0xFFFF : 0xFFFFFFFF;
    }

    /** Sign bit of size index {@code sz}. */
    static int signBit(int sz) {
        return sz == 0 ? 0x80 : sz == 1 ? 0x8000 : 0x80000000;
    }

    private static final byte[] PARITY = new byte[256];

    static {
        for (int i = 0; i < 256; i++) PARITY[i] = (byte) ((Integer.bitCount(i) & 1) == 0 ? PF : 0);
    }

    static boolean getCF(Cpu c) {
        if (c.lfOp == 0) return (c.eflags & CF) != 0;
        int kind = c.lfOp >>> 2;
        switch (kind) {
            case LF_ADD:
                return Integer.compareUnsigned(c.lfRes, c.lfDst) < 0;
            case LF_ADC:
                return c.lfCin != 0 ? Integer.compareUnsigned(c.lfRes, c.lfDst) <= 0
                        : Integer.compareUnsigned(c.lfRes, c.lfDst) < 0;
            case LF_SUB:
                return Integer.compareUnsigned(c.lfDst, c.lfSrc) < 0;
            case LF_SBB:
                return c.lfCin != 0 ? Integer.compareUnsigned(c.lfDst, c.lfSrc) <= 0
                        : Integer.compareUnsigned(c.lfDst, c.lfSrc) < 0;
            case LF_LOGIC:
                return false;
            default:
                return c.lfCin != 0;
        }
    }

    static boolean getZF(Cpu c) {
        return c.lfOp == 0 ? (c.eflags & ZF) != 0 : c.lfRes == 0;
    }

    static boolean getSF(Cpu c) {
        return c.lfOp == 0 ? (c.eflags & SF) != 0 : (c.lfRes & signBit(c.lfOp & 3)) != 0;
    }

    static boolean getOF(Cpu c) {
        if (c.lfOp == 0) return (c.eflags & OF) != 0;
        int sign = signBit(c.lfOp & 3);
        switch (c.lfOp >>> 2) {
            case LF_ADD:
            case LF_ADC:
            case LF_INC:
                return ((c.lfDst ^ c.lfRes) & (c.lfSrc ^ c.lfRes) & sign) != 0;
            case LF_SUB:
            case LF_SBB:
            case LF_DEC:
                return ((c.lfDst ^ c.lfSrc) & (c.lfDst ^ c.lfRes) & sign) != 0;
            default:
                return false;
        }
    }

    static boolean getPF(Cpu c) {
        return c.lfOp == 0 ? (c.eflags & PF) != 0 : PARITY[c.lfRes & 0xFF] != 0;
    }

    static boolean getAF(Cpu c) {
        if (c.lfOp == 0) return (c.eflags & AF) != 0;
        if ((c.lfOp >>> 2) == LF_LOGIC) return false;
        return ((c.lfDst ^ c.lfSrc ^ c.lfRes) & 0x10) != 0;
    }

    /** Writes the lazily held arithmetic flags into {@link #c.eflags}. */
    static void materialize(Cpu c) {
        if (c.lfOp != 0) {
            int f = c.eflags & ~ARITH;
            if (getCF(c)) f |= CF;
            f |= PARITY[c.lfRes & 0xFF];
            if (getAF(c)) f |= AF;
            if (c.lfRes == 0) f |= ZF;
            if ((c.lfRes & signBit(c.lfOp & 3)) != 0) f |= SF;
            if (getOF(c)) f |= OF;
            c.lfOp = 0;
            c.eflags = f;
        }
    }

    /** Sets the six arithmetic flags to {@code bits} (the other bits of EFLAGS are kept). */
    static void setArith(Cpu c, int bits) {
        c.lfOp = 0;
        c.eflags = (c.eflags & ~ARITH) | (bits & ARITH);
    }

    /** Sets or clears CF, keeping the other flags (BT, CLC, STC, CMC). */
    static void setCFOnly(Cpu c, boolean cf) {
        materialize(c);
        c.eflags = cf ? c.eflags | CF : c.eflags & ~CF;
    }

    /** Condition code {@code cc} (0 = O, 1 = NO, 2 = B ... 15 = G, as in Jcc/SETcc/CMOVcc). */
    static boolean cond(Cpu c, int cc) {
        int kind = c.lfOp >>> 2;
        if (kind == LF_SUB) {
            // after CMP/SUB the common conditions follow from the operands directly
            int sh = 32 - (8 << (c.lfOp & 3));
            if ((c.lfOp & 3) == 2) sh = 0;
            switch (cc) {
                case 2: return Integer.compareUnsigned(c.lfDst, c.lfSrc) < 0;
                case 3: return Integer.compareUnsigned(c.lfDst, c.lfSrc) >= 0;
                case 4: return c.lfRes == 0;
                case 5: return c.lfRes != 0;
                case 6: return Integer.compareUnsigned(c.lfDst, c.lfSrc) <= 0;
                case 7: return Integer.compareUnsigned(c.lfDst, c.lfSrc) > 0;
                case 12: return (c.lfDst << sh) < (c.lfSrc << sh);
                case 13: return (c.lfDst << sh) >= (c.lfSrc << sh);
                case 14: return (c.lfDst << sh) <= (c.lfSrc << sh);
                case 15: return (c.lfDst << sh) > (c.lfSrc << sh);
                default: break;
            }
        } else if (kind == LF_LOGIC) {
            int sh = (c.lfOp & 3) == 2 ? 0 : 32 - (8 << (c.lfOp & 3));
            switch (cc) {
                case 4: return c.lfRes == 0;
                case 5: return c.lfRes != 0;
                case 8: case 12: return (c.lfRes << sh) < 0;
                case 9: case 13: return (c.lfRes << sh) >= 0;
                case 14: return (c.lfRes << sh) <= 0;
                case 15: return (c.lfRes << sh) > 0;
                default: break;
            }
        }
        boolean r;
        switch (cc >>> 1) {
            case 0: r = getOF(c); break;
            case 1: r = getCF(c); break;
            case 2: r = getZF(c); break;
            case 3: r = getCF(c) || getZF(c); break;
            case 4: r = getSF(c); break;
            case 5: r = getPF(c); break;
            case 6: r = getSF(c) != getOF(c); break;
            default: r = getZF(c) || (getSF(c) != getOF(c)); break;
        }
        return r ^ ((cc & 1) != 0);
    }

    // ================================================================== ALU primitives

    /** ADD OR ADC SBB AND SUB XOR CMP on size {@code sz}; sets flags, returns the result. */
    static int alu(Cpu c, int op, int dst, int src, int sz) {
        int m = mask(sz);
        dst &= m;
        src &= m;
        int res;
        switch (op) {
            case 0:
                res = (dst + src) & m;
                c.lfOp = LF_ADD << 2 | sz;
                break;
            case 1:
                res = dst | src;
                c.lfOp = LF_LOGIC << 2 | sz;
                break;
            case 2: {
                int cin = getCF(c) ? 1 : 0;
                res = (dst + src + cin) & m;
                c.lfCin = cin;
                c.lfOp = LF_ADC << 2 | sz;
                break;
            }
            case 3: {
                int cin = getCF(c) ? 1 : 0;
                res = (dst - src - cin) & m;
                c.lfCin = cin;
                c.lfOp = LF_SBB << 2 | sz;
                break;
            }
            case 4:
                res = dst & src;
                c.lfOp = LF_LOGIC << 2 | sz;
                break;
            case 5:
            case 7:
                res = (dst - src) & m;
                c.lfOp = LF_SUB << 2 | sz;
                break;
            default:
                res = dst ^ src;
                c.lfOp = LF_LOGIC << 2 | sz;
                break;
        }
        c.lfDst = dst;
        c.lfSrc = src;
        c.lfRes = res;
        return res;
    }

    /** {@link #alu} for 32-bit operands. */
    static int alu32(Cpu c, int op, int dst, int src) {
        int res;
        switch (op) {
            case 0:
                res = dst + src;
                c.lfOp = LF_ADD << 2 | 2;
                break;
            case 1:
                res = dst | src;
                c.lfOp = LF_LOGIC << 2 | 2;
                break;
            case 4:
                res = dst & src;
                c.lfOp = LF_LOGIC << 2 | 2;
                break;
            case 5:
            case 7:
                res = dst - src;
                c.lfOp = LF_SUB << 2 | 2;
                break;
            case 6:
                res = dst ^ src;
                c.lfOp = LF_LOGIC << 2 | 2;
                break;
            default:
                return alu(c, op, dst, src, 2);
        }
        c.lfDst = dst;
        c.lfSrc = src;
        c.lfRes = res;
        return res;
    }

    /** INC: CF is kept. */
    static int inc(Cpu c, int v, int sz) {
        int cin = getCF(c) ? 1 : 0;
        int m = mask(sz);
        c.lfDst = v & m;
        c.lfSrc = 1;
        c.lfRes = (v + 1) & m;
        c.lfCin = cin;
        c.lfOp = LF_INC << 2 | sz;
        return c.lfRes;
    }

    /** DEC: CF is kept. */
    static int dec(Cpu c, int v, int sz) {
        int cin = getCF(c) ? 1 : 0;
        int m = mask(sz);
        c.lfDst = v & m;
        c.lfSrc = 1;
        c.lfRes = (v - 1) & m;
        c.lfCin = cin;
        c.lfOp = LF_DEC << 2 | sz;
        return c.lfRes;
    }
}
