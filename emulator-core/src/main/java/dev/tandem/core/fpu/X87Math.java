package dev.tandem.core.fpu;

import java.math.BigInteger;

/**
 * Transcendental instructions of the x87. Kernels run in double-double arithmetic (about 104
 * significant bits) on exactly converted operands; the result is then rounded once to the 64-bit
 * significand with the current rounding control. FSIN/FCOS/FSINCOS/FPTAN reduce their argument
 * exactly against the 66-bit approximation of pi that the hardware uses.
 */
final class X87Math {
    static final int SIN = 0, COS = 1, SINCOS = 2, TAN = 3;
    private static final int BIAS = X87.BIAS;
    private static final long J = X87.J;

    private X87Math() {
    }

    // ---------------------------------------------------------------- double-double
    /** An unevaluated sum hi + lo with |lo| <= ulp(hi)/2. */
    static final class DD {
        final double hi, lo;

        DD(double hi, double lo) {
            this.hi = hi;
            this.lo = lo;
        }
    }

    static DD twoSum(double a, double b) {
        double s = a + b;
        double bb = s - a;
        double e = (a - (s - bb)) + (b - bb);
        return new DD(s, e);
    }

    static DD norm(double a, double b) {
        double s = a + b;
        return new DD(s, b - (s - a));
    }

    static DD add(DD a, DD b) {
        DD s = twoSum(a.hi, b.hi);
        DD t = twoSum(a.lo, b.lo);
        double lo = s.lo + t.hi;
        DD u = norm(s.hi, lo);
        return norm(u.hi, u.lo + t.lo);
    }

    static DD neg(DD a) { return new DD(-a.hi, -a.lo); }

    static DD sub(DD a, DD b) { return add(a, neg(b)); }

    static DD mul(DD a, DD b) {
        double p = a.hi * b.hi;
        double e = Math.fma(a.hi, b.hi, -p);
        e += a.hi * b.lo + a.lo * b.hi;
        return norm(p, e);
    }

    static DD mulD(DD a, double b) {
        double p = a.hi * b;
        double e = Math.fma(a.hi, b, -p);
        e += a.lo * b;
        return norm(p, e);
    }

    static DD div(DD a, DD b) {
        double q1 = a.hi / b.hi;
        DD r = sub(a, mulD(b, q1));
        double q2 = r.hi / b.hi;
        r = sub(r, mulD(b, q2));
        double q3 = r.hi / b.hi;
        DD q = norm(q1, q2);
        return add(q, new DD(q3, 0));
    }

    static DD scalb(DD a, int n) { return new DD(Math.scalb(a.hi, n), Math.scalb(a.lo, n)); }

    static final DD ONE = new DD(1, 0);
    // pi and ln2 to about 107 bits (hi + lo, each the nearest double to the remainder)
    static final DD PI = new DD(3.141592653589793, 1.2246467991473532e-16);
    static final DD PI_2 = new DD(1.5707963267948966, 6.123233995736766e-17);
    static final DD LN2 = new DD(0.6931471805599453, 2.3190468138462996e-17);

    /** Significand of an extended value as a double-double in [1, 2) (exact); the exponent is separate. */
    static DD mant(long sig) {
        int n = Long.numberOfLeadingZeros(sig);
        sig <<= n;
        double hi = (double) (sig >>> 11) * 0x1p-52;
        double lo = (double) (sig & 0x7FF) * 0x1p-63;
        return new DD(hi, lo);
    }

    /** Unbiased exponent of the normalized value (so value = mant(sig) * 2^exp). */
    static int expOf(int se, long sig) {
        int e = se & 0x7FFF;
        if (e == 0) e = 1;
        return e - BIAS - Long.numberOfLeadingZeros(sig);
    }

