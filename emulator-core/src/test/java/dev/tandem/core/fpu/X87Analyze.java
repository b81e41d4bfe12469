package dev.tandem.core.fpu;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Investigation tool (not a test): runs random in-range transcendental operands on the host and
 * compares the host's significand with the exact result (double-double, ~104 bits), printing how
 * far the exact value lies from the rounding boundary in the cases where the host differs from
 * the correctly rounded result. Usage: X87Analyze op count [rc] (op = sin cos tan atan f2xm1 log log1p).
 */
public final class X87Analyze {
    private X87Analyze() {
    }

    static X87DiffTest.Case mk(int modrm, int cw, long[]... regs) {
        X87DiffTest.Case c = new X87DiffTest.Case();
        c.opcode = 0xD9;
        c.modrm = modrm;
        c.fam = X87DiffTest.FAMS.get(0);
        byte[] b = c.in;
        X87DiffTest.put32(b, 0, (0xD9 << 8) | modrm);
        X87DiffTest.put32(b, 4, 2);
        int tw = 0xFFFF;
        for (int i = 0; i < regs.length; i++) {
            X87DiffTest.put64(b, 8 + 28 + 10 * i, regs[i][1]);
            X87DiffTest.put16(b, 8 + 36 + 10 * i, (int) regs[i][0]);
            tw &= ~(3 << (2 * i));
            tw |= X87.tagOf((int) regs[i][0], regs[i][1]) << (2 * i);
        }
        X87DiffTest.put32(b, 8, 0xFFFF0000 | cw);
        X87DiffTest.put32(b, 12, 0xFFFF0000);
        X87DiffTest.put32(b, 16, 0xFFFF0000 | tw);
        return c;
    }

    static BigDecimal bd(X87Math.DD d) { return new BigDecimal(d.hi).add(new BigDecimal(d.lo)); }

    static BigDecimal val(long[] r) {
        BigDecimal m = new BigDecimal(new BigInteger(Long.toUnsignedString(r[1])));
        int e = (int) (r[0] & 0x7FFF) - 16383 - 63;
        m = e >= 0 ? m.multiply(new BigDecimal(BigInteger.TWO.pow(e))) : m.divide(new BigDecimal(BigInteger.TWO.pow(-e)));
        return (r[0] & 0x8000) != 0 ? m.negate() : m;
    }

    static final double[] OFFS = {-0.25, -0.125, -0.0625, -0.03125, 0, 0.03125, 0.0625, 0.125, 0.25};

