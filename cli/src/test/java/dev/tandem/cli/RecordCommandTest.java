package dev.tandem.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code record --max-guest-seconds} and its replay. */
class RecordCommandTest {
    private static String[] run(String... args) {
        PrintStream old = System.err;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int rc;
        try (PrintStream ps = new PrintStream(buf, true, StandardCharsets.UTF_8)) {
            System.setErr(ps);
            rc = Main.execute(args);
        } finally {
            System.setErr(old);
        }
        String err = buf.toString(StandardCharsets.UTF_8);
        System.err.print(err);
        return new String[] {Integer.toString(rc), err};
    }

    @Test
    void recordingStopsAtAGuestTimeAndReplays(@TempDir Path tmp) throws Exception {
        Path log = tmp.resolve("r.log");
        // bench guest at a nominal 1 MIPS: 2.5 guest seconds are ~2.5e6 instructions (stop at the next boundary)
        String[] a = run("record", "--log", log.toString(), "--guest", "bench", "-m", "16M", "--ips", "1000000",
                "--max-guest-seconds", "2.5", "--checkpoint-every", "500000");
        assertEquals("0", a[0], a[1]);
        Matcher mt = Pattern.compile("recorded STOPPED after ([\\d,]+) instructions \\(guest time (\\d+\\.\\d+) s\\)")
                .matcher(a[1]);
        assertTrue(mt.find(), a[1]);
        long n = Long.parseLong(mt.group(1).replace(",", ""));
        double t = Double.parseDouble(mt.group(2));
        assertTrue(t >= 2.5 && t < 3.6, "guest time " + t);
        assertTrue(n >= 2_500_000 && n <= 3_600_000, "instructions " + n);

        String[] b = run("replay", "--log", log.toString());
        assertEquals("0", b[0], b[1]);
        assertTrue(b[1].contains("replayed " + mt.group(1) + " instructions"), b[1]);
        assertTrue(b[1].contains("replay matches the recording (end state hash equal)"), b[1]);

        String[] c = run("record", "--log", log.toString(), "--guest", "bench", "--max-guest-seconds", "-1");
        assertEquals("2", c[0]);
        assertTrue(c[1].contains("--max-guest-seconds must be >= 0"), c[1]);
    }
}