    /**
     * Truncates v toward zero to {@code bits} significant bits (bits >= 54). Models the host's
     * internal result, which for several instructions behaves like the exact value chopped to a
     * 67/68-bit intermediate before the final rounding (see docs/x87.md).
     */
    static DD truncDD(DD v, int bits) {
        if (v.hi == 0 || Double.isInfinite(v.hi)) return v;
        boolean neg = v.hi < 0;
        double hi = Math.abs(v.hi), lo = neg ? -v.lo : v.lo;
        int e = Math.getExponent(hi);
        if (lo < 0 && hi == Math.scalb(1.0, e)) e--; // the value lies just below 2^e
        int sh = bits - 1 - e;
        double loS = Math.floor(Math.scalb(lo, sh)); // hi * 2^sh is an integer since bits - 1 >= 53
        DD r = norm(hi, Math.scalb(loS, -sh));
        return neg ? neg(r) : r;
    }

    /**
     * Intermediate widths (significant bits, chopped) that best reproduce the host: log2 x and
     * log2(1 + x) are chopped to 67 bits before the multiplication by y (chopping the product
     * instead matches far worse), 2^x - 1 to 68 bits. FSIN/FCOS/FPTAN/FPATAN show no such
     * pattern (their host errors look like polynomial approximation error) and stay correctly
     * rounded from the exact value.
     */
    static final int TRUNC_LOG = 67, TRUNC_LOG1P = 67, TRUNC_EXP = 68;

    /**
     * The host reports every computed transcendental result as inexact (even when it is exactly
     * representable); a denormal result then counts as a tiny inexact result (UE).
     */
    static int inexact(X87 f) {
        return (f.resSE() & 0x7FFF) == 0 && f.resSig() != 0 ? X87.PE | X87.UE : X87.PE;
    }

    /** Rounds v * 2^scale to 64 bits into the FPU result registers; returns flags. */
    static int roundDD(X87 f, DD v, int scale) {
        boolean neg = v.hi < 0;
        double hi = Math.abs(v.hi), lo = neg ? -v.lo : v.lo;
        if (hi == 0) {
            f.setResult(neg ? 0x8000 : 0, 0, false);
            return 0;
        }
        long hb = Double.doubleToRawLongBits(hi);
        int eh = (int) (hb >>> 52);
        long mh = hb & 0xFFFFFFFFFFFFFL;
        if (eh == 0) eh = 1; else mh |= 1L << 52;
        eh -= 1075; // exponent of the lsb
        // H = mh * 2^75 as 128 bits (mh < 2^53): top at bit 127
        long h64 = mh << 11, l64 = 0;
        if (lo != 0) {
            long lb = Double.doubleToRawLongBits(Math.abs(lo));
            int el = (int) (lb >>> 52);
            long ml = lb & 0xFFFFFFFFFFFFFL;
            if (el == 0) el = 1; else ml |= 1L << 52;
            el -= 1075;
            int sh = el - eh + 75; // position of ml's lsb in units of 2^(eh-75)
            long ah, al;
            if (sh >= 0) {
                if (sh >= 64) {
                    ah = ml << (sh - 64);
                    al = 0;
                } else {
                    ah = sh == 0 ? 0 : ml >>> (64 - sh);
                    al = ml << sh;
                }
            } else {
                int r = -sh;
                ah = 0;
                if (r >= 64) al = 1; // below everything: sticky only
                else al = (ml >>> r) | ((ml << (64 - r)) != 0 ? 1 : 0);
            }
            if (lo > 0) {
                long nl = l64 + al;
                h64 = h64 + ah + (Long.compareUnsigned(nl, l64) < 0 ? 1 : 0);
                l64 = nl;
            } else {
                long nl = l64 - al;
                h64 = h64 - ah - (Long.compareUnsigned(l64, al) < 0 ? 1 : 0);
                l64 = nl;
            }
        }
        // value = (h64:l64) * 2^(eh - 75) = (sig + ext/2^64) * 2^(e - BIAS - 63) with e = eh + 75 + 127 - 64 + BIAS - 63
        return f.round64(neg, eh + BIAS + 52 + scale, h64, l64);
    }

    // ---------------------------------------------------------------- kernels
    private static final DD[] INV_FACT = new DD[40];

    static {
        INV_FACT[0] = ONE;
        for (int n = 1; n < INV_FACT.length; n++) INV_FACT[n] = div(INV_FACT[n - 1], new DD(n, 0));
    }

