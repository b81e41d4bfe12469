package dev.tandem.core.fpu;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.IntFunction;

/**
 * The host-independent truth for the x87 transcendental instructions: the exact function value,
 * evaluated in binary multiprecision ({@link Mp}) with Ziv's strategy (the working precision is
 * doubled until the value is far enough from every rounding boundary that its rounding is
 * certain), and the SDM's accuracy bound for the result (Intel SDM Vol. 1, 8.3.10):
 * error = |f(x) - F(x)| / 2^(k-63) with 1 &lt;= 2^-k f(x) &lt; 2, less than 1 ulp when rounding to
 * nearest and less than 1.5 ulps in the directed modes; for FYL2X/FYL2XP1 within 1 ulp only when
 * y = 1, else within 1.35 ulps in round to nearest.
 *
 * <p>FSIN/FCOS/FSINCOS/FPTAN: SDM Vol. 1, 8.3.8 states that they approximate sin(x * pi / Pi),
 * cos(x * pi / Pi) and tan(x * pi / Pi), where Pi = 0.C90FDAA2 2168C234 C * 2^2 is the internal
 * 66-bit approximation of pi used for the argument reduction; that function is the truth here
 * (x = k * Pi/2 + r exactly, then the function of k * pi/2 + r * pi/Pi).
 *
 * <p>Nothing here uses the emulator's {@code X87Math}: the constants come from series (Machin's
 * formula for pi, atanh(1/3) for ln 2) and are checked against published digits in
 * {@code X87ReferenceTest}.
 */
final class X87Reference {
    static final int BIAS = 16383;
    static final int MIN_Q = 1 - BIAS - 63; // exponent of the smallest denormal: 2^-16445
    static final int WRAP = 24576;
    static final int SIN = 0, COS = 1, TAN = 2, ATAN = 3, EXP = 4, LOG = 5, LOG1P = 6;
    static final String[] FN_NAMES = {"sin", "cos", "tan", "atan", "2^x-1", "y*log2(x)", "y*log2(1+x)"};

    /** The fraction f of Pi = 0.f * 2^2 as printed in SDM Vol. 1, 8.3.8 (68 bits, the last two 0). */
    static final BigInteger PI_SDM_F = new BigInteger("C90FDAA22168C234C", 16);

    /** Investigation switch: evaluate the SDM 8.3.8 reading sin(x * pi / Pi) instead of sin(r) of the exactly reduced r. */
    static final boolean PI_SCALED = Boolean.getBoolean("x87.piScaled");

    private X87Reference() {
    }

    // ---------------------------------------------------------------- constants
    private static final Map<Integer, Mp> PI = new ConcurrentHashMap<>(), LN2 = new ConcurrentHashMap<>();

    /** sum_k (-1)^k / ((2k+1) n^(2k+1)) in fixed point with g fraction bits (alternate = false: all +). */
    private static BigInteger arctanInvFixed(int n, int g, boolean alternate) {
        BigInteger one = BigInteger.ONE.shiftLeft(g);
        BigInteger nn = BigInteger.valueOf((long) n * n);
        BigInteger pow = one.divide(BigInteger.valueOf(n));
        BigInteger sum = BigInteger.ZERO;
        for (int k = 0; pow.signum() != 0; k++) {
            BigInteger t = pow.divide(BigInteger.valueOf(2L * k + 1));
            sum = (alternate && (k & 1) != 0) ? sum.subtract(t) : sum.add(t);
            pow = pow.divide(nn);
        }
        return sum;
    }

    /** pi to about w + 16 bits (Machin: pi = 16 atan(1/5) - 4 atan(1/239)). */
    static Mp pi(int w) {
        return PI.computeIfAbsent(w, ww -> {
            int g = ww + 48;
            BigInteger p = arctanInvFixed(5, g, true).shiftLeft(4).subtract(arctanInvFixed(239, g, true).shiftLeft(2));
            return new Mp(p, -g).round(ww + 16);
        });
    }

    /** ln 2 to about w + 16 bits (ln 2 = 2 atanh(1/3)). */
    static Mp ln2(int w) {
        return LN2.computeIfAbsent(w, ww -> {
            int g = ww + 48;
            return new Mp(arctanInvFixed(3, g, false).shiftLeft(1), -g).round(ww + 16);
        });
    }

