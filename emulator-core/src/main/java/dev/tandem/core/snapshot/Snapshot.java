package dev.tandem.core.snapshot;

import dev.tandem.core.machine.HostInputs;
import dev.tandem.core.machine.Machine;
import dev.tandem.core.machine.MachineConfig;
import dev.tandem.core.machine.TimingMode;
import dev.tandem.core.mem.PhysicalMemory;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.CRC32C;
import java.util.zip.Deflater;
import java.util.zip.DeflaterOutputStream;
import java.util.zip.InflaterInputStream;

/**
 * Whole-machine snapshots: configuration, firmware image, CPU/x87, devices with their pending
 * timers, idle ticks, A20 (through the devices that drive it) and RAM, in a versioned,
 * deflate-compressed file. All-zero RAM pages cost one bit each. Layout: docs/snapshot-format.md.
 */
public final class Snapshot {
    private Snapshot() {
    }

    static final byte[] MAGIC = "TNDMSNAP".getBytes(StandardCharsets.US_ASCII);
    static final byte[] END_MAGIC = "TNDMSEND".getBytes(StandardCharsets.US_ASCII);
    /** 2: machine state version 2 (network card slots). */
    public static final int VERSION = 2;
    /** Trailer: u64 length of everything before it, u32 CRC32C of the same bytes, end magic. */
    static final int TRAILER = 8 + 4 + 8;

    /** Writes a snapshot of {@code m} (call between {@link Machine#run} calls). */
    public static void write(Machine m, OutputStream os) throws IOException {
        write(m.config(), m.timingMode(), m.firmware(), stateBytes(m), m.memory().ram, os);
    }

    private static byte[] stateBytes(Machine m) throws IOException {
        ByteArrayOutputStream sb = new ByteArrayOutputStream(16 << 10);
        DataOutputStream d = new DataOutputStream(sb);
        m.saveState(d);
        d.flush();
        return sb.toByteArray();
    }

    /**
     * A machine's whole state copied at one moment (RAM by an array copy), to be written as a
     * snapshot later on any thread while the machine runs on: the stop-the-world part of a state
     * transfer is the copy, not the compression.
     */
    public static final class Capture {
        private final MachineConfig config;
        private final dev.tandem.core.machine.TimingMode timing;
        private final byte[] firmware;
        private final byte[] state;
        private final byte[] ram;
        private final long icount;

        private Capture(Machine m) throws IOException {
            config = m.config();
            timing = m.timingMode();
            firmware = m.firmware() == null ? null : m.firmware().clone();
            state = stateBytes(m);
            ram = m.memory().ram.clone();
            icount = m.cpu().icount();
        }

        /** The instruction count the copy was taken at. */
        public long icount() {
            return icount;
        }

        /** The snapshot file contents (same format as {@link Snapshot#write}). */
        public byte[] toBytes() throws IOException {
            ByteArrayOutputStream bo = new ByteArrayOutputStream(8 << 20);
            write(config, timing, firmware, state, ram, bo);
            return bo.toByteArray();
        }
    }

    /** Copies {@code m}'s state now (call between {@link Machine#run} calls, or at a slice boundary). */
    public static Capture capture(Machine m) throws IOException {
        return new Capture(m);
    }