    /** sin(r) for |r| <= ~0.8 */
    static DD sinK(DD r) {
        DD r2 = mul(r, r);
        DD s = INV_FACT[33];
        for (int n = 31; n >= 1; n -= 2) {
            s = mul(s, r2);
            s = (n & 2) != 0 ? sub(INV_FACT[n], s) : sub(INV_FACT[n], s);
        }
        // the loop builds 1/1! - r2*(1/3! - r2*(1/5! - ...)) : alternating signs via subtraction
        return mul(s, r);
    }

    /** cos(r) for |r| <= ~0.8 */
    static DD cosK(DD r) {
        DD r2 = mul(r, r);
        DD s = INV_FACT[32];
        for (int n = 30; n >= 0; n -= 2) {
            s = mul(s, r2);
            s = sub(INV_FACT[n], s);
        }
        return s;
    }

    /** exp(t) - 1 for |t| <= ~0.75 */
    static DD expm1K(DD t) {
        DD s = INV_FACT[34];
        for (int n = 33; n >= 1; n--) {
            s = mul(s, t);
            s = add(INV_FACT[n], s);
        }
        return mul(s, t);
    }

    /** 2*atanh(s) = ln((1+s)/(1-s)) for |s| <= ~0.2 */
    static DD atanh2K(DD s) {
        DD s2 = mul(s, s);
        DD acc = new DD(1.0 / 61, 0);
        acc = div(ONE, new DD(61, 0));
        for (int k = 59; k >= 1; k -= 2) {
            acc = add(div(ONE, new DD(k, 0)), mul(acc, s2));
        }
        return mulD(mul(acc, s), 2);
    }

    /** ln(m) for m in [0.7, 1.42] */
    static DD lnK(DD m) {
        DD s = div(sub(m, ONE), add(m, ONE));
        return atanh2K(s);
    }

    /** atan(q) for 0 <= q <= 1 via one Newton step from the double result. */
    static DD atanK(DD q) {
        if (q.hi < 0x1p-8) {
            // series q - q^3/3 + q^5/5 - ... (the Newton step below loses precision for tiny q)
            DD q2 = mul(q, q);
            DD acc = div(ONE, new DD(17, 0));
            for (int k = 15; k >= 1; k -= 2) acc = sub(div(ONE, new DD(k, 0)), mul(acc, q2));
            return mul(acc, q);
        }
        double a0 = Math.atan(q.hi);
        DD a = new DD(a0, 0);
        DD s = sinK(a), c = cosK(a);
        DD num = sub(s, mul(q, c));
        DD den = add(c, mul(q, s));
        return sub(a, div(num, den));
    }

    // ---------------------------------------------------------------- 66-bit pi reduction
    /** pi/2 as used by the hardware: 0x3243F6A8885A308D3 * 2^-65 (66 significant bits). */
    private static final BigInteger PIO2_66 = new BigInteger("3243F6A8885A308D3", 16);
    private static int reducedQuadrant;

    /** Reduces x = sig * 2^(e-BIAS-63) (|x| < 2^63) against the 66-bit pi/2; returns r as DD and sets the quadrant. */
    static DD reduce(int e, long sig) {
        int s = e - BIAS - 63;
        int t = s + 65; // x / P = sig * 2^t / PIO2_66
        BigInteger n = new BigInteger(1, longBytes(sig));
        if (t >= 0) n = n.shiftLeft(t);
        else n = n.shiftRight(-t); // not reached for |x| >= 0.25
        BigInteger twoD = PIO2_66.shiftLeft(1);
        BigInteger k = n.shiftLeft(1).add(PIO2_66).divide(twoD);
        BigInteger r = n.subtract(k.multiply(PIO2_66)); // units of 2^-65
        reducedQuadrant = k.intValue() & 3;
        int sign = r.signum();
        BigInteger a = r.abs();
        long hiPart = a.shiftRight(12).longValue();
        long loPart = a.longValue() & 0xFFF;
        DD v = norm(Math.scalb((double) hiPart, 12 - 65), Math.scalb((double) loPart, -65));
        return sign < 0 ? neg(v) : v;
    }