    /** The SDM's Pi (exact): PI_SDM_F * 2^-66. */
    static Mp piSdm() {
        return new Mp(PI_SDM_F, -66);
    }

    // ---------------------------------------------------------------- kernels (relative error ~2^-(w-12))
    /** {sin t, cos t} for |t| <= 1. */
    static Mp[] sinCos(Mp t, int w) {
        int wg = w + 8;
        Mp t2 = t.mul(t, wg);
        Mp s = t, term = t;
        for (long k = 1; ; k += 2) {
            term = term.mul(t2, wg).div(Mp.of((k + 1) * (k + 2)), wg).neg();
            if (term.isZero() || term.ilogb() < s.ilogb() - wg - 4) break;
            s = s.add(term, wg);
        }
        Mp c = Mp.ONE;
        term = Mp.ONE;
        for (long k = 0; ; k += 2) {
            term = term.mul(t2, wg).div(Mp.of((k + 1) * (k + 2)), wg).neg();
            if (term.isZero() || term.ilogb() < -wg - 4) break;
            c = c.add(term, wg);
        }
        return new Mp[]{s, c};
    }

    /** atan q for q > 0. */
    static Mp atan(Mp q, int w) {
        int wg = w + 12;
        if (q.compareTo(Mp.ONE) > 0) return pi(wg).scale(-1).sub(atan(Mp.ONE.div(q, wg), wg), wg);
        int halvings = 0;
        while (q.ilogb() >= -6) { // atan q = 2 atan(q / (1 + sqrt(1 + q^2)))
            q = q.div(Mp.ONE.add(Mp.ONE.add(q.mul(q, wg), wg).sqrt(wg), wg), wg);
            halvings++;
        }
        Mp q2 = q.mul(q, wg);
        Mp s = q, pow = q;
        for (long k = 1; ; k++) {
            pow = pow.mul(q2, wg).neg();
            Mp term = pow.div(Mp.of(2 * k + 1), wg);
            if (term.isZero() || term.ilogb() < s.ilogb() - wg - 4) break;
            s = s.add(term, wg);
        }
        return s.scale(halvings);
    }

    /** atanh s = s + s^3/3 + ... for |s| <= 0.2. */
    static Mp atanh(Mp s, int w) {
        int wg = w + 8;
        Mp s2 = s.mul(s, wg);
        Mp sum = s, pow = s;
        for (long k = 1; ; k++) {
            pow = pow.mul(s2, wg);
            Mp term = pow.div(Mp.of(2 * k + 1), wg);
            if (term.isZero() || term.ilogb() < sum.ilogb() - wg - 4) break;
            sum = sum.add(term, wg);
        }
        return sum;
    }

    /** log2 x for x > 0: exact when x is a power of two. */
    static Mp log2(Mp x, int w) {
        int wg = w + 12;
        int k = x.ilogb();
        if (x.isPowerOfTwo()) return Mp.of(k);
        Mp m = x.scale(-k); // [1, 2)
        if (m.mul(m, Integer.MAX_VALUE).compareTo(Mp.of(2)) > 0) { // m > sqrt 2
            m = m.scale(-1);
            k++;
        }
        Mp s = m.sub(Mp.ONE, wg).div(m.add(Mp.ONE, wg), wg);
        Mp l = atanh(s, wg).scale(1).div(ln2(wg), wg); // log2 m, |.| <= 1/2
        return k == 0 ? l.round(w + 4) : Mp.of(k).add(l, w + 4);
    }

    /** log2(1 + x) for x > -1. */
    static Mp log2p1(Mp x, int w) {
        int wg = w + 12;
        if (x.ilogb() < -1) { // |x| < 1/2: 2 atanh(x / (2 + x)) / ln 2
            Mp s = x.div(Mp.of(2).add(x, wg), wg);
            return atanh(s, wg).scale(1).div(ln2(wg), wg);
        }
        return log2(Mp.ONE.add(x, Integer.MAX_VALUE), w); // 1 + x exact (x has at most 64 bits here)
    }

    /** e^t - 1 for |t| <= 1. */
    static Mp expm1(Mp t, int w) {
        int wg = w + 8;
        Mp s = t, term = t;
        for (long k = 2; ; k++) {
            term = term.mul(t, wg).div(Mp.of(k), wg);
            if (term.isZero() || term.ilogb() < s.ilogb() - wg - 4) break;
            s = s.add(term, wg);
        }
        return s;
    }

