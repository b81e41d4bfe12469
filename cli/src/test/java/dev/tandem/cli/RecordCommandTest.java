package dev.tandem.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.core.testkit.ConsoleCapture;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code record --max-guest-seconds} and its replay. */
class RecordCommandTest {
    @Test
    void recordingStopsAtAGuestTimeAndReplays(@TempDir Path tmp) throws Exception {
        Path log = tmp.resolve("r.log");
        // bench guest at a nominal 1 MIPS: 2.5 guest seconds are ~2.5e6 instructions (stop at the next boundary)
        ConsoleCapture.Captured a = Cli.run("record", "--log", log.toString(), "--guest", "bench", "-m", "16M", "--ips", "1000000",
                "--max-guest-seconds", "2.5", "--checkpoint-every", "500000");
        assertEquals(0, a.exit(), a.both());
        Matcher mt = Pattern.compile("recorded STOPPED after ([\\d,]+) instructions \\(guest time (\\d+\\.\\d+) s\\)")
                .matcher(a.err());
        assertTrue(mt.find(), a.err());
        long n = Long.parseLong(mt.group(1).replace(",", ""));
        double t = Double.parseDouble(mt.group(2));
        assertTrue(t >= 2.5 && t < 3.6, "guest time " + t);
        assertTrue(n >= 2_500_000 && n <= 3_600_000, "instructions " + n);

        ConsoleCapture.Captured b = Cli.run("replay", "--log", log.toString());
        assertEquals(0, b.exit(), b.both());
        assertTrue(b.err().contains("replayed " + mt.group(1) + " instructions"), b.err());
        assertTrue(b.err().contains("replay matches the recording (end state hash equal)"), b.err());
    }

    @Test
    void negativeGuestSecondsIsAUsageError(@TempDir Path tmp) throws Exception {
        ConsoleCapture.Captured c = Cli.run("record", "--log", tmp.resolve("r.log").toString(), "--guest", "bench",
                "--max-guest-seconds", "-1");
        assertEquals(2, c.exit(), c.both());
        assertTrue(c.err().contains("--max-guest-seconds must be >= 0"), c.err());
    }
}