    static int reducedQuadrantForTest() { return reducedQuadrant; }

    private static byte[] longBytes(long v) {
        byte[] b = new byte[8];
        for (int i = 0; i < 8; i++) b[i] = (byte) (v >>> (56 - 8 * i));
        return b;
    }

    // ---------------------------------------------------------------- instructions
    static void fsincosTan(X87 f, int which) {
        int p0 = f.st0Phys();
        boolean pushes = which == SINCOS || which == TAN;
        // every exception path (stack fault, invalid operand, unmasked denormal) clears C2
        if (f.emptyP(p0)) {
            f.clearC2P();
            if (!f.stackUnderflowMasked()) return;
            f.writeP(p0, X87.INDEF_SE, X87.INDEF_SIG);
            // the underflow response pushes without a second (overflow) check: C1 stays 0 as the SDM
            // says for a stack underflow, also when ST7 is in use (as FXTRACT on both host vendors)
            if (pushes) f.pushAfterUnderflowP(X87.INDEF_SE, X87.INDEF_SIG);
            return;
        }
        if (pushes && f.pushWouldOverflow()) {
            f.clearC2P();
            if (!f.overflowFault()) return;
            f.writeP(p0, X87.INDEF_SE, X87.INDEF_SIG);
            f.pushP(X87.INDEF_SE, X87.INDEF_SIG);
            return;
        }
        int se = f.regSE[p0];
        long sig = f.regSig[p0];
        int k = X87.classify(se, sig);
        int flags;
        if (k >= X87.K_QNAN || k == X87.K_INF) {
            flags = k == X87.K_INF ? f.setIndefinite() : f.propagate1(se, sig);
            if (f.unmaskedP(flags)) {
                f.setC1C2P(0);
                f.raiseP(flags);
                return;
            }
            int rse = f.resSE();
            long rsig = f.resSig();
            f.writeP(p0, rse, rsig);
            if (pushes) f.pushP(rse, rsig);
            f.setC1C2P(0);
            f.raiseP(flags);
            return;
        }
        int e = se & 0x7FFF;
        if (e >= BIAS + 63) {
            f.setC1C2P(X87.C2);
            return;
        }
        flags = k == X87.K_DENORMAL ? X87.DE : 0;
        if (f.unmaskedP(flags)) {
            f.setC1C2P(0);
            f.raiseP(flags);
            return;
        }
        boolean neg = (se & 0x8000) != 0;
        int sinSE, cosSE;
        long sinSig, cosSig;
        boolean sinUp = false, cosUp = false;
        int sinFlags = 0, cosFlags = 0;
        if (k == X87.K_ZERO) {
            sinSE = se;
            sinSig = 0;
            cosSE = BIAS;
            cosSig = J;
        } else if (expOf(se, sig) < -33) {
            // tiny: sin x = x(1 - x^2/6), tan x = x(1 + x^2/3), cos x = 1 - x^2/2, all within 2^-66 relative
            int ee = expOf(se, sig) + BIAS;
            long m = sig << Long.numberOfLeadingZeros(sig);
            // the host returns x itself (sin, tan) and 1 (cos), flagged inexact
            sinFlags = f.round64(neg, ee, m, 0) | inexact(f);
            sinSE = f.resSE();
            sinSig = f.resSig();
            sinUp = false;
            cosFlags = X87.PE;
            cosSE = BIAS;
            cosSig = J;
            cosUp = false;
        } else {
            DD r;
            int q;
            if (expOf(se, sig) < -1) {
                r = mant(sig);
                r = scalb(r, expOf(se, sig));
                if (neg) r = neg(r);
                q = 0;
            } else {
                r = reduce(effExp(se), sig);
                if (neg) r = neg(r);
                q = reducedQuadrant;
                if (neg) q = (4 - q) & 3;
            }
            DD s = sinK(r), c = cosK(r);
            DD sinV, cosV;
            switch (q) {
                case 0: sinV = s; cosV = c; break;
                case 1: sinV = c; cosV = neg(s); break;
                case 2: sinV = neg(s); cosV = neg(c); break;
                default: sinV = neg(c); cosV = s; break;
            }
            if (which == TAN) sinV = div(sinV, cosV);
            sinFlags = roundDD(f, sinV, 0);
            sinSE = f.resSE();
            sinSig = f.resSig();
            sinUp = f.resUp();
            cosFlags = roundDD(f, cosV, 0);
            cosSE = f.resSE();
            cosSig = f.resSig();
            cosUp = f.resUp();
        }
        switch (which) {
            case SIN:
                f.writeP(p0, sinSE, sinSig);
                f.setC1C2P(sinUp ? X87.C1 : 0);
                f.raiseP(flags | sinFlags);
                return;
            case COS:
                f.writeP(p0, cosSE, cosSig);
                f.setC1C2P(cosUp ? X87.C1 : 0);
                f.raiseP(flags | cosFlags);
                return;
            case TAN:
                f.writeP(p0, sinSE, sinSig);
                f.pushP(BIAS, J);
                f.setC1C2P(sinUp ? X87.C1 : 0);
                f.raiseP(flags | sinFlags);
                return;
            default:
                f.writeP(p0, sinSE, sinSig);
                f.pushP(cosSE, cosSig);
                f.setC1C2P(cosUp ? X87.C1 : 0);
                f.raiseP(flags | sinFlags | cosFlags);
        }
    }

