package dev.tandem.core.dev;

import dev.tandem.core.io.IoBus;
import dev.tandem.core.io.IoDevice;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;

/**
 * The 256-byte configuration space of a PCI function with a type-0 header: identification,
 * command/status, base address registers with sizing, interrupt line and pin.
 *
 * <p>Writable: the command register (I/O, memory, bus master, parity, SERR, INTx disable), cache
 * line size, latency timer, the BARs and the interrupt line; everything else is read-only. A BAR
 * reads back its address with the bits below its size cleared, so writing all ones and reading
 * gives the size, as the PCI specification has software probe it. Unimplemented BARs read 0.
 *
 * <p>I/O BARs are decoded on the {@link IoBus}: while the command register's I/O enable bit is set
 * and the BAR holds an address whose range lies below 64 KiB, the BAR's device answers those
 * ports. The mapping is derived from the register contents (after a snapshot load too), never
 * saved on its own.
 */
public final class PciConfigSpace {
    public static final int COMMAND = 0x04;
    public static final int STATUS = 0x06;
    public static final int BAR0 = 0x10;
    public static final int INTERRUPT_LINE = 0x3C;
    public static final int INTERRUPT_PIN = 0x3D;

    public static final int CMD_IO = 0x0001;
    public static final int CMD_MEMORY = 0x0002;
    public static final int CMD_BUS_MASTER = 0x0004;
    public static final int CMD_INTX_DISABLE = 0x0400;
    /** Command bits a guest may set: I/O, memory, bus master, parity error response, SERR#, INTx disable. */
    private static final int CMD_WRITABLE = 0x0547;
    /** Status bit 3: the function's INTx is asserted (PCI 2.3). */
    public static final int STATUS_INTERRUPT = 0x0008;

    private final IoBus io;
    private final byte[] cfg = new byte[256];
    private final int[] barSize = new int[6];
    private final IoDevice[] barDevice = new IoDevice[6];
    /** Derived: the port each I/O BAR is decoded at now, or -1. */
    private final int[] mappedAt = {-1, -1, -1, -1, -1, -1};

    /**
     * @param classCode base class, sub-class and programming interface as {@code 0xBBSSPP}
     * @param interruptPin 0 none, 1..4 INTA#..INTD#
     */
    public PciConfigSpace(IoBus io, int vendor, int device, int revision, int classCode, int subsystemVendor,
            int subsystemId, int interruptPin) {
        this.io = io;
        put16(0x00, vendor);
        put16(0x02, device);
        cfg[0x08] = (byte) revision;
        cfg[0x09] = (byte) classCode;
        cfg[0x0A] = (byte) (classCode >> 8);
        cfg[0x0B] = (byte) (classCode >> 16);
        put16(0x2C, subsystemVendor);
        put16(0x2E, subsystemId);
        cfg[INTERRUPT_PIN] = (byte) interruptPin;
    }

    /** Declares BAR {@code bar} as an I/O range of {@code size} bytes (a power of two, 4..256) answered by {@code dev}. */
    public void defineIoBar(int bar, int size, IoDevice dev) {
        if (bar < 0 || bar > 5) throw new IllegalArgumentException("BAR index out of range 0..5: " + bar);
        if (size < 4 || size > 256 || Integer.bitCount(size) != 1) {
            throw new IllegalArgumentException("I/O BAR size must be a power of two in 4..256: " + size);
        }
        barSize[bar] = size;
        barDevice[bar] = dev;
        put32(BAR0 + 4 * bar, 1);
    }

    // ------------------------------------------------------------------ guest access

    public int read(int offset, int size) {
        int v = 0;
        for (int i = 0; i < size; i++) v |= (cfg[(offset + i) & 0xFF] & 0xFF) << (8 * i);
        return v;
    }

    public void write(int offset, int size, int value) {
        boolean decode = false;
        for (int i = 0; i < size; i++) {
            int o = (offset + i) & 0xFF;
            int b = (value >>> (8 * i)) & 0xFF;
            if (o == COMMAND || o == COMMAND + 1) {
                int mask = (CMD_WRITABLE >> (8 * (o - COMMAND))) & 0xFF;
                cfg[o] = (byte) ((cfg[o] & ~mask) | (b & mask));
                decode = true;
            } else if (o >= BAR0 && o < BAR0 + 24) {
                int bar = (o - BAR0) >> 2;
                if (barSize[bar] == 0) continue; // unimplemented: reads 0
                int shift = 8 * ((o - BAR0) & 3);
                int cur = get32(BAR0 + 4 * bar);
                int nv = (cur & ~(0xFF << shift)) | (b << shift);
                put32(BAR0 + 4 * bar, (nv & ~(barSize[bar] - 1) & ~3) | 1);
                decode = true;
            } else if (o == 0x0C || o == 0x0D || o == INTERRUPT_LINE) {
                cfg[o] = (byte) b; // cache line size, latency timer, interrupt line
            }
            // everything else (IDs, status, class, header type, subsystem, pin, ...) is read-only
        }
        if (decode) updateDecoding();
    }