    /** 2^x - 1 for any finite x (exact for integer x). */
    static Mp exp2m1(Mp x, int w) {
        int wg = w + 12;
        if (x.e >= 0 || x.m.getLowestSetBit() + x.e >= 0) { // x is an integer
            long n = x.m.shiftLeft(Math.max(0, x.e)).shiftRight(Math.max(0, -x.e)).longValueExact();
            if (Math.abs(n) > 1 << 20) throw new ArithmeticException("2^x out of range: " + x);
            return Mp.pow2((int) n).add(Mp.ONE.neg(), Integer.MAX_VALUE);
        }
        if (x.ilogb() < 0) return expm1(x.mul(ln2(wg), wg), wg).round(w + 4); // |x| < 1
        // outside the architectural range: 2^n * e^((x - n) ln 2) - 1 with n = round(x)
        Mp half = x.add(Mp.ONE.scale(-1), Integer.MAX_VALUE);
        BigInteger fl = half.e >= 0 ? half.m.shiftLeft(half.e) : half.m.shiftRight(-half.e);
        long n = fl.longValueExact();
        if (Math.abs(n) > 1 << 20) throw new ArithmeticException("2^x out of range: " + x);
        Mp f = x.sub(Mp.of(n), Integer.MAX_VALUE);
        Mp p = expm1(f.mul(ln2(wg), wg), wg).add(Mp.ONE, wg).scale((int) n);
        return p.sub(Mp.ONE, w + 4);
    }

    // ---------------------------------------------------------------- instruction semantics
    /** Quadrant k (mod 4) and reduced argument t = r * pi / Pi with x = k * Pi/2 + r, |r| <= Pi/4. */
    static Mp reducedTrigArg(Mp x, int[] quadrant, int w) {
        int wg = w + 12;
        boolean neg = x.signum() < 0;
        Mp ax = x.abs();
        Mp pio2 = new Mp(PI_SDM_F, -67);
        BigInteger k = BigInteger.ZERO;
        Mp r = ax;
        if (ax.ilogb() >= -1) {
            // k = round(ax / pio2) computed exactly on integers at a common scale
            int lo = Math.min(ax.e, pio2.e);
            BigInteger a = ax.m.shiftLeft(ax.e - lo), p = pio2.m.shiftLeft(pio2.e - lo);
            k = a.shiftLeft(1).add(p).divide(p.shiftLeft(1));
            r = new Mp(a.subtract(k.multiply(p)), lo);
        }
        int q = k.intValue() & 3;
        if (neg) {
            r = r.neg();
            q = (4 - q) & 3;
        }
        quadrant[0] = q;
        if (r.isZero() || !PI_SCALED) return r;
        return r.mul(pi(wg), wg).div(piSdm(), wg);
    }

    /** sin/cos/tan(x * pi / Pi). */
    static Mp trig(int fn, Mp x, int w) {
        int[] q = new int[1];
        Mp t = reducedTrigArg(x, q, w);
        Mp[] sc = sinCos(t, w + 8);
        Mp s, c;
        switch (q[0]) {
            case 0: s = sc[0]; c = sc[1]; break;
            case 1: s = sc[1]; c = sc[0].neg(); break;
            case 2: s = sc[0].neg(); c = sc[1].neg(); break;
            default: s = sc[1].neg(); c = sc[0]; break;
        }
        return switch (fn) {
            case SIN -> s.round(w + 4);
            case COS -> c.round(w + 4);
            default -> s.div(c, w + 4);
        };
    }

    /** atan2(y, x) with the quadrant conventions of FPATAN (both finite, nonzero). */
    static Mp atan2(Mp y, Mp x, int w) {
        int wg = w + 12;
        Mp a = atan(y.abs().div(x.abs(), wg), wg);
        if (x.signum() < 0) a = pi(wg).sub(a, wg);
        return (y.signum() < 0 ? a.neg() : a).round(w + 4);
    }

    // ---------------------------------------------------------------- expected results of one instruction
    /**
     * One result that the instruction computes as an approximation. {@code st} is its stack position
     * after the instruction; {@code value} evaluates the exact value at a working precision;
     * {@code exact} says the evaluation is exact (so no boundary test is needed); {@code approx} is
     * false for the special-operand results of the SDM tables (multiples of pi/4 of FPATAN), which
     * both vendors return identically and are therefore also compared with the host bit for bit.
     * {@code inDomain} is false where the SDM calls the result undefined (F2XM1 outside [-1, 1],
     * FYL2XP1 outside |x| &lt;= 1 - sqrt(2)/2).
     */
    static final class Expected {
        final int st, fn;
        final IntFunction<Mp> value;
        final boolean exact, approx, inDomain, yIsOne;
        private final Map<Integer, Mp> memo = new java.util.HashMap<>();

