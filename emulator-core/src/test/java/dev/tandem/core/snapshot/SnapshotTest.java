package dev.tandem.core.snapshot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.core.boot.E820;
import dev.tandem.core.boot.LinuxLoader;
import dev.tandem.core.cpu.CpuState;
import dev.tandem.core.guests.BuiltinGuests;
import dev.tandem.core.machine.Machine;
import dev.tandem.core.machine.MachineConfig;
import dev.tandem.core.testkit.LinuxGuest;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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

    /** A hello machine stopped mid-run, and its digest. */
    private static Machine helloAt(long n) {
        Machine a = hello(new StringBuilder());
        assertEquals(Machine.Exit.LIMIT, a.run(n));
        return a;
    }

    /**
     * Every CPU and x87 field of {@link CpuState} (the one field list) changes the state hash, and
     * the differences name that field; restoring the field restores the hash.
     */
    @Test
    void hashSeesEveryCpuAndX87Field() throws Exception {
        Machine a = helloAt(10_000);
        StateDigest d0 = StateHasher.digest(a);
        byte[] state = CpuState.toBytes(a.cpu(), a.x87());
        Map<String, String> fields = CpuState.describe(state);
        assertTrue(fields.size() > 80, "fields: " + fields.keySet());
        List<String> unseen = new ArrayList<>();
        int off = 4; // the version
        for (Map.Entry<String, String> f : fields.entrySet()) {
            String v = f.getValue();
            int size = v.equals("true") || v.equals("false") ? 1 : v.length() / 2;
            byte[] changed = state.clone();
            changed[off + size - 1] ^= 1; // the lowest bit (big-endian), or the boolean's value
            off += size;
            CpuState.load(a.cpu(), a.x87(), new DataInputStream(new ByteArrayInputStream(changed)));
            StateDigest d = StateHasher.digest(a);
            List<String> diff = d.differences(d0);
            if (d.total() == d0.total() || diff.isEmpty() || !diff.get(0).startsWith("cpu: ") || !diff.get(0).contains(f.getKey() + "=")) {
                unseen.add(f.getKey() + " -> " + diff);
            }
            CpuState.load(a.cpu(), a.x87(), new DataInputStream(new ByteArrayInputStream(state)));
            assertEquals(d0.total(), StateHasher.digest(a).total(), "restoring " + f.getKey() + " restores the hash");
        }
        assertEquals(state.length, off, "every byte of the CPU state belongs to a named field");
        assertTrue(unseen.isEmpty(), "fields the state hash does not see or name: " + unseen);
    }

    /**
     * Every device of {@link Machine#DEVICE_NAMES}, time and a RAM page: a guest-visible change
     * (a port write, time passing, a byte of RAM) changes the hash and the differences name it.
     * A device added to the machine without a change listed here fails the test.
     */
    @Test
    void hashSeesEveryDeviceTimeAndRam() {
        Machine a = helloAt(10_000);
        var io = a.io();
        Map<String, Runnable> change = new LinkedHashMap<>();
        change.put("pic", () -> io.out(0x21, 1, io.in(0x21, 1) ^ 0x80));                   // master IMR
        change.put("pit", () -> { io.out(0x43, 1, 0xB6); io.out(0x42, 1, 0x34); io.out(0x42, 1, 0x12); });
        change.put("port61", () -> io.out(0x61, 1, io.in(0x61, 1) ^ 0x02));                // speaker data
        change.put("rtc", () -> { io.out(0x70, 1, 0x20); io.out(0x71, 1, io.in(0x71, 1) ^ 0x5A); }); // a CMOS byte
        change.put("com1", () -> io.out(0x3FF, 1, 0xA5));                                    // scratch register
        change.put("com2", () -> io.out(0x2FF, 1, 0x5A));
        change.put("i8042", () -> io.out(0x64, 1, 0xAD));                                   // disable the keyboard
        change.put("port92", () -> io.out(0x92, 1, io.in(0x92, 1) ^ 0x02));                 // fast A20
        change.put("pci", () -> io.out(0xCF8, 4, 0x80000800));                              // config address
        assertEquals(Machine.DEVICE_NAMES, List.copyOf(change.keySet()), "a guest-visible change for every device, in state order");
        List<String> unseen = new ArrayList<>();
        StateDigest before = StateHasher.digest(a);
        for (Map.Entry<String, Runnable> e : change.entrySet()) {
            e.getValue().run();
            StateDigest after = StateHasher.digest(a);
            List<String> diff = after.differences(before);
            if (after.total() == before.total() || !diff.contains("device " + e.getKey() + " differs")) unseen.add(e.getKey() + " -> " + diff);
            before = after;
        }
        a.advanceTime(1000);
        StateDigest afterTime = StateHasher.digest(a);
        if (afterTime.total() == before.total() || !afterTime.differences(before).contains("time (idle ticks or timer deadlines) differs")) {
            unseen.add("time -> " + afterTime.differences(before));
        }
        a.memory().ram[0x200000] ^= 1;
        StateDigest afterRam = StateHasher.digest(a);
        List<String> ramDiff = afterRam.differences(afterTime);
        if (afterRam.total() == afterTime.total() || ramDiff.size() != 1 || !ramDiff.get(0).equals("ram: 1 page(s) differ: 0x00200000")) {
            unseen.add("ram -> " + ramDiff);
        }
        assertTrue(unseen.isEmpty(), "components the state hash does not see or name: " + unseen);
    }

    private static byte[] helloSnapshot() throws Exception {
        return snap(helloAt(50_000));
    }

    @Test
    void zeroPagesCostNothing() throws Exception {
        byte[] f = helloSnapshot();
        assertTrue(f.length < 200_000, "snapshot of a 32 MiB machine is " + f.length + " bytes");
    }

    @Test
    void badMagicIsRejected() throws Exception {
        byte[] f = helloSnapshot();
        f[1] = 'X';
        assertTrue(assertThrows(SnapshotFormatException.class, () -> Snapshot.read(f, "m")).getMessage().contains("magic"));
    }

    @Test
    void unknownVersionIsRejected() throws Exception {
        byte[] f = helloSnapshot();
        f[11] = 9;
        assertTrue(assertThrows(SnapshotFormatException.class, () -> Snapshot.read(f, "v")).getMessage().contains("version"));
    }

    @Test
    void truncatedFileIsRejected() throws Exception {
        byte[] f = helloSnapshot();
        byte[] cut = Arrays.copyOf(f, f.length / 2);
        assertTrue(assertThrows(SnapshotFormatException.class, () -> Snapshot.read(cut, "c")).getMessage().contains("truncated"));
    }

    @Test
    void flippedBitIsRejected() throws Exception {
        byte[] f = helloSnapshot();
        f[f.length / 2] ^= 0x40;
        assertTrue(assertThrows(SnapshotFormatException.class, () -> Snapshot.read(f, "f")).getMessage().contains("corrupted"));
    }

    @Test
    void linuxSnapshotAt200MillionEqualsUninterruptedRunAt300Million() throws Exception {
        Path dir = LinuxGuest.require();
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
