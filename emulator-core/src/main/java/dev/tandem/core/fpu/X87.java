package dev.tandem.core.fpu;

/**
 * The x87 floating-point unit of a P6-class processor, in true 80-bit extended precision.
 *
 * <p>Registers are held as a 16-bit sign/exponent word ({@link #regSE}) and a 64-bit significand
 * with explicit integer bit ({@link #regSig}), indexed by physical register number; ST(i) is
 * physical register (TOP + i) mod 8. All arithmetic is integer software floating point; Java
 * doubles are used only inside the transcendental kernels ({@link X87Math}) as double-double
 * intermediates, never for the basic operations.
 *
 * <p>Guest-visible state is in the public int/long fields so a snapshot can serialize it.
 */
public final class X87 {
    public static final int IE = 0x01, DE = 0x02, ZE = 0x04, OE = 0x08, UE = 0x10, PE = 0x20, SF = 0x40, ES = 0x80;
    public static final int C0 = 0x100, C1 = 0x200, C2 = 0x400, C3 = 0x4000, BUSY = 0x8000;
    static final int BIAS = 0x3FFF;
    static final long J = 0x8000000000000000L;
    static final long QBIT = 0x4000000000000000L;
    static final int INDEF_SE = 0xFFFF;
    static final long INDEF_SIG = 0xC000000000000000L;
    static final int WRAP = 24576;

    static final int K_ZERO = 0, K_NORMAL = 1, K_DENORMAL = 2, K_INF = 3, K_QNAN = 4, K_SNAN = 5, K_UNSUPPORTED = 6;
    static final int RC_NEAREST = 0, RC_DOWN = 1, RC_UP = 2, RC_CHOP = 3;

    // ---------------------------------------------------------------- guest-visible state
    /** Control word (bit 6 always reads as 1). */
    public int cw;
    /** Status word including TOP (bits 11-13). */
    public int sw;
    /** Full tag word, two bits per physical register (00 valid, 01 zero, 10 special, 11 empty). */
    public int tw;
    /** Physical registers: sign (bit 15) and biased exponent (bits 0-14). */
    public final int[] regSE = new int[8];
    /** Physical registers: 64-bit significand with explicit integer bit. */
    public final long[] regSig = new long[8];
    /** Last instruction pointer (offset, selector), opcode (11 bits) and last data pointer. */
    public int fip, fcs, fop, fdp, fds;

    // ---------------------------------------------------------------- scratch (not state)
    private int rSE;
    private long rSig;
    private int rExp;
    private boolean rUp, rInexact, rCarry;
    private int tSE;
    private long tSig;
    private long shHi, shLo;
    private long rInt;

    public X87() {
        reset();
    }

    /** Power-on state: FNINIT plus all registers cleared and pointers zeroed. */
    public void reset() {
        fninit();
        for (int i = 0; i < 8; i++) {
            regSE[i] = 0;
            regSig[i] = 0;
        }
        fip = fcs = fop = fdp = fds = 0;
    }

    private void fninit() {
        cw = 0x037F;
        sw = 0;
        tw = 0xFFFF;
        fip = fcs = fop = fdp = fds = 0;
    }

    // ---------------------------------------------------------------- accessors for snapshot/tests
    public int top() { return (sw >>> 11) & 7; }
    /** Physical register number of ST(i). */
    public int phys(int i) { return (top() + i) & 7; }
    public boolean isEmpty(int stIndex) { return ((tw >>> (2 * phys(stIndex))) & 3) == 3; }
    public int stSE(int i) { return regSE[phys(i)]; }
    public long stSig(int i) { return regSig[phys(i)]; }
    /** Writes ST(i) directly (tests, debuggers); updates the tag. */
    public void setST(int i, int se, long sig) { write(phys(i), se, sig); }
    /** SW.ES: an unmasked exception is pending; the CPU raises #MF/IRQ13 before the next waiting FPU instruction. */
    public boolean hasPendingUnmaskedException() { return (sw & ES) != 0; }

    /** FNINIT FNCLEX FNSTENV FNSAVE FNSTSW FNSTCW (and the 8087 no-ops FNENI/FNDISI/FNSETPM). */
    public static boolean isNonWaiting(int opcode, int modrm) {
        int reg = (modrm >>> 3) & 7;
        boolean mem = (modrm & 0xC0) != 0xC0;
        switch (opcode & 0xFF) {
            case 0xD9: return mem && (reg == 6 || reg == 7);
            case 0xDB: return !mem && modrm >= 0xE0 && modrm <= 0xE4;
            case 0xDD: return mem && (reg == 6 || reg == 7);
            case 0xDF: return modrm == 0xE0;
            default: return false;
        }
    }

    /** True when this ESC encoding is undefined on a P6 (the CPU raises #UD instead of calling execute). */
    public static boolean isInvalid(int opcode, int modrm) {
        int reg = (modrm >>> 3) & 7;
        boolean mem = (modrm & 0xC0) != 0xC0;
        switch (opcode & 0xFF) {
            case 0xD8: case 0xDC: return false;
            case 0xD9:
                if (mem) return reg == 1;
                if (reg == 2) return modrm != 0xD0;
                if (reg == 4) return modrm == 0xE2 || modrm == 0xE3 || modrm == 0xE6 || modrm == 0xE7;
                if (reg == 5) return modrm == 0xEF;
                return false;
            case 0xDA:
                if (mem) return false;
                return reg >= 4 && modrm != 0xE9;
            case 0xDB:
                if (mem) return reg == 1 || reg == 4 || reg == 6; // FISTTP m32 is SSE3
                if (reg == 4) return modrm > 0xE4;
                return reg == 7;
            case 0xDD:
                if (mem) return reg == 1 || reg == 5; // FISTTP m64 is SSE3
                return reg == 6 || reg == 7;
            case 0xDE:
                if (mem) return false;
                return reg == 3 && modrm != 0xD9;
            case 0xDF:
                if (mem) return reg == 1; // FISTTP m16 is SSE3
                if (reg == 4) return modrm != 0xE0;
                return reg == 7;
            default:
                throw new IllegalArgumentException("not an x87 opcode: 0x" + Integer.toHexString(opcode));
        }
    }

    /** True for instructions that do not update the last instruction/data pointers. */
    static boolean isControl(int opcode, int modrm) {
        int reg = (modrm >>> 3) & 7;
        boolean mem = (modrm & 0xC0) != 0xC0;
        switch (opcode & 0xFF) {
            case 0xD9: return mem && reg >= 4;
            case 0xDB: return !mem && modrm >= 0xE0 && modrm <= 0xE4;
            case 0xDD: return mem && (reg == 4 || reg == 6 || reg == 7);
            case 0xDF: return modrm == 0xE0;
            default: return false;
        }
    }

    // ---------------------------------------------------------------- classification helpers
    static int classify(int se, long sig) {
        int e = se & 0x7FFF;
        if (e == 0) return sig == 0 ? K_ZERO : K_DENORMAL;
        if (e == 0x7FFF) {
            if (sig >= 0) return K_UNSUPPORTED;
            if ((sig << 1) == 0) return K_INF;
            return (sig & QBIT) != 0 ? K_QNAN : K_SNAN;
        }
        return sig < 0 ? K_NORMAL : K_UNSUPPORTED;
    }

    static int tagOf(int se, long sig) {
        int e = se & 0x7FFF;
        if (e == 0) return sig == 0 ? 1 : 2;
        if (e == 0x7FFF) return 2;
        return sig < 0 ? 0 : 2;
    }

    private static boolean isNaNClass(int k) { return k == K_QNAN || k == K_SNAN; }

    private static int effExp(int se) {
        int e = se & 0x7FFF;
        return e == 0 ? 1 : e;
    }

    private int rc() { return (cw >>> 10) & 3; }

    private int pcBits() {
        switch ((cw >>> 8) & 3) {
            case 0: return 24;
            case 2: return 53;
            default: return 64; // 3, and the reserved setting 1
        }
    }

    // ---------------------------------------------------------------- register file
    private void write(int p, int se, long sig) {
        regSE[p] = se & 0xFFFF;
        regSig[p] = sig;
        tw = (tw & ~(3 << (2 * p))) | (tagOf(se, sig) << (2 * p));
    }

    private boolean emptyPhys(int p) { return ((tw >>> (2 * p)) & 3) == 3; }

    private void setTop(int t) { sw = (sw & ~0x3800) | ((t & 7) << 11); }

    private void pop() {
        int p = top();
        tw |= 3 << (2 * p);
        setTop(p + 1);
    }

    private void setCC(int c) { sw = (sw & ~(C0 | C1 | C2 | C3)) | c; }

    private void setC1(boolean v) {
        if (v) sw |= C1; else sw &= ~C1;
    }

    /** Records exception flags and updates ES/B. */
    private void raise(int flags) {
        sw |= flags & 0x7F;
        if ((sw & ~cw & 0x3F) != 0) sw |= ES | BUSY;
    }

    private boolean unmasked(int flags) { return (flags & ~cw & 0x3F) != 0; }

    // ---------------------------------------------------------------- rounding
    private void shr128Jam(long hi, long lo, int n) {
        if (n == 0) {
            shHi = hi; shLo = lo;
        } else if (n < 64) {
            shLo = (hi << (64 - n)) | (lo >>> n) | ((lo << (64 - n)) != 0 ? 1 : 0);
            shHi = hi >>> n;
        } else if (n == 64) {
            shLo = hi | (lo != 0 ? 1 : 0);
            shHi = 0;
        } else if (n < 128) {
            shLo = (hi >>> (n - 64)) | (((hi << (128 - n)) | lo) != 0 ? 1 : 0);
            shHi = 0;
        } else {
            shLo = (hi | lo) != 0 ? 1 : 0;
            shHi = 0;
        }
    }