        Expected(int st, int fn, IntFunction<Mp> value, boolean exact, boolean approx, boolean inDomain, boolean yIsOne) {
            this.st = st;
            this.fn = fn;
            this.value = value;
            this.exact = exact;
            this.approx = approx;
            this.inDomain = inDomain;
            this.yIsOne = yIsOne;
        }

        /** The exact value at working precision w (memoized). */
        Mp at(int w) {
            return memo.computeIfAbsent(w, value::apply);
        }
    }

    static int kind(int se, long sig) {
        return X87.classify(se, sig);
    }

    static boolean finiteNonzero(int k) {
        return k == X87.K_NORMAL || k == X87.K_DENORMAL;
    }

    static final double LOGP1_LIMIT = 1 - Math.sqrt(2) / 2;

    /**
     * The approximated results of D9 modrm on the state (cw, registers ST(0..7) as se/sig, empty[i]).
     * Empty when the instruction computes nothing (stack fault, invalid or unmasked denormal operand,
     * out-of-range trig operand) or only returns exact special results (zeros, infinities, NaNs,
     * FPTAN's 1.0): those are compared with the host bit for bit.
     */
    static List<Expected> expected(int modrm, int cw, int[] se, long[] sig, boolean[] empty) {
        List<Expected> out = new ArrayList<>();
        boolean dm = (cw & X87.DE) != 0;
        switch (modrm) {
            case 0xFE, 0xFF, 0xFB, 0xF2 -> {
                boolean push = modrm == 0xFB || modrm == 0xF2;
                if (empty[0] || (push && !empty[7])) return out;
                int k = kind(se[0], sig[0]);
                if (!finiteNonzero(k) || (k == X87.K_DENORMAL && !dm)) return out;
                if ((se[0] & 0x7FFF) >= BIAS + 63) return out; // out of range: C2 = 1, operand unchanged
                Mp x = Mp.ofExtended(se[0], sig[0]);
                switch (modrm) {
                    case 0xFE -> out.add(new Expected(0, SIN, w -> trig(SIN, x, w), false, true, true, false));
                    case 0xFF -> out.add(new Expected(0, COS, w -> trig(COS, x, w), false, true, true, false));
                    case 0xFB -> {
                        out.add(new Expected(0, COS, w -> trig(COS, x, w), false, true, true, false));
                        out.add(new Expected(1, SIN, w -> trig(SIN, x, w), false, true, true, false));
                    }
                    default -> out.add(new Expected(1, TAN, w -> trig(TAN, x, w), false, true, true, false));
                }
            }
            case 0xF0 -> { // F2XM1
                if (empty[0]) return out;
                int k = kind(se[0], sig[0]);
                if (!finiteNonzero(k) || (k == X87.K_DENORMAL && !dm)) return out;
                Mp x = Mp.ofExtended(se[0], sig[0]);
                boolean in = x.abs().compareTo(Mp.ONE) <= 0;
                boolean exact = x.e >= 0 || x.m.getLowestSetBit() + x.e >= 0;
                out.add(new Expected(0, EXP, w -> exp2m1(x, w), exact, true, in, false));
            }
            case 0xF1, 0xF9, 0xF3 -> { // FYL2X, FYL2XP1, FPATAN: x = ST0, y = ST1, result to ST1, pop
                if (empty[0] || empty[1]) return out;
                int kx = kind(se[0], sig[0]), ky = kind(se[1], sig[1]);
                if (kx >= X87.K_QNAN || ky >= X87.K_QNAN) return out;
                if ((kx == X87.K_DENORMAL || ky == X87.K_DENORMAL) && !dm) return out;
                boolean yOne = ky == X87.K_NORMAL && (se[1] & 0x7FFF) == BIAS && sig[1] == X87.J;
                if (modrm == 0xF3) {
                    Expected e = fpatan(se, sig, kx, ky);
                    if (e != null) out.add(e);
                    return out;
                }
                if (!finiteNonzero(kx) || !finiteNonzero(ky)) return out;
                Mp x = Mp.ofExtended(se[0], sig[0]), y = Mp.ofExtended(se[1], sig[1]);
                if (modrm == 0xF1) {
                    if (x.signum() < 0 || x.compareTo(Mp.ONE) == 0) return out; // invalid, or the exact +-0
                    boolean exact = x.isPowerOfTwo();
                    out.add(new Expected(0, LOG, w -> y.mul(log2(x, w + 4), w + 4), exact, true, true, yOne));
                } else {
                    if (x.compareTo(Mp.ONE.neg()) <= 0) return out; // log of zero or a negative number
                    boolean in = Math.abs(x.toDouble()) <= LOGP1_LIMIT;
                    boolean exact = x.ilogb() >= -1 && Mp.ONE.add(x, Integer.MAX_VALUE).isPowerOfTwo();
                    out.add(new Expected(0, LOG1P, w -> y.mul(log2p1(x, w + 4), w + 4), exact, true, in, yOne));
                }
            }
            default -> {
            }
        }
        return out;
    }

