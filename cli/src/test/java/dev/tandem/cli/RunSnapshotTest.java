package dev.tandem.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.core.machine.Machine;
import dev.tandem.core.snapshot.Snapshot;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code run --snapshot-at/--snapshot-file} and {@code run --restore}. */
class RunSnapshotTest {
    /** Runs the CLI; returns exit code and stderr. */
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

    private static String finalHash(String err) {
        Matcher mt = Pattern.compile("final state hash ([0-9a-f]{16})").matcher(err);
        assertTrue(mt.find(), err);
        return mt.group(1);
    }

    @Test
    void snapshotDuringRunThenRestoreEndsInTheSameState(@TempDir Path tmp) throws Exception {
        Path snap = tmp.resolve("at1m.snap");
        // the bench guest loops for ~5e8 instructions: stop both runs at 3e6
        String[] a = run("run", "--guest", "bench", "-m", "16M", "--snapshot-at", "1000000", "--snapshot-file",
                snap.toString(), "--max-instructions", "3000000");
        assertEquals("0", a[0], a[1]);
        assertTrue(a[1].contains("snapshot at 1,000,000 instructions written to"), a[1]);
        assertTrue(a[1].contains("instruction limit reached after 3,000,000 instructions"), a[1]);
        Machine saved = Snapshot.read(snap);
        assertEquals(1_000_000L, saved.cpu().icount());
        assertEquals(16 << 20, saved.config().ramBytes());

        String[] b = run("run", "--restore", snap.toString(), "--max-instructions", "3000000");
        assertEquals("0", b[0], b[1]);
        assertTrue(b[1].contains("instruction limit reached after 3,000,000 instructions"), b[1]);
        assertEquals(finalHash(a[1]), finalHash(b[1]), "straight run and restored run end in the same state");

        // a restored run stopped elsewhere ends elsewhere (the comparison above can tell states apart)
        String[] c = run("run", "--restore", snap.toString(), "--max-instructions", "2000000");
        assertEquals("0", c[0], c[1]);
        assertNotEquals(finalHash(a[1]), finalHash(c[1]));

        // snapshot at the limit itself, and a second snapshot from a restored run
        Path snap3 = tmp.resolve("at3m.snap");
        String[] d = run("run", "--restore", snap.toString(), "--snapshot-at", "3000000", "--snapshot-file",
                snap3.toString(), "--max-instructions", "3000000");
        assertEquals("0", d[0], d[1]);
        assertEquals(3_000_000L, Snapshot.read(snap3).cpu().icount());
    }

    @Test
    void badOptionsAreRejectedWithAMessage(@TempDir Path tmp) throws Exception {
        String[] a = run("run", "--guest", "bench", "--snapshot-at", "1000");
        assertEquals("2", a[0]);
        assertTrue(a[1].contains("--snapshot-at and --snapshot-file go together"), a[1]);

        Path snap = tmp.resolve("s.snap");
        String[] b = run("run", "--guest", "hello", "--snapshot-at", "1000000000", "--snapshot-file", snap.toString());
        assertEquals("1", b[0], b[1]);
        assertTrue(b[1].contains("before --snapshot-at"), b[1]);
        assertFalse(Files.exists(snap));

        String[] c = run("run", "--restore", tmp.resolve("missing.snap").toString(), "--guest", "hello");
        assertEquals("2", c[0]);
        assertTrue(c[1].contains("--restore cannot be combined"), c[1]);

        Path junk = tmp.resolve("junk.snap");
        Files.writeString(junk, "not a snapshot");
        String[] d = run("run", "--restore", junk.toString());
        assertEquals("1", d[0]);
        assertTrue(d[1].startsWith("error: "), d[1]);

        // snapshot, then restore with a snapshot point already in the past
        String[] e = run("run", "--guest", "bench", "-m", "16M", "--snapshot-at", "5000", "--snapshot-file",
                snap.toString(), "--max-instructions", "5000");
        assertEquals("0", e[0], e[1]);
        String[] f = run("run", "--restore", snap.toString(), "--snapshot-at", "10", "--snapshot-file",
                tmp.resolve("x.snap").toString());
        assertEquals("2", f[0]);
        assertTrue(f[1].contains("before the restored instruction count 5000"), f[1]);
    }
}
