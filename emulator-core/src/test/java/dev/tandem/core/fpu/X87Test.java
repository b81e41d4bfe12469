package dev.tandem.core.fpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Hand-checked bit patterns and the benchmark-guest reproduction. */
class X87Test {
    static final int MEM = 64;

    static void exec(X87 f, TestMem h, int op, int modrm) {
        f.execute(op, modrm, 0, MEM, true, true, 0, 0, 0, h);
    }

    static void fild32(X87 f, TestMem h, int v) {
        h.writeMem32(0, MEM, v);
        exec(f, h, 0xDB, 0x00);
    }

    @Test
    void oneThirdRoundToNearest() {
        X87 f = new X87();
        TestMem h = new TestMem(256);
        exec(f, h, 0xD9, 0xE8); // fld1
        fild32(f, h, 3);
        exec(f, h, 0xDE, 0xF9); // fdivp st1, st0 -> 1/3
        assertEquals(0x3FFD, f.stSE(0));
        assertEquals(0xAAAAAAAAAAAAAAABL, f.stSig(0));
        assertTrue((f.sw & X87.PE) != 0, "inexact");
        assertTrue((f.sw & X87.C1) != 0, "rounded up");
    }

    @Test
    void oneThirdChopAndPrecisionControl() {
        X87 f = new X87();
        TestMem h = new TestMem(256);
        h.writeMem16(0, MEM, 0x0F7F); // chop, 64-bit
        exec(f, h, 0xD9, 0x28);
        exec(f, h, 0xD9, 0xE8);
        fild32(f, h, 3);
        exec(f, h, 0xDE, 0xF9);
        assertEquals(0xAAAAAAAAAAAAAAAAL, f.stSig(0));
        assertFalse((f.sw & X87.C1) != 0);
        h.writeMem16(0, MEM, 0x027F); // nearest, 53-bit
        exec(f, h, 0xD9, 0x28);
        exec(f, h, 0xD9, 0xE8);
        fild32(f, h, 3);
        exec(f, h, 0xDE, 0xF9);
        assertEquals(0xAAAAAAAAAAAAA800L, f.stSig(0)); // 1/3 as a double: ...5555 mantissa
        h.writeMem16(0, MEM, 0x007F); // nearest, 24-bit
        exec(f, h, 0xD9, 0x28);
        exec(f, h, 0xD9, 0xE8);
        fild32(f, h, 3);
        exec(f, h, 0xDE, 0xF9);
        assertEquals(0xAAAAAB0000000000L, f.stSig(0));
    }

    @Test
    void constantsFollowRoundingControl() {
        X87 f = new X87();
        TestMem h = new TestMem(256);
        exec(f, h, 0xD9, 0xEB); // fldpi, nearest
        assertEquals(0x4000, f.stSE(0));
        assertEquals(0xC90FDAA22168C235L, f.stSig(0));
        h.writeMem16(0, MEM, 0x0F7F);
        exec(f, h, 0xD9, 0x28);
        exec(f, h, 0xD9, 0xEB); // chop
        assertEquals(0xC90FDAA22168C234L, f.stSig(0));
        exec(f, h, 0xD9, 0xEA); // fldl2e chop
        assertEquals(0xB8AA3B295C17F0BBL, f.stSig(0));
    }

    @Test
    void stackUnderflowGivesIndefinite() {
        X87 f = new X87();
        TestMem h = new TestMem(256);
        exec(f, h, 0xD8, 0xC1); // fadd st0, st1 on an empty stack
        assertEquals(X87.IE | X87.SF, f.sw & 0x7F);
        assertFalse((f.sw & X87.C1) != 0);
        assertFalse(f.hasPendingUnmaskedException());
        // both registers were empty: ST0 receives the QNaN indefinite
        assertEquals(0xFFFF, f.stSE(0));
        assertEquals(0xC000000000000000L, f.stSig(0));
    }

    @Test
    void fistRoundsWithRcAndFlagsOverflow() {
        X87 f = new X87();
        TestMem h = new TestMem(256);
        exec(f, h, 0xD9, 0xE8);
        exec(f, h, 0xD9, 0xE8);
        exec(f, h, 0xDE, 0xC1); // 2
        exec(f, h, 0xD9, 0xE8);
        exec(f, h, 0xDE, 0xF1); // fdivrp: 1/2 -> 0.5 in ST0
        exec(f, h, 0xDF, 0x10); // fist m16 (nearest even): 0
        assertEquals(0, h.readMem16(0, MEM));
        assertTrue((f.sw & X87.PE) != 0);
        h.writeMem16(0, MEM + 8, 0x0B7F); // round up
        f.execute(0xD9, 0x28, 0, MEM + 8, true, true, 0, 0, 0, h);
        exec(f, h, 0xDF, 0x10);
        assertEquals(1, h.readMem16(0, MEM));
        assertTrue((f.sw & X87.C1) != 0);
    }

    @Test
    void invalidEncodingsAndNonWaiting() {
        assertTrue(X87.isInvalid(0xDB, 0x08)); // FISTTP m32 (SSE3)
        assertTrue(X87.isInvalid(0xDD, 0x08)); // FISTTP m64
        assertTrue(X87.isInvalid(0xDF, 0x08)); // FISTTP m16
        assertTrue(X87.isInvalid(0xD9, 0xD1));
        assertFalse(X87.isInvalid(0xD9, 0xD0)); // FNOP
        assertTrue(X87.isNonWaiting(0xDB, 0xE3));
        assertTrue(X87.isNonWaiting(0xDF, 0xE0));
        assertFalse(X87.isNonWaiting(0xD9, 0x28)); // FLDCW waits
    }

    /**
     * The benchmark guest's x87 loop (make-guest.sh): for i = 1..10^6: s += sqrt(i); s += sin(i);
     * s += 1/i with the default control word, stored as a double. Real hardware gives
     * 0x41c3de44565e021b (also checked natively in X87DiffTest).
     */
    @Test
    void benchmarkGuestLoop() {
        X87 f = new X87();
        TestMem h = new TestMem(256);
        exec(f, h, 0xDB, 0xE3); // finit
        exec(f, h, 0xD9, 0xEE); // fldz
        for (int i = 1; i <= 1_000_000; i++) {
            h.writeMem32(0, MEM, i);
            exec(f, h, 0xDB, 0x00); // fild dword
            exec(f, h, 0xD9, 0xFA); // fsqrt
            exec(f, h, 0xDE, 0xC1); // faddp st1, st0
            exec(f, h, 0xDB, 0x00); // fild dword
            exec(f, h, 0xD9, 0xFE); // fsin
            exec(f, h, 0xDE, 0xC1);
            exec(f, h, 0xD9, 0xE8); // fld1
            exec(f, h, 0xDA, 0x30); // fidiv dword
            exec(f, h, 0xDE, 0xC1);
        }
        exec(f, h, 0xDD, 0x18); // fstp qword
        assertEquals(0x41c3de44565e021bL, h.read64(MEM), () -> Long.toHexString(h.read64(MEM)));
    }
}
