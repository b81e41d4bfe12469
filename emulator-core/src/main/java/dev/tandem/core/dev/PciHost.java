package dev.tandem.core.dev;

import dev.tandem.core.io.IoBus;
import dev.tandem.core.io.IoDevice;
import dev.tandem.core.io.IrqSink;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;

/**
 * PCI configuration mechanism #1 (address register 0xCF8, data window 0xCFC-0xCFF) for bus 0
 * with two functions: an i440FX-like host bridge (8086:1237) at 00:00.0 and a PIIX3-like
 * PCI-to-ISA bridge (8086:7000) at 00:01.0. Further single-function devices ({@link PciFunction},
 * e.g. a network card) are attached at device numbers 2..31 with {@link #attach}. Absent functions
 * read as all ones.
 *
 * <p>Configuration space is read-only except for the registers firmware and Linux write: command,
 * latency timer, the i440FX chipset registers 0x50-0x7F (PAM 0x59-0x5F, DRB, SMRAM, ...) and the
 * PIIX3 registers (PIRQ routing 0x60-0x63, ISA clock/XBCS, TOM, motherboard IRQ/DMA, APIC base,
 * SMI). Their values are stored; the machine reads them via {@link #pam} / {@link #pirqRoute}.
 *
 * <p>Interrupts: attached functions drive INTx pins; device {@code d}'s pin {@code p} (1 = INTA#)
 * reaches PIRQ{@code (d + p - 2) mod 4} (the usual slot rotation, as on QEMU's pc machine), which
 * the PIIX3 route register of that PIRQ sends to an ISA IRQ of the {@link IrqSink} (the 8259 pair;
 * the line is level triggered, shared lines are wired-OR). Route registers that are disabled or
 * name IRQ 0, 1, 2, 8 or 13 (reserved on the PIIX3) deliver nothing.
 *
 * <p>Byte port 0xCF9 is the PIIX3 reset control register: a 0-&gt;1 transition of bit 2
 * (RST_CPU) resets the machine through the reset callback.
 */
public final class PciHost implements IoDevice {
    public static final int STATE_VERSION = 1;

    private static final byte[] HOST_WRITABLE = new byte[256];
    private static final byte[] ISA_WRITABLE = new byte[256];

    static {
        HOST_WRITABLE[0x04] = (byte) 0xFF;
        HOST_WRITABLE[0x05] = 0x01;
        HOST_WRITABLE[0x0D] = (byte) 0xF8; // latency timer, 8-clock granularity
        for (int i = 0x50; i <= 0x7F; i++) HOST_WRITABLE[i] = (byte) 0xFF;
        ISA_WRITABLE[0x04] = (byte) 0xFF;
        ISA_WRITABLE[0x05] = 0x01;
        int[] isaRegs = {0x4C, 0x4E, 0x4F, 0x69, 0x6A, 0x6B, 0x70, 0x71, 0x76, 0x77, 0x78, 0x79, 0x80, 0x82};
        for (int r : isaRegs) ISA_WRITABLE[r] = (byte) 0xFF;
        for (int i = 0x60; i <= 0x63; i++) ISA_WRITABLE[i] = (byte) 0x8F; // IRQROUTEN + IRQ number
        for (int i = 0xA0; i <= 0xAF; i++) ISA_WRITABLE[i] = (byte) 0xFF;
    }

    private Runnable reset = () -> { };
    private Runnable pamListener = () -> { };
    private Runnable pirqListener = () -> { };

    // ---- guest-visible state
    private int address;
    private final byte[] host = new byte[256];
    private final byte[] isa = new byte[256];
    private int resetControl;

    // ---- wiring (attached functions keep their own state)
    private final PciFunction[] functions = new PciFunction[32];
    private IrqSink irqSink;
    /** Derived: ISA IRQs (bit mask) the PCI interrupt lines currently hold high. */
    private int drivenIrqs;

    public PciHost() {
        put16(host, 0x00, 0x8086);
        put16(host, 0x02, 0x1237);
        put16(host, 0x04, 0x0006); // memory space + bus master
        put16(host, 0x06, 0x0280); // fast back-to-back capable, medium DEVSEL timing
        host[0x08] = 0x02; // revision
        host[0x0A] = 0x00; // sub-class: host bridge
        host[0x0B] = 0x06; // class: bridge
        host[0x0E] = 0x00; // header type 0, single function
        host[0x72] = 0x02; // SMRAM: C_BASE_SEG = 010 (A0000)

        put16(isa, 0x00, 0x8086);
        put16(isa, 0x02, 0x7000);
        put16(isa, 0x04, 0x0007); // I/O, memory, bus master
        put16(isa, 0x06, 0x0200); // medium DEVSEL timing
        isa[0x08] = 0x00;
        isa[0x0A] = 0x01; // sub-class: ISA bridge
        isa[0x0B] = 0x06;
        isa[0x0E] = (byte) 0x80; // header type 0, multi-function device
        isa[0x4C] = 0x4D; // ISA I/O recovery timer
        isa[0x4E] = 0x03; // X-bus chip select
        for (int i = 0x60; i <= 0x63; i++) isa[i] = (byte) 0x80; // PIRQA-D routing disabled
        isa[0x69] = 0x02; // top of memory
        isa[0x70] = (byte) 0x80;
        isa[0x71] = (byte) 0x80;
        isa[0x76] = 0x0C;
        isa[0x77] = 0x0C;
        isa[0x78] = 0x02;
        isa[0xA0] = 0x08;
        isa[0xA8] = 0x0F;
    }

