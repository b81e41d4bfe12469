package dev.tandem.core.mem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.core.machine.Machine;
import dev.tandem.core.machine.MachineConfig;
import dev.tandem.core.guests.BuiltinGuests;
import org.junit.jupiter.api.Test;

/**
 * Dirty-page tracking must see every write, including the ones the CPU makes through its TLB
 * fast path, and a fetch must start a new round in which pages are clean again.
 */
class DirtyTrackingTest {
    private static boolean dirty(long[] bits, int page) {
        return (bits[page >>> 6] & (1L << page)) != 0;
    }

    @Test
    void guestWritesThroughTheTlbAreTracked() {
        Machine m = new Machine(MachineConfig.defaults(32 << 20), 0);
        m.setDebugConsole(b -> { });
        m.loadFirmware(BuiltinGuests.helloRom());
        // run a little so the TLB holds fast write entries, then start tracking
        m.run(200_000);
        PhysicalMemory mem = m.memory();
        mem.startDirtyTracking();
        byte[] before = mem.ram.clone();
        m.run(Long.MAX_VALUE);
        long[] bits = mem.fetchAndClearDirty();
        byte[] after = mem.ram;
        int changedPages = 0;
        for (int page = 0; page < after.length >>> 12; page++) {
            boolean changed = false;
            for (int i = page << 12; i < (page + 1) << 12 && !changed; i++) changed = before[i] != after[i];
            if (changed) {
                changedPages++;
                assertTrue(dirty(bits, page), "page " + page + " changed but is not marked dirty");
            }
        }
        assertTrue(changedPages > 16, "the guest should have written many pages, saw " + changedPages);
        // a new round starts clean
        long[] again = mem.fetchAndClearDirty();
        for (long w : again) assertEquals(0, w);
    }

    @Test
    void fetchStartsANewRoundAndStopRestoresFastWrites() {
        PhysicalMemory mem = new PhysicalMemory(1 << 20);
        mem.startDirtyTracking();
        assertFalse(mem.isDirectWritable(0x5000), "tracked pages are watched until written");
        mem.write8(0x5000, 1);
        assertTrue(mem.isDirectWritable(0x5000), "a dirty page needs no more notifications this round");
        long[] bits = mem.fetchAndClearDirty();
        assertTrue(dirty(bits, 5));
        assertFalse(dirty(bits, 6));
        assertFalse(mem.isDirectWritable(0x5000), "after a fetch the page is watched again");
        mem.write32(0x5FFE, 0x01020304); // crosses into page 6
        bits = mem.fetchAndClearDirty();
        assertTrue(dirty(bits, 5) && dirty(bits, 6));
        mem.stopDirtyTracking();
        assertTrue(mem.isDirectWritable(0x7000));
    }

    @Test
    void twoDirtyLogsAreIndependent() {
        PhysicalMemory mem = new PhysicalMemory(1 << 20);
        DirtyLog a = mem.openDirtyLog();
        DirtyLog b = mem.openDirtyLog();
        mem.write8(0x3000, 1);
        assertTrue(mem.isDirectWritable(0x3000), "dirty in both logs: no more notifications");
        long[] ba = a.fetchAndClear();
        assertTrue(dirty(ba, 3));
        assertFalse(mem.isDirectWritable(0x3000), "clean again in log a");
        mem.write8(0x4000, 1);
        mem.write8(0x3000, 2);
        long[] bb = b.fetchAndClear();
        assertTrue(dirty(bb, 3) && dirty(bb, 4), "log b saw both pages: its round was not cleared by a's fetch");
        ba = a.fetchAndClear();
        assertTrue(dirty(ba, 3) && dirty(ba, 4));
        assertEquals(0, a.dirtyPages());
        b.close();
        mem.write8(0x5000, 1);
        assertTrue(mem.isDirectWritable(0x5000), "only log a watches now, and it has the page dirty");
        assertTrue(dirty(a.fetchAndClear(), 5));
        a.close();
        assertTrue(mem.isDirectWritable(0x6000), "no log open: plain RAM is written directly");
    }

    @Test
    void deviceWritesAreReportedToLogs() {
        PhysicalMemory mem = new PhysicalMemory(1 << 20);
        DirtyLog a = mem.openDirtyLog();
        System.arraycopy(new byte[5000], 0, mem.ram, 0x7FFE, 5000);
        mem.markWritten(0x7FFE, 5000);
        long[] bits = a.fetchAndClear();
        assertTrue(dirty(bits, 7) && dirty(bits, 8) && dirty(bits, 9));
        assertFalse(dirty(bits, 6) || dirty(bits, 10));
    }
}