    /** Rounds sig:ext to prec bits in place: rSig (low bits cleared), rCarry (wrapped past 2^64), rInexact, rUp. */
    private void roundSig(boolean neg, long sig, long ext, int prec, int rc) {
        boolean inexact, half, rest, lsb;
        long mask, unit;
        if (prec == 64) {
            mask = 0;
            unit = 1;
            inexact = ext != 0;
            half = ext < 0;
            rest = (ext << 1) != 0;
            lsb = (sig & 1) != 0;
        } else {
            int k = 64 - prec;
            unit = 1L << k;
            mask = unit - 1;
            long d = sig & mask;
            inexact = d != 0 || ext != 0;
            half = ((d >>> (k - 1)) & 1) != 0;
            rest = (d & (mask >>> 1)) != 0 || ext != 0;
            lsb = (sig & unit) != 0;
        }
        boolean inc;
        switch (rc) {
            case RC_NEAREST: inc = half && (rest || lsb); break;
            case RC_DOWN: inc = inexact && neg; break;
            case RC_UP: inc = inexact && !neg; break;
            default: inc = false;
        }
        sig &= ~mask;
        rCarry = false;
        if (inc) {
            sig += unit;
            if (sig == 0) rCarry = true;
        }
        rSig = sig;
        rInexact = inexact;
        rUp = inc;
    }

    /**
     * Rounds the value (sig + ext/2^64) * 2^(exp - BIAS - 63) to prec bits within the normal
     * exponent range [eMin, eMax] (extended bias). Output: rExp/rSig (rSig bit 63 clear means a
     * denormal at eMin; rExp 0x7FFF means infinity), rUp, rInexact. Returns OE/UE/PE flags.
     * wrap: destination is a register, so unmasked overflow/underflow deliver the result with the
     * exponent wrapped by 24576 (as the hardware does).
     */
    private int roundCore(boolean neg, int exp, long sig, long ext, int prec, int eMin, int eMax, boolean wrap) {
        int rc = rc();
        rUp = false;
        rInexact = false;
        if (sig == 0) {
            if (ext == 0) {
                rExp = 0;
                rSig = 0;
                return 0;
            }
            sig = ext;
            ext = 0;
            exp -= 64;
        }
        int n = Long.numberOfLeadingZeros(sig);
        if (n != 0) {
            sig = (sig << n) | (ext >>> (64 - n));
            ext <<= n;
            exp -= n;
        }
        int flags = 0;
        if (exp < eMin) {
            boolean tiny = true;
            if (exp == eMin - 1) {
                roundSig(neg, sig, ext, prec, rc);
                if (rCarry) tiny = false;
            }
            if (tiny) {
                if ((cw & UE) == 0 && wrap && exp + WRAP < eMin) {
                    // beyond the wrap range: the host delivers a signed zero
                    rExp = 0;
                    rSig = 0;
                    rInexact = true;
                    return UE | PE;
                }
                if ((cw & UE) == 0) {
                    // unmasked underflow: exact exponent, result scaled by 2^24576 (registers only)
                    roundSig(neg, sig, ext, prec, rc);
                    if (rCarry) {
                        rSig = J;
                        exp++;
                    }
                    rExp = wrap ? exp + WRAP : exp;
                    return UE | (rInexact ? PE : 0);
                }
                shr128Jam(sig, ext, eMin - exp);
                roundSig(neg, shHi, shLo, prec, rc);
                rExp = eMin;
                if (rInexact) flags |= UE | PE;
                return flags;
            }
        }
        roundSig(neg, sig, ext, prec, rc);
        if (rCarry) {
            rSig = J;
            exp++;
        }
        if (rInexact) flags |= PE;
        if (exp > eMax) {
            if ((cw & OE) == 0 && wrap && exp - WRAP > eMax) {
                // beyond the wrap range: the host delivers infinity
                rExp = 0x7FFF;
                rSig = J;
                rUp = true;
                rInexact = true;
                return OE | PE;
            }
            if ((cw & OE) == 0) {
                rExp = wrap ? exp - WRAP : exp;
                return flags | OE;
            }
            flags |= OE | PE;
            rInexact = true;
            boolean toInf = rc == RC_NEAREST || (rc == RC_UP && !neg) || (rc == RC_DOWN && neg);
            if (toInf) {
                rExp = 0x7FFF;
                rSig = J;
                rUp = true;
            } else {
                rExp = eMax;
                rSig = prec == 64 ? -1L : (-1L << (64 - prec));
                rUp = false;
            }
            return flags;
        }
        rExp = exp;
        return flags;
    }

    /** Rounds to an extended register value in rSE/rSig. */
    private int roundReg(boolean neg, int exp, long sig, long ext, int prec) {
        int f = roundCore(neg, exp, sig, ext, prec, 1, 0x7FFE, true);
        int e = rExp;
        if (e != 0x7FFF || (f & OE) != 0) {
            if (rSig == 0) e = 0;
            else if (rSig >= 0 && e == 1) e = 0;
        }
        rSE = (neg ? 0x8000 : 0) | (e & 0x7FFF);
        return f;
    }

    // ---------------------------------------------------------------- format conversion
    /** float32 bits to extended in tSE/tSig (SNaN kept signaling); returns the source class. */
    private int fromF32(int bits) {
        return fromIeee(bits & 0xFFFFFFFFL, 8, 23);
    }

    /** float64 bits to extended in tSE/tSig (SNaN kept signaling); returns the source class. */
    private int fromF64(long bits) {
        return fromIeee(bits, 11, 52);
    }

    /** An IEEE binary format with {@code expBits}/{@code fracBits} to extended in tSE/tSig. */
    private int fromIeee(long bits, int expBits, int fracBits) {
        int s = (int) ((bits >>> (expBits + fracBits)) & 1) << 15;
        int emax = (1 << expBits) - 1;
        int bias = emax >> 1;
        int e = (int) (bits >>> fracBits) & emax;
        long m = bits & ((1L << fracBits) - 1);
        int shift = 63 - fracBits;
        if (e == emax) {
            tSE = s | 0x7FFF;
            tSig = J | (m << shift);
            return m == 0 ? K_INF : (((m >>> (fracBits - 1)) & 1) != 0 ? K_QNAN : K_SNAN);
        }
        if (e == 0) {
            if (m == 0) {
                tSE = s;
                tSig = 0;
                return K_ZERO;
            }
            // denormal: value m * 2^(1 - bias - fracBits), normalized into the 64-bit significand
            int n = Long.numberOfLeadingZeros(m);
            tSig = m << n;
            tSE = s | (BIAS + 64 - bias - fracBits - n);
            return K_DENORMAL;
        }
        tSE = s | (e - bias + BIAS);
        tSig = J | (m << shift);
        return K_NORMAL;
    }

    private void fromInt(long v) {
        if (v == 0) {
            tSE = 0;
            tSig = 0;
            return;
        }
        int s = v < 0 ? 0x8000 : 0;
        long m = v < 0 ? -v : v;
        int n = Long.numberOfLeadingZeros(m);
        tSig = m << n;
        tSE = s | (BIAS + 63 - n);
    }

    private long memBits; // result of toF32/toF64

    /**
     * Converts an extended value to float32 (fmt 0) or float64 (fmt 1) in memBits. Returns the
     * exception flags (IE, DE, OE, UE, PE); rUp is the C1 indicator.
     */
    private int toFloat(int se, long sig, boolean dbl) {
        int k = classify(se, sig);
        boolean neg = (se & 0x8000) != 0;
        long signBit = dbl ? (neg ? J : 0) : (neg ? 0x80000000L : 0);
        rUp = false;
        switch (k) {
            case K_ZERO:
                memBits = signBit;
                return 0;
            case K_INF:
                memBits = signBit | (dbl ? 0x7FF0000000000000L : 0x7F800000L);
                return 0;
            case K_QNAN:
            case K_SNAN:
                memBits = dbl ? signBit | 0x7FF8000000000000L | ((sig >>> 11) & 0xFFFFFFFFFFFFFL)
                        : signBit | 0x7FC00000L | ((sig >>> 40) & 0x7FFFFFL);
                return k == K_SNAN ? IE : 0;
            case K_UNSUPPORTED:
                memBits = dbl ? 0xFFF8000000000000L : 0xFFC00000L;
                return IE;
            default:
                break;
        }
        int flags = 0; // a denormal source is not reported by stores
        int eMin = dbl ? BIAS - 1022 : BIAS - 126;
        int eMax = dbl ? BIAS + 1023 : BIAS + 127;
        flags |= roundCore(neg, effExp(se), sig, 0, dbl ? 53 : 24, eMin, eMax, false);
        if (rExp == 0x7FFF) {
            memBits = signBit | (dbl ? 0x7FF0000000000000L : 0x7F800000L);
        } else if (rSig == 0) {
            memBits = signBit;
        } else if (dbl) {
            if (rSig < 0 && rExp >= eMin) memBits = signBit | ((long) (rExp - BIAS + 1023) << 52) | ((rSig >>> 11) & 0xFFFFFFFFFFFFFL);
            else memBits = signBit | (rSig >>> 11);
        } else {
            if (rSig < 0 && rExp >= eMin) memBits = signBit | ((long) (rExp - BIAS + 127) << 23) | ((rSig >>> 40) & 0x7FFFFFL);
            else memBits = signBit | (rSig >>> 40);
        }
        return flags;
    }

