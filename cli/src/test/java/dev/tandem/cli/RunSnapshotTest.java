package dev.tandem.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.core.testkit.ConsoleCapture;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad uses of {@code run --snapshot-at/--snapshot-file} and {@code run --restore} ({@link RunRestoreTest}: the good ones). */
class RunSnapshotTest {
    @Test
    void snapshotAtWithoutAFileIsRejected() throws Exception {
        ConsoleCapture.Captured a = Cli.run("run", "--guest", "bench", "--snapshot-at", "1000");
        assertEquals(2, a.exit(), a.both());
        assertTrue(a.err().contains("--snapshot-at and --snapshot-file go together"), a.err());
    }

    @Test
    void guestEndingBeforeTheSnapshotPointWritesNoFile(@TempDir Path tmp) throws Exception {
        Path snap = tmp.resolve("s.snap");
        ConsoleCapture.Captured b = Cli.run("run", "--guest", "hello", "--snapshot-at", "1000000000", "--snapshot-file", snap.toString());
        assertEquals(1, b.exit(), b.both());
        assertTrue(b.err().contains("before --snapshot-at"), b.err());
        assertFalse(Files.exists(snap));
    }

    @Test
    void restoreCannotBeCombinedWithAGuest(@TempDir Path tmp) throws Exception {
        ConsoleCapture.Captured c = Cli.run("run", "--restore", tmp.resolve("missing.snap").toString(), "--guest", "hello");
        assertEquals(2, c.exit(), c.both());
        assertTrue(c.err().contains("--restore cannot be combined"), c.err());
    }

    @Test
    void restoringAFileThatIsNoSnapshotFails(@TempDir Path tmp) throws Exception {
        Path junk = tmp.resolve("junk.snap");
        Files.writeString(junk, "not a snapshot");
        ConsoleCapture.Captured d = Cli.run("run", "--restore", junk.toString());
        assertEquals(1, d.exit(), d.both());
        assertTrue(d.err().startsWith("error: "), d.err());
    }
}
