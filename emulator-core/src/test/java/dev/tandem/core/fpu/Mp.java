package dev.tandem.core.fpu;

import java.math.BigInteger;

/**
 * A small binary multiprecision number for the transcendental reference ({@link X87Reference}):
 * the value is {@code m * 2^e} with an arbitrary-length integer {@code m}. Every operation takes the
 * working precision {@code w} (significant bits) and rounds its result to nearest at that precision;
 * addition of operands whose exponents are far apart is exact before that rounding, so a tiny
 * addend is never lost before it can matter. It shares no code with the emulator's {@code X87Math}
 * (which works in double-double).
 */
final class Mp {
    final BigInteger m;
    final int e;

    static final Mp ZERO = new Mp(BigInteger.ZERO, 0);
    static final Mp ONE = new Mp(BigInteger.ONE, 0);

    Mp(BigInteger m, int e) {
        this.m = m;
        this.e = e;
    }

    static Mp of(long v) {
        return new Mp(BigInteger.valueOf(v), 0);
    }

    static Mp pow2(int k) {
        return new Mp(BigInteger.ONE, k);
    }

    /** The exact value of a finite 80-bit register (zero, normal, denormal, pseudo-denormal). */
    static Mp ofExtended(int se, long sig) {
        int be = se & 0x7FFF;
        if (be == 0x7FFF) throw new IllegalArgumentException("not finite");
        BigInteger mm = new BigInteger(Long.toUnsignedString(sig));
        if ((se & 0x8000) != 0) mm = mm.negate();
        return new Mp(mm, (be == 0 ? 1 : be) - 16383 - 63);
    }

    int signum() {
        return m.signum();
    }

    boolean isZero() {
        return m.signum() == 0;
    }

    /** floor(log2 |v|) for v != 0. */
    int ilogb() {
        return e + m.abs().bitLength() - 1;
    }

    Mp neg() {
        return new Mp(m.negate(), e);
    }

    Mp abs() {
        return m.signum() < 0 ? neg() : this;
    }

    /** v * 2^k (exact). */
    Mp scale(int k) {
        return new Mp(m, e + k);
    }

    /** Rounded to w significant bits (nearest). */
    Mp round(int w) {
        BigInteger a = m.abs();
        int sh = a.bitLength() - w;
        if (sh <= 0) return this;
        a = a.add(BigInteger.ONE.shiftLeft(sh - 1)).shiftRight(sh);
        return new Mp(m.signum() < 0 ? a.negate() : a, e + sh);
    }

    Mp add(Mp b, int w) {
        if (b.isZero()) return round(w);
        if (isZero()) return b.round(w);
        int lo = Math.min(e, b.e);
        BigInteger s = m.shiftLeft(e - lo).add(b.m.shiftLeft(b.e - lo));
        return new Mp(s, lo).round(w);
    }

    Mp sub(Mp b, int w) {
        return add(b.neg(), w);
    }

    Mp mul(Mp b, int w) {
        return new Mp(m.multiply(b.m), e + b.e).round(w);
    }

    Mp div(Mp b, int w) {
        if (b.isZero()) throw new ArithmeticException("division by zero");
        if (isZero()) return ZERO;
        // quotient with at least w + 2 significant bits
        int sh = Math.max(0, w + 2 + b.m.abs().bitLength() - m.abs().bitLength());
        BigInteger q = m.shiftLeft(sh).divide(b.m);
        return new Mp(q, e - b.e - sh).round(w);
    }

    Mp sqrt(int w) {
        if (m.signum() < 0) throw new ArithmeticException("sqrt of negative");
        if (isZero()) return ZERO;
        int sh = Math.max(0, 2 * (w + 2) - m.bitLength());
        if (((e - sh) & 1) != 0) sh++;
        BigInteger r = m.shiftLeft(sh).sqrt();
        return new Mp(r, (e - sh) / 2).round(w);
    }

    int compareTo(Mp b) {
        return sub(b, Integer.MAX_VALUE).signum();
    }

    /** Exact difference a - b (no rounding). */
    static Mp exactSub(Mp a, Mp b) {
        return a.add(b.neg(), Integer.MAX_VALUE);
    }

    /** True if |v| is a power of two (v != 0). */
    boolean isPowerOfTwo() {
        BigInteger a = m.abs();
        return a.signum() != 0 && a.bitCount() == 1;
    }

    /** Nearest double (for reports). */
    double toDouble() {
        if (isZero()) return 0;
        Mp r = round(60);
        return Math.scalb(r.m.doubleValue(), r.e);
    }

    @Override
    public String toString() {
        return m.toString(16) + "p" + e;
    }
}