    /**
     * Rounds |value| to an integer with the current rounding control: rInt = magnitude (unsigned),
     * rInexact, rUp. Returns false if the magnitude does not fit in 64 bits.
     */
    private boolean roundIntegral(boolean neg, int e, long sig) {
        int shift = BIAS + 63 - e;
        rInexact = false;
        rUp = false;
        if (shift <= 0) {
            if (shift == 0) {
                rInt = sig;
                return true;
            }
            if (shift < -63 || (sig >>> (64 + shift)) != 0) return false;
            rInt = sig << -shift;
            return true;
        }
        long ip;
        boolean half, rest;
        if (shift < 64) {
            ip = sig >>> shift;
            long fr = sig << (64 - shift);
            half = fr < 0;
            rest = (fr << 1) != 0;
        } else if (shift == 64) {
            ip = 0;
            half = sig < 0;
            rest = (sig << 1) != 0;
        } else {
            ip = 0;
            half = false;
            rest = sig != 0;
        }
        boolean inexact = half || rest;
        boolean inc;
        switch (rc()) {
            case RC_NEAREST: inc = half && (rest || (ip & 1) != 0); break;
            case RC_DOWN: inc = inexact && neg; break;
            case RC_UP: inc = inexact && !neg; break;
            default: inc = false;
        }
        if (inc) ip++;
        rInt = ip;
        rInexact = inexact;
        rUp = inc;
        return true;
    }

    /** Extended to signed integer of the given width in rInt; returns flags (IE, DE?, PE). */
    private int toInteger(int se, long sig, int bits) {
        int k = classify(se, sig);
        long indef = 1L << (bits - 1);
        rUp = false;
        if (k == K_INF || k == K_QNAN || k == K_SNAN || k == K_UNSUPPORTED) {
            rInt = indef;
            return IE;
        }
        if (k == K_ZERO) {
            rInt = 0;
            return 0;
        }
        boolean neg = (se & 0x8000) != 0;
        int flags = 0; // a denormal source is not reported by FIST
        if (!roundIntegral(neg, effExp(se), sig)) {
            rInt = indef;
            rUp = false;
            return flags | IE;
        }
        long mag = rInt;
        boolean ok = neg ? Long.compareUnsigned(mag, indef) <= 0 : Long.compareUnsigned(mag, indef - 1) <= 0;
        if (bits == 64) ok = neg ? Long.compareUnsigned(mag, J) <= 0 : mag >= 0;
        if (!ok) {
            rInt = indef;
            rUp = false;
            return flags | IE;
        }
        rInt = neg ? -mag : mag;
        return flags | (rInexact ? PE : 0);
    }

    // ---------------------------------------------------------------- arithmetic kernels
    private int invalidResult() {
        rSE = INDEF_SE;
        rSig = INDEF_SIG;
        rUp = false;
        return IE;
    }

    /** NaN propagation for two operands (one or both NaN/unsupported). Result in rSE/rSig. */
    private int propagateNaN(int aSE, long aSig, int ka, int bSE, long bSig, int kb) {
        rUp = false;
        if (ka == K_UNSUPPORTED || kb == K_UNSUPPORTED) return invalidResult();
        int flags = (ka == K_SNAN || kb == K_SNAN) ? IE : 0;
        boolean an = isNaNClass(ka), bn = isNaNClass(kb);
        boolean pickA;
        if (an && bn) {
            int c = Long.compareUnsigned(aSig, bSig);
            pickA = c > 0 || (c == 0 && (aSE & 0x8000) == 0);
        } else {
            pickA = an;
        }
        if (pickA) {
            rSE = aSE;
            rSig = aSig | QBIT;
        } else {
            rSE = bSE;
            rSig = bSig | QBIT;
        }
        return flags;
    }

    private int propagateNaN1(int se, long sig, int k) {
        rUp = false;
        if (k == K_UNSUPPORTED) return invalidResult();
        rSE = se;
        rSig = sig | QBIT;
        return k == K_SNAN ? IE : 0;
    }

    static final int OP_ADD = 0, OP_MUL = 1, OP_SUB = 4, OP_DIV = 6;

    /** a op b rounded to the precision control; result in rSE/rSig/rUp; returns exception flags. */
    int arith(int op, int aSE, long aSig, int bSE, long bSig) {
        int ka = classify(aSE, aSig), kb = classify(bSE, bSig);
        rUp = false;
        if (ka >= K_QNAN || kb >= K_QNAN) return propagateNaN(aSE, aSig, ka, bSE, bSig, kb);
        int flags = (ka == K_DENORMAL || kb == K_DENORMAL) ? DE : 0;
        boolean sa = (aSE & 0x8000) != 0, sb = (bSE & 0x8000) != 0;
        int prec = pcBits();
        switch (op) {
            case OP_SUB:
                sb = !sb;
                // fall through
            case OP_ADD: {
                if (ka == K_INF || kb == K_INF) {
                    if (ka == K_INF && kb == K_INF && sa != sb) return flags | invalidResult();
                    boolean s = ka == K_INF ? sa : sb;
                    rSE = (s ? 0x8000 : 0) | 0x7FFF;
                    rSig = J;
                    return flags;
                }
                if (ka == K_ZERO && kb == K_ZERO) {
                    boolean s = sa == sb ? sa : rc() == RC_DOWN;
                    rSE = s ? 0x8000 : 0;
                    rSig = 0;
                    return flags;
                }
                if (ka == K_ZERO) return flags | roundReg(sb, effExp(bSE), bSig, 0, prec);
                if (kb == K_ZERO) return flags | roundReg(sa, effExp(aSE), aSig, 0, prec);
                int ea = effExp(aSE), eb = effExp(bSE);
                long ma = aSig, mb = bSig;
                if (ea < eb || (ea == eb && Long.compareUnsigned(ma, mb) < 0)) {
                    int te = ea; ea = eb; eb = te;
                    long tm = ma; ma = mb; mb = tm;
                    boolean ts = sa; sa = sb; sb = ts;
                }
                shr128Jam(mb, 0, ea - eb);
                long bh = shHi, bl = shLo;
                if (sa == sb) {
                    long hi = ma + bh, lo = bl;
                    if (Long.compareUnsigned(hi, ma) < 0) {
                        lo = (lo >>> 1) | (lo & 1) | (hi << 63);
                        hi = (hi >>> 1) | J;
                        ea++;
                    }
                    return flags | roundReg(sa, ea, hi, lo, prec);
                }
                long lo = -bl;
                long hi = ma - bh - (bl != 0 ? 1 : 0);
                if (hi == 0 && lo == 0) {
                    rSE = rc() == RC_DOWN ? 0x8000 : 0;
                    rSig = 0;
                    return flags;
                }
                return flags | roundReg(sa, ea, hi, lo, prec);
            }
            case OP_MUL: {
                boolean s = sa ^ sb;
                if (ka == K_INF || kb == K_INF) {
                    if (ka == K_ZERO || kb == K_ZERO) return flags | invalidResult();
                    rSE = (s ? 0x8000 : 0) | 0x7FFF;
                    rSig = J;
                    return flags;
                }
                if (ka == K_ZERO || kb == K_ZERO) {
                    rSE = s ? 0x8000 : 0;
                    rSig = 0;
                    return flags;
                }
                long hi = Math.unsignedMultiplyHigh(aSig, bSig), lo = aSig * bSig;
                return flags | roundReg(s, effExp(aSE) + effExp(bSE) - BIAS + 1, hi, lo, prec);
            }
            case OP_DIV: {
                boolean s = sa ^ sb;
                if (ka == K_INF) {
                    if (kb == K_INF) return flags | invalidResult();
                    rSE = (s ? 0x8000 : 0) | 0x7FFF;
                    rSig = J;
                    return flags;
                }
                if (kb == K_INF) {
                    rSE = s ? 0x8000 : 0;
                    rSig = 0;
                    return flags;
                }
                if (kb == K_ZERO) {
                    if (ka == K_ZERO) return flags | invalidResult();
                    rSE = (s ? 0x8000 : 0) | 0x7FFF;
                    rSig = J;
                    return ZE; // a denormal dividend is not reported
                }
                if (ka == K_ZERO) {
                    rSE = s ? 0x8000 : 0;
                    rSig = 0;
                    return flags;
                }
                int ea = effExp(aSE), eb = effExp(bSE);
                long ma = aSig, mb = bSig;
                int na = Long.numberOfLeadingZeros(ma), nb = Long.numberOfLeadingZeros(mb);
                ma <<= na; ea -= na;
                mb <<= nb; eb -= nb;
                return flags | divSig(s, ea, ma, eb, mb, prec, true);
            }
            default:
                throw new IllegalArgumentException("op " + op);
        }
    }

