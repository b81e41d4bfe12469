package dev.tandem.core.replay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.core.dev.virtio.VirtioNet;
import dev.tandem.core.io.IoBus;
import dev.tandem.core.machine.Machine;
import dev.tandem.core.machine.MachineConfig;
import dev.tandem.core.machine.TimingMode;
import dev.tandem.core.mem.PhysicalMemory;
import dev.tandem.core.snapshot.StateHasher;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.Test;

/**
 * FRAME records: frames arriving from a host thread at host-chosen moments are injected at slice
 * boundaries and logged; the replay injects them at the same instruction counts from the log
 * alone, so every checkpoint and the final state (receive buffers included) match. A card whose
 * buffers run out makes frames wait on the host side, not vanish. Damaged FRAME records are
 * reported as log damage.
 *
 * <p>The guest is the built-in bench loop (it never touches the card); the test plays the driver
 * before the first instruction: it resets the card, sets up the receive queue in RAM above the
 * guest's data and posts buffers, the same way before the recording and before the replay (the
 * first checkpoint, at instruction 0, checks that).
 */
class FrameRecordReplayTest {
    static final Map<String, String> SPEC = Map.of("guest", "bench", "nic0", "virtio,mac=52:54:00:12:34:56");
    static final int RXQ_PFN = 0x400; // 4 MiB
    static final int BUFS = 0x500000;
    static final int BUFFERS = 40;

    /** What a driver does: reset, features, the receive queue, DRIVER_OK, {@link #BUFFERS} 1528-byte buffers. */
    static void driver(Machine m) {
        IoBus io = m.io();
        PhysicalMemory mem = m.memory();
        int base = Machine.NIC_IO_BASE;
        io.out(base + 0x12, 1, 0);
        io.out(base + 0x12, 1, 3);
        io.out(base + 4, 4, io.in(base, 4));
        io.out(base + 0x0E, 2, 0);
        io.out(base + 8, 4, RXQ_PFN);
        io.out(base + 0x12, 1, 7);
        int desc = RXQ_PFN << 12;
        int avail = desc + 16 * VirtioNet.QUEUE_SIZE;
        for (int i = 0; i < BUFFERS; i++) {
            mem.write32(desc + 16 * i, BUFS + 0x800 * i);
            mem.write32(desc + 16 * i + 8, 1528);
            mem.write16(desc + 16 * i + 12, 2); // device-writable
            mem.write16(avail + 4 + 2 * i, i);
        }
        mem.write16(avail + 2, BUFFERS);
    }

    static byte[] frame(int len, int seed) {
        byte[] f = new byte[len];
        for (int i = 0; i < len; i++) f[i] = (byte) (i * 13 + seed);
        return f;
    }

    record Recorded(byte[] log, long icount, long total, long injected, List<Integer> frameCounts) {
    }

    static Recorded record(TimingMode timing, long until, int frames) throws Exception {
        return record(timing, until, frames, false);
    }

    static Recorded record(TimingMode timing, long until, int frames, boolean catchUpHaltedOnly) throws Exception {
        ConcurrentLinkedQueue<byte[]> q = new ConcurrentLinkedQueue<>();
        Thread feeder = new Thread(() -> {
            try {
                for (int i = 0; i < frames; i++) {
                    Thread.sleep(1 + (i % 3));
                    // mostly good frames; a runt and a frame too big for the 1518-byte buffers in between
                    int len = i % 17 == 5 ? 13 : i % 19 == 7 ? 1600 : 60 + (i * 97) % 1400;
                    q.add(frame(len, i));
                }
            } catch (InterruptedException e) {
                // stop
            }
        });
        HostWorld.FrameSource src = new HostWorld.FrameSource() {
            @Override
            public int poll(int nic, byte[] buf) {
                byte[] f = q.poll();
                if (f == null) return -1;
                System.arraycopy(f, 0, buf, 0, f.length);
                return f.length;
            }

            @Override
            public boolean available() {
                return !q.isEmpty();
            }
        };
        ByteArrayOutputStream bo = new ByteArrayOutputStream();
        LogWriter w = new LogWriter(bo);
        Recorder rec = new Recorder(HostWorld.system(() -> -1, src), w, 2_000_000);
        rec.setCatchUpWhenHaltedOnly(timing == TimingMode.HOST_CLOCK && catchUpHaltedOnly);
        Machine m = new Machine(MachineConfig.defaults(16 << 20), rec);
        m.setTimingMode(timing);
        GuestSpec.load(m, SPEC);
        driver(m);
        w.writeHeader(rec.header(m, SPEC));
        feeder.start();
        List<Integer> counts = new ArrayList<>();
        // one run: a second run() call would repeat the boundary at the same count, which a replay
        // (one run to the end) does not have
        Machine.Exit exit = m.run(until);
        counts.add((int) rec.framesInjected());
        feeder.interrupt();
        feeder.join();
        rec.finish(m, exit);
        w.close();
        return new Recorded(bo.toByteArray(), m.cpu().icount, StateHasher.digest(m).total(), rec.framesInjected(), counts);
    }

