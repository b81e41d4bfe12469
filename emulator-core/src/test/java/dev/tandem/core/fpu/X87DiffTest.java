package dev.tandem.core.fpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Differential test against the host CPU's x87: a freestanding 32-bit harness (built here with
 * gcc -m32) executes each instruction natively from an FRSTOR image and returns the FNSAVE image,
 * the memory operand area, EFLAGS and EAX; the same is run through {@link X87} and compared
 * bit-for-bit (the instruction/data pointer fields excepted). The results of the transcendental
 * instructions' approximations differ between CPU vendors: they are checked against
 * {@link X87Reference} (the exact value and the SDM's error bound) on every host, and compared
 * with the host as well only on Intel hosts (the CPU models an Intel P6). See docs/x87.md.
 */
class X87DiffTest {
    static final int REC = 228;
    static final int IMG = 0, MEM = 128, OUT = 256;
    static final boolean LONG = Boolean.getBoolean("tandem.long");
    static final int SHOW_PER_FAMILY = Integer.getInteger("x87.show", 2);
    static final boolean DEBUG_REF = Boolean.getBoolean("x87.debugRef");
    static Path harness;

    /** Builds the native harness on first use (a harness that does not compile fails; no toolchain skips or, with -Dtandem.requireTools, fails). */
    static void assumeHarness() {
        if (harness != null) return;
        try {
            harness = dev.tandem.core.testkit.NativeBuild.build("x87", "x87harness", java.util.List.of("x87harness.c"), java.util.List.of());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    // ---------------------------------------------------------------- case model
    record Fam(String name, int opcode, int[] modrms, int memType, int valueKind) {}

    static final int M_NONE = 0, M_F32 = 1, M_F64 = 2, M_F80 = 3, M_I16 = 4, M_I32 = 5, M_I64 = 6, M_BCD = 7, M_ENV = 8, M_CW = 9, M_SAVE = 10;
    static final int V_ANY = 0, V_TRIG = 1, V_F2XM1 = 2, V_LOG = 3, V_LOGP1 = 4;

    static int[] memForms(int... regs) {
        int[] r = new int[regs.length];
        for (int i = 0; i < regs.length; i++) r[i] = (regs[i] << 3) | 5;
        return r;
    }

    static int[] range(int first, int last) {
        int[] r = new int[last - first + 1];
        for (int i = 0; i < r.length; i++) r[i] = first + i;
        return r;
    }

    static int[] validOnly(int opcode, int[] m) {
        return java.util.Arrays.stream(m).filter(x -> !X87.isInvalid(opcode, x)).toArray();
    }

    static final List<Fam> FAMS = new ArrayList<>();

    static {
        FAMS.add(new Fam("arith m32fp", 0xD8, memForms(0, 1, 4, 5, 6, 7), M_F32, V_ANY));
        FAMS.add(new Fam("arith m64fp", 0xDC, memForms(0, 1, 4, 5, 6, 7), M_F64, V_ANY));
        FAMS.add(new Fam("arith m32int", 0xDA, memForms(0, 1, 4, 5, 6, 7), M_I32, V_ANY));
        FAMS.add(new Fam("arith m16int", 0xDE, memForms(0, 1, 4, 5, 6, 7), M_I16, V_ANY));
        FAMS.add(new Fam("fadd/fmul st", 0xD8, range(0xC0, 0xCF), M_NONE, V_ANY));
        FAMS.add(new Fam("fsub/fdiv st", 0xD8, range(0xE0, 0xFF), M_NONE, V_ANY));
        FAMS.add(new Fam("arith st(i),st", 0xDC, validOnly(0xDC, range(0xC0, 0xFF)), M_NONE, V_ANY));
        FAMS.add(new Fam("arith pop", 0xDE, validOnly(0xDE, range(0xC0, 0xFF)), M_NONE, V_ANY));
        FAMS.add(new Fam("fcom m32/m64", 0xD8, memForms(2, 3), M_F32, V_ANY));
        FAMS.add(new Fam("fcom m64", 0xDC, memForms(2, 3), M_F64, V_ANY));
        FAMS.add(new Fam("ficom m16/m32", 0xDE, memForms(2, 3), M_I16, V_ANY));
        FAMS.add(new Fam("ficom m32", 0xDA, memForms(2, 3), M_I32, V_ANY));
        FAMS.add(new Fam("fcom st", 0xD8, range(0xD0, 0xDF), M_NONE, V_ANY));
        FAMS.add(new Fam("fucom st", 0xDD, range(0xE0, 0xEF), M_NONE, V_ANY));
        FAMS.add(new Fam("fcompp/fucompp", 0xDE, new int[]{0xD9}, M_NONE, V_ANY));
        FAMS.add(new Fam("fucompp", 0xDA, new int[]{0xE9}, M_NONE, V_ANY));
        FAMS.add(new Fam("fcomi/fucomi", 0xDB, range(0xE8, 0xF7), M_NONE, V_ANY));
        FAMS.add(new Fam("fcomip/fucomip", 0xDF, range(0xE8, 0xF7), M_NONE, V_ANY));
        FAMS.add(new Fam("ftst/fxam", 0xD9, new int[]{0xE4, 0xE5}, M_NONE, V_ANY));
        FAMS.add(new Fam("fcmov (DA)", 0xDA, range(0xC0, 0xDF), M_NONE, V_ANY));
        FAMS.add(new Fam("fcmov (DB)", 0xDB, range(0xC0, 0xDF), M_NONE, V_ANY));
        FAMS.add(new Fam("fld m32fp", 0xD9, memForms(0), M_F32, V_ANY));
        FAMS.add(new Fam("fld m64fp", 0xDD, memForms(0), M_F64, V_ANY));
        FAMS.add(new Fam("fld m80fp", 0xDB, memForms(5), M_F80, V_ANY));
        FAMS.add(new Fam("fild m16", 0xDF, memForms(0), M_I16, V_ANY));
        FAMS.add(new Fam("fild m32", 0xDB, memForms(0), M_I32, V_ANY));
        FAMS.add(new Fam("fild m64", 0xDF, memForms(5), M_I64, V_ANY));
        FAMS.add(new Fam("fbld", 0xDF, memForms(4), M_BCD, V_ANY));
        FAMS.add(new Fam("fld st/fxch", 0xD9, range(0xC0, 0xCF), M_NONE, V_ANY));
        FAMS.add(new Fam("fst(p) m32fp", 0xD9, memForms(2, 3), M_NONE, V_ANY));
        FAMS.add(new Fam("fst(p) m64fp", 0xDD, memForms(2, 3), M_NONE, V_ANY));
        FAMS.add(new Fam("fstp m80fp", 0xDB, memForms(7), M_NONE, V_ANY));
        FAMS.add(new Fam("fist(p) m16", 0xDF, memForms(2, 3), M_NONE, V_ANY));
        FAMS.add(new Fam("fist(p) m32", 0xDB, memForms(2, 3), M_NONE, V_ANY));
        FAMS.add(new Fam("fistp m64", 0xDF, memForms(7), M_NONE, V_ANY));
        FAMS.add(new Fam("fbstp", 0xDF, memForms(6), M_NONE, V_ANY));
        FAMS.add(new Fam("fst(p) st/ffree", 0xDD, range(0xC0, 0xDF), M_NONE, V_ANY));
        FAMS.add(new Fam("fstp1/fnop/ffreep/aliases", 0xDF, range(0xC0, 0xDF), M_NONE, V_ANY));
        FAMS.add(new Fam("fchs/fabs/consts", 0xD9, new int[]{0xD0, 0xD8, 0xE0, 0xE1, 0xE8, 0xE9, 0xEA, 0xEB, 0xEC, 0xED, 0xEE, 0xF6, 0xF7}, M_NONE, V_ANY));
        FAMS.add(new Fam("fsqrt", 0xD9, new int[]{0xFA}, M_NONE, V_ANY));
        FAMS.add(new Fam("frndint", 0xD9, new int[]{0xFC}, M_NONE, V_ANY));
        FAMS.add(new Fam("fxtract", 0xD9, new int[]{0xF4}, M_NONE, V_ANY));
        FAMS.add(new Fam("fscale", 0xD9, new int[]{0xFD}, M_NONE, V_ANY));
        FAMS.add(new Fam("fprem", 0xD9, new int[]{0xF8}, M_NONE, V_ANY));
        FAMS.add(new Fam("fprem1", 0xD9, new int[]{0xF5}, M_NONE, V_ANY));
        FAMS.add(new Fam("control", 0xD9, memForms(5, 7), M_CW, V_ANY));
        FAMS.add(new Fam("fnstenv/fldenv", 0xD9, memForms(4, 6), M_ENV, V_ANY));
        FAMS.add(new Fam("fnsave/frstor/fnstsw", 0xDD, memForms(4, 6, 7), M_SAVE, V_ANY));
        FAMS.add(new Fam("fnstsw ax/fnclex/fninit", 0xDB, new int[]{0xE0, 0xE1, 0xE2, 0xE3, 0xE4}, M_NONE, V_ANY));
        FAMS.add(new Fam("fnstsw ax", 0xDF, new int[]{0xE0}, M_NONE, V_ANY));
        FAMS.add(new Fam("fsin", 0xD9, new int[]{0xFE}, M_NONE, V_TRIG));
        FAMS.add(new Fam("fcos", 0xD9, new int[]{0xFF}, M_NONE, V_TRIG));
        FAMS.add(new Fam("fsincos", 0xD9, new int[]{0xFB}, M_NONE, V_TRIG));
        FAMS.add(new Fam("fptan", 0xD9, new int[]{0xF2}, M_NONE, V_TRIG));
        FAMS.add(new Fam("fpatan", 0xD9, new int[]{0xF3}, M_NONE, V_ANY));
        FAMS.add(new Fam("f2xm1", 0xD9, new int[]{0xF0}, M_NONE, V_F2XM1));
        FAMS.add(new Fam("fyl2x", 0xD9, new int[]{0xF1}, M_NONE, V_LOG));
        FAMS.add(new Fam("fyl2xp1", 0xD9, new int[]{0xF9}, M_NONE, V_LOGP1));
    }

    static boolean isTranscendental(Fam f) {
        return f.opcode == 0xD9 && f.modrms.length == 1 && switch (f.modrms[0]) {
            case 0xF0, 0xF1, 0xF2, 0xF3, 0xF9, 0xFB, 0xFE, 0xFF -> true;
            default -> false;
        };
    }

    // ---------------------------------------------------------------- value generation
    static final int BIAS = 0x3FFF;

    /** Random extended value weighted to edge cases: {se, sig}. */
    static long[] ext(Random r, int kind) {
        int s = r.nextBoolean() ? 0x8000 : 0;
        long sig = r.nextLong() | X87.J;
        int pick = r.nextInt(40);
        if (kind == V_TRIG && pick >= 12) {
            int e = BIAS - 3 + r.nextInt(8);
            if (r.nextInt(4) == 0) e = BIAS - 40 + r.nextInt(110);
            return new long[]{s | e, sig};
        }
        if (kind == V_F2XM1 && pick >= 12) return new long[]{s | (BIAS - 1 - r.nextInt(r.nextBoolean() ? 3 : 70)), sig};
        if (kind == V_LOG && pick >= 12) return new long[]{BIAS - 20 + r.nextInt(40), sig};
        if (kind == V_LOGP1 && pick >= 12) return new long[]{s | (BIAS - 2 - r.nextInt(r.nextBoolean() ? 3 : 70)), sig};
        switch (pick) {
            case 0: case 1: return new long[]{s, 0};
            case 2: return new long[]{s | 0x7FFF, X87.J};
            case 3: return new long[]{s | 0x7FFF, X87.J | X87.QBIT | (r.nextLong() >>> 2)};
            case 4: return new long[]{s | 0x7FFF, X87.J | ((r.nextLong() >>> 2) | 1)};
            case 5: return new long[]{0xFFFF, X87.INDEF_SIG};
            case 6: case 7: return new long[]{s, (r.nextLong() >>> 1) >>> r.nextInt(64)};
            case 8: return new long[]{s, X87.J | r.nextLong()}; // pseudo-denormal
            case 9: return new long[]{s | (1 + r.nextInt(0x7FFE)), (r.nextLong() >>> 1) >>> r.nextInt(8)}; // unnormal
            case 10: case 11: return new long[]{s | (1 + r.nextInt(80)), sig};
            case 12: case 13: return new long[]{s | (0x7FFE - r.nextInt(80)), sig};
            case 14: case 15: case 16: {
                long v = r.nextInt(1 << 20) + 1;
                int n = Long.numberOfLeadingZeros(v);
                return new long[]{s | (BIAS + 63 - n), v << n};
            }
            case 17: case 18: case 19: case 20: {
                // near rounding boundaries of 24/53/64-bit precision
                int k = new int[]{40, 11, 1}[r.nextInt(3)];
                long base = sig & (-1L << k);
                long low = switch (r.nextInt(5)) {
                    case 0 -> 1L << (k - 1);
                    case 1 -> (1L << (k - 1)) - 1;
                    case 2 -> (1L << (k - 1)) + 1;
                    case 3 -> (1L << k) - 1;
                    default -> 0;
                };
                if (r.nextInt(4) == 0) base = -1L << k;
                return new long[]{s | (BIAS - 30 + r.nextInt(60)), base | low | (k == 1 && low == 0 ? 0 : 0) | X87.J};
            }
            case 21: return new long[]{s | (BIAS + r.nextInt(3)), X87.J};
            default: return new long[]{s | (BIAS - 64 + r.nextInt(128)), sig};
        }
    }

    static long[] relatedTo(Random r, long[] a) {
        long[] b = a.clone();
        switch (r.nextInt(5)) {
            case 0: b[0] ^= 0x8000; break;
            case 1: b[1] += r.nextInt(5) - 2; break;
            case 2: b[0] = (b[0] & 0x8000) | Math.max(1, Math.min(0x7FFE, (b[0] & 0x7FFF) - r.nextInt(70))); b[0] ^= r.nextInt(2) << 15; break;
            case 3: b[0] ^= 0x8000; b[1] ^= 1L << r.nextInt(12); break;
            default: b[0] = (b[0] & 0x8000) | Math.max(1, Math.min(0x7FFE, (b[0] & 0x7FFF) + r.nextInt(130) - 65)); break;
        }
        if ((b[0] & 0x7FFF) != 0 && (b[0] & 0x7FFF) != 0x7FFF) b[1] |= X87.J;
        return b;
    }

    static int f32(Random r) {
        int s = r.nextBoolean() ? 0x80000000 : 0;
        switch (r.nextInt(14)) {
            case 0: return s;
            case 1: return s | 0x7F800000;
            case 2: return s | 0x7FC00000 | r.nextInt(0x400000);
            case 3: return s | 0x7F800000 | (1 + r.nextInt(0x3FFFFF));
            case 4: case 5: return s | (r.nextInt(0x7FFFFF) >>> r.nextInt(23)) | 1;
            case 6: return s | (r.nextInt(4) << 23) | r.nextInt(0x800000);
            case 7: return s | ((0xFE - r.nextInt(3)) << 23) | r.nextInt(0x800000);
            case 8: return Float.floatToRawIntBits(r.nextInt(2000) - 1000);
            default: return s | ((127 - 40 + r.nextInt(80)) << 23) | r.nextInt(0x800000);
        }
    }

    static long f64(Random r) {
        long s = r.nextBoolean() ? X87.J : 0;
        long m = r.nextLong() & 0xFFFFFFFFFFFFFL;
        switch (r.nextInt(14)) {
            case 0: return s;
            case 1: return s | 0x7FF0000000000000L;
            case 2: return s | 0x7FF8000000000000L | (m >>> 1);
            case 3: return s | 0x7FF0000000000000L | ((m >>> 1) | 1);
            case 4: case 5: return s | (m >>> r.nextInt(52)) | 1;
            case 6: return s | ((long) r.nextInt(4) << 52) | m;
            case 7: return s | ((long) (0x7FE - r.nextInt(3)) << 52) | m;
            case 8: return Double.doubleToRawLongBits(r.nextInt(2000) - 1000);
            default: return s | ((long) (1023 - 70 + r.nextInt(140)) << 52) | m;
        }
    }

    static long intVal(Random r, int bits) {
        long min = -(1L << (bits - 1)), max = (1L << (bits - 1)) - 1;
        switch (r.nextInt(8)) {
            case 0: return 0;
            case 1: return r.nextBoolean() ? min : max;
            case 2: return r.nextInt(21) - 10;
            case 3: return r.nextBoolean() ? min + r.nextInt(3) : max - r.nextInt(3);
            default: return bits == 64 ? r.nextLong() >> r.nextInt(64) : (r.nextLong() >> (64 - bits)) >> r.nextInt(bits);
        }
    }

    // ---------------------------------------------------------------- case building
    static final class Case {
        Fam fam;
        int opcode, modrm;
        byte[] in = new byte[REC];
    }

    static void put16(byte[] b, int o, int v) { b[o] = (byte) v; b[o + 1] = (byte) (v >>> 8); }
    static void put32(byte[] b, int o, int v) { put16(b, o, v); put16(b, o + 2, v >>> 16); }
    static void put64(byte[] b, int o, long v) { put32(b, o, (int) v); put32(b, o + 4, (int) (v >>> 32)); }

    static Case makeCase(Random r, Fam f) {
        Case c = new Case();
        c.fam = f;
        c.opcode = f.opcode;
        c.modrm = f.modrms[r.nextInt(f.modrms.length)];
        byte[] b = c.in;
        put32(b, 0, (f.opcode << 8) | c.modrm);
        put32(b, 4, 2 | (r.nextInt() & 0x8D5));
        int img = 8, mem = 116;
        // control word
        int cw = 0x3F;
        if (r.nextInt(4) == 0) cw = r.nextInt(64);
        int pc = new int[]{0, 2, 3, 3, 3, 1}[r.nextInt(6)];
        cw |= pc << 8 | r.nextInt(4) << 10 | 0x40;
        if (r.nextInt(8) == 0) cw |= r.nextInt(0x10000) & 0xE080;
        int top = r.nextInt(8);
        int sw = (top << 11) | (r.nextInt(16) == 0 ? 0 : (r.nextInt() & (X87.C0 | X87.C1 | X87.C2 | X87.C3)));
        // registers ST0..ST7
        long[][] st = new long[8][];
        boolean[] valid = new boolean[8];
        for (int i = 0; i < 8; i++) {
            double p = i == 0 ? 0.97 : i == 1 ? 0.95 : i == 7 ? 0.3 : 0.85;
            valid[i] = r.nextDouble() < p;
            st[i] = ext(r, f.valueKind);
        }
        if (f.valueKind == V_ANY && r.nextInt(4) == 0) st[1] = relatedTo(r, st[0]);
        if (f.valueKind == V_LOG || f.valueKind == V_LOGP1) st[1] = ext(r, V_ANY);
        int tw = 0;
        for (int i = 0; i < 8; i++) {
            int p = (top + i) & 7;
            int tag = valid[i] ? X87.tagOf((int) st[i][0], st[i][1]) : 3;
            tw |= tag << (2 * p);
        }
        put32(b, img, 0xFFFF0000 | cw);
        put32(b, img + 4, 0xFFFF0000 | sw);
        put32(b, img + 8, 0xFFFF0000 | tw);
        for (int i = 0; i < 8; i++) {
            put64(b, img + 28 + 10 * i, st[i][1]);
            put16(b, img + 28 + 10 * i + 8, (int) st[i][0]);
        }
        // memory operand area: background pattern, then the operand
        for (int i = 0; i < 112; i++) b[mem + i] = (byte) (0xA5 ^ i);
        switch (f.memType) {
            case M_F32: put32(b, mem, f32(r)); break;
            case M_F64: put64(b, mem, f64(r)); break;
            case M_F80: { long[] v = ext(r, V_ANY); put64(b, mem, v[1]); put16(b, mem + 8, (int) v[0]); break; }
            case M_I16: put16(b, mem, (int) intVal(r, 16)); break;
            case M_I32: put32(b, mem, (int) intVal(r, 32)); break;
            case M_I64: put64(b, mem, intVal(r, 64)); break;
            case M_BCD: {
                long d = 0;
                int nd = r.nextInt(19);
                for (int i = 0; i < nd; i++) d |= (long) r.nextInt(10) << (4 * i);
                put64(b, mem, d);
                put16(b, mem + 8, r.nextBoolean() ? 0x8000 : 0);
                break;
            }
            case M_CW: put16(b, mem, r.nextInt(8) == 0 ? r.nextInt(0x10000) : (0x3F | r.nextInt(0x1000) & 0xF00 | 0x40)); break;
            case M_ENV: case M_SAVE: {
                // a plausible environment (exceptions masked so nothing is pending), then random registers
                int ecw = 0x7F | (r.nextInt(0x1000) & 0xF00) | (r.nextInt(4) == 0 ? (r.nextInt(0x10000) & 0xE080) : 0);
                int esw = (r.nextInt(0x10000) & 0x7F7F);
                int etw = r.nextInt(0x10000);
                put32(b, mem, 0xFFFF0000 | ecw);
                put32(b, mem + 4, 0xFFFF0000 | esw);
                put32(b, mem + 8, 0xFFFF0000 | etw);
                for (int i = 12; i < 28; i += 4) put32(b, mem + i, r.nextInt());
                for (int i = 0; i < 8; i++) {
                    long[] v = ext(r, V_ANY);
                    put64(b, mem + 28 + 10 * i, v[1]);
                    put16(b, mem + 36 + 10 * i, (int) v[0]);
                }
                break;
            }
            default: break;
        }
        return c;
    }

    // ---------------------------------------------------------------- running
    static byte[] runNative(List<Case> cases) throws Exception {
        Path in = Files.createTempFile("x87in", ".bin"), out = Files.createTempFile("x87out", ".bin");
        try {
            byte[] all = new byte[cases.size() * REC];
            for (int i = 0; i < cases.size(); i++) System.arraycopy(cases.get(i).in, 0, all, i * REC, REC);
            Files.write(in, all);
            Process p = new ProcessBuilder(harness.toString()).redirectInput(in.toFile()).redirectOutput(out.toFile())
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start();
            assertTrue(p.waitFor(600, TimeUnit.SECONDS), "harness timed out");
            assertEquals(0, p.exitValue(), "harness exit status");
            byte[] res = Files.readAllBytes(out);
            assertEquals(all.length, res.length, "harness output size");
            return res;
        } finally {
            Files.deleteIfExists(in);
            Files.deleteIfExists(out);
        }
    }

    /** Runs one case through the Java FPU; returns the same 228-byte layout as the harness. */
    static byte[] runJava(Case c) {
        TestMem h = new TestMem(512);
        System.arraycopy(c.in, 8, h.m, IMG, 108);
        System.arraycopy(c.in, 116, h.m, MEM, 112);
        ByteBuffer bb = ByteBuffer.wrap(c.in).order(ByteOrder.LITTLE_ENDIAN);
        h.eflags = bb.getInt(4);
        h.eax = 0xAAAA5555;
        X87 f = new X87();
        f.execute(0xDD, 0x20, 0, IMG, true, true, 0, 0, 0, h); // FRSTOR
        int modrm = c.modrm;
        boolean mem = modrm < 0xC0;
        f.execute(c.opcode, mem ? (modrm & 0x38) : modrm, 0, MEM, true, true, 0x1000, 0x23, 0x2B, h);
        f.execute(0xDD, 0x30, 0, OUT, true, true, 0, 0, 0, h); // FNSAVE
        byte[] r = new byte[REC];
        System.arraycopy(h.m, OUT, r, 0, 108);
        System.arraycopy(h.m, MEM, r, 108, 112);
        put32(r, 220, h.eflags);
        put32(r, 224, h.eax);
        return r;
    }

    static final int[] IGNORE_IMG = range(12, 27);

    /** 0 = equal, 1 = transcendental within one ulp and C1 (the Intel-host one-ulp class), 2 = mismatch. */
    static int compare(Case c, byte[] nat, int off, byte[] jav) {
        boolean diff = false, onlyUlp = true;
        for (int i = 0; i < 108; i++) {
            if (i >= 12 && i < 28) continue;
            if (nat[off + i] != jav[i]) diff = true;
        }
        boolean memForm = c.modrm < 0xC0;
        boolean envStore = memForm && ((c.opcode == 0xD9 && (c.modrm >> 3 & 7) == 6) || (c.opcode == 0xDD && (c.modrm >> 3 & 7) == 6));
        for (int i = 0; i < 112; i++) {
            if (envStore && i >= 12 && i < 28) continue;
            if (nat[off + 108 + i] != jav[108 + i]) { diff = true; onlyUlp = false; }
        }
        ByteBuffer n = ByteBuffer.wrap(nat).order(ByteOrder.LITTLE_ENDIAN), j = ByteBuffer.wrap(jav).order(ByteOrder.LITTLE_ENDIAN);
        if ((n.getInt(off + 220) & 0x8D5) != (j.getInt(220) & 0x8D5)) { diff = true; onlyUlp = false; }
        if (c.opcode == 0xDF && c.modrm == 0xE0 || c.opcode == 0xDB && c.modrm == 0xE0) {
            if (n.getInt(off + 224) != j.getInt(224)) { diff = true; onlyUlp = false; }
        }
        if (!diff) return 0;
        if (!isTranscendental(c.fam) || !onlyUlp) return 2;
        // transcendental: allowed to differ only in C1 and in register significands by one ulp
        for (int i = 0; i < 12; i++) {
            int m = (i == 5) ? ~0x02 : 0xFF; // byte 5 = SW high byte, bit 1 = C1
            if (((nat[off + i] ^ jav[i]) & m) != 0) return 2;
        }
        for (int k = 0; k < 8; k++) {
            long sn = n.getLong(off + 28 + 10 * k), sj = j.getLong(28 + 10 * k);
            int en = n.getShort(off + 36 + 10 * k) & 0xFFFF, ej = j.getShort(36 + 10 * k) & 0xFFFF;
            if (sn == sj && en == ej) continue;
            if (en != ej) {
                // adjacent across a binade: 1.000.. vs 0.1111..
                boolean adj = (en == ej + 1 && sn == X87.J && sj == -1L) || (ej == en + 1 && sj == X87.J && sn == -1L);
                if (!adj) return 2;
            } else if (Math.abs(sn - sj) != 1) {
                return 2;
            }
        }
        return 1;
    }

    /** True if the register contents (bytes 28..107 of the FNSAVE image) are identical. */
    static boolean sameRegisters(byte[] nat, int off, byte[] jav) {
        for (int i = 28; i < 108; i++) if (nat[off + i] != jav[i]) return false;
        return true;
    }

    static String hex(byte[] b, int off, int len) {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < len; i++) s.append(String.format("%02x", b[off + i]));
        return s.toString();
    }

    static String regs(byte[] b, int off) {
        StringBuilder s = new StringBuilder();
        ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        s.append(String.format("cw=%04x sw=%04x tw=%04x", bb.getShort(off) & 0xFFFF, bb.getShort(off + 4) & 0xFFFF, bb.getShort(off + 8) & 0xFFFF));
        for (int i = 0; i < 8; i++) s.append(String.format(" st%d=%04x:%016x", i, bb.getShort(off + 36 + 10 * i) & 0xFFFF, bb.getLong(off + 28 + 10 * i)));
        return s.toString();
    }

    // ---------------------------------------------------------------- host vendor
    enum Vendor { INTEL, AMD, OTHER }

    /** The host CPU's vendor (CPUID vendor string via /proc/cpuinfo): decides only what is additionally compared with the host. */
    static final Vendor HOST = detectVendor();

    /**
     * The host's vendor. {@code -Dx87.assumeIntelHost=true} runs the Intel-host comparisons on any
     * host (they only add checks, so this can only make the test stricter; on a non-Intel host it
     * shows how far that host's transcendentals are from the emulator's).
     */
    static Vendor detectVendor() {
        if (Boolean.getBoolean("x87.assumeIntelHost")) return Vendor.INTEL;
        try {
            for (String l : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (!l.startsWith("vendor_id")) continue;
                if (l.contains("GenuineIntel")) return Vendor.INTEL;
                if (l.contains("AuthenticAMD")) return Vendor.AMD;
                return Vendor.OTHER;
            }
        } catch (IOException e) {
            // not Linux: no vendor-specific comparison
        }
        return Vendor.OTHER;
    }

    // ---------------------------------------------------------------- transcendental checks
    static int u16(byte[] b, int o) { return (b[o] & 0xFF) | (b[o + 1] & 0xFF) << 8; }

    static long u64(byte[] b, int o) { return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getLong(o); }

    /** Per-operation figures of the transcendental checks. */
    static final class TransStats {
        int cases, results, outOfDomain, cr, notCr, beyond, c1Differs;
        double maxErrNearest, maxErrDirected;
        int hostResults, hostCr, hostNotCr, hostBeyond, hostDiffers;
        double hostMaxErrNearest, hostMaxErrDirected;
        int hostMismatch, intelOneUlp;
        int stackFaults, underflowFullStack;
    }

    /** The approximated results of a transcendental case, from its input image. */
    static List<X87Reference.Expected> expectedOf(Case c) {
        int cw = u16(c.in, 8), sw = u16(c.in, 12), tw = u16(c.in, 16);
        int top = (sw >> 11) & 7;
        int[] se = new int[8];
        long[] sig = new long[8];
        boolean[] empty = new boolean[8];
        for (int i = 0; i < 8; i++) {
            se[i] = u16(c.in, 8 + 36 + 10 * i);
            sig[i] = u64(c.in, 8 + 28 + 10 * i);
            empty[i] = ((tw >> (2 * ((top + i) & 7))) & 3) == 3;
        }
        return X87Reference.expected(c.modrm, cw, se, sig, empty);
    }

    /**
     * The stack fault of a transcendental case: -1 underflow (a source register empty), +1 overflow
     * (FPTAN/FSINCOS with ST7 in use and a valid ST0), 0 none.
     */
    static int stackFault(Case c) {
        int sw = u16(c.in, 12), tw = u16(c.in, 16);
        int top = (sw >> 11) & 7;
        boolean st0Empty = ((tw >> (2 * top)) & 3) == 3, st1Empty = ((tw >> (2 * ((top + 1) & 7))) & 3) == 3;
        boolean st7Empty = ((tw >> (2 * ((top + 7) & 7))) & 3) == 3;
        boolean twoOperands = c.modrm == 0xF1 || c.modrm == 0xF3 || c.modrm == 0xF9;
        if (st0Empty || (twoOperands && st1Empty)) return -1;
        if ((c.modrm == 0xF2 || c.modrm == 0xFB) && !st7Empty) return 1;
        return 0;
    }

    /**
     * FPREM/FPREM1 with a denormal (or pseudo-denormal) ST(0), an infinite ST(1) and underflow
     * unmasked. The SDM's result table gives ST(0) itself as the result; the Intel host returned it
     * unchanged with DE only, while the AMD host treats it as a tiny result (UE, exponent wrapped).
     */
    static boolean isFpremDenormalByInfinity(Case c) {
        if (c.opcode != 0xD9 || (c.modrm != 0xF8 && c.modrm != 0xF5)) return false;
        int cw = u16(c.in, 8), sw = u16(c.in, 12), tw = u16(c.in, 16);
        int top = (sw >> 11) & 7;
        if (((tw >> (2 * top)) & 3) == 3 || ((tw >> (2 * ((top + 1) & 7))) & 3) == 3) return false;
        int se0 = u16(c.in, 8 + 36), se1 = u16(c.in, 8 + 46);
        long sig0 = u64(c.in, 8 + 28), sig1 = u64(c.in, 8 + 38);
        return X87.classify(se0, sig0) == X87.K_DENORMAL && X87.classify(se1, sig1) == X87.K_INF && (cw & X87.UE) == 0;
    }

    /**
     * The expectation for {@link #isFpremDenormalByInfinity}, from the SDM's FPREM/FPREM1 result table
     * (the result is ST(0) itself) and what the Intel host did (docs/x87.md): DE reported, no UE and
     * no exponent wrap. With DE masked the remainder is ST(0) with quotient 0 and the reduction
     * complete (C0 = C1 = C2 = C3 = 0; a pseudo-denormal is written back in its normal encoding,
     * exponent field 1); with DE unmasked nothing is written, ES and B are set, C1 = C2 = 0 and C0/C3
     * are kept (as for every unmasked operand exception). Null if met.
     */
    static String fpremDenormalByInfinityExpectation(Case c, byte[] jav) {
        int cw = u16(c.in, 8), swIn = u16(c.in, 12);
        int se0 = u16(c.in, 8 + 36);
        long sig0 = u64(c.in, 8 + 28);
        boolean deMasked = (cw & X87.DE) != 0;
        int expSE = deMasked && sig0 < 0 ? (se0 & 0x8000) | 1 : se0;
        int cc = deMasked ? X87.C0 | X87.C1 | X87.C2 | X87.C3 : X87.C1 | X87.C2;
        int expSW = (swIn & ~cc) | X87.DE | (deMasked ? 0 : X87.ES | X87.BUSY);
        if (u16(jav, 4) != expSW) return String.format("status word %04x, expected %04x", u16(jav, 4), expSW);
        if (u16(jav, 36) != expSE || u64(jav, 28) != sig0) return "ST(0) changed";
        for (int i = 1; i < 8; i++) {
            for (int k = 0; k < 10; k++) if (jav[28 + 10 * i + k] != c.in[8 + 28 + 10 * i + k]) return "ST(" + i + ") changed";
        }
        if (u16(jav, 0) != cw) return "control word changed";
        return null;
    }

    /** The stack position whose rounding C1 reports: FPTAN the tangent (ST1), FSINCOS the cosine (ST0), else ST0. */
    static int c1Position(Case c) {
        return c.modrm == 0xF2 ? 1 : 0;
    }

    /**
     * Checks every approximated result of the emulator (image at jav[0..]) against the reference
     * (all hosts) and judges the host's results too (for the report). Returns the stack positions
     * of the approximated results.
     */
    static boolean[] checkAgainstReference(Case c, List<X87Reference.Expected> exp, byte[] nat, int off, byte[] jav, TransStats st, List<String> failures) {
        boolean[] masked = new boolean[8];
        int cw = u16(c.in, 8);
        int rc = (cw >> 10) & 3;
        int swJ = u16(jav, 4), swN = u16(nat, off + 4);
        for (X87Reference.Expected e : exp) {
            st.results++;
            if (!e.inDomain) st.outOfDomain++;
            if (e.approx) masked[e.st] = true;
            int fse = u16(jav, 36 + 10 * e.st);
            long fsig = u64(jav, 28 + 10 * e.st);
            X87Reference.Verdict v = X87Reference.judge(e, rc, fse, fsig,
                    (swJ & X87.UE) != 0 && (cw & X87.UE) == 0, (swJ & X87.OE) != 0 && (cw & X87.OE) == 0);
            if (rc == X87.RC_NEAREST) st.maxErrNearest = Math.max(st.maxErrNearest, v.errUlps());
            else st.maxErrDirected = Math.max(st.maxErrDirected, v.errUlps());
            if (v.correctlyRounded()) st.cr++;
            else if (v.withinBound()) st.notCr++;
            else {
                st.beyond++;
                failures.add(String.format("%s %s: emulator %04x:%016x, correctly rounded %04x:%016x, error %.3f ulp (bound %.2f), rc=%d%n  in : %s",
                        c.fam.name, X87Reference.FN_NAMES[e.fn], fse, fsig, v.correct().se(), v.correct().sig(), v.errUlps(), v.bound(), rc, regs(c.in, 8)));
            }
            if (e.st == c1Position(c) && ((swJ & X87.C1) != 0) != v.roundedUp()) st.c1Differs++;
            // the host's result, judged the same way (reported, not asserted: the host is not the truth)
            int hse = u16(nat, off + 36 + 10 * e.st);
            long hsig = u64(nat, off + 28 + 10 * e.st);
            X87Reference.Verdict h = X87Reference.judge(e, rc, hse, hsig,
                    (swN & X87.UE) != 0 && (cw & X87.UE) == 0, (swN & X87.OE) != 0 && (cw & X87.OE) == 0);
            st.hostResults++;
            if (rc == X87.RC_NEAREST) st.hostMaxErrNearest = Math.max(st.hostMaxErrNearest, h.errUlps());
            else st.hostMaxErrDirected = Math.max(st.hostMaxErrDirected, h.errUlps());
            if (h.correctlyRounded()) st.hostCr++;
            else if (h.withinBound()) st.hostNotCr++;
            else st.hostBeyond++;
            if (DEBUG_REF && (!h.withinBound() || !v.correctlyRounded())) {
                System.out.printf("REF %s %s rc=%d emu %04x:%016x err %.3f | host %04x:%016x err %.3f | CR %04x:%016x swJ=%04x swN=%04x%n  in : %s%n",
                        c.fam.name, X87Reference.FN_NAMES[e.fn], rc, fse, fsig, v.errUlps(), hse, hsig, h.errUlps(), v.correct().se(), v.correct().sig(), swJ, swN, regs(c.in, 8));
            }
            if (hse != fse || hsig != fsig) st.hostDiffers++;
        }
        return masked;
    }

    /** True if every register that differs from the host's holds one of the expected (computed) results. */
    static boolean onlyResultRegistersDiffer(byte[] nat, int off, byte[] jav, List<X87Reference.Expected> exp) {
        boolean[] pos = new boolean[8];
        for (X87Reference.Expected e : exp) pos[e.st] = true;
        for (int i = 0; i < 8; i++) {
            if (pos[i]) continue;
            for (int k = 28 + 10 * i; k < 38 + 10 * i; k++) if (nat[off + k] != jav[k]) return false;
        }
        return !exp.isEmpty();
    }

    /**
     * Host comparison of a transcendental case on a host whose transcendental results may differ
     * from Intel's: everything bit for bit except the approximated results (their registers and
     * tags) and, when there are any, C1 (it reports the rounding of the approximation). The host's
     * approximated results must still be finite and of the same sign as the emulator's.
     */
    static boolean sameExceptApproximations(byte[] nat, int off, byte[] jav, boolean[] masked) {
        boolean any = false;
        for (boolean m : masked) any |= m;
        for (int i = 0; i < 12; i++) {
            if (i == 4 || i == 5 || i == 8 || i == 9) continue;
            if (nat[off + i] != jav[i]) return false;
        }
        int swN = u16(nat, off + 4), swJ = u16(jav, 4);
        int swMask = any ? ~X87.C1 & 0xFFFF : 0xFFFF;
        if ((swN & swMask) != (swJ & swMask)) return false;
        int top = (swJ >> 11) & 7;
        int twMask = 0xFFFF;
        for (int i = 0; i < 8; i++) if (masked[i]) twMask &= ~(3 << (2 * ((top + i) & 7)));
        if ((u16(nat, off + 8) & twMask) != (u16(jav, 8) & twMask)) return false;
        for (int i = 0; i < 8; i++) {
            int o = 28 + 10 * i;
            if (masked[i]) {
                int hse = u16(nat, off + o + 8), jse = u16(jav, o + 8);
                if ((hse & 0x7FFF) == 0x7FFF || (jse & 0x7FFF) == 0x7FFF) {
                    for (int k = 0; k < 10; k++) if (nat[off + o + k] != jav[o + k]) return false;
                } else if ((hse & 0x8000) != (jse & 0x8000)) {
                    return false;
                }
                continue;
            }
            for (int k = 0; k < 10; k++) if (nat[off + o + k] != jav[o + k]) return false;
        }
        for (int i = 108; i < 220; i++) if (nat[off + i] != jav[i]) return false;
        return (u16(nat, off + 220) & 0x8D5) == (u16(jav, 220) & 0x8D5);
    }

    /** Measured bounds of one run: per transcendental family {emulator not correctly rounded, emulator C1 != rounded up, Intel host one-ulp class}. */
    record Bounds(Map<String, int[]> perFamily) {
    }

    static void runSuite(int casesPerFam, long seed, Bounds bounds) throws Exception {
        Random r = new Random(seed);
        List<Case> cases = new ArrayList<>();
        for (Fam f : FAMS) {
            int n = isTranscendental(f) ? casesPerFam / 2 : casesPerFam;
            for (int i = 0; i < n; i++) cases.add(makeCase(r, f));
        }
        byte[] nat = runNative(cases);
        Map<String, int[]> table = new LinkedHashMap<>();
        Map<String, TransStats> trans = new LinkedHashMap<>();
        List<String> failures = new ArrayList<>();
        int[] vendorCases = new int[2];
        int badTotal = 0, badTrans = 0;
        for (int i = 0; i < cases.size(); i++) {
            Case c = cases.get(i);
            byte[] jav = runJava(c);
            int off = i * REC;
            int[] row = table.computeIfAbsent(c.fam.name, k -> new int[4]);
            row[0]++;
            boolean bad;
            if (!isTranscendental(c.fam)) {
                if (isFpremDenormalByInfinity(c)) {
                    // vendor-specific: checked against the SDM-derived expectation on every host, with the host only on Intel
                    vendorCases[0]++;
                    String why = fpremDenormalByInfinityExpectation(c, jav);
                    if (why != null) failures.add(c.fam.name + ": " + why + "\n  in : " + regs(c.in, 8) + "\n  jav: " + regs(jav, 0));
                    if (compare(c, nat, off, jav) != 0) vendorCases[1]++;
                    bad = HOST == Vendor.INTEL && compare(c, nat, off, jav) != 0;
                } else {
                    bad = compare(c, nat, off, jav) != 0;
                }
            } else {
                TransStats ts = trans.computeIfAbsent(c.fam.name, k -> new TransStats());
                ts.cases++;
                List<X87Reference.Expected> exp = expectedOf(c);
                boolean[] masked = checkAgainstReference(c, exp, nat, off, jav, ts, failures);
                int fault = stackFault(c);
                if (fault < 0 && (c.modrm == 0xF2 || c.modrm == 0xFB) && ((u16(c.in, 16) >> (2 * ((((u16(c.in, 12) >> 11) & 7) + 7) & 7))) & 3) != 3) {
                    ts.underflowFullStack++;
                }
                if (fault != 0) {
                    // SDM: C1 = 0 after a stack underflow, 1 after a stack overflow (checked here because the
                    // Intel-host comparison below tolerates C1 differences)
                    ts.stackFaults++;
                    boolean c1 = (u16(jav, 4) & X87.C1) != 0;
                    if (c1 != (fault > 0)) failures.add(String.format("%s: C1 = %d after a stack %s (SDM: %d)%n  in : %s",
                            c.fam.name, c1 ? 1 : 0, fault > 0 ? "overflow" : "underflow", fault > 0 ? 1 : 0, regs(c.in, 8)));
                }
                if (HOST == Vendor.INTEL) {
                    // the host is the truth: an exact one-ulp difference (and C1) is tolerated, and counted, only
                    // where the instruction computes an approximation; everything else bit for bit
                    int res = compare(c, nat, off, jav);
                    if (res == 1 && !onlyResultRegistersDiffer(nat, off, jav, exp)) res = 2;
                    if (res == 1) { ts.intelOneUlp++; row[2]++; }
                    bad = res == 2;
                } else {
                    bad = !sameExceptApproximations(nat, off, jav, masked);
                }
                if (bad) ts.hostMismatch++;
            }
            if (bad) {
                row[1]++;
                if (!sameRegisters(nat, off, jav)) row[3]++;
                badTotal++;
                if (isTranscendental(c.fam)) badTrans++;
                if (row[1] <= SHOW_PER_FAMILY) {
                    System.out.printf("MISMATCH %s %02X %02X eflags=%08x%n  in : %s mem=%s%n  hw : %s mem=%s ef=%08x ax=%08x%n  jav: %s mem=%s ef=%08x ax=%08x%n",
                            c.fam.name, c.opcode, c.modrm, ByteBuffer.wrap(c.in).order(ByteOrder.LITTLE_ENDIAN).getInt(4),
                            regs(c.in, 8), hex(c.in, 116, 16),
                            regs(nat, off), hex(nat, off + 108, 16), ByteBuffer.wrap(nat).order(ByteOrder.LITTLE_ENDIAN).getInt(off + 220),
                            ByteBuffer.wrap(nat).order(ByteOrder.LITTLE_ENDIAN).getInt(off + 224),
                            regs(jav, 0), hex(jav, 108, 16), ByteBuffer.wrap(jav).order(ByteOrder.LITTLE_ENDIAN).getInt(220),
                            ByteBuffer.wrap(jav).order(ByteOrder.LITTLE_ENDIAN).getInt(224));
                }
            }
        }
        System.out.printf("host vendor: %s (%s)%n", HOST, HOST == Vendor.INTEL
                ? "transcendental results compared with the host too, one-ulp class counted"
                : "transcendental approximations checked against the reference only; all else bit for bit with the host");
        System.out.printf("%-28s %8s %10s %14s %14s%n", "operation", "cases", "mismatches", "1-ulp (Intel)", "(regs differ)");
        for (Map.Entry<String, int[]> e : table.entrySet()) {
            System.out.printf("%-28s %8d %10d %14d %14d%n", e.getKey(), e.getValue()[0], e.getValue()[1], e.getValue()[2], e.getValue()[3]);
        }
        System.out.printf("%-28s %8d %10d%n", "TOTAL", cases.size(), badTotal);
        System.out.printf("%nTranscendental results against the reference (SDM bound: < 1 ulp nearest, < 1.5 directed, FYL2X(P1) y != 1: < 1.35 nearest)%n");
        System.out.printf("%-10s %6s %6s %7s %6s %6s %6s %7s %6s %6s %6s | %6s %6s %6s %6s %6s %8s%n", "op", "cases", "stackf", "results", "undef", "CR", "1ulp", "beyond", "C1!=", "errRN", "errDir",
                "hostCR", "h1ulp", "hbeynd", "hErrRN", "hErrDr", "host!=emu");
        for (Map.Entry<String, TransStats> e : trans.entrySet()) {
            TransStats t = e.getValue();
            System.out.printf("%-10s %6d %6d %7d %6d %6d %6d %7d %6d %6.3f %6.3f | %6d %6d %6d %6.3f %6.3f %8d%n", e.getKey(), t.cases, t.stackFaults, t.results, t.outOfDomain, t.cr, t.notCr, t.beyond,
                    t.c1Differs, t.maxErrNearest, t.maxErrDirected, t.hostCr, t.hostNotCr, t.hostBeyond, t.hostMaxErrNearest, t.hostMaxErrDirected, t.hostDiffers);
        }
        System.out.printf("FPREM/FPREM1 of a denormal by an infinity with UE unmasked (vendor-specific): %d cases, checked against the SDM;"
                + " the host differed in %d%n", vendorCases[0], vendorCases[1]);
        for (Map.Entry<String, TransStats> e : trans.entrySet()) {
            if (e.getValue().underflowFullStack > 0) System.out.printf("%s: %d stack underflows with ST7 in use%n", e.getKey(), e.getValue().underflowFullStack);
        }
        for (String f : failures.subList(0, Math.min(failures.size(), 20))) System.out.println("FAILED " + f);
        System.out.printf("basic arithmetic/compare/conversion/sqrt/control mismatches: %d; transcendental host mismatches: %d; results beyond the SDM bound: %d%n",
                badTotal - badTrans, badTrans, failures.size());
        assertEquals(0, badTotal - badTrans, "x87 differential mismatches outside the transcendentals (see table)");
        assertEquals(0, badTrans, "transcendental mismatches with the host outside the approximated results (see table)");
        assertEquals(List.of(), failures, "transcendental results beyond the SDM's error bound, or SDM-defined flags wrong");
        // tight bounds near the measured figures (deterministic: fixed seed, host-independent except the Intel column)
        List<String> over = new ArrayList<>();
        for (Map.Entry<String, TransStats> e : trans.entrySet()) {
            int[] b = bounds.perFamily().get(e.getKey());
            TransStats t = e.getValue();
            if (b == null) { over.add(e.getKey() + ": no recorded bound"); continue; }
            if (t.notCr > b[0]) over.add(String.format("%s: %d results not correctly rounded (bound %d)", e.getKey(), t.notCr, b[0]));
            if (t.c1Differs > b[1]) over.add(String.format("%s: C1 differs from 'rounded up' %d times (bound %d)", e.getKey(), t.c1Differs, b[1]));
            if (HOST == Vendor.INTEL && t.intelOneUlp > b[2]) over.add(String.format("%s: %d results one ulp from the Intel host (bound %d)", e.getKey(), t.intelOneUlp, b[2]));
        }
        assertEquals(List.of(), over, "transcendental figures above their recorded bounds (docs/x87.md)");
    }

    /*
     * Bounds per family: {emulator results not correctly rounded, emulator C1 != "rounded up",
     * results one ulp from the Intel host}. The first two are host-independent (fixed seed, pure
     * Java) and are the figures measured with the reference; the third applies only on Intel hosts:
     * the one-ulp counts measured on the Intel Xeon host that this suite was written on (recorded in
     * docs/x87.md before this change), plus, for FPTAN/FSINCOS, the stack underflows with ST7 in use
     * whose C1 the emulator now leaves at 0 (quick 6 / 3, long 49 / 52), since the old comparison
     * tolerated a C1 difference there and it is not known which value that host gave.
     */
    static final Bounds QUICK_BOUNDS = new Bounds(Map.of(
            "fsin", new int[]{23, 43, 11},
            "fcos", new int[]{34, 50, 19},
            "fsincos", new int[]{39, 31, 20 + 3},
            "fptan", new int[]{8, 0, 24 + 6},
            "fpatan", new int[]{0, 0, 16},
            "f2xm1", new int[]{8, 0, 36},
            "fyl2x", new int[]{18, 15, 0},
            "fyl2xp1", new int[]{17, 5, 14}));

    static final Bounds LONG_BOUNDS = new Bounds(Map.of(
            "fsin", new int[]{319, 483, 158},
            "fcos", new int[]{288, 455, 179},
            "fsincos", new int[]{441, 348, 207 + 52},
            "fptan", new int[]{104, 0, 227 + 49},
            "fpatan", new int[]{3, 6, 128},
            "f2xm1", new int[]{79, 0, 315},
            "fyl2x", new int[]{172, 101, 10},
            "fyl2xp1", new int[]{193, 93, 128}));

    @Test
    void quickDifferential() throws Exception {
        assumeHarness();
        runSuite(1000, 0x5EED_87L, QUICK_BOUNDS);
    }

    @Test
    void longDifferential() throws Exception {
        Assumptions.assumeTrue(LONG, "long run only with -Dtandem.long=true");
        assumeHarness();
        runSuite(10000, 0xB16_87L, LONG_BOUNDS);
    }

    /** The benchmark guest's x87 loop, natively: must give the known real-hardware result. */
    @Test
    void benchmarkLoopNative() throws Exception {
        assumeHarness();
        Case c = new Case();
        put32(c.in, 0, 0xFFFFFFFF);
        byte[] out = runNative(List.of(c));
        long bits = ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN).getLong(108);
        assertEquals(0x41c3de44565e021bL, bits, () -> "native result " + Long.toHexString(bits));
    }
}