    /** Divides normalized significands and rounds; result in rSE/rSig (reg) or rExp/rSig. */
    private int divSig(boolean s, int ea, long ma, int eb, long mb, int prec, boolean reg) {
        boolean q64 = false;
        long r = ma;
        if (Long.compareUnsigned(ma, mb) >= 0) {
            r = ma - mb;
            q64 = true;
        }
        long q = 0, g = 0;
        for (int i = 0; i < 65; i++) {
            boolean carry = r < 0;
            r <<= 1;
            long bit = 0;
            if (carry || Long.compareUnsigned(r, mb) >= 0) {
                r -= mb;
                bit = 1;
            }
            if (i < 64) q = (q << 1) | bit;
            else g = bit;
        }
        long sticky = r != 0 ? 1 : 0;
        long sig, ext;
        int e;
        if (q64) {
            sig = J | (q >>> 1);
            ext = (q << 63) | (g << 62) | sticky;
            e = ea - eb + BIAS;
        } else {
            sig = q;
            ext = (g << 63) | sticky;
            e = ea - eb + BIAS - 1;
        }
        return roundReg(s, e, sig, ext, prec);
    }

    /** Square root of an extended value; rounded to PC. */
    int sqrt(int se, long sig) {
        int k = classify(se, sig);
        rUp = false;
        if (k >= K_QNAN) return propagateNaN1(se, sig, k);
        boolean neg = (se & 0x8000) != 0;
        if (k == K_ZERO) {
            rSE = se;
            rSig = 0;
            return 0;
        }
        if (neg) return invalidResult(); // a negative denormal reports IE only
        int flags = k == K_DENORMAL ? DE : 0;
        if (k == K_INF) {
            rSE = 0x7FFF;
            rSig = J;
            return 0;
        }
        int e = effExp(se);
        int n = Long.numberOfLeadingZeros(sig);
        long m = sig << n;
        e -= n;
        int E = e - BIAS;
        long nh, nl;
        int re;
        if ((E & 1) == 0) {
            nh = m >>> 1;
            nl = m << 63;
            re = BIAS + (E >> 1);
        } else {
            nh = m;
            nl = 0;
            re = BIAS + ((E - 1) >> 1);
        }
        long root = 0, remH = 0, remL = 0;
        for (int i = 0; i < 64; i++) {
            remH = (remH << 2) | (remL >>> 62);
            remL = (remL << 2) | (nh >>> 62);
            nh = (nh << 2) | (nl >>> 62);
            nl <<= 2;
            long tH = root >>> 62, tL = (root << 2) | 1;
            root <<= 1;
            if (remH > tH || (remH == tH && Long.compareUnsigned(remL, tL) >= 0)) {
                long borrow = Long.compareUnsigned(remL, tL) < 0 ? 1 : 0;
                remL -= tL;
                remH = remH - tH - borrow;
                root |= 1;
            }
        }
        long ext;
        if (remH > 0 || Long.compareUnsigned(remL, root) > 0) ext = 0xC000000000000000L;
        else ext = (remL != 0) ? 1 : 0;
        return flags | roundReg(false, re, root, ext, pcBits());
    }

    /** Compare result codes. */
    static final int CMP_GT = 0, CMP_LT = 1, CMP_EQ = 2, CMP_UN = 3;
    private int cmpFlags;

    /** Compares a with b; quiet: only SNaN/unsupported raise IE (FUCOM). Sets cmpFlags. */
    private int compare(int aSE, long aSig, int bSE, long bSig, boolean quiet) {
        int ka = classify(aSE, aSig), kb = classify(bSE, bSig);
        if (ka >= K_QNAN || kb >= K_QNAN) {
            boolean inv = ka == K_SNAN || kb == K_SNAN || ka == K_UNSUPPORTED || kb == K_UNSUPPORTED || !quiet;
            cmpFlags = inv ? IE : 0;
            return CMP_UN;
        }
        cmpFlags = (ka == K_DENORMAL || kb == K_DENORMAL) ? DE : 0;
        if (ka == K_ZERO && kb == K_ZERO) return CMP_EQ;
        boolean sa = (aSE & 0x8000) != 0, sb = (bSE & 0x8000) != 0;
        if (ka == K_ZERO) return sb ? CMP_GT : CMP_LT;
        if (kb == K_ZERO) return sa ? CMP_LT : CMP_GT;
        if (sa != sb) return sa ? CMP_LT : CMP_GT;
        int c;
        if (ka == K_INF || kb == K_INF) {
            c = (ka == K_INF ? 1 : 0) - (kb == K_INF ? 1 : 0);
        } else {
            int ea = effExp(aSE), eb = effExp(bSE);
            long ma = aSig, mb = bSig;
            int na = Long.numberOfLeadingZeros(ma), nb = Long.numberOfLeadingZeros(mb);
            ma <<= na; ea -= na;
            mb <<= nb; eb -= nb;
            c = ea != eb ? Integer.compare(ea, eb) : Long.compareUnsigned(ma, mb);
        }
        if (c == 0) return CMP_EQ;
        return (c > 0) != sa ? CMP_GT : CMP_LT;
    }

    private static int ccOfCompare(int r) {
        switch (r) {
            case CMP_GT: return 0;
            case CMP_LT: return C0;
            case CMP_EQ: return C3;
            default: return C0 | C2 | C3;
        }
    }

    // ---------------------------------------------------------------- memory helpers
    private static long readMem64(FpuHost h, int seg, int off) {
        long lo = h.readMem32(seg, off) & 0xFFFFFFFFL;
        long hi = h.readMem32(seg, off + 4) & 0xFFFFFFFFL;
        return lo | (hi << 32);
    }

    private static void writeMem64(FpuHost h, int seg, int off, long v) {
        h.writeMem32(seg, off, (int) v);
        h.writeMem32(seg, off + 4, (int) (v >>> 32));
    }

    // ---------------------------------------------------------------- instruction execution
    private int curOpcode, curModrm, curSeg, curOff, curFip, curFcs, curDataSel;
    private boolean curPm;

    /**
     * Executes one ESC instruction. The CPU must already have checked {@link #isInvalid} (#UD),
     * CR0.EM/TS (#NM) and, for waiting instructions, a pending unmasked exception (#MF/IRQ13).
     */
    public void execute(int opcode, int modrm, int seg, int off, boolean opsize32, boolean protectedMode,
                        int fip, int fcs, int dataSel, FpuHost host) {
        opcode &= 0xFF;
        modrm &= 0xFF;
        if (isInvalid(opcode, modrm)) throw new IllegalArgumentException(String.format("undefined x87 encoding %02X %02X", opcode, modrm));
        curOpcode = opcode;
        curModrm = modrm;
        curSeg = seg;
        curOff = off;
        curFip = fip;
        curFcs = fcs;
        curDataSel = dataSel;
        curPm = protectedMode;
        boolean mem = (modrm & 0xC0) != 0xC0;
        int reg = (modrm >>> 3) & 7;
        int rm = modrm & 7;
        if (isControl(opcode, modrm)) {
            control(opcode, modrm, seg, off, opsize32, protectedMode, host);
            return;
        }
        if (mem) execMem(opcode, reg, seg, off, host);
        else execReg(opcode, reg, rm, host);
        // last instruction / data pointers (only reached when no memory fault occurred)
        this.fip = fip;
        this.fcs = fcs & 0xFFFF;
        this.fop = ((opcode & 7) << 8) | modrm;
        if (mem) {
            this.fdp = off;
            this.fds = dataSel & 0xFFFF;
        }
    }

    private void control(int opcode, int modrm, int seg, int off, boolean o32, boolean pm, FpuHost h) {
        int reg = (modrm >>> 3) & 7;
        switch (opcode) {
            case 0xD9:
                switch (reg) {
                    case 4: fldenv(h, seg, off, o32, pm); return;
                    case 5: fldcw(h.readMem16(seg, off)); return;
                    case 6: fstenv(h, seg, off, o32, pm); cw |= 0x3F; sw &= ~(ES | BUSY); return;
                    case 7: h.writeMem16(seg, off, cw); return;
                    default: throw new IllegalStateException();
                }
            case 0xDB:
                if (modrm == 0xE2) sw &= ~(0xFF | BUSY);
                else if (modrm == 0xE3) fninit();
                return; // E0 FENI, E1 FDISI, E4 FSETPM: no-ops on 387 and later
            case 0xDD:
                switch (reg) {
                    case 4: frstor(h, seg, off, o32, pm); return;
                    case 6: fsave(h, seg, off, o32, pm); return;
                    case 7: h.writeMem16(seg, off, sw); return;
                    default: throw new IllegalStateException();
                }
            case 0xDF:
                h.setAX(sw);
                return;
            default:
                throw new IllegalStateException();
        }
    }

    private void fldcw(int v) {
        cw = (v & 0x1F3F) | 0x40;
        if ((sw & ~cw & 0x3F) != 0) sw |= ES | BUSY; else sw &= ~(ES | BUSY);
    }

    /** Full tag word computed from register contents. */
    public int fullTagWord() {
        int t = 0;
        for (int p = 0; p < 8; p++) {
            int tag = emptyPhys(p) ? 3 : tagOf(regSE[p], regSig[p]);
            t |= tag << (2 * p);
        }
        return t;
    }

    private int envSize(boolean o32) { return o32 ? 28 : 14; }

