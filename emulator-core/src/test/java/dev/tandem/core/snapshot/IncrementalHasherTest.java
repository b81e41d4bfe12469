package dev.tandem.core.snapshot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.core.guests.BuiltinGuests;
import dev.tandem.core.machine.Machine;
import dev.tandem.core.machine.MachineConfig;
import dev.tandem.core.mem.DirtyLog;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The incremental digest must equal the full one at every checkpoint, whatever else tracks dirty pages. */
class IncrementalHasherTest {
    private static void assertSame(StateDigest full, StateDigest inc) {
        assertEquals(full.total(), inc.total(), () -> "incremental digest differs: " + inc.differences(full));
        assertTrue(Arrays.equals(full.pages(), inc.pages()));
    }

    @Test
    void equalsTheFullDigestAtEveryCheckpointOfTheHelloGuest() {
        Machine m = new Machine(MachineConfig.defaults(16 << 20), 0);
        m.setDebugConsole(b -> { });
        IncrementalHasher h = new IncrementalHasher(m); // opened before the firmware is mapped
        m.loadFirmware(BuiltinGuests.helloRom());
        // a second client (migration's tracker) fetching at other moments must not disturb the hasher
        DirtyLog other = m.memory().openDirtyLog();
        long previousTotal = 0;
        int checkpoints = 0;
        while (m.cpu().icount() < 40_000_000) {
            Machine.Exit e = m.run(m.cpu().icount() + 97_000);
            if (checkpoints % 3 == 1) other.fetchAndClear();
            StateDigest inc = h.digest(m);
            assertSame(StateHasher.digest(m), inc);
            if (checkpoints > 0) assertTrue(h.lastRehashedPages() < m.memory().ramPages(), "not everything re-hashed");
            previousTotal = inc.total();
            checkpoints++;
            if (e != Machine.Exit.LIMIT) break;
        }
        assertTrue(checkpoints > 5, "ran " + checkpoints + " checkpoints");
        assertNotEquals(0, previousTotal);
        other.close();
        h.close();
    }

    @Test
    void seesWritesMadeAfterThePreviousDigestOnly() {
        Machine m = new Machine(MachineConfig.defaults(4 << 20), 0);
        IncrementalHasher h = new IncrementalHasher(m);
        StateDigest a = h.digest(m);
        assertEquals(m.memory().ramPages(), h.lastRehashedPages());
        m.memory().write32(0x12344, 0xDEADBEEF);
        StateDigest b = h.digest(m);
        assertEquals(1, h.lastRehashedPages());
        assertNotEquals(a.total(), b.total());
        assertSame(StateHasher.digest(m), b);
        m.memory().ram[0x20000] = 7; // a write that nobody reports
        m.memory().markWritten(0x20000, 1); // ... until it is reported
        assertSame(StateHasher.digest(m), h.digest(m));
    }

    /**
     * A Linux boot (host-decompressed kernel, 128 MiB) with a digest every 1e7 instructions: each
     * incremental digest equals the full one; prints what each costs.
     */
    @Test
    void equalsTheFullDigestDuringALinuxBoot() throws Exception {
        java.nio.file.Path dir = dev.tandem.core.testkit.LinuxGuest.require();
        Machine m = new Machine(MachineConfig.defaults(128 << 20).withPorts(-1, -1), 1_700_000_000_000L);
        dev.tandem.core.replay.GuestSpec.load(m, java.util.Map.of("kernel", dir.resolve("vmlinuz").toString(),
                "initrd", dir.resolve("initrd.cpio.gz").toString(), "append", "console=ttyS0 nokaslr",
                "kernel-decompress", "host"));
        IncrementalHasher h = new IncrementalHasher(m);
        long incNs = 0, fullNs = 0, runNs = 0;
        int n = 0;
        long pages = 0;
        while (m.cpu().icount() < 250_000_000L) {
            long t0 = System.nanoTime();
            m.run(m.cpu().icount() + 10_000_000L);
            long t1 = System.nanoTime();
            StateDigest inc = h.digest(m);
            long t2 = System.nanoTime();
            StateDigest full = StateHasher.digest(m);
            long t3 = System.nanoTime();
            assertSame(full, inc);
            runNs += t1 - t0;
            if (n > 0) {
                incNs += t2 - t1;
                fullNs += t3 - t2;
                pages += h.lastRehashedPages();
            }
            n++;
        }
        System.out.printf("[incremental hash] Linux boot to %,d instructions, %d digests every 1e7: incremental %.2f ms "
                + "(%.0f pages) vs full %.2f ms per digest; incremental = %.2f %% of run time%n", m.cpu().icount(), n - 1,
                incNs / 1e6 / (n - 1), (double) pages / (n - 1), fullNs / 1e6 / (n - 1), 100.0 * incNs / runNs);
        assertTrue(n > 20);
    }
}
