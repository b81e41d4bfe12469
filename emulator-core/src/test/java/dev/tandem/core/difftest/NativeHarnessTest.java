package dev.tandem.core.difftest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Checks the native harness itself against hand-computed results, and the generator against the host. */
class NativeHarnessTest {
    private static NativeHarness nat;

    @BeforeAll
    static void startHarness() {
        nat = DifferentialTest.startOrSkip();
    }

    @AfterAll
    static void stop() throws Exception {
        if (nat != null) nat.close();
    }

    private static TestCase tc(int[] regs, int flags, int rel, int... code) {
        TestCase c = new TestCase(new Form("manual", "manual", (g, x) -> {}));
        System.arraycopy(regs, 0, c.regs, 0, 8);
        c.eflags = flags;
        c.relMask = rel;
        c.code = new byte[code.length];
        for (int i = 0; i < code.length; i++) c.code[i] = (byte) code[i];
        return c;
    }

    @Test
    void knownResults() throws Exception {
        TestCase add = tc(new int[] {0x7FFFFFFF, 0, 0, 1, 0, 0, 0, 0}, 0, 0, 0x01, 0xD8);           // add eax, ebx
        TestCase sub = tc(new int[] {0, 0, 0, 1, 0, 0, 0, 0}, 0x8D5, 0, 0x29, 0xD8);                 // sub eax, ebx
        TestCase div0 = tc(new int[] {100, 0, 7, 0, 0, 0, 0, 0}, 0, 0, 0xF7, 0xF1);                 // div ecx (ecx = 0)
        TestCase load = tc(new int[] {0, 0, 0, 0, 0, 0, 4, 0}, 0, 0x101 << 6, 0x8B, 0x06);              // mov eax, [esi]
        load.scratch[4] = 0x78; load.scratch[5] = 0x56; load.scratch[6] = 0x34; load.scratch[7] = 0x12;
        TestCase stos = tc(new int[] {0x11, 2, 0, 0, 0, 0, 0, 8}, 0x400, 0x101 << 7, 0xF3, 0xAA);        // std; rep stosb
        TestCase ud2 = tc(new int[8], 0, 0, 0x0F, 0x0B);
        Outcome[] o = nat.run(List.of(add, sub, div0, load, stos, ud2));

        assertEquals(-1, o[0].vector);
        assertEquals(0x80000000, o[0].regs[0]);
        assertEquals(0x800 | 0x80 | 0x10 | 0x4, o[0].eflags & UndefinedFlags.ALL, "OF SF AF PF after 7fffffff+1");
        assertEquals(0, o[0].regs[4], "ESP unchanged relative to the stack top");

        assertEquals(-1, o[1].regs[0]);
        assertEquals(0x80 | 0x10 | 0x4 | 0x1, o[1].eflags & UndefinedFlags.ALL, "SF AF PF CF after 0-1, input OF/ZF cleared");

        assertEquals(0, o[2].vector, "div by zero is #DE");
        assertEquals(8, o[2].signal);
        assertEquals(0, o[2].faultEip);
        assertEquals(100, o[2].regs[0]);
        assertEquals(7, o[2].regs[2]);

        assertEquals(0x12345678, o[3].regs[0]);
        assertEquals(4, o[3].regs[6], "ESI reported relative to the scratch base");

        assertEquals(6, o[4].regs[7], "EDI decremented twice");
        assertEquals(0, o[4].regs[1]);
        assertEquals(0x11, o[4].scratch[7]);
        assertEquals(0x11, o[4].scratch[8]);
        assertEquals(0, o[4].scratch[6]);
        assertEquals(0x400, o[4].eflags & 0x400);

        assertEquals(6, o[5].vector, "ud2 is #UD");
    }

    /** Every generated case must run natively without touching memory outside the harness's maps. */
    @Test
    void generatorProducesOnlyExpectedFaultsNatively() throws Exception {
        long seed = DiffTester.seedFromProperty();
        DiffTester.Result r = DiffTester.run(seed, 30_000, f -> true, null, 0);
        DiffTester.report(r, seed, false, System.out);
        assertEquals(30_000, r.cases);
        assertEquals(0, r.unexpectedNativeFaults, "native faults other than #DE:\n" + String.join("\n", r.unexpectedNative));
        assertTrue(r.nativeFaults > 0, "the div/aam forms should produce some #DE cases");
        for (DiffTester.Stat s : r.perForm.values()) assertTrue(s.cases > 0, "form never generated: " + s.form.name());
    }
}