    private void fstenv(FpuHost h, int seg, int off, boolean o32, boolean pm) {
        int t = fullTagWord();
        if (o32) {
            h.writeMem32(seg, off, 0xFFFF0000 | cw);
            h.writeMem32(seg, off + 4, 0xFFFF0000 | sw);
            h.writeMem32(seg, off + 8, 0xFFFF0000 | t);
            if (pm) {
                h.writeMem32(seg, off + 12, fip);
                h.writeMem32(seg, off + 16, (fcs & 0xFFFF) | (fop << 16));
                h.writeMem32(seg, off + 20, fdp);
                h.writeMem32(seg, off + 24, 0xFFFF0000 | (fds & 0xFFFF));
            } else {
                int lip = fip + ((fcs & 0xFFFF) << 4), ldp = fdp + ((fds & 0xFFFF) << 4);
                h.writeMem32(seg, off + 12, 0xFFFF0000 | (lip & 0xFFFF));
                h.writeMem32(seg, off + 16, ((lip >>> 16) << 12) | fop);
                h.writeMem32(seg, off + 20, 0xFFFF0000 | (ldp & 0xFFFF));
                h.writeMem32(seg, off + 24, (ldp >>> 16) << 12);
            }
        } else {
            h.writeMem16(seg, off, cw);
            h.writeMem16(seg, off + 2, sw);
            h.writeMem16(seg, off + 4, t);
            if (pm) {
                h.writeMem16(seg, off + 6, fip);
                h.writeMem16(seg, off + 8, fcs);
                h.writeMem16(seg, off + 10, fdp);
                h.writeMem16(seg, off + 12, fds);
            } else {
                int lip = fip + ((fcs & 0xFFFF) << 4), ldp = fdp + ((fds & 0xFFFF) << 4);
                h.writeMem16(seg, off + 6, lip);
                h.writeMem16(seg, off + 8, (((lip >>> 16) & 0xF) << 12) | fop);
                h.writeMem16(seg, off + 10, ldp);
                h.writeMem16(seg, off + 12, ((ldp >>> 16) & 0xF) << 12);
            }
        }
    }

    // environment read into locals first (all-or-nothing)
    private int eCw, eSw, eTw, eFip, eFcs, eFop, eFdp, eFds;

    private void readEnv(FpuHost h, int seg, int off, boolean o32, boolean pm) {
        if (o32) {
            eCw = h.readMem32(seg, off) & 0xFFFF;
            eSw = h.readMem32(seg, off + 4) & 0xFFFF;
            eTw = h.readMem32(seg, off + 8) & 0xFFFF;
            int a = h.readMem32(seg, off + 12), b = h.readMem32(seg, off + 16);
            int c = h.readMem32(seg, off + 20), d = h.readMem32(seg, off + 24);
            if (pm) {
                eFip = a; eFcs = b & 0xFFFF; eFop = (b >>> 16) & 0x7FF; eFdp = c; eFds = d & 0xFFFF;
            } else {
                eFip = (a & 0xFFFF) | ((b >>> 12) << 16); eFcs = 0; eFop = b & 0x7FF;
                eFdp = (c & 0xFFFF) | ((d >>> 12) << 16); eFds = 0;
            }
        } else {
            eCw = h.readMem16(seg, off) & 0xFFFF;
            eSw = h.readMem16(seg, off + 2) & 0xFFFF;
            eTw = h.readMem16(seg, off + 4) & 0xFFFF;
            int a = h.readMem16(seg, off + 6) & 0xFFFF, b = h.readMem16(seg, off + 8) & 0xFFFF;
            int c = h.readMem16(seg, off + 10) & 0xFFFF, d = h.readMem16(seg, off + 12) & 0xFFFF;
            if (pm) {
                eFip = a; eFcs = b; eFop = 0; eFdp = c; eFds = d;
            } else {
                eFip = a | ((b >>> 12) << 16); eFcs = 0; eFop = b & 0x7FF;
                eFdp = c | ((d >>> 12) << 16); eFds = 0;
            }
        }
    }

    private void commitEnv() {
        cw = (eCw & 0x1F3F) | 0x40;
        sw = eSw;
        if ((sw & ~cw & 0x3F) != 0) sw |= ES | BUSY; else sw &= ~(ES | BUSY);
        // tags: only "empty" is taken from memory; the others are recomputed from contents
        int t = 0;
        for (int p = 0; p < 8; p++) {
            int tag = ((eTw >>> (2 * p)) & 3) == 3 ? 3 : tagOf(regSE[p], regSig[p]);
            t |= tag << (2 * p);
        }
        tw = t;
        fip = eFip; fcs = eFcs; fop = eFop; fdp = eFdp; fds = eFds;
    }

    private void fldenv(FpuHost h, int seg, int off, boolean o32, boolean pm) {
        readEnv(h, seg, off, o32, pm);
        commitEnv();
    }

    private void fsave(FpuHost h, int seg, int off, boolean o32, boolean pm) {
        fstenv(h, seg, off, o32, pm);
        int base = off + envSize(o32);
        for (int i = 0; i < 8; i++) {
            int p = phys(i);
            int a = base + 10 * i;
            long s = regSig[p];
            h.writeMem32(seg, a, (int) s);
            h.writeMem32(seg, a + 4, (int) (s >>> 32));
            h.writeMem16(seg, a + 8, regSE[p]);
        }
        fninit();
    }

    private void frstor(FpuHost h, int seg, int off, boolean o32, boolean pm) {
        readEnv(h, seg, off, o32, pm);
        int base = off + envSize(o32);
        long[] sig = new long[8];
        int[] se = new int[8];
        for (int i = 0; i < 8; i++) {
            int a = base + 10 * i;
            sig[i] = readMem64(h, seg, a);
            se[i] = h.readMem16(seg, a + 8) & 0xFFFF;
        }
        int t = (eSw >>> 11) & 7;
        for (int i = 0; i < 8; i++) {
            int p = (t + i) & 7;
            regSE[p] = se[i];
            regSig[p] = sig[i];
        }
        commitEnv();
    }

    // ---------------------------------------------------------------- stack fault helpers
    /** Stack underflow: IE|SF, C1=0. Returns true if masked (caller then writes indefinite). */
    private boolean underflow() {
        sw &= ~C1;
        raise(IE | SF);
        return (cw & IE) != 0;
    }

    /** Push with overflow check; returns false if an unmasked stack overflow stopped the push. */
    private boolean push(int se, long sig) {
        int p = (top() - 1) & 7;
        if (!emptyPhys(p)) {
            sw |= C1;
            raise(IE | SF);
            if ((cw & IE) == 0) return false;
            se = INDEF_SE;
            sig = INDEF_SIG;
        }
        setTop(p);
        write(p, se, sig);
        return true;
    }

    /** Commits an arithmetic result to physical register p (flags from the operation). */
    private boolean commit(int p, int flags, boolean pop) {
        if (unmasked(flags & (IE | DE | ZE))) {
            sw &= ~C1;
            raise(flags & (IE | DE | ZE));
            return false;
        }
        write(p, rSE, rSig);
        setC1(rUp);
        raise(flags);
        if (pop) pop();
        return true;
    }

    // ---------------------------------------------------------------- register forms
    private void execReg(int op, int reg, int i, FpuHost h) {
        int p0 = phys(0), pi = phys(i);
        switch (op) {
            case 0xD8:
                if (reg == 2 || reg == 3) fcom(pi, false, reg == 3 ? 1 : 0);
                else arithRegs(reg, p0, pi, reg == 5 || reg == 7, false);
                return;
            case 0xDC:
                if (reg == 2 || reg == 3) fcom(pi, false, reg == 3 ? 1 : 0);
                else arithRegs(reg, pi, p0, reg == 4 || reg == 6, false);
                return;
            case 0xDE:
                if (reg == 2) fcom(pi, false, 1);
                else if (reg == 3) fcom(pi, false, 2); // FCOMPP (DE D9)
                else arithRegs(reg, pi, p0, reg == 4 || reg == 6, true);
                return;
            case 0xD9:
                execD9(reg, i, p0, pi);
                return;
            case 0xDA:
                if (reg < 4) fcmov(reg, false, pi, h);
                else fcom(phys(1), true, 2); // FUCOMPP
                return;
            case 0xDB:
                if (reg < 4) fcmov(reg, true, pi, h);
                else if (reg == 5) fcomi(pi, true, false, h);
                else fcomi(pi, false, false, h); // reg 6
                return;
            case 0xDD:
                switch (reg) {
                    case 0: tw |= 3 << (2 * pi); sw &= ~C1; return; // FFREE
                    case 1: fxch(p0, pi); return;
                    case 2: fst(pi, false); return;
                    case 3: fst(pi, true); return;
                    case 4: fcom(pi, true, 0); return;
                    case 5: fcom(pi, true, 1); return;
                    default: throw new IllegalStateException();
                }
            case 0xDF:
                switch (reg) {
                    case 0: tw |= 3 << (2 * pi); sw &= ~C1; pop(); return; // FFREEP
                    case 1: fxch(p0, pi); return;
                    case 2: case 3: fst(pi, true); return;
                    case 5: fcomi(pi, true, true, h); return;
                    case 6: fcomi(pi, false, true, h); return;
                    default: throw new IllegalStateException();
                }
            default:
                throw new IllegalStateException();
        }
    }

    /** dest = dest op src (or src op dest when rev) for reg/reg forms. */
    private void arithRegs(int reg, int pd, int ps, boolean rev, boolean pop) {
        if (emptyPhys(pd) || emptyPhys(ps)) {
            if (underflow()) {
                write(pd, INDEF_SE, INDEF_SIG);
                if (pop) pop();
            }
            return;
        }
        int op = reg <= 1 ? reg : reg & 6;
        int flags = rev ? arith(op, regSE[ps], regSig[ps], regSE[pd], regSig[pd])
                        : arith(op, regSE[pd], regSig[pd], regSE[ps], regSig[ps]);
        commit(pd, flags, pop);
    }