    private static int effExp(int se) {
        int e = se & 0x7FFF;
        return e == 0 ? 1 : e;
    }

    /** Writes the result to p and raises flags unless a pre-computation exception is unmasked. */
    private static boolean commit(X87 f, int p, int flags, boolean pop) {
        if (f.unmaskedP(flags & (X87.IE | X87.DE | X87.ZE))) {
            // an unmasked operand exception: nothing is computed, so no PE/UE/OE, and C1 = 0
            f.setC1P(false);
            f.raiseP(flags & (X87.IE | X87.DE | X87.ZE));
            return false;
        }
        f.writeP(p, f.resSE(), f.resSig());
        f.setC1P(f.resUp());
        f.raiseP(flags);
        if (pop) f.popP();
        return true;
    }

    static void f2xm1(X87 f) {
        int p0 = f.st0Phys();
        if (f.emptyP(p0)) {
            if (f.stackUnderflowMasked()) f.writeP(p0, X87.INDEF_SE, X87.INDEF_SIG);
            return;
        }
        int se = f.regSE[p0];
        long sig = f.regSig[p0];
        int k = X87.classify(se, sig);
        boolean neg = (se & 0x8000) != 0;
        int flags;
        f.setResult(0, 0, false);
        if (k >= X87.K_QNAN) {
            flags = f.propagate1(se, sig);
        } else if (k == X87.K_ZERO) {
            f.setResult(se, 0, false);
            flags = 0;
        } else if (k == X87.K_INF) {
            if (neg) f.setResult(0x8000 | BIAS, J, false);
            else f.setResult(se, sig, false);
            flags = 0;
        } else {
            flags = k == X87.K_DENORMAL ? X87.DE : 0;
            int ex = expOf(se, sig);
            DD m = mant(sig);
            if (neg) m = neg(m);
            if (ex < -900) {
                flags |= roundDD(f, truncDD(mul(m, LN2), TRUNC_EXP), ex) | inexact(f);
            } else {
                DD x = scalb(m, ex);
                DD t = mul(x, LN2);
                DD v;
                if (Math.abs(t.hi) <= 0.75) {
                    v = expm1K(t);
                } else {
                    // |x| > ~1.08 (outside the architectural range): 2^x - 1 with exp by halving
                    DD h = expm1K(scalb(t, -4));
                    DD e1 = add(h, ONE);
                    for (int i = 0; i < 4; i++) e1 = mul(e1, e1);
                    v = sub(e1, ONE);
                }
                flags |= roundDD(f, truncDD(v, TRUNC_EXP), 0) | inexact(f);
            }
        }
        commit(f, p0, flags, false);
    }