    static Replayer replay(byte[] log, Machine[] out) throws IOException {
        LogReader r = new LogReader(new ByteArrayInputStream(log));
        LogHeader h = r.readHeader();
        Replayer rp = new Replayer(r, h, null);
        Machine m = new Machine(h.config(), rp);
        m.setTimingMode(h.timing());
        GuestSpec.load(m, h.guest());
        driver(m);
        Machine.Exit exit;
        do {
            exit = m.run(Long.MAX_VALUE);
        } while (!rp.finishIfEnded(m, exit));
        rp.throwIfLogDamaged();
        out[0] = m;
        return rp;
    }

    @Test
    void framesReplayAtTheRecordedCounts() throws Exception {
        for (int variant = 0; variant < 3; variant++) {
            TimingMode t = variant == 0 ? TimingMode.VIRTUAL : TimingMode.HOST_CLOCK;
            Recorded rec = record(t, 40_000_000, 60, variant == 2);
            assertTrue(rec.injected() >= 5, "frames injected: " + rec.injected() + " " + rec.frameCounts());
            assertTrue(rec.injected() <= BUFFERS + 10, "buffers limit what the card takes: " + rec.injected());
            Machine[] m = new Machine[1];
            Replayer rp = replay(rec.log(), m);
            assertNull(rp.divergence(), rp.divergence());
            assertTrue(rp.reachedEnd());
            assertEquals(rec.injected(), rp.framesApplied());
            assertEquals(rec.icount(), m[0].cpu().icount);
            assertEquals(rec.total(), StateHasher.digest(m[0]).total());
            assertTrue(rp.checkpointsChecked() >= 8, "checkpoints: " + rp.checkpointsChecked());
            // what reached the guest: good frames in order, runts and oversized ones dropped by the card
            long delivered = m[0].nic(0).framesReceived();
            assertEquals(rec.injected(), delivered + m[0].nic(0).framesDropped());
            assertTrue(delivered <= BUFFERS);
        }
    }

    /** Offset of the first FRAME record in a log (walking the frames). */
    static int firstFrame(byte[] log) {
        int off = 12 + LogReader.getInt(log, 8) + 4;
        while (off < log.length) {
            int len = LogReader.getInt(log, off);
            if (log[off + 4] == LogWriter.FRAME) return off;
            off += 4 + len + 4;
        }
        throw new AssertionError("no FRAME record");
    }

    /** Rewrites a record's CRC after a change, so only the semantic check can catch it. */
    static void fixCrc(byte[] log, int off) {
        int len = LogReader.getInt(log, off);
        java.util.zip.CRC32C c = new java.util.zip.CRC32C();
        c.update(log, off, 4 + len);
        LogWriter.putInt(log, off + 4 + len, (int) c.getValue());
    }

    @Test
    void damagedFrameRecordsAreReportedAsLogDamage() throws Exception {
        Recorded rec = record(TimingMode.VIRTUAL, 8_000_000, 20);
        int at = firstFrame(rec.log());
        byte[] badNic = rec.log().clone();
        badNic[at + 13 + 8] = 9; // NIC index 9
        fixCrc(badNic, at);
        IOException e = assertThrows(IOException.class, () -> replay(badNic, new Machine[1]));
        assertTrue(e.getMessage().matches("log corrupted: record #\\d+ \\(FRAME at icount \\d+, byte offset \\d+\\) has bad contents"),
                e.getMessage());
        byte[] badLen = rec.log().clone();
        badLen[at + 13 + 9] ^= 0x01; // length field disagrees with the payload
        fixCrc(badLen, at);
        e = assertThrows(IOException.class, () -> replay(badLen, new Machine[1]));
        assertTrue(e.getMessage().contains("has bad contents"), e.getMessage());
        byte[] flipped = rec.log().clone();
        flipped[at + 13 + 20] ^= 0x40; // a frame byte, CRC not fixed
        e = assertThrows(IOException.class, () -> replay(flipped, new Machine[1]));
        assertTrue(e.getMessage().contains("fails its CRC32C check"), e.getMessage());
    }
}