    private static void put16(byte[] cfg, int off, int v) {
        cfg[off] = (byte) v;
        cfg[off + 1] = (byte) (v >> 8);
    }

    public void register(IoBus bus) {
        bus.register(0xCF8, 0xCFF, this);
    }

    @Override
    public boolean splitsWideAccesses() {
        return false;
    }

    public void setResetCallback(Runnable r) {
        this.reset = r == null ? () -> { } : r;
    }

    /** Called after the guest writes a PAM register (0x59-0x5F of the host bridge). */
    public void setPamListener(Runnable r) {
        this.pamListener = r == null ? () -> { } : r;
    }

    /** Called after the guest writes a PIRQ route register (0x60-0x63 of the ISA bridge). */
    public void setPirqListener(Runnable r) {
        this.pirqListener = r == null ? () -> { } : r;
    }

    /** Attaches a function at 00:{@code dev}.0 ({@code dev} 2..31) before the machine runs. */
    public void attach(int dev, PciFunction f) {
        if (dev < 2 || dev > 31) throw new IllegalArgumentException("PCI device number out of range 2..31: " + dev);
        if (functions[dev] != null) throw new IllegalArgumentException("PCI device " + dev + " is already attached");
        functions[dev] = f;
        f.setIntxListener(() -> updateIntx(true));
    }

    /** Where PCI interrupts go (the 8259 pair). */
    public void setIrqSink(IrqSink sink) {
        this.irqSink = sink;
    }

    /** The PIRQ line (0..3 for PIRQA..D) that pin {@code pin} (1..4) of device {@code dev} is wired to. */
    public static int pirqOf(int dev, int pin) {
        return (dev + pin - 2) & 3;
    }

    /**
     * Sets PIRQ route register {@code n} the way firmware does before the OS starts ({@code irq}
     * 0..15, or -1 to disable the route).
     */
    public void setPirqRoute(int n, int irq) {
        if (n < 0 || n > 3) throw new IllegalArgumentException("PIRQ index out of range 0..3: " + n);
        if (irq < -1 || irq > 15) throw new IllegalArgumentException("IRQ out of range: " + irq);
        isa[0x60 + n] = (byte) (irq < 0 ? 0x80 : irq);
        updateIntx(true);
        pirqListener.run();
    }

    /**
     * Recomputes which ISA IRQs the PCI interrupt lines hold high; with {@code drive} the changes
     * are applied to the IRQ sink, without it (after a snapshot load, whose interrupt controller
     * state already includes them) only remembered.
     */
    private void updateIntx(boolean drive) {
        int want = 0;
        for (int d = 2; d < 32; d++) {
            PciFunction f = functions[d];
            if (f == null || !f.present() || !f.intxAsserted()) continue;
            int pin = f.interruptPin();
            if (pin < 1 || pin > 4) continue;
            int irq = pirqRoute(pirqOf(d, pin));
            if (irq < 0 || irq == 0 || irq == 1 || irq == 2 || irq == 8 || irq == 13) continue;
            want |= 1 << irq;
        }
        int changed = want ^ drivenIrqs;
        drivenIrqs = want;
        if (!drive || irqSink == null) return;
        while (changed != 0) {
            int irq = Integer.numberOfTrailingZeros(changed);
            changed &= changed - 1;
            irqSink.setIrq(irq, (want & (1 << irq)) != 0);
        }
    }

    /**
     * After the whole machine state was loaded (this bridge, the attached functions and the
     * interrupt controller): recomputes the derived interrupt routing without touching the
     * controller.
     */
    public void afterLoad() {
        updateIntx(false);
    }

    /** PAM register {@code i} (0-6) of the host bridge. */
    public int pam(int i) {
        if (i < 0 || i > 6) throw new IllegalArgumentException("PAM index out of range 0..6: " + i);
        return host[0x59 + i] & 0xFF;
    }