    /** FPATAN: atan2(ST1, ST0) with the SDM's table for zeros and infinities (Vol. 2, FPATAN). */
    private static Expected fpatan(int[] se, long[] sig, int kx, int ky) {
        boolean xneg = (se[0] & 0x8000) != 0, yneg = (se[1] & 0x8000) != 0;
        if (finiteNonzero(kx) && finiteNonzero(ky)) {
            Mp x = Mp.ofExtended(se[0], sig[0]), y = Mp.ofExtended(se[1], sig[1]);
            return new Expected(0, ATAN, w -> atan2(y, x, w), false, true, true, false);
        }
        // multiples of pi/4: n/4 * pi with the sign of y; zero results (n = 0) are exact and left to the host comparison
        int n;
        if (ky == X87.K_INF) n = kx == X87.K_INF ? (xneg ? 3 : 1) : 2;
        else if (ky == X87.K_ZERO) n = xneg ? 4 : 0;
        else if (kx == X87.K_ZERO) n = 2; // y finite nonzero, x = +-0
        else n = xneg ? 4 : 0; // y finite nonzero, x = +-inf
        if (n == 0) return null;
        int nn = n;
        return new Expected(0, ATAN, w -> {
            Mp v = pi(w + 8).mul(Mp.of(nn), w + 8).scale(-2).round(w + 4);
            return yneg ? v.neg() : v;
        }, false, false, true, false);
    }

    // ---------------------------------------------------------------- rounding and error
    /** The correctly rounded 80-bit result: {se, sig}; wrap = +-1 for an unmasked under/overflow (exponent +-24576). */
    record Rounded(int se, long sig, boolean certain, boolean overflow) {
    }

    /**
     * f rounded with rc to 64 significant bits in the extended format. {@code wrapShift} is the
     * bias adjustment of an unmasked underflow (+24576) or overflow (-24576), else 0 (then
     * denormals and the masked overflow response apply). {@code certain} is false when f lies
     * within {@code margin} (a power of two in units of the result's ulp) of a rounding boundary.
     */
    static Rounded round(Mp f, int rc, int wrapShift, int marginLog2) {
        boolean neg = f.signum() < 0;
        if (f.isZero()) return new Rounded(0, 0, true, false);
        Mp a = f.abs().scale(wrapShift);
        int k = a.ilogb();
        int q = k - 63;
        if (wrapShift == 0) q = Math.max(q, MIN_Q);
        // a / 2^q = n + frac
        Mp v = a.scale(-q);
        BigInteger n = v.e >= 0 ? v.m.shiftLeft(v.e) : v.m.shiftRight(-v.e);
        Mp frac = Mp.exactSub(v, new Mp(n, 0));
        boolean fracZero = frac.isZero();
        boolean up;
        boolean certain;
        Mp half = Mp.ONE.scale(-1);
        if (rc == X87.RC_NEAREST) {
            int c = frac.compareTo(half);
            up = c > 0 || (c == 0 && n.testBit(0));
            Mp dist = Mp.exactSub(frac, half).abs();
            certain = !dist.isZero() && dist.ilogb() >= marginLog2;
            if (c == 0) certain = false;
        } else {
            boolean towardInf = (rc == X87.RC_UP && !neg) || (rc == X87.RC_DOWN && neg);
            up = towardInf && !fracZero;
            certain = !fracZero && frac.ilogb() >= marginLog2 && Mp.exactSub(Mp.ONE, frac).ilogb() >= marginLog2;
        }
        if (up) n = n.add(BigInteger.ONE);
        if (n.bitLength() > 64) {
            n = n.shiftRight(1);
            q++;
        }
        int be = n.bitLength() == 64 ? q + 63 + BIAS : 0; // a denormal (or zero) has exponent field 0
        if (n.bitLength() < 64 && q != MIN_Q) throw new IllegalStateException("unnormalized rounding");
        if (wrapShift != 0 && (be <= 0 || be >= 0x7FFF)) throw new IllegalStateException("out of range even after the exponent wrap: " + f);
        if (be >= 0x7FFF) {
            // masked overflow: infinity, or the largest finite value when rounding toward zero from this side
            boolean toInf = rc == X87.RC_NEAREST || (rc == X87.RC_UP && !neg) || (rc == X87.RC_DOWN && neg);
            return toInf ? new Rounded((neg ? 0x8000 : 0) | 0x7FFF, X87.J, certain, true)
                    : new Rounded((neg ? 0x8000 : 0) | 0x7FFE, -1L, certain, true);
        }
        return new Rounded((neg ? 0x8000 : 0) | be, n.longValue(), certain, false);
    }

