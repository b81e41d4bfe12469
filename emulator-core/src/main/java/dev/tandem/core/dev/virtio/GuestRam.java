package dev.tandem.core.dev.virtio;

import dev.tandem.core.mem.PhysicalMemory;

/**
 * Device (bus-master) access to guest RAM: little-endian loads and stores on the RAM array with
 * bounds checks done by the callers, and write notification so that dirty-page tracking and the
 * CPU's decoded-code invalidation see device writes exactly like CPU writes. A20 does not apply
 * (it gates CPU addresses only).
 */
final class GuestRam {
    private GuestRam() {
    }

    /** True if {@code [addr, addr+len)} (addr unsigned 64-bit) lies inside RAM. */
    static boolean inRam(PhysicalMemory mem, long addr, long len) {
        return addr >= 0 && len >= 0 && addr + len <= mem.ramSize();
    }

    /** True if {@code [addr, addr+len)} is RAM that a device may write (no ROM mapped over it). */
    static boolean writable(PhysicalMemory mem, long addr, long len) {
        if (!inRam(mem, addr, len)) return false;
        if (len == 0) return true;
        for (long p = addr >>> PhysicalMemory.PAGE_SHIFT; p <= (addr + len - 1) >>> PhysicalMemory.PAGE_SHIFT; p++) {
            if (mem.pageKind((int) (p << PhysicalMemory.PAGE_SHIFT)) != PhysicalMemory.KIND_RAM) return false;
        }
        return true;
    }

    static int read16(PhysicalMemory mem, int a) {
        byte[] r = mem.ram;
        return (r[a] & 0xFF) | (r[a + 1] & 0xFF) << 8;
    }

    static int read32(PhysicalMemory mem, int a) {
        return read16(mem, a) | read16(mem, a + 2) << 16;
    }

    static void write16(PhysicalMemory mem, int a, int v) {
        byte[] r = mem.ram;
        r[a] = (byte) v;
        r[a + 1] = (byte) (v >>> 8);
        written(mem, a, 2);
    }

    static void write32(PhysicalMemory mem, int a, int v) {
        byte[] r = mem.ram;
        r[a] = (byte) v;
        r[a + 1] = (byte) (v >>> 8);
        r[a + 2] = (byte) (v >>> 16);
        r[a + 3] = (byte) (v >>> 24);
        written(mem, a, 4);
    }

    static void copyOut(PhysicalMemory mem, int a, byte[] src, int off, int len) {
        System.arraycopy(src, off, mem.ram, a, len);
        written(mem, a, len);
    }

    static void zero(PhysicalMemory mem, int a, int len) {
        java.util.Arrays.fill(mem.ram, a, a + len, (byte) 0);
        written(mem, a, len);
    }

    static void copyIn(PhysicalMemory mem, int a, byte[] dst, int off, int len) {
        System.arraycopy(mem.ram, a, dst, off, len);
    }

    /** Tells the memory's write watchers about a device write, page by page. */
    private static void written(PhysicalMemory mem, int a, int len) {
        int end = a + len;
        while (a < end) {
            int pageEnd = (a | (PhysicalMemory.PAGE_SIZE - 1)) + 1;
            int n = Math.min(end, pageEnd) - a;
            if (!mem.isDirectWritable(a)) mem.notifyWrite(a, n);
            a += n;
        }
    }
}
