package dev.tandem.core.guests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tandem.core.asm.Assembler;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the built-in ROMs under qemu-system-i386 (as real-hardware stand-in) and checks the
 * debug-console output and the bench instruction count. Skipped when QEMU is not installed.
 */
class GuestQemuTest {
    private static final String QEMU = "qemu-system-i386";
    private static int[] version;

    private static synchronized int[] qemuVersion() {
        if (version == null) {
            int[] v = new int[0];
            try {
                Process p = new ProcessBuilder(QEMU, "--version").redirectErrorStream(true).start();
                String s = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                if (p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0) {
                    Matcher m = Pattern.compile("version (\\d+)\\.(\\d+)").matcher(s);
                    if (m.find()) v = new int[] {Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2))};
                }
            } catch (IOException | InterruptedException e) {
                v = new int[0];
            }
            version = v;
        }
        return version;
    }

    private static void assumeQemu() {
        assumeTrue(qemuVersion().length == 2, QEMU + " is not installed; skipped");
    }

    /** Runs a ROM; returns the debug console output. Requires the isa-debug-exit status 1. */
    private static String run(Path dir, byte[] rom, List<String> extra) throws Exception {
        Path bios = dir.resolve("rom.bin"), out = dir.resolve("out.txt");
        Files.write(bios, rom);
        Files.deleteIfExists(out);
        List<String> cmd = new ArrayList<>(List.of(QEMU, "-bios", bios.toString(), "-display", "none",
                "-debugcon", "file:" + out, "-device", "isa-debug-exit,iobase=0xf4,iosize=1", "-no-reboot",
                "-serial", "null", "-monitor", "none", "-nodefaults"));
        cmd.addAll(extra);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("qemu.log").toFile())
                .start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("qemu did not exit within 120 s (guest never reached the exit port)");
        }
        // isa-debug-exit: exit status is (value << 1) | 1; the guests write 0
        assertEquals(1, p.exitValue(), "qemu exit status; log: " + Files.readString(dir.resolve("qemu.log")));
        return Files.readString(out, StandardCharsets.ISO_8859_1);
    }

    @Test
    void helloOutputMatches(@TempDir Path dir) throws Exception {
        assumeQemu();
        assertEquals(BuiltinGuests.expectedHelloOutput(), run(dir, BuiltinGuests.helloRom(), List.of()));
    }

    @Test
    void benchOutputMatches(@TempDir Path dir) throws Exception {
        assumeQemu();
        assertEquals(BuiltinGuests.expectedBenchOutput(), run(dir, BuiltinGuests.benchRom(), List.of()));
    }

    @Test
    void benchInstructionCountMatchesSingleStepTrace(@TempDir Path dir) throws Exception {
        assumeQemu();
        Assembler.Result r = Assembler.assemble(BuiltinGuests.source("bench.asm"), "bench.asm");
        long start = BuiltinGuests.ROM_BASE + r.symbol("count_start");
        long end = BuiltinGuests.ROM_BASE + r.symbol("count_end");
        int[] v = qemuVersion();
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
