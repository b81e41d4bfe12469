package dev.tandem.core.difftest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Checks the native harness itself against hand-computed results, and the generator against the host. */
class NativeHarnessTest {
    private static NativeHarness nat;

    /** Per test (surefire does not report tests skipped from a {@code @BeforeAll}); one harness for all. */
    @BeforeEach
    void startHarness() throws Exception {
        if (nat == null) nat = DifferentialTest.start();
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

    /** The fault layout: guard page after the scratch block, read-only page after it, page-fault details from the ucontext. */
    @Test
    void faultLayoutKnownResults() throws Exception {
        TestCase straddle = tc(new int[] {0x11, 0, 0, 0, 0, 0, 0xFE, 0}, 0, 0x101 << 6, 0x8B, 0x06);  // mov eax, [esi]
        TestCase roWrite = tc(new int[] {0x11, 0, 0, 0, 0, 0, TestCase.RO_OFF + 8, 0}, 0, 0x101 << 6, 0x89, 0x06); // mov [esi], eax
        TestCase roRead = tc(new int[] {0x11, 0, 0, 0, 0, 0, TestCase.RO_OFF + 8, 0}, 0, 0x101 << 6, 0x8B, 0x06);
        TestCase last = tc(new int[] {0, 0, 0, 0, 0, 0, 0xFC, 0}, 0, 0x101 << 6, 0x8B, 0x06);
        last.scratch[0xFC] = 0x44; last.scratch[0xFF] = 0x11;
        // rep stosb from scratch+0xFD, 5 bytes: 3 stores complete, the 4th faults at the guard page
        TestCase stos = tc(new int[] {0x5A, 5, 0, 0, 0, 0, 0, 0xFD}, 0, 0x101 << 7, 0xF3, 0xAA);
        for (TestCase c : List.of(straddle, roWrite, roRead, last, stos)) c.faultLayout = true;
        Outcome[] o = nat.run(List.of(straddle, roWrite, roRead, last, stos));

        assertEquals(14, o[0].vector, "straddling read: #PF");
        assertEquals(11, o[0].signal);
        assertEquals(TestCase.GUARD_OFF, o[0].faultAddr, "si_addr is the first byte of the guard page");
        assertEquals(4, o[0].errorCode & 7, "not present, read, user");
        assertEquals(0x11, o[0].regs[0], "EAX unchanged");

        assertEquals(14, o[1].vector);
        assertEquals(TestCase.RO_OFF + 8, o[1].faultAddr);
        assertEquals(7, o[1].errorCode & 7, "present, write, user");

        assertEquals(-1, o[2].vector, "reading the read-only page works");
        assertEquals(0, o[2].regs[0]);

        assertEquals(-1, o[3].vector);
        assertEquals(0x11000044, o[3].regs[0]);

        assertEquals(14, o[4].vector);
        assertEquals(TestCase.GUARD_OFF, o[4].faultAddr);
        assertEquals(6, o[4].errorCode & 7, "not present, write, user");
        assertEquals(2, o[4].regs[1], "ECX after three completed iterations");
        assertEquals(TestCase.GUARD_OFF, o[4].regs[7], "EDI at the faulting element");
        assertEquals(0x5A, o[4].scratch[0xFF]);
        assertEquals(0x5A, o[4].scratch[0xFD]);
    }

    /** Fault-layout forms: natively nothing but #PF and #DE, and every form generated. */
    @Test
    void faultFormsProduceOnlyPageFaultsAndDivideErrorsNatively() throws Exception {
        long seed = DiffTester.seedFromProperty();
        DiffTester.Result r = DiffTester.run(seed, 10_000, f -> true, true, null, 0);
        assertEquals(0, r.unexpectedNativeFaults, "native faults other than #PF/#DE:\n" + String.join("\n", r.unexpectedNative));
        for (DiffTester.Stat s : r.perForm.values()) assertTrue(s.cases > 0, "form never generated: " + s.form.name());
        assertTrue(r.nativeFaults > 3_000 && r.nativeFaults < 9_000, "fault share out of range: " + r.nativeFaults);
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
