package dev.tandem.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.core.machine.Machine;
import dev.tandem.core.snapshot.Snapshot;
import dev.tandem.core.testkit.ConsoleCapture;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code run --snapshot-at/--snapshot-file} and {@code run --restore}: one straight run of the
 * bench guest to 3e6 instructions saves a snapshot at 1e6; each test restores it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RunRestoreTest {
    private static String finalHash(String err) {
        Matcher mt = Pattern.compile("final state hash ([0-9a-f]{16})").matcher(err);
        assertTrue(mt.find(), err);
        return mt.group(1);
    }

    Path tmp;
    Path snap;
    ConsoleCapture.Captured straight;

    @BeforeAll
    void snapshotDuringAStraightRun(@TempDir Path dir) throws Exception {
        tmp = dir;
        snap = tmp.resolve("at1m.snap");
        // the bench guest loops for ~5e8 instructions: stop the runs at 3e6
        straight = Cli.run("run", "--guest", "bench", "-m", "16M", "--snapshot-at", "1000000", "--snapshot-file",
                snap.toString(), "--max-instructions", "3000000");
        assertEquals(0, straight.exit(), straight.both());
        assertTrue(straight.err().contains("snapshot at 1,000,000 instructions written to"), straight.err());
        assertTrue(straight.err().contains("instruction limit reached after 3,000,000 instructions"), straight.err());
    }

    @Test
    void theFileHoldsTheMachineAtTheSnapshotPoint() throws Exception {
        Machine saved = Snapshot.read(snap);
        assertEquals(1_000_000L, saved.cpu().icount());
        assertEquals(16 << 20, saved.config().ramBytes());
    }

    @Test
    void restoredRunEndsInTheSameStateAsTheStraightRun() throws Exception {
        ConsoleCapture.Captured b = Cli.run("run", "--restore", snap.toString(), "--max-instructions", "3000000");
        assertEquals(0, b.exit(), b.both());
        assertTrue(b.err().contains("instruction limit reached after 3,000,000 instructions"), b.err());
        assertEquals(finalHash(straight.err()), finalHash(b.err()), "straight run and restored run end in the same state");
    }

    /** The comparison above can tell states apart: a restored run stopped elsewhere ends elsewhere. */
    @Test
    void restoredRunStoppedElsewhereEndsInAnotherState() throws Exception {
        ConsoleCapture.Captured c = Cli.run("run", "--restore", snap.toString(), "--max-instructions", "2000000");
        assertEquals(0, c.exit(), c.both());
        assertNotEquals(finalHash(straight.err()), finalHash(c.err()));
    }

    /** A snapshot at the limit itself, taken during a restored run. */
    @Test
    void restoredRunCanSnapshotAgainAtItsLimit() throws Exception {
        Path snap3 = tmp.resolve("at3m.snap");
        ConsoleCapture.Captured d = Cli.run("run", "--restore", snap.toString(), "--snapshot-at", "3000000", "--snapshot-file",
                snap3.toString(), "--max-instructions", "3000000");
        assertEquals(0, d.exit(), d.both());
        assertEquals(3_000_000L, Snapshot.read(snap3).cpu().icount());
    }

    @Test
    void snapshotPointBeforeTheRestoredCountIsRejected() throws Exception {
        ConsoleCapture.Captured f = Cli.run("run", "--restore", snap.toString(), "--snapshot-at", "10", "--snapshot-file",
                tmp.resolve("x.snap").toString());
        assertEquals(2, f.exit(), f.both());
        assertTrue(f.err().contains("before the restored instruction count 1000000"), f.err());
    }
}
