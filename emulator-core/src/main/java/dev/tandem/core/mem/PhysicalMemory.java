package dev.tandem.core.mem;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * The guest physical address space: RAM in one flat byte array, firmware ROM, MMIO and unmapped
 * space, page by page (4 KiB), and the A20 gate.
 *
 * <p>RAM pages are the only ones the CPU's TLB maps directly. Every other page kind goes through
 * {@link #read8}/{@link #write8} and friends. A write-watch count per page (open {@link DirtyLog}s
 * holding the page clean, pages holding decoded code) makes the CPU take the slow path for writes
 * to that page, which is where {@link #notifyWrite} is called.
 */
public final class PhysicalMemory {
    public static final int PAGE_SHIFT = 12;
    public static final int PAGE_SIZE = 1 << PAGE_SHIFT;
    private static final int PAGES = 1 << 20;

    public static final byte KIND_UNMAPPED = 0;
    public static final byte KIND_RAM = 1;
    public static final byte KIND_ROM = 2;
    public static final byte KIND_MMIO = 3;

    static final VarHandle SHORT = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);
    static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);

    /** RAM, indexed by physical address. Public so the CPU's fast path can index it directly. */
    public final byte[] ram;
    private final int ramSize;
    private final byte[] kind = new byte[PAGES];
    /** For ROM pages: the ROM image and the offset of this page's first byte in it. */
    private final byte[][] romData = new byte[PAGES][];
    private final int[] romOffset = new int[PAGES];
    private final MmioDevice[] mmio = new MmioDevice[PAGES];
    /** ROM pages whose bytes are also held in {@link #ram} at their address (read directly). */
    private final boolean[] romInRam = new boolean[PAGES];

    private int a20Mask = 0xFFFFFFFF;
    /** Listener for A20 and mapping changes (the CPU flushes its TLB). */
    private Runnable mappingListener = () -> { };

    /** Open dirty logs (migration's pre-copy tracker, the incremental state hasher, ...). */
    private DirtyLog[] dirtyLogs = new DirtyLog[0];
    /** The log behind the single-client API ({@link #startDirtyTracking} and friends), or null. */
    private DirtyLog defaultLog;
    /** Per-page write-watch counts: dirty logs and code-page protection share the slow path. */
    private final byte[] watch;
    private WriteListener writeListener = null;

    /** Called on a write to a watched page (after the write happened). */
    public interface WriteListener {
        void onWrite(int physAddr, int size);
    }

    public PhysicalMemory(int ramBytes) {
        if (ramBytes < (1 << 20) || ramBytes > (1 << 30) + (1 << 29) || (ramBytes & (PAGE_SIZE - 1)) != 0) {
            throw new IllegalArgumentException(
                    "memory size must be a multiple of 4 KiB between 1 MiB and 1.5 GiB, got " + ramBytes);
        }
        this.ramSize = ramBytes;
        this.ram = new byte[ramBytes];
        int ramPages = ramBytes >>> PAGE_SHIFT;
        Arrays.fill(kind, 0, ramPages, KIND_RAM);
        this.watch = new byte[ramPages];
    }

    public int ramSize() {
        return ramSize;
    }

    public void setMappingListener(Runnable r) {
        this.mappingListener = r;
    }

    public void setWriteListener(WriteListener l) {
        this.writeListener = l;
    }

    // ---------------------------------------------------------------- mapping

    /** Maps {@code image} read-only at physical {@code base} (page aligned; size a multiple of 4 KiB). */
    public void mapRom(int base, byte[] image) {
        if ((base & (PAGE_SIZE - 1)) != 0 || (image.length & (PAGE_SIZE - 1)) != 0 || image.length == 0) {
            throw new IllegalArgumentException("ROM must be page aligned and a multiple of 4 KiB");
        }
        boolean inRam = Integer.compareUnsigned(base, ramSize) < 0
                && Integer.compareUnsigned(base + image.length, ramSize) <= 0;
        if (inRam) {
            System.arraycopy(image, 0, ram, base, image.length);
            markWritten(base, image.length);
        }
        for (int off = 0; off < image.length; off += PAGE_SIZE) {
            int page = (base + off) >>> PAGE_SHIFT;
            kind[page] = KIND_ROM;
            romData[page] = image;
            romOffset[page] = off;
            romInRam[page] = inRam;
        }
        mappingListener.run();
    }

    public void mapMmio(int base, int length, MmioDevice dev) {
        for (int off = 0; off < length; off += PAGE_SIZE) {
            int page = (base + off) >>> PAGE_SHIFT;
            kind[page] = KIND_MMIO;
            mmio[page] = dev;
        }
        mappingListener.run();
    }

    public byte pageKind(int physAddr) {
        return kind[physAddr >>> PAGE_SHIFT];
    }

    /**
     * True if the page holding {@code physAddr} is RAM that the CPU may read through its TLB
     * without calling back here.
     */
    public boolean isDirectReadable(int physAddr) {
        int page = physAddr >>> PAGE_SHIFT;
        return kind[page] == KIND_RAM || (kind[page] == KIND_ROM && romInRam[page]);
    }

    /** True if writes to this page may bypass this class (plain RAM, not watched). */
    public boolean isDirectWritable(int physAddr) {
        int page = physAddr >>> PAGE_SHIFT;
        return kind[page] == KIND_RAM && watch[page] == 0;
    }

    // ---------------------------------------------------------------- A20

    public boolean a20() {
        return a20Mask == 0xFFFFFFFF;
    }

    public void setA20(boolean enabled) {
        int m = enabled ? 0xFFFFFFFF : 0xFFEFFFFF;
        if (m != a20Mask) {
            a20Mask = m;
            mappingListener.run();
        }
    }

    public int a20Mask() {
        return a20Mask;
    }

    // ---------------------------------------------------------------- write watch

    /** Adds a watch reason to a RAM page: writes to it go through {@link #notifyWrite}. */
    public void watchPage(int page) {
        if (page < watch.length && watch[page]++ == 0) mappingListener.run();
    }

    public void unwatchPage(int page) {
        if (page < watch.length && watch[page] > 0) watch[page]--;
    }

    public void notifyWrite(int physAddr, int size) {
        int page = physAddr >>> PAGE_SHIFT;
        DirtyLog[] logs = dirtyLogs;
        if (logs.length != 0 && page < watch.length) {
            // accesses that cross a page are split by the callers (markWritten for device ranges)
            for (DirtyLog l : logs) l.hit(page);
        }
        if (writeListener != null) writeListener.onWrite(physAddr, size);
    }

    /**
     * Reports a write of {@code len} bytes at {@code physAddr} that bypassed {@link #write8} and
     * friends (a device writing {@link #ram} directly, e.g. DMA): dirty logs and code-page watches
     * see it like a CPU write. Call after writing.
     */
    public void markWritten(int physAddr, int len) {
        if (len <= 0) return;
        int first = physAddr >>> PAGE_SHIFT;
        int last = (int) ((Integer.toUnsignedLong(physAddr) + len - 1) >>> PAGE_SHIFT);
        long end = Integer.toUnsignedLong(physAddr) + len;
        for (int p = first; p <= last && p < watch.length; p++) {
            if (watch[p] == 0) continue;
            long from = Math.max(Integer.toUnsignedLong(physAddr), (long) p << PAGE_SHIFT);
            long to = Math.min(end, (long) (p + 1) << PAGE_SHIFT);
            notifyWrite((int) from, (int) (to - from));
        }
    }

    // ---------------------------------------------------------------- dirty logs

    /**
     * Opens a new dirty log: from now on every RAM page written is recorded in it until fetched.
     * Any number of logs can be open at once (migration's pre-copy rounds and the incremental
     * state hasher each keep their own); each first write to a page that some open log holds
     * clean takes the CPU's slow write path once. Call between {@link dev.tandem.core.cpu.Cpu#run}
     * slices (on the machine thread).
     */
    public DirtyLog openDirtyLog() {
        DirtyLog l = new DirtyLog(this, watch.length);
        for (int p = 0; p < watch.length; p++) watch[p]++;
        DirtyLog[] n = java.util.Arrays.copyOf(dirtyLogs, dirtyLogs.length + 1);
        n[n.length - 1] = l;
        dirtyLogs = n;
        mappingListener.run();
        return l;
    }

    /** Re-watches the pages that were dirty in a log being fetched (called by {@link DirtyLog}). */
    void rewatch(long[] bits) {
        boolean any = false;
        for (int w = 0; w < bits.length; w++) {
            long b = bits[w];
            while (b != 0) {
                int p = (w << 6) + Long.numberOfTrailingZeros(b);
                b &= b - 1;
                watch[p]++;
                any = true;
            }
        }
        if (any) mappingListener.run();
    }

    /** Unwatches the pages a closing log held clean. */
    void closeLog(DirtyLog l, long[] bits) {
        DirtyLog[] cur = dirtyLogs;
        int i = java.util.Arrays.asList(cur).indexOf(l);
        if (i < 0) return;
        DirtyLog[] n = new DirtyLog[cur.length - 1];
        System.arraycopy(cur, 0, n, 0, i);
        System.arraycopy(cur, i + 1, n, i, cur.length - i - 1);
        dirtyLogs = n;
        for (int p = 0; p < watch.length; p++) {
            if ((bits[p >>> 6] & (1L << p)) == 0) watch[p]--;
        }
    }

    void unwatchForLog(int page) {
        watch[page]--;
    }

    /** Starts the default dirty log (single-client API; see {@link #openDirtyLog} for more clients). */
    public void startDirtyTracking() {
        if (defaultLog == null) defaultLog = openDirtyLog();
    }

    public void stopDirtyTracking() {
        if (defaultLog != null) {
            defaultLog.close();
            defaultLog = null;
        }
    }

    /**
     * Returns the pages dirtied since the last call (or since tracking started) as a bitmap and
     * resets them to clean-and-watched (the default log).
     */
    public long[] fetchAndClearDirty() {
        if (defaultLog == null) throw new IllegalStateException("dirty tracking is not started");
        return defaultLog.fetchAndClear();
    }

    public boolean dirtyTracking() {
        return defaultLog != null;
    }

    /** Number of RAM pages. */
    public int ramPages() {
        return watch.length;
    }

    // ---------------------------------------------------------------- access

    public int read8(int addr) {
        addr &= a20Mask;
        int page = addr >>> PAGE_SHIFT;
        switch (kind[page]) {
            case KIND_RAM:
                return ram[addr] & 0xFF;
            case KIND_ROM:
                return romData[page][romOffset[page] + (addr & (PAGE_SIZE - 1))] & 0xFF;
            case KIND_MMIO:
                return mmio[page].mmioRead(addr, 1) & 0xFF;
            default:
                return 0xFF;
        }
    }

    public int read16(int addr) {
        if ((addr & (PAGE_SIZE - 1)) > PAGE_SIZE - 2) return read8(addr) | (read8(addr + 1) << 8);
        addr &= a20Mask;
        int page = addr >>> PAGE_SHIFT;
        switch (kind[page]) {
            case KIND_RAM:
                return (short) SHORT.get(ram, addr) & 0xFFFF;
            case KIND_MMIO:
                return mmio[page].mmioRead(addr, 2) & 0xFFFF;
            default:
                return read8(addr) | (read8(addr + 1) << 8);
        }
    }

    public int read32(int addr) {
        if ((addr & (PAGE_SIZE - 1)) > PAGE_SIZE - 4) return read16(addr) | (read16(addr + 2) << 16);
        addr &= a20Mask;
        int page = addr >>> PAGE_SHIFT;
        switch (kind[page]) {
            case KIND_RAM:
                return (int) INT.get(ram, addr);
            case KIND_MMIO:
                return mmio[page].mmioRead(addr, 4);
            default:
                return read16(addr) | (read16(addr + 2) << 16);
        }
    }

    public void write8(int addr, int v) {
        addr &= a20Mask;
        int page = addr >>> PAGE_SHIFT;
        switch (kind[page]) {
            case KIND_RAM:
                ram[addr] = (byte) v;
                if (watch[page] != 0) notifyWrite(addr, 1);
                return;
            case KIND_MMIO:
                mmio[page].mmioWrite(addr, 1, v & 0xFF);
                return;
            default:
                // ROM and unmapped space ignore writes
        }
    }

    public void write16(int addr, int v) {
        if ((addr & (PAGE_SIZE - 1)) > PAGE_SIZE - 2) {
            write8(addr, v);
            write8(addr + 1, v >>> 8);
            return;
        }
        addr &= a20Mask;
        int page = addr >>> PAGE_SHIFT;
        switch (kind[page]) {
            case KIND_RAM:
                SHORT.set(ram, addr, (short) v);
                if (watch[page] != 0) notifyWrite(addr, 2);
                return;
            case KIND_MMIO:
                mmio[page].mmioWrite(addr, 2, v & 0xFFFF);
                return;
            default:
        }
    }

    public void write32(int addr, int v) {
        if ((addr & (PAGE_SIZE - 1)) > PAGE_SIZE - 4) {
            write16(addr, v);
            write16(addr + 2, v >>> 16);
            return;
        }
        addr &= a20Mask;
        int page = addr >>> PAGE_SHIFT;
        switch (kind[page]) {
            case KIND_RAM:
                INT.set(ram, addr, v);
                if (watch[page] != 0) notifyWrite(addr, 4);
                return;
            case KIND_MMIO:
                mmio[page].mmioWrite(addr, 4, v);
                return;
            default:
        }
    }

    /** Copies {@code data} into RAM at {@code addr} (loaders; bypasses ROM protection checks only for RAM). */
    public void load(int addr, byte[] data, int off, int len) {
        for (int i = 0; i < len; i++) write8(addr + i, data[off + i]);
    }

    public void load(int addr, byte[] data) {
        load(addr, data, 0, data.length);
    }
}