    /** FCOM family: compares ST0 with register p; pops = 0, 1 or 2. */
    private void fcom(int p, boolean quiet, int pops) {
        int p0 = phys(0);
        if (emptyPhys(p0) || emptyPhys(p)) {
            setCC(C0 | C2 | C3);
            if (underflow()) {
                for (int k = 0; k < pops; k++) pop();
            }
            return;
        }
        int r = compare(regSE[p0], regSig[p0], regSE[p], regSig[p], quiet);
        finishCompare(r, pops);
    }

    private void finishCompare(int r, int pops) {
        int f = cmpFlags;
        setCC(ccOfCompare(r));
        raise(f);
        if (unmasked(f)) return;
        for (int k = 0; k < pops; k++) pop();
    }

    private void fcomi(int p, boolean quiet, boolean pop, FpuHost h) {
        int p0 = phys(0);
        int r;
        int f;
        if (emptyPhys(p0) || emptyPhys(p)) {
            sw &= ~C1;
            f = IE | SF;
            r = CMP_UN;
        } else {
            r = compare(regSE[p0], regSig[p0], regSE[p], regSig[p], quiet);
            f = cmpFlags;
        }
        int ef = h.getEflags() & ~(0x01 | 0x04 | 0x10 | 0x40 | 0x80 | 0x800);
        switch (r) {
            case CMP_LT: ef |= 0x01; break;
            case CMP_EQ: ef |= 0x40; break;
            case CMP_UN: ef |= 0x01 | 0x04 | 0x40; break;
            default: break;
        }
        h.setEflags(ef);
        raise(f);
        if (pop && !unmasked(f)) pop();
    }

    private void fcmov(int cc, boolean negate, int p, FpuHost h) {
        int ef = h.getEflags();
        boolean c;
        switch (cc) {
            case 0: c = (ef & 0x01) != 0; break;
            case 1: c = (ef & 0x40) != 0; break;
            case 2: c = (ef & 0x41) != 0; break;
            default: c = (ef & 0x04) != 0; break;
        }
        if (negate) c = !c;
        int p0 = phys(0);
        if (emptyPhys(p0) || emptyPhys(p)) {
            if (underflow()) write(p0, INDEF_SE, INDEF_SIG);
            return;
        }
        if (c) write(p0, regSE[p], regSig[p]);
    }

    private void fxch(int p0, int pi) {
        boolean e0 = emptyPhys(p0), ei = emptyPhys(pi);
        if (e0 || ei) {
            if (!underflow()) return;
            if (e0) write(p0, INDEF_SE, INDEF_SIG);
            if (ei) write(pi, INDEF_SE, INDEF_SIG);
        } else {
            sw &= ~C1;
        }
        int se = regSE[p0];
        long sig = regSig[p0];
        write(p0, regSE[pi], regSig[pi]);
        write(pi, se, sig);
    }

    private void fst(int pd, boolean pop) {
        int p0 = phys(0);
        if (emptyPhys(p0)) {
            if (underflow()) {
                write(pd, INDEF_SE, INDEF_SIG);
                if (pop) pop();
            }
            return;
        }
        sw &= ~C1;
        write(pd, regSE[p0], regSig[p0]);
        if (pop) pop();
    }

    private void execD9(int reg, int i, int p0, int pi) {
        int modrm = 0xC0 | (reg << 3) | i;
        switch (reg) {
            case 0: // FLD ST(i)
                if (emptyPhys(pi)) {
                    if (!underflow()) return;
                    setTop(top() - 1);
                    write(phys(0), INDEF_SE, INDEF_SIG);
                    return;
                }
                sw &= ~C1;
                push(regSE[pi], regSig[pi]);
                return;
            case 1: fxch(p0, pi); return;
            case 2: return; // FNOP
            case 3: // FSTP1 alias (D9 D8+i): the host pops an empty ST0 without a stack fault
                if (emptyPhys(p0)) {
                    sw &= ~C1;
                    pop();
                    return;
                }
                fst(pi, true);
                return;
            default: break;
        }
        switch (modrm) {
            case 0xE0: case 0xE1: // FCHS, FABS
                if (emptyPhys(p0)) {
                    if (underflow()) write(p0, INDEF_SE, INDEF_SIG);
                    return;
                }
                sw &= ~C1;
                write(p0, modrm == 0xE0 ? regSE[p0] ^ 0x8000 : regSE[p0] & 0x7FFF, regSig[p0]);
                return;
            case 0xE4: // FTST
                if (emptyPhys(p0)) {
                    setCC(C0 | C2 | C3);
                    underflow();
                    return;
                }
                finishCompare(compare(regSE[p0], regSig[p0], 0, 0, false), 0);
                return;
            case 0xE5: fxam(p0); return;
            case 0xE8: case 0xE9: case 0xEA: case 0xEB: case 0xEC: case 0xED: case 0xEE:
                fldConst(modrm - 0xE8);
                return;
            case 0xF6: setTop(top() - 1); sw &= ~C1; return; // FDECSTP
            case 0xF7: setTop(top() + 1); sw &= ~C1; return; // FINCSTP
            case 0xFA: unaryST0(0); return; // FSQRT
            case 0xFC: unaryST0(1); return; // FRNDINT
            case 0xF4: fxtract(); return;
            case 0xFD: fscale(); return;
            case 0xF8: fprem(false); return;
            case 0xF5: fprem(true); return;
            case 0xF0: X87Math.f2xm1(this); return;
            case 0xF1: X87Math.fyl2x(this, false); return;
            case 0xF9: X87Math.fyl2x(this, true); return;
            case 0xF2: X87Math.fsincosTan(this, X87Math.TAN); return;
            case 0xF3: X87Math.fpatan(this); return;
            case 0xFB: X87Math.fsincosTan(this, X87Math.SINCOS); return;
            case 0xFE: X87Math.fsincosTan(this, X87Math.SIN); return;
            case 0xFF: X87Math.fsincosTan(this, X87Math.COS); return;
            default: throw new IllegalStateException(String.format("D9 %02X", modrm));
        }
    }

    private void fxam(int p0) {
        int c1 = (regSE[p0] & 0x8000) != 0 ? C1 : 0;
        if (emptyPhys(p0)) {
            setCC(C3 | C0 | c1);
            return;
        }
        int cc;
        switch (classify(regSE[p0], regSig[p0])) {
            case K_UNSUPPORTED: cc = 0; break;
            case K_QNAN: case K_SNAN: cc = C0; break;
            case K_NORMAL: cc = C2; break;
            case K_INF: cc = C2 | C0; break;
            case K_ZERO: cc = C3; break;
            default: cc = C3 | C2; break; // denormal, pseudo-denormal
        }
        setCC(cc | c1);
    }

    // constants: 128-bit significands (exponent, high, low)
    private static final int[] CONST_EXP = {BIAS, BIAS + 1, BIAS, BIAS + 1, BIAS - 2, BIAS - 1, 0};
    private static final long[] CONST_HI = {J, 0xD49A784BCD1B8AFEL, 0xB8AA3B295C17F0BBL, 0xC90FDAA22168C234L,
            0x9A209A84FBCFF798L, 0xB17217F7D1CF79ABL, 0};
    private static final long[] CONST_LO = {0, 0x492BF6FF4DAFDB4CL, 0xBE87FED0691D3E88L, 0xC4C6628B80DC1CD1L,
            0x8F8959AC0B7C9178L, 0xC9E3B39803F2F6AFL, 0};

    private void fldConst(int k) {
        long hi = CONST_HI[k], lo = CONST_LO[k];
        int se = k == 6 ? 0 : CONST_EXP[k];
        if (lo != 0) {
            roundSig(false, hi, lo, 64, rc());
            hi = rSig; // no carry possible for these constants
        }
        sw &= ~C1;
        push(se, hi);
    }

    /** FSQRT (0) or FRNDINT (1) on ST0. */
    private void unaryST0(int which) {
        int p0 = phys(0);
        if (emptyPhys(p0)) {
            if (underflow()) write(p0, INDEF_SE, INDEF_SIG);
            return;
        }
        int se = regSE[p0];
        long sig = regSig[p0];
        int flags = which == 0 ? sqrt(se, sig) : frndint(se, sig);
        commit(p0, flags, false);
    }

    int frndint(int se, long sig) {
        int k = classify(se, sig);
        rUp = false;
        if (k >= K_QNAN) return propagateNaN1(se, sig, k);
        if (k == K_ZERO || k == K_INF) {
            rSE = se;
            rSig = sig;
            return 0;
        }
        int flags = k == K_DENORMAL ? DE : 0;
        int e = effExp(se);
        boolean neg = (se & 0x8000) != 0;
        if (e >= BIAS + 63) {
            rSE = se;
            rSig = sig;
            return flags;
        }
        roundIntegral(neg, e, sig);
        long ip = rInt;
        boolean up = rUp, inexact = rInexact;
        if (ip == 0) {
            rSE = se & 0x8000;
            rSig = 0;
        } else {
            int n = Long.numberOfLeadingZeros(ip);
            rSig = ip << n;
            rSE = (se & 0x8000) | (BIAS + 63 - n);
        }
        rUp = up;
        return flags | (inexact ? PE : 0);
    }