    /** Error of F against f in the SDM's ulps (2^(k-63) with k = floor(log2 |f|), not below the denormal spacing). */
    static double errorUlps(Mp f, int fse, long fsig, int wrapShift) {
        Mp F = Mp.ofExtended(fse, fsig); // already carries the exponent adjustment
        Mp a = f.scale(wrapShift);
        if (a.isZero()) return F.isZero() ? 0 : Double.POSITIVE_INFINITY;
        int q = a.ilogb() - 63;
        if (wrapShift == 0) q = Math.max(q, MIN_Q);
        return Mp.exactSub(F, a).abs().scale(-q).toDouble();
    }

    /** The verdict on one computed result. */
    record Verdict(Rounded correct, double errUlps, double bound, boolean correctlyRounded, boolean withinBound, boolean roundedUp) {
    }

    static final Mp TINY = Mp.pow2(1 - BIAS + 1), HUGE = Mp.pow2(BIAS - 1);

    /**
     * Evaluates e (Ziv loop) and judges the 80-bit result (fse, fsig) rounded with rc. uWraps / oWraps:
     * the instruction reported an unmasked underflow / overflow, so a result near or beyond the
     * range limit carries the exponent adjustment of 24576.
     */
    static Verdict judge(Expected e, int rc, int fse, long fsig, boolean uWraps, boolean oWraps) {
        Mp f0 = e.at(192);
        int wrap = 0;
        if (uWraps && f0.abs().compareTo(TINY) < 0) wrap = WRAP;
        if (oWraps && f0.abs().compareTo(HUGE) >= 0) wrap = -WRAP;
        Rounded cr = null;
        Mp f = null;
        for (int w = 192; w <= 1 << 17; w *= 2) {
            f = e.at(w);
            // the evaluation is good to about 2^-(w - 16) relative; require 2^32 times that distance from a boundary
            cr = round(f, rc, wrap, e.exact ? Integer.MIN_VALUE : 63 - w + 48);
            if (cr.certain || e.exact) break;
            cr = null;
        }
        if (cr == null) throw new IllegalStateException("reference rounding undecided at 2^17 bits: " + FN_NAMES[e.fn]);
        double bound = rc == X87.RC_NEAREST ? ((e.fn == LOG || e.fn == LOG1P) && !e.yIsOne ? 1.35 : 1.0) : 1.5;
        boolean fInf = (fse & 0x7FFF) == 0x7FFF;
        boolean exactCr = cr.se == fse && cr.sig == fsig;
        double err;
        boolean up = false;
        if (fInf || cr.overflow) {
            // the masked overflow response (infinity or the largest finite value) is the only right answer
            err = exactCr ? 0 : Double.POSITIVE_INFINITY;
        } else {
            err = errorUlps(f, fse, fsig, wrap);
            up = Mp.exactSub(Mp.ofExtended(fse, fsig).abs(), f.abs().scale(wrap)).signum() > 0;
        }
        return new Verdict(cr, err, bound, exactCr, err < bound, up);
    }
}