    public static void main(String[] args) throws Exception {
        X87DiffTest.assumeHarness();
        String op = args[0];
        int n = Integer.parseInt(args[1]);
        int rc = args.length > 2 ? Integer.parseInt(args[2]) : 0;
        int cw = 0x037F | rc << 10;
        Random r = new Random(op.hashCode() + 12345L * rc);
        List<X87DiffTest.Case> cases = new ArrayList<>();
        List<BigDecimal> exact = new ArrayList<>();
        List<Integer> resultReg = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            long sig = r.nextLong() | X87.J;
            long sig2 = r.nextLong() | X87.J;
            X87Math.DD m = X87Math.mant(sig);
            X87.class.getName();
            switch (op) {
                case "sin", "cos", "tan" -> {
                    int e = 16383 - 3 + r.nextInt(6);
                    int s = r.nextBoolean() ? 0x8000 : 0;
                    X87Math.DD red;
                    int q;
                    if (e < 16383 - 1) {
                        red = X87Math.scalb(m, e - 16383);
                        q = 0;
                    } else {
                        red = X87Math.reduce(e, sig);
                        q = X87Math.reducedQuadrantForTest();
                    }
                    X87Math.DD sn = X87Math.sinK(red), cs = X87Math.cosK(red);
                    X87Math.DD sv, cv;
                    switch (q) {
                        case 0 -> { sv = sn; cv = cs; }
                        case 1 -> { sv = cs; cv = X87Math.neg(sn); }
                        case 2 -> { sv = X87Math.neg(sn); cv = X87Math.neg(cs); }
                        default -> { sv = X87Math.neg(cs); cv = sn; }
                    }
                    X87Math.DD v = op.equals("sin") ? sv : op.equals("cos") ? cv : X87Math.div(sv, cv);
                    BigDecimal ex = bd(v);
                    if (s != 0 && !op.equals("cos")) ex = ex.negate();
                    cases.add(mk(op.equals("sin") ? 0xFE : op.equals("cos") ? 0xFF : 0xF2, cw, new long[]{s | e, sig}));
                    exact.add(ex);
                    resultReg.add(op.equals("tan") ? 1 : 0);
                }
                case "atan" -> {
                    int ey = 16383 - 4 + r.nextInt(8), ex0 = 16383 - 4 + r.nextInt(8);
                    X87Math.DD q = X87Math.scalb(X87Math.div(X87Math.mant(sig2), m), ey - ex0);
                    X87Math.DD a = q.hi > 1 ? X87Math.sub(X87Math.PI_2, X87Math.atanK(X87Math.div(X87Math.ONE, q))) : X87Math.atanK(q);
                    cases.add(mk(0xF3, cw, new long[]{ex0, sig}, new long[]{ey, sig2}));
                    exact.add(bd(a));
                    resultReg.add(0);
                }
                case "f2xm1" -> {
                    int e = 16383 - 1 - r.nextInt(6);
                    int s = r.nextBoolean() ? 0x8000 : 0;
                    X87Math.DD x = X87Math.scalb(m, e - 16383);
                    if (s != 0) x = X87Math.neg(x);
                    cases.add(mk(0xF0, cw, new long[]{s | e, sig}));
                    exact.add(bd(X87Math.expm1K(X87Math.mul(x, X87Math.LN2))));
                    resultReg.add(0);
                }
                case "log" -> {
                    int e = 16383 - 3 + r.nextInt(6);
                    X87Math.DD mx = m;
                    int ee = e - 16383;
                    if (mx.hi > 1.4142135623730951) { mx = X87Math.scalb(mx, -1); ee++; }
                    X87Math.DD l = X87Math.div(X87Math.lnK(mx), X87Math.LN2);
                    if (ee != 0) l = X87Math.add(new X87Math.DD(ee, 0), l);
                    cases.add(mk(0xF1, cw, new long[]{e, sig}, new long[]{16383, X87.J}));
                    exact.add(bd(l));
                    resultReg.add(0);
                }
                case "log1p" -> {
                    int e = 16383 - 2 - r.nextInt(6);
                    int s = r.nextBoolean() ? 0x8000 : 0;
                    X87Math.DD x = X87Math.scalb(m, e - 16383);
                    if (s != 0) x = X87Math.neg(x);
                    X87Math.DD sx = X87Math.div(x, X87Math.add(new X87Math.DD(2, 0), x));
                    cases.add(mk(0xF9, cw, new long[]{s | e, sig}, new long[]{16383, X87.J}));
                    exact.add(bd(X87Math.div(X87Math.atanh2K(sx), X87Math.LN2)));
                    resultReg.add(0);
                }
                default -> throw new IllegalArgumentException(op);
            }
        }
        byte[] nat = X87DiffTest.runNative(cases);
        int same = 0, javSame = 0;
        int[] offHits = new int[OFFS.length];
        int[] truncHits = new int[8];
        int[] absHits = new int[16];
        int[] inHits = new int[12];
        int[] hist = new int[20];
        int up = 0, down = 0;
        StringBuilder fr = new StringBuilder();
        for (int i = 0; i < n; i++) {
            ByteBuffer bb = ByteBuffer.wrap(nat).order(ByteOrder.LITTLE_ENDIAN);
            int off = i * X87DiffTest.REC;
            int k = resultReg.get(i);
            long[] h = {bb.getShort(off + 36 + 10 * k) & 0xFFFF, bb.getLong(off + 28 + 10 * k)};
            byte[] jav = X87DiffTest.runJava(cases.get(i));
            ByteBuffer jb = ByteBuffer.wrap(jav).order(ByteOrder.LITTLE_ENDIAN);
            long[] jr = {jb.getShort(36 + 10 * k) & 0xFFFF, jb.getLong(28 + 10 * k)};
            if (jr[0] == h[0] && jr[1] == h[1]) javSame++;
            BigDecimal ex = exact.get(i).abs();
            // position of the exact value in units of the host result's ulp
            int he = (int) (h[0] & 0x7FFF) - 16383 - 63;
            BigDecimal ulp = he >= 0 ? new BigDecimal(BigInteger.TWO.pow(he)) : BigDecimal.ONE.divide(new BigDecimal(BigInteger.TWO.pow(-he)));
            BigDecimal pos = ex.divide(ulp, 40, java.math.RoundingMode.HALF_EVEN);
            BigDecimal hostM = new BigDecimal(new BigInteger(Long.toUnsignedString(h[1])));
            BigDecimal d = hostM.subtract(pos); // host - exact, in ulps
            double dd = d.doubleValue();
            BigDecimal fracPos = pos.subtract(new BigDecimal(pos.toBigInteger()));
            long base = pos.toBigInteger().longValue();
            for (int ci = 0; ci < OFFS.length; ci++) {
                double p2 = fracPos.doubleValue() - OFFS[ci];
                long pred = base + Math.round(Math.floor(p2 + 0.5));
                if (pred == h[1]) offHits[ci]++;
            }
            for (int kk = 0; kk < 8; kk++) {
                // RN64 of the exact value truncated (toward zero) to 65 + k bits
                double sc = Math.scalb(1.0, 1 + kk);
                String md = System.getProperty("mode", "trunc");
                double t = md.equals("trunc") ? Math.floor(fracPos.doubleValue() * sc) / sc
                        : md.equals("up") ? Math.ceil(fracPos.doubleValue() * sc) / sc : Math.rint(fracPos.doubleValue() * sc) / sc;
                long pred = base + (t > 0.5 ? 1 : t < 0.5 ? 0 : (base & 1));
                if (pred == h[1]) truncHits[kk]++;
                else if (65 + kk == Integer.getInteger("showN", 0)) {
                    ByteBuffer ib = ByteBuffer.wrap(cases.get(i).in).order(ByteOrder.LITTLE_ENDIAN);
                    System.out.printf("  N-miss x=%04x:%016x host=%04x:%016x pred=%016x exact=%.25e frac=%.6f%n", ib.getShort(8 + 36) & 0xFFFF, ib.getLong(8 + 28),
                            h[0], h[1], pred, exact.get(i), fracPos.doubleValue());
                }
            }
            for (int A = 0; A < 16; A++) {
                // RN64 of the exact value truncated at the absolute position 2^-(64 + A)
                BigDecimal sc = new BigDecimal(BigInteger.TWO.pow(64 + A));
                BigDecimal t = new BigDecimal(ex.multiply(sc).toBigInteger()).divide(sc);
                BigDecimal pt = t.divide(ulp, 40, java.math.RoundingMode.HALF_EVEN);
                long pred = pt.setScale(0, java.math.RoundingMode.HALF_EVEN).toBigInteger().longValue();
                if (pred == h[1]) absHits[A]++;
            }
            {
                ByteBuffer ib2 = ByteBuffer.wrap(cases.get(i).in).order(ByteOrder.LITTLE_ENDIAN);
                int xe = (ib2.getShort(8 + 36) & 0x7FFF) - 16383;
                for (int K = 0; K < 12; K++) {
                    // RN64 of the exact value truncated at 2^(xe - (62 + K)) (relative to the operand's exponent)
                    int qexp = xe - (62 + K);
                    BigDecimal q = qexp >= 0 ? new BigDecimal(BigInteger.TWO.pow(qexp)) : BigDecimal.ONE.divide(new BigDecimal(BigInteger.TWO.pow(-qexp)));
                    BigDecimal t = new BigDecimal(ex.divide(q, 0, java.math.RoundingMode.FLOOR).toBigInteger()).multiply(q);
                    BigDecimal pt = t.divide(ulp, 40, java.math.RoundingMode.HALF_EVEN);
                    long pred = pt.setScale(0, java.math.RoundingMode.HALF_EVEN).toBigInteger().longValue();
                    if (pred == h[1]) inHits[K]++;
                }
            }
            if (Math.abs(dd) <= 0.5) { same++; continue; }
            if (dd > 0) up++; else down++;
            double dist = Math.abs(dd) - 0.5; // how far beyond a correct rounding
            int b = dist <= 0 ? 0 : Math.min(19, (int) Math.floor(-Math.log(dist) / Math.log(2)));
            hist[b]++;
            ByteBuffer ib = ByteBuffer.wrap(cases.get(i).in).order(ByteOrder.LITTLE_ENDIAN);
            if (fr.length() < 400000) fr.append(String.format("  x=%04x:%016x host=%016x exact-frac=%.6f err=%+.6f%n",
                    ib.getShort(8 + 36) & 0xFFFF, ib.getLong(8 + 28), h[1], pos.remainder(BigDecimal.ONE).doubleValue(), dd));
        }
        System.out.printf("%s rc=%d: %d cases, host correctly rounded %d, java equal %d; host rounds away up=%d down=%d%n", op, rc, n, same, javSame, up, down);
        for (int b = 0; b < 20; b++) if (hist[b] > 0) System.out.printf("  beyond half-ulp by 2^-%d..: %d%n", b, hist[b]);
        StringBuilder o = new StringBuilder("  offset model (RN of exact - c ulp):");
        for (int ci = 0; ci < OFFS.length; ci++) o.append(String.format(" c=%+.4f:%d", OFFS[ci], offHits[ci]));
        System.out.println(o);
        o = new StringBuilder("  truncation model (RN of exact chopped to N bits):");
        for (int k = 0; k < 8; k++) o.append(String.format(" N=%d:%d", 65 + k, truncHits[k]));
        System.out.println(o);
        o = new StringBuilder("  absolute truncation model (RN of exact chopped at 2^-A):");
        for (int k = 0; k < 16; k++) o.append(String.format(" A=%d:%d", 64 + k, absHits[k]));
        System.out.println(o);
        o = new StringBuilder("  operand-relative truncation (chopped at 2^(ex - K)):");
        for (int k = 0; k < 12; k++) o.append(String.format(" K=%d:%d", 62 + k, inHits[k]));
        System.out.println(o);
        if (Boolean.getBoolean("verbose")) System.out.print(fr);
    }
}
