package dev.tandem.core.machine;

import dev.tandem.core.cpu.Cpu;
import dev.tandem.core.cpu.X87Unit;
import dev.tandem.core.dev.CmosRtc;
import dev.tandem.core.dev.I8042;
import dev.tandem.core.dev.PciHost;
import dev.tandem.core.dev.Pic8259Pair;
import dev.tandem.core.dev.Pit8254;
import dev.tandem.core.dev.Port92;
import dev.tandem.core.dev.SerialBackend;
import dev.tandem.core.dev.SystemControlPortB;
import dev.tandem.core.dev.Uart16550;
import dev.tandem.core.dev.virtio.VirtioNet;
import dev.tandem.core.fpu.X87;
import dev.tandem.core.io.IoBus;
import dev.tandem.core.io.IoDevice;
import dev.tandem.core.mem.PhysicalMemory;
import dev.tandem.core.time.Clock;
import dev.tandem.core.time.Scheduler;
import java.util.function.IntConsumer;

/**
 * A PC: CPU with x87, RAM, and the platform devices (PIC pair, PIT, port 61, CMOS RTC, two
 * 16550A UARTs, i8042, port 92, PCI host with i440FX/PIIX3 bridges, POST and debug ports), and
 * {@link #NIC_SLOTS} PCI slots for virtio network cards (empty until {@link #plugNic}).
 *
 * <p>Time is virtual: guest time in ns is {@code ticks * 1e9 / ips}, where ticks are retired
 * instructions plus the deterministic skips taken while the CPU is halted waiting for an
 * interrupt. A run is therefore a pure function of the initial state and the inputs.
 */
public final class Machine {
    /** Why {@link #run} returned. */
    public enum Exit {
        /** The instruction budget was used up. */
        LIMIT,
        /** HLT with interrupts disabled: the guest has stopped for good. */
        HALTED,
        /** HLT with interrupts enabled and no timer armed: nothing can ever wake the CPU. */
        IDLE_FOREVER,
        /** Triple fault (the CPU shut down). */
        TRIPLE_FAULT,
        /** The guest requested a reset (keyboard controller, port 92, port CF9). */
        RESET,
        /** {@link #requestStop()} was called. */
        STOPPED
    }

    private final MachineConfig config;
    private final PhysicalMemory mem;
    private final IoBus io = new IoBus();
    private final Cpu cpu;
    private final X87 x87 = new X87();
    private final Scheduler scheduler = new Scheduler();
    private final Pic8259Pair pic = new Pic8259Pair();
    private final Pit8254 pit;
    private final CmosRtc rtc;
    private final Uart16550 com1;
    private final Uart16550 com2;
    private final I8042 kbc;
    private final Port92 port92 = new Port92();
    private final PciHost pci = new PciHost();
    private final SystemControlPortB portB;
    private final VirtioNet[] nics = new VirtioNet[NIC_SLOTS];

    /** Network card slots (PCI devices 00:03.0 .. 00:06.0). */
    public static final int NIC_SLOTS = 4;
    /** PCI device number of network card slot 0 (00:03.0, where QEMU's pc machine puts its first NIC). */
    public static final int NIC_PCI_DEVICE = 3;
    /** I/O BAR of network card slot {@code s}: {@code NIC_IO_BASE + 0x100 * s} (where SeaBIOS starts I/O BARs). */
    public static final int NIC_IO_BASE = 0xC000;

    /** How guest time advances (fixed for a run; part of a recording's header). */
    private TimingMode timing = TimingMode.VIRTUAL;
    /** The nondeterminism boundary: every input from the host world comes through here. */
    private HostInputs inputs = HostInputs.NONE;
    /** Where guest output goes besides the serial backends (output commit, replicas' histories). */
    private HostOutputs outputs = HostOutputs.NONE;
    private final SerialBackend[] serialBackends = {b -> { }, b -> { }};
    /** Firmware image mapped by {@link #loadFirmware} (configuration, kept for snapshots). */
    private byte[] firmware;

