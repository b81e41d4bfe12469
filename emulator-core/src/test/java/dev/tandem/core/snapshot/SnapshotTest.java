package dev.tandem.core.snapshot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.core.boot.E820;
import dev.tandem.core.boot.LinuxLoader;
import dev.tandem.core.guests.BuiltinGuests;
import dev.tandem.core.machine.Machine;
import dev.tandem.core.machine.MachineConfig;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

class SnapshotTest {
    private static Machine hello(StringBuilder out) {
        Machine m = new Machine(MachineConfig.defaults(32 << 20), 0);
        m.setDebugConsole(b -> out.append((char) b));
        m.loadFirmware(BuiltinGuests.helloRom());
        return m;
    }

    private static byte[] snap(Machine m) throws Exception {
        ByteArrayOutputStream bo = new ByteArrayOutputStream();
        Snapshot.write(m, bo);
        return bo.toByteArray();
    }

    @Test
    void restoredBuiltInGuestContinuesExactlyLikeAnUninterruptedRun() throws Exception {
        StringBuilder fullOut = new StringBuilder();
        Machine full = hello(fullOut);
        assertEquals(Machine.Exit.HALTED, full.run(Long.MAX_VALUE));
        StateDigest end = StateHasher.digest(full);
        long total = full.cpu().icount;
        for (long n : new long[] {1, 5_000, total / 2, total - 3}) {
            StringBuilder out = new StringBuilder();
            Machine a = hello(out);
            assertEquals(Machine.Exit.LIMIT, a.run(n));
            StateDigest before = StateHasher.digest(a);
            byte[] file = snap(a);
            Machine b = Snapshot.read(file, "mem");
            assertEquals(before.total(), StateHasher.digest(b).total(), "restored state hash at " + n);
            b.setDebugConsole(x -> out.append((char) x));
            assertEquals(Machine.Exit.HALTED, b.run(Long.MAX_VALUE));
            StateDigest after = StateHasher.digest(b);
            assertEquals(end.total(), after.total(), "end state after restore at " + n + ": " + after.differences(end));
            assertEquals(fullOut.toString(), out.toString());
        }
    }

    @Test
    void hashSeesEveryComponent() {
        Machine a = hello(new StringBuilder());
        a.run(10_000);
        StateDigest d0 = StateHasher.digest(a);
        a.memory().ram[0x200000] ^= 1;
        StateDigest d1 = StateHasher.digest(a);
        assertNotEquals(d0.total(), d1.total());
        assertEquals(d0.cpu(), d1.cpu());
        assertTrue(d1.differences(d0).get(0).contains("0x00200000"), d1.differences(d0).toString());
        a.x87().cw ^= 0x400;
        assertTrue(StateHasher.digest(a).differences(d1).get(0).contains("fpu.cw"));
    }

    @Test
    void zeroPagesCostNothingAndBadFilesAreRejected() throws Exception {
        Machine a = hello(new StringBuilder());
        a.run(50_000);
        byte[] f = snap(a);
        assertTrue(f.length < 200_000, "snapshot of a 32 MiB machine is " + f.length + " bytes");
        byte[] magic = f.clone();
        magic[1] = 'X';
        assertTrue(assertThrows(SnapshotFormatException.class, () -> Snapshot.read(magic, "m")).getMessage().contains("magic"));
        byte[] ver = f.clone();
        ver[11] = 9;
        assertTrue(assertThrows(SnapshotFormatException.class, () -> Snapshot.read(ver, "v")).getMessage().contains("version"));
        byte[] cut = Arrays.copyOf(f, f.length / 2);
        assertTrue(assertThrows(SnapshotFormatException.class, () -> Snapshot.read(cut, "c")).getMessage().contains("truncated"));
        byte[] flip = f.clone();
        flip[f.length / 2] ^= 0x40;
        assertTrue(assertThrows(SnapshotFormatException.class, () -> Snapshot.read(flip, "f")).getMessage().contains("corrupted"));
    }

    @Test
    void linuxSnapshotAt200MillionEqualsUninterruptedRunAt300Million() throws Exception {
        Path dir = dev.tandem.core.replay.HarnessAccess.linuxDir();
        Assumptions.assumeTrue(dir != null, "no cached Debian kernel");
        byte[] k = Files.readAllBytes(dir.resolve("vmlinuz"));
        byte[] rd = Files.readAllBytes(dir.resolve("initrd.cpio.gz"));
        Machine full = linux(k, rd);
        full.run(200_000_000L);
        byte[] file = snap(full);
        full.run(300_000_000L);
        Machine b = Snapshot.read(file, "linux");
        b.run(300_000_000L);
        StateDigest x = StateHasher.digest(full);
        StateDigest y = StateHasher.digest(b);
        assertEquals(x.total(), y.total(), y.differences(x).toString());
        assertEquals(300_000_000L, b.cpu().icount);
    }

    private static Machine linux(byte[] k, byte[] rd) {
        Machine m = new Machine(MachineConfig.defaults(128 << 20).withPorts(-1, 0xE9), 1_700_000_000_000L);
        LinuxLoader.load(m.memory(), m.cpu(), k, rd, "console=ttyS0", E820.standardPc(128 << 20));
        return m;
    }
}
