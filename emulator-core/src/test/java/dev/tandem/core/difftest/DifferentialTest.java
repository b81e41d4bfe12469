package dev.tandem.core.difftest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.api.Test;
import org.opentest4j.TestAbortedException;

/**
 * Runs generated cases on the host CPU and in the emulator and fails on any mismatch in a
 * defined result. Quick: 100,000 cases plus 30,000 fault-layout cases ({@link FaultForms}). Long
 * (-Dtandem.long=true): 5,000,000 plus 1,000,000.
 * Seed: -Dtandem.difftest.seed (printed). Form filter: -Dtandem.difftest.filter (substring of a
 * form name, or a category). Every form's line: -Dtandem.difftest.perform=true.
 */
class DifferentialTest {

    /** Starts the native harness, or skips the calling test with the reason it cannot run here. */
    static NativeHarness startOrSkip() {
        String os = System.getProperty("os.name", "") + "/" + System.getProperty("os.arch", "");
        assumeTrue(os.startsWith("Linux/") && (os.endsWith("amd64") || os.endsWith("x86_64") || os.endsWith("x86")),
            "the native harness needs x86 Linux, this is " + os);
        try {
            return NativeHarness.start();
        } catch (Exception e) {
            throw new TestAbortedException("native harness unavailable (gcc -m32 build or 32-bit execution failed): " + e.getMessage(), e);
        }
    }

    private static EmulatorRunner emulatorOrSkip() {
        try {
            return new EmulatorRunner();
        } catch (UnsupportedOperationException e) {
            throw new TestAbortedException("the emulator CPU is still a placeholder (UnsupportedOperationException)", e);
        }
    }

    private static void runAndCheck(long cases, boolean faults) throws Exception {
        startOrSkip().close();
        EmulatorRunner emu = emulatorOrSkip();
        long seed = DiffTester.seedFromProperty();
        DiffTester.Result r = DiffTester.run(seed, cases, DiffTester.filter(System.getProperty("tandem.difftest.filter")), faults, emu, 3);
        DiffTester.report(r, seed, Boolean.getBoolean("tandem.difftest.perform"), System.out);
        assertEquals(cases, r.cases);
        assertEquals(0, r.unexpectedNativeFaults, "unexpected native faults (generator bug):\n" + String.join("\n", r.unexpectedNative));
        assertEquals(0, r.mismatches, r.mismatches + " mismatches between the host CPU and the emulator; see the report above (seed 0x"
            + Long.toHexString(seed) + ")");
    }

    @Test
    void quick() throws Exception {
        runAndCheck(DiffTester.QUICK_CASES, false);
    }

    /** User-mode memory faults (#PF vs SIGSEGV) and #DE at CPL 3, see {@link FaultForms}. */
    @Test
    void quickFaults() throws Exception {
        runAndCheck(DiffTester.QUICK_FAULT_CASES, true);
    }

    @Test
    void long_() throws Exception {
        assumeTrue(Boolean.getBoolean("tandem.long"), "long run only with -Dtandem.long=true");
        runAndCheck(5_000_000, false);
    }

    @Test
    void longFaults() throws Exception {
        assumeTrue(Boolean.getBoolean("tandem.long"), "long run only with -Dtandem.long=true");
        runAndCheck(1_000_000, true);
    }
}