    /** Instructions-equivalent time skipped while halted (part of machine state). */
    private long idleTicks;
    private volatile boolean stopRequested;
    private boolean resetRequested;
    private IntConsumer debugSink = b -> { };
    private IntConsumer postSink = b -> { };

    private final Clock clock = this::nowNs;

    /**
     * A machine whose RTC power-on time comes through the nondeterminism boundary
     * ({@link HostInputs#rtcEpochMillisAtPowerOn()}); {@code inputs} is installed as the machine's
     * input source.
     */
    public Machine(MachineConfig config, HostInputs inputs) {
        this(config, inputs.rtcEpochMillisAtPowerOn());
        setHostInputs(inputs);
    }

    public Machine(MachineConfig config, long hostEpochMillisAtPowerOn) {
        this.config = config;
        this.mem = new PhysicalMemory(config.ramBytes());
        this.cpu = new Cpu(mem, io);
        cpu.setFpu(new X87Unit(x87));
        cpu.setInterruptController(pic);
        cpu.setTscSource(this::ticks);
        cpu.setFerrHook(() -> pic.pulseIrq(13));
        pic.register(io);
        pit = new Pit8254(clock, scheduler, pic);
        pit.register(io);
        portB = new SystemControlPortB(clock, pit);
        portB.register(io);
        rtc = new CmosRtc(clock, scheduler, pic, hostEpochMillisAtPowerOn);
        rtc.register(io);
        rtc.setMemorySize(config.ramBytes());
        rtc.updateChecksum();
        com1 = new Uart16550(0x3F8, 4, clock, scheduler, pic);
        com1.register(io);
        com1.setBackend(b -> transmitted(0, b));
        com2 = new Uart16550(0x2F8, 3, clock, scheduler, pic);
        com2.register(io);
        com2.setBackend(b -> transmitted(1, b));
        kbc = new I8042(pic);
        kbc.register(io);
        kbc.setA20Listener(a -> updateA20());
        kbc.setResetCallback(() -> resetRequested = true);
        port92.register(io);
        port92.setA20Listener(a -> updateA20());
        port92.setResetCallback(() -> resetRequested = true);
        pci.register(io);
        pci.setResetCallback(() -> resetRequested = true);
        pci.setIrqSink(pic);
        for (int s = 0; s < NIC_SLOTS; s++) {
            nics[s] = new VirtioNet(s, mem, io);
            pci.attach(NIC_PCI_DEVICE + s, nics[s]);
        }
        if (config.postPort() >= 0) {
            int p = config.postPort();
            io.register(p, p, byteSink(b -> postSink.accept(b)));
        }
        if (config.debugPort() >= 0) {
            int p = config.debugPort();
            io.register(p, p, byteSink(b -> debugSink.accept(b)));
        }
        // QEMU's isa-debug-exit port: test ROMs written for both emulators write their status here
        // before halting. Accepted and ignored: the guest's HLT ends the run here.
        io.register(0xF4, 0xF4, new IoDevice() {
            @Override
            public int ioRead(int port, int size) {
                return 0xFF;
            }

            @Override
            public void ioWrite(int port, int size, int value) {
            }
        });
        updateA20();
    }

    private static IoDevice byteSink(IntConsumer sink) {
        return new IoDevice() {
            @Override
            public int ioRead(int port, int size) {
                return 0xE9;
            }

            @Override
            public void ioWrite(int port, int size, int value) {
                for (int i = 0; i < size; i++) sink.accept((value >>> (8 * i)) & 0xFF);
            }
        };
    }

    private void updateA20() {
        mem.setA20(kbc.a20() || port92.a20());
    }

    // ------------------------------------------------------------------ accessors

    public MachineConfig config() {
        return config;
    }

    public Cpu cpu() {
        return cpu;
    }

    public PhysicalMemory memory() {
        return mem;
    }

    public IoBus io() {
        return io;
    }

    public X87 x87() {
        return x87;
    }

    public Scheduler scheduler() {
        return scheduler;
    }

    public Pic8259Pair pic() {
        return pic;
    }

    public Pit8254 pit() {
        return pit;
    }

    public CmosRtc rtc() {
        return rtc;
    }

    public Uart16550 com1() {
        return com1;
    }