    /** ISA IRQ that PCI interrupt PIRQ{@code A+n} is routed to, or -1 if routing is disabled. */
    public int pirqRoute(int n) {
        if (n < 0 || n > 3) throw new IllegalArgumentException("PIRQ index out of range 0..3: " + n);
        int v = isa[0x60 + n] & 0xFF;
        return (v & 0x80) != 0 ? -1 : v & 0x0F;
    }

    /** A byte of configuration space of function 00:{@code dev}.0 (for tests and diagnostics). */
    public int configByte(int dev, int offset) {
        byte[] cfg = function(0, dev, 0);
        if (cfg == null) {
            PciFunction f = attached(0, dev, 0);
            return f == null ? 0xFF : f.configRead(offset & 0xFF, 1) & 0xFF;
        }
        return cfg[offset & 0xFF] & 0xFF;
    }

    private PciFunction attached(int bus, int dev, int fn) {
        if (bus != 0 || fn != 0 || dev < 2) return null;
        PciFunction f = functions[dev];
        return f != null && f.present() ? f : null;
    }

    private byte[] function(int bus, int dev, int fn) {
        if (bus != 0 || fn != 0) return null;
        if (dev == 0) return host;
        if (dev == 1) return isa;
        return null;
    }

    private byte[] selected() {
        if ((address & 0x8000_0000) == 0) return null;
        return function((address >>> 16) & 0xFF, (address >>> 11) & 0x1F, (address >>> 8) & 7);
    }

    private PciFunction selectedFunction() {
        if ((address & 0x8000_0000) == 0) return null;
        return attached((address >>> 16) & 0xFF, (address >>> 11) & 0x1F, (address >>> 8) & 7);
    }

    @Override
    public int ioRead(int port, int size) {
        if (port == 0xCF8 && size == 4) return address;
        if (port >= 0xCFC) {
            byte[] cfg = selected();
            if (cfg == null) {
                PciFunction f = selectedFunction();
                if (f == null) return 0xFFFF_FFFF;
                int off = (address & 0xFC) + (port - 0xCFC);
                return f.configRead(off, Math.min(size, 4 - (port - 0xCFC)));
            }
            int off = (address & 0xFC) + (port - 0xCFC);
            int v = 0;
            for (int i = 0; i < size; i++) v |= (cfg[(off + i) & 0xFF] & 0xFF) << (8 * i);
            return v;
        }
        if (port == 0xCF9 && size == 1) return resetControl;
        return 0xFFFF_FFFF; // other accesses to 0xCF8-0xCFB are not decoded
    }

    @Override
    public void ioWrite(int port, int size, int value) {
        if (port == 0xCF8 && size == 4) {
            address = value & 0x80FF_FFFC; // reserved bits 30-24 and type bits 1-0 read as 0
            return;
        }
        if (port >= 0xCFC) {
            byte[] cfg = selected();
            if (cfg == null) {
                PciFunction f = selectedFunction();
                if (f != null) f.configWrite((address & 0xFC) + (port - 0xCFC), Math.min(size, 4 - (port - 0xCFC)), value);
                return;
            }
            byte[] mask = cfg == host ? HOST_WRITABLE : ISA_WRITABLE;
            int off = (address & 0xFC) + (port - 0xCFC);
            boolean pam = false;
            boolean pirq = false;
            for (int i = 0; i < size; i++) {
                int o = (off + i) & 0xFF;
                int m = mask[o] & 0xFF;
                if (m == 0) continue;
                int b = (value >>> (8 * i)) & 0xFF;
                cfg[o] = (byte) ((cfg[o] & ~m) | (b & m));
                if (cfg == host && o >= 0x59 && o <= 0x5F) pam = true;
                if (cfg == isa && o >= 0x60 && o <= 0x63) pirq = true;
            }
            if (pam) pamListener.run();
            if (pirq) {
                updateIntx(true);
                pirqListener.run();
            }
            return;
        }
        if (port == 0xCF9 && size == 1) {
            resetControl = value & 0x02; // bit 1 (hard reset select) is kept; bit 2 is a trigger
            if ((value & 0x04) != 0) reset.run(); // RST_CPU reads back as 0, so each write counts
        }
    }

    // ------------------------------------------------------------------ snapshot

    public void saveState(DataOutput out) throws IOException {
        out.writeInt(STATE_VERSION);
        out.writeInt(address);
        out.writeInt(host.length);
        out.write(host);
        out.writeInt(isa.length);
        out.write(isa);
        out.writeInt(resetControl);
    }

    public void loadState(DataInput in) throws IOException {
        StateIo.expectVersion(in, "PciHost", STATE_VERSION);
        address = in.readInt() & 0x80FF_FFFC;
        StateIo.readFully(in, host, "PciHost", "host bridge config space");
        StateIo.readFully(in, isa, "PciHost", "ISA bridge config space");
        resetControl = in.readInt() & 0x02;
    }
}