    private void fxtract() {
        int p0 = phys(0);
        if (emptyPhys(p0)) {
            if (!underflow()) return;
            write(p0, INDEF_SE, INDEF_SIG);
            setTop(top() - 1);
            write(phys(0), INDEF_SE, INDEF_SIG);
            return;
        }
        if (!emptyPhys((top() - 1) & 7)) {
            sw |= C1;
            raise(IE | SF);
            if ((cw & IE) == 0) return;
            write(p0, INDEF_SE, INDEF_SIG);
            setTop(top() - 1);
            write(phys(0), INDEF_SE, INDEF_SIG);
            return;
        }
        int se = regSE[p0];
        long sig = regSig[p0];
        int k = classify(se, sig);
        int flags = 0;
        int expSE, sigSE;
        long expSig, sigSig;
        if (k >= K_QNAN) {
            flags = propagateNaN1(se, sig, k);
            expSE = sigSE = rSE;
            expSig = sigSig = rSig;
        } else if (k == K_ZERO) {
            flags = ZE;
            expSE = 0xFFFF;
            expSig = J;
            sigSE = se;
            sigSig = 0;
        } else if (k == K_INF) {
            expSE = 0x7FFF;
            expSig = J;
            sigSE = se;
            sigSig = J;
        } else {
            if (k == K_DENORMAL) flags = DE;
            int e = effExp(se);
            int n = Long.numberOfLeadingZeros(sig);
            sigSig = sig << n;
            e -= n;
            sigSE = (se & 0x8000) | BIAS;
            fromInt(e - BIAS);
            expSE = tSE;
            expSig = tSig;
        }
        if (unmasked(flags & (IE | DE | ZE))) {
            sw &= ~C1;
            raise(flags);
            return;
        }
        sw &= ~C1;
        write(p0, expSE, expSig);
        push(sigSE, sigSig);
        raise(flags);
    }

    private void fscale() {
        int p0 = phys(0), p1 = phys(1);
        if (emptyPhys(p0) || emptyPhys(p1)) {
            if (underflow()) write(p0, INDEF_SE, INDEF_SIG);
            return;
        }
        int aSE = regSE[p0], bSE = regSE[p1];
        long aSig = regSig[p0], bSig = regSig[p1];
        int ka = classify(aSE, aSig), kb = classify(bSE, bSig);
        int flags;
        rUp = false;
        if (ka >= K_QNAN || kb >= K_QNAN) {
            flags = propagateNaN(aSE, aSig, ka, bSE, bSig, kb);
        } else {
            flags = (ka == K_DENORMAL || kb == K_DENORMAL) ? DE : 0;
            boolean bneg = (bSE & 0x8000) != 0;
            if (kb == K_INF) {
                if ((ka == K_ZERO && !bneg) || (ka == K_INF && bneg)) flags |= invalidResult();
                else if (ka == K_ZERO || ka == K_INF) { rSE = aSE; rSig = aSig; }
                else if (bneg) { rSE = aSE & 0x8000; rSig = 0; }
                else { rSE = (aSE & 0x8000) | 0x7FFF; rSig = J; }
            } else if (ka == K_ZERO || ka == K_INF) {
                rSE = aSE;
                rSig = aSig;
            } else {
                // scale = trunc(ST1), clamped (beyond +-2^17 the result saturates anyway)
                int eb = effExp(bSE);
                long n;
                if (kb == K_ZERO || eb < BIAS) n = 0;
                else if (eb > BIAS + 17) n = 1 << 18;
                else n = bSig >>> (BIAS + 63 - eb);
                int scale = (int) (bneg ? -n : n);
                flags |= roundReg((aSE & 0x8000) != 0, effExp(aSE) + scale, aSig, 0, 64);
            }
        }
        commit(p0, flags, false);
    }

    private void fprem(boolean ieee) {
        int p0 = phys(0), p1 = phys(1);
        if (emptyPhys(p0) || emptyPhys(p1)) {
            sw &= ~C2;
            if (underflow()) write(p0, INDEF_SE, INDEF_SIG);
            return;
        }
        int aSE = regSE[p0], bSE = regSE[p1];
        long aSig = regSig[p0], bSig = regSig[p1];
        int ka = classify(aSE, aSig), kb = classify(bSE, bSig);
        int flags;
        int cc = 0;
        boolean special = false;
        rUp = false;
        if (ka >= K_QNAN || kb >= K_QNAN) {
            flags = propagateNaN(aSE, aSig, ka, bSE, bSig, kb);
            special = true;
        } else {
            flags = (ka == K_DENORMAL || kb == K_DENORMAL) ? DE : 0;
            if (ka == K_INF || kb == K_ZERO) {
                flags = invalidResult(); // no DE alongside this IE
                special = true;
            } else if (ka == K_ZERO || kb == K_INF) {
                if (ka == K_ZERO) {
                    rSE = aSE;
                    rSig = aSig;
                } else {
                    // finite / infinity: ST(0) is returned as it is (the host neither normalizes a
                    // denormal nor signals underflow for it, even with UE unmasked); a
                    // pseudo-denormal comes back with exponent field 1
                    rSE = (aSE & 0x7FFF) == 0 && aSig < 0 ? aSE | 1 : aSE;
                    rSig = aSig;
                }
            } else {
                int ea = effExp(aSE), eb = effExp(bSE);
                long ma = aSig, mb = bSig;
                int na = Long.numberOfLeadingZeros(ma), nb = Long.numberOfLeadingZeros(mb);
                ma <<= na; ea -= na;
                mb <<= nb; eb -= nb;
                int d = ea - eb;
                boolean neg = (aSE & 0x8000) != 0;
                if (d < 0) {
                    // |a| < |b|: quotient 0 (FPREM1 may round to 1 if |a| > |b|/2)
                    if (ieee && d == -1 && Long.compareUnsigned(ma, mb) > 0) {
                        // |a| > |b|/2: r = a - b (sign flips), exact
                        // |b| at exponent ea has the 65-bit significand 2*mb; |r| = 2*mb - ma
                        long rh = (mb >>> 63), rl = (mb << 1) - ma;
                        if (Long.compareUnsigned(mb << 1, ma) < 0) rh--;
                        flags |= packExact(!neg, ea, rh, rl);
                        cc = C1;
                    } else {
                        flags |= packExact(neg, ea, 0, ma); // pseudo-denormals come back normalized
                    }
                } else {
                    boolean partial = d >= 64;
                    int n = partial ? (d & 31) | 32 : d;
                    // q = floor(ma * 2^n / mb), r = ma*2^n - q*mb (bitwise long division)
                    long r = ma;
                    long q = 0;
                    if (Long.compareUnsigned(r, mb) >= 0) {
                        r -= mb;
                        q = 1;
                    }
                    for (int i = 0; i < n; i++) {
                        boolean carry = r < 0;
                        r <<= 1;
                        q <<= 1;
                        if (carry || Long.compareUnsigned(r, mb) >= 0) {
                            r -= mb;
                            q |= 1;
                        }
                    }
                    boolean rneg = neg;
                    if (ieee && !partial) {
                        // round quotient to nearest even
                        int c = (r < 0) ? 1 : Long.compareUnsigned(r << 1, mb);
                        if (c > 0 || (c == 0 && (q & 1) != 0)) {
                            r = mb - r;
                            q++;
                            rneg = !neg;
                        }
                    }
                    int re = ea - n;
                    if (partial) {
                        cc = C2;
                    } else {
                        if ((q & 4) != 0) cc |= C0;
                        if ((q & 2) != 0) cc |= C3;
                        if ((q & 1) != 0) cc |= C1;
                    }
                    if (r == 0) {
                        rSE = neg ? 0x8000 : 0;
                        rSig = 0;
                    } else {
                        flags |= packExact(rneg, re, 0, r);
                    }
                }
            }
        }
        if (unmasked(flags & (IE | DE | ZE))) {
            sw &= ~(C1 | C2);
            raise(flags & (IE | DE | ZE));
            return;
        }
        write(p0, rSE, rSig);
        if (special) sw &= ~(C1 | C2);
        else setCC(cc);
        raise(flags);
    }

    /** Packs an exactly representable value (hi:lo) * 2^(e - BIAS - 63) (lo is the significand when hi = 0). */
    private int packExact(boolean neg, int e, long hi, long lo) {
        if (hi != 0) {
            // one extra bit above lo
            lo = (lo >>> 1) | (hi << 63);
            e++;
        }
        return roundReg(neg, e, lo, 0, 64);
    }

    // ---------------------------------------------------------------- memory forms
    private void execMem(int op, int reg, int seg, int off, FpuHost h) {
        switch (op) {
            case 0xD8: { int v = h.readMem32(seg, off); memArith(reg, fromF32(v)); return; }
            case 0xDC: { long v = readMem64(h, seg, off); memArith(reg, fromF64(v)); return; }
            case 0xDA: { int v = h.readMem32(seg, off); fromInt(v); memArith(reg, K_NORMAL); return; }
            case 0xDE: { int v = (short) h.readMem16(seg, off); fromInt(v); memArith(reg, K_NORMAL); return; }
            case 0xD9:
                switch (reg) {
                    case 0: fldMem(fromF32(h.readMem32(seg, off))); return;
                    case 2: case 3: fstFloat(h, seg, off, false, reg == 3); return;
                    default: throw new IllegalStateException();
                }
            case 0xDD:
                switch (reg) {
                    case 0: fldMem(fromF64(readMem64(h, seg, off))); return;
                    case 2: case 3: fstFloat(h, seg, off, true, reg == 3); return;
                    default: throw new IllegalStateException();
                }
            case 0xDB:
                switch (reg) {
                    case 0: fromInt(h.readMem32(seg, off)); fldMem(K_NORMAL); return;
                    case 2: case 3: fist(h, seg, off, 32, reg == 3); return;
                    case 5: {
                        long sig = readMem64(h, seg, off);
                        int se = h.readMem16(seg, off + 8) & 0xFFFF;
                        tSE = se;
                        tSig = sig;
                        fldMem(-1);
                        return;
                    }
                    case 7: fstp80(h, seg, off); return;
                    default: throw new IllegalStateException();
                }
            case 0xDF:
                switch (reg) {
                    case 0: fromInt((short) h.readMem16(seg, off)); fldMem(K_NORMAL); return;
                    case 2: case 3: fist(h, seg, off, 16, reg == 3); return;
                    case 4: fbld(h, seg, off); return;
                    case 5: fromInt(readMem64(h, seg, off)); fldMem(K_NORMAL); return;
                    case 6: fbstp(h, seg, off); return;
                    case 7: fist(h, seg, off, 64, true); return;
                    default: throw new IllegalStateException();
                }
            default:
                throw new IllegalStateException();
        }
    }

