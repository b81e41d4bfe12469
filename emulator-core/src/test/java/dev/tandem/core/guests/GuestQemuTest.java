package dev.tandem.core.guests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.core.asm.Assembler;
import dev.tandem.core.testkit.Qemu;
import java.io.BufferedReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the built-in ROMs under qemu-system-i386 (as real-hardware stand-in, {@link Qemu}) and
 * checks the debug-console output and the bench instruction count. Skipped when QEMU is not
 * installed; a failure with -Dtandem.requireTools=true.
 */
class GuestQemuTest {
    /** Runs a ROM; returns the debug console output. Requires the exit through isa-debug-exit. */
    private static String run(Path dir, byte[] rom, List<String> extra) throws Exception {
        Qemu.Result r = Qemu.runRom(dir, rom, 128, extra, Qemu.TIMEOUT);
        assertTrue(r.exitedThroughPort(), "qemu did not end through the exit port: " + r.transcript() + "\nlog: " + r.log());
        return r.debugcon();
    }

    @Test
    void helloOutputMatches(@TempDir Path dir) throws Exception {
        assertEquals(BuiltinGuests.expectedHelloOutput(), run(dir, BuiltinGuests.helloRom(), List.of()));
    }

    @Test
    void benchOutputMatches(@TempDir Path dir) throws Exception {
        assertEquals(BuiltinGuests.expectedBenchOutput(), run(dir, BuiltinGuests.benchRom(), List.of()));
    }

    @Test
    void benchInstructionCountMatchesSingleStepTrace(@TempDir Path dir) throws Exception {
        int[] v = Qemu.majorMinor();
        Assembler.Result r = Assembler.assemble(BuiltinGuests.source("bench.asm"), "bench.asm");
        long start = BuiltinGuests.ROM_BASE + r.symbol("count_start");
        long end = BuiltinGuests.ROM_BASE + r.symbol("count_end");
        boolean newStyle = v[0] > 8 || (v[0] == 8 && v[1] >= 1);
        for (long iters : new long[] {3, 11}) {
            Path log = dir.resolve("trace-" + iters + ".log");
            List<String> extra = new ArrayList<>(newStyle ? List.of("-accel", "tcg,one-insn-per-tb=on")
                    : List.of("-singlestep"));
            extra.addAll(List.of("-d", "exec,nochain", "-D", log.toString()));
            String out = run(dir, BuiltinGuests.benchRom(iters), extra);
            assertEquals(BuiltinGuests.expectedBenchOutput(iters), out);
            // Trace lines look like: Trace 0: 0x... [cs_base/pc/flags/cflags]
            Pattern pc = Pattern.compile("^Trace \\d+: \\S+ \\[[0-9a-f]+/([0-9a-f]+)/");
            long line = 0, startLine = -1, endLine = -1;
            try (BufferedReader br = Files.newBufferedReader(log, StandardCharsets.ISO_8859_1)) {
                String l;
                while ((l = br.readLine()) != null) {
                    Matcher m = pc.matcher(l);
                    if (!m.find()) continue;
                    line++;
                    long addr = Long.parseLong(m.group(1), 16);
                    if (addr == start && startLine < 0) startLine = line;
                    if (addr == end && endLine < 0) endLine = line;
                }
            }
            assertTrue(startLine > 0 && endLine > startLine, "markers not found in the trace (" + line + " entries)");
            assertEquals(BuiltinGuests.benchLoopInstructions(iters), endLine - startLine,
                    "instructions between the 'S\\n' and 'E' outs for " + iters + " iterations");
        }
    }
}