    public Uart16550 com2() {
        return com2;
    }

    public I8042 keyboardController() {
        return kbc;
    }

    public Port92 port92() {
        return port92;
    }

    public PciHost pciHost() {
        return pci;
    }

    public SystemControlPortB systemControlPortB() {
        return portB;
    }

    /** Network card slot {@code slot} (0..{@link #NIC_SLOTS}-1); {@link VirtioNet#present()} says whether a card is in it. */
    public VirtioNet nic(int slot) {
        return nics[slot];
    }

    /**
     * Puts a virtio network card with MAC address {@code mac} in slot {@code slot} before the guest
     * runs, and does what firmware (SeaBIOS on QEMU's pc machine) would do for it, since a directly
     * booted kernel finds no BIOS: PIRQA..D routed to IRQ 10, 10, 11, 11 where not routed yet, those
     * IRQs level triggered in the ELCR, the card's I/O BAR at {@link #NIC_IO_BASE} + 0x100 * slot
     * with I/O and bus mastering on, and its interrupt line register naming its IRQ (Linux without
     * ACPI or a PIR table takes the IRQ from there). All of it is machine state (snapshots, hashes).
     */
    public void plugNic(int slot, byte[] mac) {
        if (slot < 0 || slot >= NIC_SLOTS) throw new IllegalArgumentException("NIC slot out of range 0.." + (NIC_SLOTS - 1) + ": " + slot);
        if (nics[slot].present()) throw new IllegalArgumentException("NIC slot " + slot + " is already in use");
        int[] defaultRoute = {10, 10, 11, 11};
        int elcr = io.in(0x4D0, 1) | io.in(0x4D1, 1) << 8;
        for (int n = 0; n < 4; n++) {
            if (pci.pirqRoute(n) < 0) pci.setPirqRoute(n, defaultRoute[n]);
            elcr |= 1 << pci.pirqRoute(n);
        }
        io.out(0x4D0, 1, elcr & 0xFF);
        io.out(0x4D1, 1, elcr >> 8);
        int dev = NIC_PCI_DEVICE + slot;
        int irq = pci.pirqRoute(PciHost.pirqOf(dev, 1));
        nics[slot].plug(mac, NIC_IO_BASE + 0x100 * slot, irq);
    }

    /** The firmware image given to {@link #loadFirmware}, or null. */
    public byte[] firmware() {
        return firmware;
    }

    public TimingMode timingMode() {
        return timing;
    }

    /** Selects how guest time advances; set before the first {@link #run}. */
    public void setTimingMode(TimingMode mode) {
        this.timing = java.util.Objects.requireNonNull(mode);
    }

    public HostInputs hostInputs() {
        return inputs;
    }

    /** Installs the source of host inputs (live, recording or replaying). */
    public void setHostInputs(HostInputs in) {
        this.inputs = java.util.Objects.requireNonNull(in);
    }

    public Clock clock() {
        return clock;
    }

    public void setDebugConsole(IntConsumer sink) {
        this.debugSink = sink;
    }

    public void setPostSink(IntConsumer sink) {
        this.postSink = sink;
    }

    /** Where UART {@code index} (0: COM1, 1: COM2) sends its bytes, besides the {@link HostOutputs}. */
    public void setSerial(int index, SerialBackend backend) {
        serialBackends[index == 0 ? 0 : 1] = backend == null ? b -> { } : backend;
    }

    public HostOutputs hostOutputs() {
        return outputs;
    }

    /** Installs the output side of the nondeterminism boundary (see {@link HostOutputs}). */
    public void setHostOutputs(HostOutputs out) {
        this.outputs = java.util.Objects.requireNonNull(out);
    }

    private void transmitted(int index, int b) {
        serialBackends[index].transmit(b);
        outputs.outputByte(index == 0 ? HostOutputs.COM1 : HostOutputs.COM2, cpu.icount, b);
    }

