package dev.tandem.core.snapshot;

import dev.tandem.core.cpu.CpuState;
import dev.tandem.core.machine.Machine;
import dev.tandem.core.mem.PhysicalMemory;
import dev.tandem.core.time.Scheduler;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/** Computes {@link StateDigest}s of a machine (at slice boundaries; reading state has no effect on it). */
public final class StateHasher {
    private StateHasher() {
    }

    /** A full digest: every RAM page is hashed (see {@link IncrementalHasher} for repeated digests). */
    public static StateDigest digest(Machine m) {
        byte[] ram = m.memory().ram;
        int np = ram.length >>> PhysicalMemory.PAGE_SHIFT;
        long[] pages = new long[np];
        for (int p = 0; p < np; p++) pages[p] = PageHash.hash(ram, p << PhysicalMemory.PAGE_SHIFT, PhysicalMemory.PAGE_SIZE);
        return digest(m, pages);
    }

    /** The hash of one RAM page. */
    static long pageHash(byte[] ram, int page) {
        return PageHash.hash(ram, page << PhysicalMemory.PAGE_SHIFT, PhysicalMemory.PAGE_SIZE);
    }

    /** A digest of {@code m} with the given per-page RAM hashes (kept by the caller; not copied). */
    static StateDigest digest(Machine m, long[] pages) {
        byte[] cpuState = CpuState.toBytes(m.cpu(), m.x87());
        long cpu = PageHash.hash(cpuState);
        int nd = Machine.DEVICE_NAMES.size();
        long[] devices = new long[nd];
        ByteArrayOutputStream bo = new ByteArrayOutputStream(1024);
        DataOutputStream out = new DataOutputStream(bo);
        try {
            for (int i = 0; i < nd; i++) {
                bo.reset();
                m.saveDevice(i, out);
                out.flush();
                devices[i] = PageHash.hash(bo.toByteArray());
            }
            bo.reset();
            out.writeLong(m.idleTicks());
            for (Scheduler.Timer t : m.scheduler().timers()) {
                out.writeUTF(t.name());
                out.writeLong(t.deadline());
            }
            out.writeBoolean(m.memory().a20());
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        long time = PageHash.hash(bo.toByteArray());
        int np = pages.length;
        long ramHash = PageHash.hashLongs(pages, np);
        long[] all = new long[nd + 3];
        all[0] = cpu;
        System.arraycopy(devices, 0, all, 1, nd);
        all[nd + 1] = time;
        all[nd + 2] = ramHash;
        return new StateDigest(cpuState, cpu, devices, time, pages, ramHash, PageHash.hashLongs(all, all.length));
    }
}