    /** Arithmetic/compare with the converted memory operand in tSE/tSig (class k of the source). */
    private void memArith(int reg, int k) {
        int p0 = phys(0);
        int mSE = tSE;
        long mSig = tSig;
        int extra = k == K_DENORMAL ? DE : 0;
        if (emptyPhys(p0)) {
            if (reg == 2 || reg == 3) {
                setCC(C0 | C2 | C3);
                if (underflow() && reg == 3) pop();
                return;
            }
            if (underflow()) write(p0, INDEF_SE, INDEF_SIG);
            return;
        }
        if (reg == 2 || reg == 3) {
            int r = compare(regSE[p0], regSig[p0], mSE, mSig, false);
            if (extra != 0 && (cmpFlags & IE) == 0 && r != CMP_UN) cmpFlags |= extra;
            finishCompare(r, reg == 3 ? 1 : 0);
            return;
        }
        int op = reg <= 1 ? reg : reg & 6;
        boolean rev = reg == 5 || reg == 7;
        int flags = rev ? arith(op, mSE, mSig, regSE[p0], regSig[p0]) : arith(op, regSE[p0], regSig[p0], mSE, mSig);
        if (extra != 0 && (flags & (IE | ZE)) == 0 && classify(regSE[p0], regSig[p0]) < K_QNAN) flags |= extra;
        commit(p0, flags, false);
    }

    /** FLD from memory; k = source class (-1: m80, no exceptions). */
    private void fldMem(int k) {
        int se = tSE;
        long sig = tSig;
        int flags = 0;
        if (!emptyPhys((top() - 1) & 7)) {
            push(se, sig); // stack overflow takes precedence over operand exceptions
            return;
        }
        if (k == K_SNAN) {
            flags = IE;
            sig |= QBIT;
        } else if (k == K_DENORMAL) {
            flags = DE;
        }
        sw &= ~C1;
        if (unmasked(flags & IE)) {
            raise(flags);
            return;
        }
        // an unmasked denormal exception still loads the operand
        if (push(se, sig)) raise(flags);
    }

    private void fstFloat(FpuHost h, int seg, int off, boolean dbl, boolean pop) {
        int p0 = phys(0);
        int flags;
        long bits;
        boolean up = false;
        if (emptyPhys(p0)) {
            if (!underflow()) return;
            bits = dbl ? 0xFFF8000000000000L : 0xFFC00000L;
            flags = 0;
        } else {
            flags = toFloat(regSE[p0], regSig[p0], dbl);
            bits = memBits;
            up = rUp;
            if (unmasked(flags & (IE | DE | OE | UE))) {
                sw &= ~C1;
                raise(flags & (IE | DE | OE | UE));
                return;
            }
        }
        if (dbl) writeMem64(h, seg, off, bits);
        else h.writeMem32(seg, off, (int) bits);
        setC1(up);
        raise(flags);
        if (pop) pop();
    }

    private void fstp80(FpuHost h, int seg, int off) {
        int p0 = phys(0);
        int se;
        long sig;
        if (emptyPhys(p0)) {
            if (!underflow()) return;
            se = INDEF_SE;
            sig = INDEF_SIG;
        } else {
            se = regSE[p0];
            sig = regSig[p0];
            sw &= ~C1;
        }
        writeMem64(h, seg, off, sig);
        h.writeMem16(seg, off + 8, se);
        pop();
    }

    private void fist(FpuHost h, int seg, int off, int bits, boolean pop) {
        int p0 = phys(0);
        int flags;
        long v;
        boolean up = false;
        if (emptyPhys(p0)) {
            if (!underflow()) return;
            v = 1L << (bits - 1);
            flags = 0;
        } else {
            flags = toInteger(regSE[p0], regSig[p0], bits);
            v = rInt;
            up = rUp;
            if (unmasked(flags & IE)) {
                sw &= ~C1;
                raise(flags);
                return;
            }
        }
        if (bits == 16) h.writeMem16(seg, off, (int) v);
        else if (bits == 32) h.writeMem32(seg, off, (int) v);
        else writeMem64(h, seg, off, v);
        setC1(up);
        raise(flags);
        if (pop) pop();
    }

    private void fbld(FpuHost h, int seg, int off) {
        long lo = readMem64(h, seg, off);
        int hi = h.readMem16(seg, off + 8);
        long v = 0;
        for (int i = 8; i >= 0; i--) {
            int b = i == 8 ? hi & 0xFF : (int) ((lo >>> (8 * i)) & 0xFF);
            v = v * 100 + ((b >>> 4) * 10) + (b & 15);
        }
        fromInt(v);
        if ((hi & 0x8000) != 0) tSE |= 0x8000;
        fldMem(K_NORMAL);
    }

    private void fbstp(FpuHost h, int seg, int off) {
        int p0 = phys(0);
        int flags = 0;
        long bcd;
        int top16;
        boolean up = false;
        if (emptyPhys(p0)) {
            if (!underflow()) return;
            bcd = 0xC000000000000000L;
            top16 = 0xFFFF;
        } else {
            int se = regSE[p0];
            long sig = regSig[p0];
            int k = classify(se, sig);
            boolean neg = (se & 0x8000) != 0;
            boolean invalid = false;
            long mag = 0;
            if (k == K_INF || k >= K_QNAN) {
                invalid = true;
            } else if (k != K_ZERO) {
                if (!roundIntegral(neg, effExp(se), sig) || Long.compareUnsigned(rInt, 999_999_999_999_999_999L) > 0) {
                    invalid = true;
                } else {
                    mag = rInt;
                    up = rUp;
                    if (rInexact) flags |= PE;
                }
            }
            if (invalid) {
                flags = IE;
                up = false;
                bcd = 0xC000000000000000L;
                top16 = 0xFFFF;
            } else {
                bcd = 0;
                for (int i = 0; i < 16; i++) {
                    bcd |= (mag % 10) << (4 * i);
                    mag /= 10;
                }
                top16 = (neg ? 0x8000 : 0) | (int) ((mag / 10) << 4 | (mag % 10));
            }
            if (unmasked(flags & IE)) {
                sw &= ~C1;
                raise(flags);
                return;
            }
        }
        writeMem64(h, seg, off, bcd);
        h.writeMem16(seg, off + 8, top16);
        setC1(up);
        raise(flags);
        pop();
    }

    // ---------------------------------------------------------------- hooks for X87Math
    int st0Phys() { return phys(0); }
    boolean emptyP(int p) { return emptyPhys(p); }
    boolean stackUnderflowMasked() { return underflow(); }
    void writeP(int p, int se, long sig) { write(p, se, sig); }
    boolean pushP(int se, long sig) { return push(se, sig); }
    /** Push without the overflow check: the masked response to a stack underflow (as FXTRACT). */
    void pushAfterUnderflowP(int se, long sig) {
        int p = (top() - 1) & 7;
        setTop(p);
        write(p, se, sig);
    }
    void popP() { pop(); }
    void raiseP(int flags) { raise(flags); }
    boolean unmaskedP(int flags) { return unmasked(flags); }
    void setCCP(int c) { setCC(c); }
    int rcP() { return rc(); }
    int resSE() { return rSE; }
    long resSig() { return rSig; }
    boolean resUp() { return rUp; }
    /** Rounds (hi:lo) * 2^(e-BIAS-63) to 64 bits into rSE/rSig/rUp. */
    int round64(boolean neg, int e, long hi, long lo) { return roundReg(neg, e, hi, lo, 64); }
    int propagate2(int aSE, long aSig, int bSE, long bSig) {
        return propagateNaN(aSE, aSig, classify(aSE, aSig), bSE, bSig, classify(bSE, bSig));
    }
    int propagate1(int se, long sig) { return propagateNaN1(se, sig, classify(se, sig)); }
    int setIndefinite() { return invalidResult(); }
    boolean pushWouldOverflow() { return !emptyPhys((top() - 1) & 7); }
    /** Stack overflow fault (IE|SF, C1=1); true if masked. */
    boolean overflowFault() {
        sw |= C1;
        raise(IE | SF);
        return (cw & IE) != 0;
    }
    void setC1P(boolean v) { setC1(v); }
    /** Trig instructions write only C1 and C2 (C0/C3 keep their values). */
    void setC1C2P(int c) { sw = (sw & ~(C1 | C2)) | (c & (C1 | C2)); }
    void clearC2P() { sw &= ~C2; }
    void setResult(int se, long sig, boolean up) { rSE = se; rSig = sig; rUp = up; }
}