    /** Maps a firmware image at the top of the first MiB and aliases it just below 4 GiB. */
    public void loadFirmware(byte[] rom) {
        if (rom.length == 0 || rom.length % PhysicalMemory.PAGE_SIZE != 0 || rom.length > 256 * 1024) {
            throw new IllegalArgumentException("firmware image must be a non-empty multiple of 4 KiB up to 256 KiB, got "
                    + rom.length + " bytes");
        }
        firmware = rom.clone();
        mem.mapRom(0x100000 - rom.length, rom);
        mem.mapRom((int) (0x1_0000_0000L - rom.length), rom);
        cpu.reset();
    }

    // ------------------------------------------------------------------ time

    /** Guest time in ticks: retired instructions plus halted time skipped. */
    public long ticks() {
        return cpu.icount + idleTicks;
    }

    public long nowNs() {
        return ticksToNs(ticks());
    }

    long ticksToNs(long t) {
        long ips = config.instructionsPerSecond();
        return (t / ips) * 1_000_000_000L + (t % ips) * 1_000_000_000L / ips;
    }

    /** The first tick at which guest time is at or after {@code ns}. */
    long nsToTicksCeil(long ns) {
        long ips = config.instructionsPerSecond();
        long whole = ns / 1_000_000_000L;
        long rem = ns % 1_000_000_000L;
        long t = whole * ips + (rem * ips + 999_999_999L) / 1_000_000_000L;
        return t;
    }

    public long idleTicks() {
        return idleTicks;
    }

    /**
     * Advances guest time by {@code ticks} without executing instructions. Only the
     * nondeterminism boundary calls this (host-clock mode), at a slice boundary.
     */
    public void advanceTime(long ticks) {
        if (ticks < 0) throw new IllegalArgumentException("time cannot go backwards: " + ticks);
        idleTicks += ticks;
    }

    /** Converts a guest time in ns to ticks (rounding up). */
    public long ticksAtOrAfterNs(long ns) {
        return nsToTicksCeil(ns);
    }

    // ------------------------------------------------------------------ state

    /**
     * Writes the whole guest-visible machine state except RAM: CPU and x87, idle ticks, then every
     * device in a fixed order (see docs/snapshot-format.md).
     */
    public void saveState(java.io.DataOutput out) throws java.io.IOException {
        out.writeInt(STATE_VERSION);
        dev.tandem.core.cpu.CpuState.save(cpu, x87, out);
        out.writeLong(idleTicks);
        for (int i = 0; i < DEVICE_NAMES.size(); i++) saveDevice(i, out);
    }

    /** Names of the devices in state order. */
    public static final java.util.List<String> DEVICE_NAMES = java.util.List.of(
            "pic", "pit", "port61", "rtc", "com1", "com2", "i8042", "port92", "pci", "nic0", "nic1", "nic2", "nic3");

    /** Writes the state of device {@code index} (in {@link #DEVICE_NAMES} order). */
    public void saveDevice(int index, java.io.DataOutput out) throws java.io.IOException {
        switch (index) {
            case 0 -> pic.saveState(out);
            case 1 -> pit.saveState(out);
            case 2 -> portB.saveState(out);
            case 3 -> rtc.saveState(out);
            case 4 -> com1.saveState(out);
            case 5 -> com2.saveState(out);
            case 6 -> kbc.saveState(out);
            case 7 -> port92.saveState(out);
            case 8 -> pci.saveState(out);
            case 9, 10, 11, 12 -> nics[index - 9].saveState(out);
            default -> throw new IllegalArgumentException("no device " + index);
        }
    }

    private void loadDevice(int index, java.io.DataInput in) throws java.io.IOException {
        switch (index) {
            case 0 -> pic.loadState(in);
            case 1 -> pit.loadState(in);
            case 2 -> portB.loadState(in);
            case 3 -> rtc.loadState(in);
            case 4 -> com1.loadState(in);
            case 5 -> com2.loadState(in);
            case 6 -> kbc.loadState(in);
            case 7 -> port92.loadState(in);
            case 8 -> pci.loadState(in);
            case 9, 10, 11, 12 -> nics[index - 9].loadState(in);
            default -> throw new IllegalArgumentException("no device " + index);
        }
    }

    /** 2: network card slots nic0..nic3 after pci. */
    public static final int STATE_VERSION = 2;

