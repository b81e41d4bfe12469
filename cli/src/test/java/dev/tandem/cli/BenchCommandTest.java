package dev.tandem.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.core.guests.BuiltinGuests;
import dev.tandem.core.testkit.ConsoleCapture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class BenchCommandTest {
    private static long number(String s) {
        return Long.parseLong(s.replace(",", ""));
    }

    @Test
    void cpuBenchReportsTheKnownInstructionCount(@TempDir Path tmp) throws Exception {
        Path json = tmp.resolve("bench.json");
        ConsoleCapture.Captured r = Cli.run("bench", "--runs", "1", "--iterations", "20000", "--no-qemu", "--json", json.toString());
        String out = r.out();
        assertEquals(0, r.exit(), r.both());
        long known = BuiltinGuests.benchLoopInstructions(20000);

        Matcher header = Pattern.compile("20,000 iterations = ([\\d,]+) instructions between").matcher(out);
        assertTrue(header.find(), out);
        assertEquals(known, number(header.group(1)));

        Matcher perRun = Pattern.compile("(?m)^tandem run 1: ([\\d,]+) instructions in (\\d+\\.\\d+) s = (\\d+\\.\\d+) MIPS$").matcher(out);
        assertTrue(perRun.find(), out);
        assertEquals(known, number(perRun.group(1)), "instructions counted by the emulator between the marks");
        double secs = Double.parseDouble(perRun.group(2));
        double mips = Double.parseDouble(perRun.group(3));
        assertTrue(mips > 0, out);
        // the printed seconds are rounded to 1 ms: the MIPS figure must lie within what that rounding allows
        double lo = known / ((secs + 0.0005) * 1e6);
        double hi = secs > 0.0005 ? known / ((secs - 0.0005) * 1e6) : Double.MAX_VALUE;
        assertTrue(mips >= lo - 0.01 && mips <= hi + 0.01,
                "MIPS = instructions / time: " + mips + " not in [" + lo + ", " + hi + "]");

        Matcher check = Pattern.compile("tandem instruction count: measured ([\\d,]+), known ([\\d,]+): (\\w+)").matcher(out);
        assertTrue(check.find(), out);
        assertEquals(known, number(check.group(1)));
        assertEquals(known, number(check.group(2)));
        assertEquals("match", check.group(3));

        Matcher row = Pattern.compile("(?m)^tandem\\s+([\\d,]+)\\s+1\\s+(\\d+\\.\\d+) \\[(\\d+\\.\\d+)\\.\\.(\\d+\\.\\d+)\\]"
                + "\\s+(\\d+\\.\\d+) \\[(\\d+\\.\\d+)\\.\\.(\\d+\\.\\d+)\\]$").matcher(out);
        assertTrue(row.find(), "table row for tandem:\n" + out);
        assertEquals(known, number(row.group(1)));
        assertEquals(row.group(5), row.group(6), "one run: median == min");
        assertEquals(row.group(5), row.group(7), "one run: median == max");
        assertTrue(out.contains("qemu: skipped (--no-qemu)"), out);
        assertTrue(!out.contains("qemu run"), out);

        String j = Files.readString(json);
        assertTrue(j.contains("\"knownInstructions\": " + known), j);
        assertTrue(j.contains("\"measuredInstructions\": " + known), j);
        assertTrue(j.contains("\"instructionCountMatches\": true"), j);
        assertTrue(j.contains("\"qemu\": null"), j);
    }

    @ParameterizedTest
    @ValueSource(strings = {"--runs 0", "cpu --iterations 0", "boot --kernel nonexistent/vmlinuz", "boot --guest-dir nonexistent"})
    void badOptionsAreUsageErrors(String options) throws Exception {
        List<String> args = new ArrayList<>(List.of("bench"));
        args.addAll(List.of(options.split(" ")));
        args.add("--no-qemu");
        ConsoleCapture.Captured r = Cli.run(args.toArray(String[]::new));
        assertEquals(2, r.exit(), r.both());
    }

    /** Without --kernel or --guest-dir, bench boot looks in guests/cache/bench and says how to build the guest there. */
    @Test
    void bootWithoutAGuestSaysHowToBuildIt(@TempDir Path tmp) throws Exception {
        Path dir = tmp.resolve("no-guest");
        ConsoleCapture.Captured r = Cli.run("bench", "boot", "--guest-dir", dir.toString(), "--no-qemu");
        assertEquals(2, r.exit(), r.both());
        assertTrue(r.err().contains("no bench guest in " + dir) && r.err().contains("guests/build-bench-guest.sh"), r.err());
    }
}