    private static void write(MachineConfig c, dev.tandem.core.machine.TimingMode timing, byte[] fw, byte[] state, byte[] ram,
            OutputStream os) throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream(1 << 20);
        DataOutputStream out = new DataOutputStream(buf);
        out.write(MAGIC);
        out.writeInt(VERSION);
        out.writeInt(c.ramBytes());
        out.writeLong(c.instructionsPerSecond());
        out.writeInt(c.postPort());
        out.writeInt(c.debugPort());
        out.writeByte(timing.ordinal());
        out.writeInt(fw == null ? -1 : fw.length);
        if (fw != null) out.write(fw);
        Deflater def = new Deflater(Deflater.BEST_SPEED);
        DeflaterOutputStream z = new DeflaterOutputStream(out, def, 1 << 16);
        DataOutputStream body = new DataOutputStream(z);
        body.write(state);
        int np = ram.length >>> PhysicalMemory.PAGE_SHIFT;
        long[] bitmap = nonZeroPages(ram, np);
        body.writeInt(np);
        for (long w : bitmap) body.writeLong(w);
        for (int p = 0; p < np; p++) {
            if ((bitmap[p >>> 6] & (1L << p)) != 0) body.write(ram, p << PhysicalMemory.PAGE_SHIFT, PhysicalMemory.PAGE_SIZE);
        }
        body.flush();
        z.finish();
        def.end();
        out.flush();
        byte[] bytes = buf.toByteArray();
        CRC32C crc = new CRC32C();
        crc.update(bytes);
        ByteBuffer t = ByteBuffer.allocate(TRAILER);
        t.putLong(bytes.length).putInt((int) crc.getValue()).put(END_MAGIC);
        os.write(bytes);
        os.write(t.array());
        os.flush();
    }

    public static void write(Machine m, Path file) throws IOException {
        try (OutputStream os = Files.newOutputStream(file)) {
            write(m, os);
        }
    }

    static long[] nonZeroPages(byte[] ram, int np) {
        long[] bitmap = new long[(np + 63) >>> 6];
        for (int p = 0; p < np; p++) {
            int base = p << PhysicalMemory.PAGE_SHIFT;
            for (int i = 0; i < PhysicalMemory.PAGE_SIZE; i++) {
                if (ram[base + i] != 0) {
                    bitmap[p >>> 6] |= 1L << p;
                    break;
                }
            }
        }
        return bitmap;
    }

    public static Machine read(Path file) throws IOException {
        return read(Files.readAllBytes(file), file.toString());
    }

    public static Machine read(InputStream in, String name) throws IOException {
        return read(in.readAllBytes(), name);
    }

    /**
     * Builds a new machine from snapshot bytes. The machine has no host inputs installed
     * ({@link HostInputs#NONE}), no console sinks and no serial backends: the caller wires those.
     */
    public static Machine read(byte[] file, String name) throws IOException {
        String what = "snapshot " + name + ": ";
        if (file.length < MAGIC.length + 4 || !ByteBuffer.wrap(file, 0, MAGIC.length).equals(ByteBuffer.wrap(MAGIC))) {
            throw new SnapshotFormatException(what + "not a Tandem snapshot (bad magic)");
        }
        int version = ByteBuffer.wrap(file, MAGIC.length, 4).getInt();
        if (version != VERSION) {
            throw new SnapshotFormatException(what + "unsupported version " + version + " (this build reads " + VERSION + ")");
        }
        if (file.length < TRAILER + MAGIC.length + 4
                || !ByteBuffer.wrap(file, file.length - END_MAGIC.length, END_MAGIC.length).equals(ByteBuffer.wrap(END_MAGIC))) {
            throw new SnapshotFormatException(what + "truncated (" + file.length + " bytes, no end marker)");
        }
        ByteBuffer t = ByteBuffer.wrap(file, file.length - TRAILER, TRAILER);
        long len = t.getLong();
        int storedCrc = t.getInt();
        if (len != file.length - TRAILER) {
            throw new SnapshotFormatException(what + "truncated or padded: trailer says " + len + " bytes of content, file has "
                    + (file.length - TRAILER));
        }
        CRC32C crc = new CRC32C();
        crc.update(file, 0, (int) len);
        if ((int) crc.getValue() != storedCrc) {
            throw new SnapshotFormatException(what + String.format("corrupted: CRC32C is %08x, expected %08x",
                    (int) crc.getValue(), storedCrc));
        }
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(file, 0, (int) len));
        try {
            in.skipNBytes(MAGIC.length + 4);
            int ramBytes = in.readInt();
            long ips = in.readLong();
            int post = in.readInt();
            int debug = in.readInt();
            int timing = in.readUnsignedByte();
            if (timing >= TimingMode.values().length) throw new SnapshotFormatException(what + "bad timing mode " + timing);
            MachineConfig cfg;
            try {
                cfg = new MachineConfig(ramBytes, ips, post, debug);
            } catch (IllegalArgumentException e) {
                throw new SnapshotFormatException(what + "bad configuration: " + e.getMessage());
            }
            Machine m = new Machine(cfg, 0);
            m.setTimingMode(TimingMode.values()[timing]);
            int fwLen = in.readInt();
            if (fwLen >= 0) {
                if (fwLen > 256 * 1024) throw new SnapshotFormatException(what + "bad firmware length " + fwLen);
                m.loadFirmware(in.readNBytes(fwLen));
            }
            DataInputStream body = new DataInputStream(new InflaterInputStream(in));
            m.loadState(body);
            byte[] ram = m.memory().ram;
            int np = body.readInt();
            if (np != ram.length >>> PhysicalMemory.PAGE_SHIFT) {
                throw new SnapshotFormatException(what + "page count " + np + " does not match RAM size " + ram.length);
            }
            long[] bitmap = new long[(np + 63) >>> 6];
            for (int i = 0; i < bitmap.length; i++) bitmap[i] = body.readLong();
            for (int p = 0; p < np; p++) {
                if ((bitmap[p >>> 6] & (1L << p)) != 0) body.readFully(ram, p << PhysicalMemory.PAGE_SHIFT, PhysicalMemory.PAGE_SIZE);
            }
            m.cpu().flushTlbAll();
            m.cpu().flushBlockCache();
            return m;
        } catch (EOFException e) {
            throw new SnapshotFormatException(what + "truncated contents", e);
        } catch (java.util.zip.ZipException e) {
            throw new SnapshotFormatException(what + "corrupted compressed data: " + e.getMessage(), e);
        }
    }
}