    /**
     * Replaces the machine state with one written by {@link #saveState} (RAM is restored
     * separately). The CPU and time come first so that devices re-arm their timers against the
     * restored clock.
     */
    public void loadState(java.io.DataInput in) throws java.io.IOException {
        int v = in.readInt();
        if (v != STATE_VERSION) {
            throw new java.io.IOException("machine state: unsupported version " + v + " (expected " + STATE_VERSION + ")");
        }
        dev.tandem.core.cpu.CpuState.load(cpu, x87, in);
        idleTicks = in.readLong();
        if (idleTicks < 0) throw new java.io.IOException("machine state: negative idle ticks " + idleTicks);
        for (Scheduler.Timer t : scheduler.timers()) t.cancel();
        for (int i = 0; i < DEVICE_NAMES.size(); i++) {
            try {
                loadDevice(i, in);
            } catch (java.io.EOFException e) {
                throw new java.io.IOException("machine state: truncated in device '" + DEVICE_NAMES.get(i) + "'", e);
            }
        }
        pci.afterLoad();
        resetRequested = false;
        updateA20();
        cpu.flushTlbAll();
        cpu.flushBlockCache();
    }

    // ------------------------------------------------------------------ running

    /** Asks a running {@link #run} to return at the next slice boundary (thread-safe). */
    public void requestStop() {
        stopRequested = true;
    }

    /** Hook run between execution slices (input injection, logging); must be deterministic in replay. */
    public interface SliceHook {
        void atSliceBoundary(Machine m);
    }

    private SliceHook sliceHook = m -> { };

    public void setSliceHook(SliceHook h) {
        this.sliceHook = h;
    }

    /** Longest stretch of instructions executed without returning to the slice loop. */
    private static final long MAX_SLICE = 1_000_000;

    /**
     * Runs until the instruction count reaches {@code untilIcount} or the guest stops.
     *
     * <p>Each slice boundary first gives the {@link HostInputs} its turn (input injection, host
     * time, checkpoints), then fires due timers. Slices are bounded by the next timer deadline,
     * by {@link HostInputs#nextBoundary} and by {@link HostInputs#runLimit}, so inputs take effect
     * at exact instruction counts.
     */
    public Exit run(long untilIcount) {
        stopRequested = false;
        for (;;) {
            if (stopRequested) return Exit.STOPPED;
            inputs.atBoundary(this);
            if (stopRequested) return Exit.STOPPED;
            sliceHook.atSliceBoundary(this);
            scheduler.runDue(nowNs());
            if (resetRequested) {
                resetRequested = false;
                return Exit.RESET;
            }
            long until = Math.min(untilIcount, inputs.runLimit());
            if (cpu.icount >= until) return Exit.LIMIT;
            long deadline = scheduler.nextDeadline();
            long limit = Math.min(until, cpu.icount + MAX_SLICE);
            long nb = inputs.nextBoundary(this);
            if (nb > cpu.icount && nb < limit) limit = nb;
            if (deadline != Scheduler.NEVER) {
                long dt = nsToTicksCeil(deadline) - ticks();
                if (dt <= 0) continue;
                limit = Math.min(limit, cpu.icount + dt);
            }
            cpu.run(limit);
            if (cpu.shutdown) return Exit.TRIPLE_FAULT;
            if (cpu.halted && !cpu.interruptAcceptable()) {
                if ((cpu.getEflags() & dev.tandem.core.cpu.Flags.IF) == 0) return Exit.HALTED;
                // the slice may have armed a timer just before HLT: read the deadline again
                long next = scheduler.nextDeadline();
                if (timing == TimingMode.VIRTUAL) {
                    // interrupts enabled: skip ahead to the next timer event
                    if (next == Scheduler.NEVER) return Exit.IDLE_FOREVER;
                    long target = nsToTicksCeil(next);
                    if (target > ticks()) idleTicks += target - ticks();
                } else {
                    // host-clock time: the boundary waits (record) or the log says how long (replay)
                    inputs.idle(this, next == Scheduler.NEVER ? Scheduler.NEVER : nsToTicksCeil(next));
                }
            }
        }
    }
}
