package dev.tandem.core.guests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.core.asm.Assembler;
import org.junit.jupiter.api.Test;

/** Checks of the built-in ROM images that need no external tools. */
class BuiltinGuestsTest {

    private static void checkRomLayout(byte[] rom) {
        assertEquals(0x10000, rom.length);
        // reset vector at 0xFFF0: jmp 0xF000:xxxx (EA iw F000)
        assertEquals((byte) 0xEA, rom[0xFFF0]);
        assertEquals((byte) 0x00, rom[0xFFF3]);
        assertEquals((byte) 0xF0, rom[0xFFF4]);
        int target = (rom[0xFFF1] & 0xFF) | (rom[0xFFF2] & 0xFF) << 8;
        assertTrue(target < 0xFFF0, "entry point inside the image");
        assertEquals((byte) 0xFA, rom[target], "first instruction at the entry point is cli");
    }

    @Test
    void romsHaveResetVectorLayout() {
        checkRomLayout(BuiltinGuests.helloRom());
        checkRomLayout(BuiltinGuests.benchRom());
    }

    @Test
    void romsAreCachedButReturnedAsCopies() {
        byte[] a = BuiltinGuests.helloRom();
        a[0] ^= 0x55;
        byte[] b = BuiltinGuests.helloRom();
        assertNotEquals(a[0], b[0]);
        assertArrayEquals(BuiltinGuests.benchRom(), BuiltinGuests.benchRom());
    }

    @Test
    void javaConstantsMatchBenchSourceEquates() {
        Assembler.Result r = Assembler.assemble(BuiltinGuests.source("bench.asm"), "bench.asm");
        assertEquals(BuiltinGuests.BENCH_ITERATIONS, r.symbol("ITERATIONS"));
        assertEquals(BuiltinGuests.BENCH_SETUP_INSTRUCTIONS, r.symbol("SETUP_INSNS"));
        assertEquals(BuiltinGuests.BENCH_PER_ITERATION, r.symbol("PER_ITERATION"));
        assertEquals(BuiltinGuests.BENCH_TAIL_INSTRUCTIONS, r.symbol("TAIL_INSNS"));
        assertEquals(496_000_005L, BuiltinGuests.BENCH_LOOP_INSTRUCTIONS);
        assertEquals(4 + 10 * 62 + 1, BuiltinGuests.benchLoopInstructions(10));
        assertThrows(IllegalArgumentException.class, () -> BuiltinGuests.benchLoopInstructions(0));
    }

    @Test
    void benchRomWithOtherIterationCountDiffersOnlyInTheCount() {
        byte[] std = BuiltinGuests.benchRom();
        byte[] small = BuiltinGuests.benchRom(3);
        int diffs = 0;
        for (int i = 0; i < std.length; i++) if (std[i] != small[i]) diffs++;
        assertTrue(diffs >= 1 && diffs <= 4, "only the imm32 of mov ecx, ITERATIONS changes; saw " + diffs);
        assertArrayEquals(std, BuiltinGuests.benchRom(BuiltinGuests.BENCH_ITERATIONS));
    }

    @Test
    void expectedHelloOutputHasKnownMathematicalFacts() {
        String out = BuiltinGuests.expectedHelloOutput();
        // facts about primes below 2^16 that do not depend on our code
        assertTrue(out.contains("Primes below 65536: 6542\n"), out);
        assertTrue(out.contains("Prime number 1000: 7919\n"), out);
        assertTrue(out.contains("Largest prime below 65536: 65521\n"), out);
        assertTrue(out.startsWith("Tandem built-in guest: hello\n"));
        assertTrue(out.endsWith("Done.\n"));
        assertTrue(out.matches("(?s).*CRC-32 of 64 KiB at 0x10000: 0x[0-9A-F]{8}\n.*"), out);
    }

    @Test
    void expectedBenchOutputShape() {
        String out = BuiltinGuests.expectedBenchOutput(5);
        assertTrue(out.matches("S\nE\n[0-9A-F]{8}\n"), out);
        assertNotEquals(out, BuiltinGuests.expectedBenchOutput(6));
    }
}