    // ------------------------------------------------------------------ firmware and device side

    public int command() {
        return get16(COMMAND);
    }

    /** Sets the command register as firmware does before the OS starts (only writable bits). */
    public void setCommand(int value) {
        write(COMMAND, 2, value);
    }

    /** Programs BAR {@code bar} as firmware does (the sizing mask applies). */
    public void setBar(int bar, int value) {
        write(BAR0 + 4 * bar, 4, value);
    }

    public void setInterruptLine(int irq) {
        cfg[INTERRUPT_LINE] = (byte) irq;
    }

    public int interruptLine() {
        return cfg[INTERRUPT_LINE] & 0xFF;
    }

    public int interruptPin() {
        return cfg[INTERRUPT_PIN] & 0xFF;
    }

    public boolean intxDisabled() {
        return (command() & CMD_INTX_DISABLE) != 0;
    }

    public boolean busMaster() {
        return (command() & CMD_BUS_MASTER) != 0;
    }

    /** Reflects the device's pending interrupt in status bit 3. */
    public void setInterruptStatus(boolean pending) {
        int s = get16(STATUS);
        put16(STATUS, pending ? s | STATUS_INTERRUPT : s & ~STATUS_INTERRUPT);
    }

    /** The port I/O BAR {@code bar} decodes at now, or -1 (I/O disabled, unassigned, or beyond 64 KiB). */
    public int ioBase(int bar) {
        return mappedAt[bar];
    }

    private int decodeBase(int bar) {
        if (barSize[bar] == 0 || barDevice[bar] == null || (command() & CMD_IO) == 0) return -1;
        long base = get32(BAR0 + 4 * bar) & 0xFFFF_FFFCL;
        if (base == 0 || base + barSize[bar] > 0x10000) return -1;
        return (int) base;
    }

    /** Brings the I/O bus mapping in line with the BARs and the command register. */
    public void updateDecoding() {
        for (int bar = 0; bar < 6; bar++) {
            int want = decodeBase(bar);
            if (want == mappedAt[bar]) continue;
            if (mappedAt[bar] >= 0) io.unregister(mappedAt[bar], mappedAt[bar] + barSize[bar] - 1, barDevice[bar]);
            if (want >= 0) io.register(want, want + barSize[bar] - 1, barDevice[bar]);
            mappedAt[bar] = want;
        }
    }

    /** Removes every I/O mapping (the slot was emptied). */
    public void unmapAll() {
        for (int bar = 0; bar < 6; bar++) {
            if (mappedAt[bar] >= 0) io.unregister(mappedAt[bar], mappedAt[bar] + barSize[bar] - 1, barDevice[bar]);
            mappedAt[bar] = -1;
        }
    }

    /** Back to the power-on contents: command 0, BARs unassigned, interrupt line 0. */
    public void reset() {
        put16(COMMAND, 0);
        put16(STATUS, 0);
        cfg[0x0C] = 0;
        cfg[0x0D] = 0;
        for (int bar = 0; bar < 6; bar++) put32(BAR0 + 4 * bar, barSize[bar] == 0 ? 0 : 1);
        cfg[INTERRUPT_LINE] = 0;
        updateDecoding();
    }

    // ------------------------------------------------------------------ snapshot

    public void saveState(DataOutput out) throws IOException {
        out.writeInt(cfg.length);
        out.write(cfg);
    }

    /** Restores the registers; identification and pin stay as constructed, the I/O mapping follows. */
    public void loadState(DataInput in, String device) throws IOException {
        byte[] b = new byte[cfg.length];
        StateIo.readFully(in, b, device, "PCI configuration space");
        for (int o : new int[] {COMMAND, COMMAND + 1, STATUS, STATUS + 1, 0x0C, 0x0D, INTERRUPT_LINE}) cfg[o] = b[o];
        put16(COMMAND, command() & CMD_WRITABLE);
        for (int bar = 0; bar < 6; bar++) {
            int v = (b[BAR0 + 4 * bar] & 0xFF) | (b[BAR0 + 4 * bar + 1] & 0xFF) << 8 | (b[BAR0 + 4 * bar + 2] & 0xFF) << 16
                    | (b[BAR0 + 4 * bar + 3] & 0xFF) << 24;
            put32(BAR0 + 4 * bar, barSize[bar] == 0 ? 0 : (v & ~(barSize[bar] - 1) & ~3) | 1);
        }
        updateDecoding();
    }

    // ------------------------------------------------------------------ helpers

    private void put16(int o, int v) {
        cfg[o] = (byte) v;
        cfg[o + 1] = (byte) (v >> 8);
    }

    private int get16(int o) {
        return (cfg[o] & 0xFF) | (cfg[o + 1] & 0xFF) << 8;
    }

    private void put32(int o, int v) {
        put16(o, v);
        put16(o + 2, v >>> 16);
    }

    private int get32(int o) {
        return get16(o) | get16(o + 2) << 16;
    }
}