    /**
     * Stack underflow of an instruction that reads ST0 and ST1 and pops: with IE masked, ST1 gets
     * the indefinite and the stack pops. Returns true when the instruction is done.
     */
    private static boolean underflowOnTwoOperands(X87 f, int p0, int p1) {
        if (!f.emptyP(p0) && !f.emptyP(p1)) return false;
        if (f.stackUnderflowMasked()) {
            f.writeP(p1, X87.INDEF_SE, X87.INDEF_SIG);
            f.popP();
        }
        return true;
    }

    /** FYL2X (ST1 * log2 ST0) or FYL2XP1 (ST1 * log2(ST0 + 1)); pops. */
    static void fyl2x(X87 f, boolean plus1) {
        int p0 = f.st0Phys(), p1 = (p0 + 1) & 7;
        if (underflowOnTwoOperands(f, p0, p1)) return;
        int xse = f.regSE[p0], yse = f.regSE[p1];
        long xs = f.regSig[p0], ys = f.regSig[p1];
        int kx = X87.classify(xse, xs), ky = X87.classify(yse, ys);
        boolean xneg = (xse & 0x8000) != 0, yneg = (yse & 0x8000) != 0;
        int flags;
        if (kx >= X87.K_QNAN || ky >= X87.K_QNAN) {
            flags = f.propagate2(xse, xs, yse, ys);
        } else {
            flags = (kx == X87.K_DENORMAL || ky == X87.K_DENORMAL) ? X87.DE : 0;
            if (!plus1) {
                flags |= log2Cases(f, xse, xs, kx, xneg, yse, ys, ky, yneg);
            } else {
                flags |= log2p1Cases(f, xse, xs, kx, xneg, yse, ys, ky, yneg);
            }
            // an invalid operation or a division by zero is reported without DE for a denormal operand
            if ((flags & (X87.IE | X87.ZE)) != 0) flags &= ~X87.DE;
        }
        commit(f, p1, flags, true);
    }

    private static void inf(X87 f, boolean neg) { f.setResult((neg ? 0x8000 : 0) | 0x7FFF, J, false); }

    private static void zero(X87 f, boolean neg) { f.setResult(neg ? 0x8000 : 0, 0, false); }

    private static int log2Cases(X87 f, int xse, long xs, int kx, boolean xneg, int yse, long ys, int ky, boolean yneg) {
        if (xneg && kx != X87.K_ZERO) return f.setIndefinite();
        if (kx == X87.K_ZERO) {
            if (ky == X87.K_ZERO) return f.setIndefinite();
            inf(f, !yneg);
            return ky == X87.K_INF ? 0 : X87.ZE;
        }
        if (kx == X87.K_INF) {
            if (ky == X87.K_ZERO) return f.setIndefinite();
            inf(f, yneg);
            return 0;
        }
        // x finite positive
        int ex = expOf(xse, xs);
        boolean below1 = ex < 0; // log2 x < 0
        DD mx = mant(xs);
        if (mx.hi > 1.4142135623730951) {
            mx = scalb(mx, -1);
            ex++;
        }
        boolean isOne = ex == 0 && mx.hi == 1 && mx.lo == 0;
        if (ky == X87.K_INF) {
            if (isOne) return f.setIndefinite();
            inf(f, yneg ^ below1);
            return 0;
        }
        if (isOne) {
            zero(f, yneg);
            return 0;
        }
        if (ky == X87.K_ZERO) {
            zero(f, yneg ^ below1);
            return 0;
        }
        DD l = div(lnK(mx), LN2);
        if (ex != 0) l = add(new DD(ex, 0), l);
        DD my = mant(ys);
        if (yneg) my = neg(my);
        return roundDD(f, mul(my, truncDD(l, TRUNC_LOG)), expOf(yse, ys)) | inexact(f);
    }

    private static int log2p1Cases(X87 f, int xse, long xs, int kx, boolean xneg, int yse, long ys, int ky, boolean yneg) {
        if (kx == X87.K_ZERO) {
            if (ky == X87.K_INF) return f.setIndefinite();
            zero(f, xneg ^ yneg);
            return 0;
        }
        if (kx == X87.K_INF) {
            if (xneg || ky == X87.K_ZERO) return f.setIndefinite();
            inf(f, yneg);
            return 0;
        }
        int ex = expOf(xse, xs);
        DD mx = mant(xs);
        if (xneg) mx = neg(mx);
        if (ex >= 0 && xneg) return f.setIndefinite(); // 1 + x <= 0
        if (ky == X87.K_INF) {
            inf(f, yneg ^ xneg);
            return 0;
        }
        if (ky == X87.K_ZERO) {
            zero(f, yneg ^ xneg);
            return 0;
        }
        DD my = mant(ys);
        if (yneg) my = neg(my);
        int ey = expOf(yse, ys);
        if (ex < -900) {
            // log2(1+x) = x/ln2 * (1 - x/2 + ...)
            return roundDD(f, mul(my, truncDD(div(mx, LN2), TRUNC_LOG1P)), ex + ey) | inexact(f);
        }
        DD x = scalb(mx, ex);
        DD l;
        if (Math.abs(x.hi) < 0.4) {
            DD s = div(x, add(new DD(2, 0), x));
            l = div(atanh2K(s), LN2);
        } else {
            // outside the architectural range: log2(1+x) via the general path
            DD u = add(ONE, x);
            int e2 = Math.getExponent(u.hi);
            DD m = scalb(u, -e2);
            if (m.hi > 1.4142135623730951) {
                m = scalb(m, -1);
                e2++;
            }
            l = add(new DD(e2, 0), div(lnK(m), LN2));
        }
        return roundDD(f, mul(my, truncDD(l, TRUNC_LOG1P)), ey) | inexact(f);
    }

    /** FPATAN: ST1 = atan2(ST1, ST0), pop. */
    static void fpatan(X87 f) {
        int p0 = f.st0Phys(), p1 = (p0 + 1) & 7;
        if (underflowOnTwoOperands(f, p0, p1)) return;
        int xse = f.regSE[p0], yse = f.regSE[p1];
        long xs = f.regSig[p0], ys = f.regSig[p1];
        int kx = X87.classify(xse, xs), ky = X87.classify(yse, ys);
        boolean xneg = (xse & 0x8000) != 0, yneg = (yse & 0x8000) != 0;
        int flags;
        if (kx >= X87.K_QNAN || ky >= X87.K_QNAN) {
            flags = f.propagate2(xse, xs, yse, ys);
        } else {
            flags = (kx == X87.K_DENORMAL || ky == X87.K_DENORMAL) ? X87.DE : 0;
            DD v;
            int scale = 0;
            if (ky == X87.K_ZERO) {
                if (!xneg) {
                    zero(f, yneg);
                    commit(f, p1, flags, true);
                    return;
                }
                v = PI;
            } else if (kx == X87.K_ZERO) {
                v = PI_2;
            } else if (ky == X87.K_INF) {
                v = kx == X87.K_INF ? (xneg ? mulD(PI, 0.75) : scalb(PI, -2)) : PI_2;
            } else if (kx == X87.K_INF) {
                if (!xneg) {
                    zero(f, yneg);
                    commit(f, p1, flags, true);
                    return;
                }
                v = PI;
            } else {
                int d = expOf(yse, ys) - expOf(xse, xs);
                DD my = mant(ys), mx = mant(xs);
                if (d > 900) {
                    v = xneg ? add(PI_2, scalb(div(mx, my), -d)) : sub(PI_2, scalb(div(mx, my), -d));
                } else if (d < -900) {
                    if (xneg) {
                        v = PI;
                    } else {
                        // atan(q) = q(1 - q^2/3 ...): the host returns q (inexact) in every rounding mode
                        v = div(my, mx);
                        scale = d;
                    }
                } else {
                    DD q = scalb(div(my, mx), d);
                    DD a;
                    if (q.hi > 1) a = sub(PI_2, atanK(div(ONE, q)));
                    else a = atanK(q);
                    v = xneg ? sub(PI, a) : a;
                }
            }
            if (yneg) v = neg(v);
            // the host reports PE for every computed result, even an exactly representable one
            flags |= roundDD(f, v, scale) | inexact(f);
        }
        commit(f, p1, flags, true);
    }
}
