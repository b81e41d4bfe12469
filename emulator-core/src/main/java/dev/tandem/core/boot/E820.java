package dev.tandem.core.boot;

import dev.tandem.core.mem.PhysicalMemory;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The BIOS memory map (INT 15h, AX=E820h) handed to Linux in the zero page: a sorted list of
 * non-overlapping address ranges with a type each.
 */
public final class E820 {
    public static final int RAM = 1;
    public static final int RESERVED = 2;
    public static final int ACPI = 3;
    public static final int NVS = 4;
    public static final int UNUSABLE = 5;

    /** Bytes per entry in the zero page's e820_table: u64 addr, u64 size, u32 type. */
    public static final int ENTRY_SIZE = 20;
    /** Entries the zero page has room for (E820_MAX_ENTRIES_ZEROPAGE). */
    public static final int MAX_ZEROPAGE_ENTRIES = 128;

    /** Start of the extended BIOS data area reserved at the top of conventional memory. */
    public static final long EBDA_START = 0x9FC00;
    public static final long CONVENTIONAL_END = 0xA0000;
    public static final long BIOS_START = 0xF0000;
    public static final long HIGH_START = 0x100000;

    public record Entry(long addr, long size, int type) {
        public Entry {
            if (addr < 0 || size <= 0 || addr + size < addr) {
                throw new IllegalArgumentException(String.format(
                        "bad e820 range addr=0x%x size=0x%x", addr, size));
            }
            if (type < 1) throw new IllegalArgumentException("bad e820 type " + type);
        }

        public long end() {
            return addr + size;
        }

        @Override
        public String toString() {
            return String.format("[0x%09x-0x%09x) %s", addr, end(), typeName(type));
        }
    }

    private final List<Entry> entries = new ArrayList<>();

    /** An empty map. */
    public E820() {
    }

    /**
     * The usual PC map for {@code ramSize} bytes of RAM: RAM below the EBDA, the EBDA and the
     * system BIOS area reserved, and RAM from 1 MiB to the end of memory. The VGA hole and option
     * ROM area (0xA0000..0xF0000) are left out, as real firmware does.
     */
    public static E820 standardPc(long ramSize) {
        if (ramSize < 2 * HIGH_START) {
            throw new IllegalArgumentException("RAM size 0x" + Long.toHexString(ramSize)
                    + " is below the 2 MiB a standard PC map needs");
        }
        return new E820()
                .add(0, EBDA_START, RAM)
                .add(EBDA_START, CONVENTIONAL_END - EBDA_START, RESERVED)
                .add(BIOS_START, HIGH_START - BIOS_START, RESERVED)
                .add(HIGH_START, ramSize - HIGH_START, RAM);
    }

    /** Adds a range that must not overlap any existing one. */
    public E820 add(long addr, long size, int type) {
        Entry e = new Entry(addr, size, type);
        for (Entry o : entries) {
            if (e.addr < o.end() && o.addr < e.end()) {
                throw new IllegalArgumentException("e820 range " + e + " overlaps " + o);
            }
        }
        entries.add(e);
        entries.sort((a, b) -> Long.compare(a.addr, b.addr));
        return this;
    }

    /**
     * Marks {@code [addr, addr+size)} as {@code type}, cutting it out of the RAM ranges it
     * overlaps. Overlapping a range that is not RAM is an error.
     */
    public E820 reserve(long addr, long size, int type) {
        Entry r = new Entry(addr, size, type);
        List<Entry> out = new ArrayList<>();
        for (Entry o : entries) {
            if (r.addr >= o.end() || o.addr >= r.end()) {
                out.add(o);
                continue;
            }
            if (o.type != RAM) {
                throw new IllegalArgumentException("cannot reserve " + r + ": it overlaps " + o);
            }
            if (o.addr < r.addr) out.add(new Entry(o.addr, r.addr - o.addr, RAM));
            if (o.end() > r.end()) out.add(new Entry(r.end(), o.end() - r.end(), RAM));
        }
        out.add(r);
        out.sort((a, b) -> Long.compare(a.addr, b.addr));
        entries.clear();
        entries.addAll(out);
        return this;
    }

    public List<Entry> entries() {
        return Collections.unmodifiableList(entries);
    }

    /** True if {@code [start, end)} lies inside a single RAM range. */
    public boolean isRam(long start, long end) {
        for (Entry e : entries) {
            if (e.type == RAM && e.addr <= start && end <= e.end()) return true;
        }
        return false;
    }

    /** The RAM range holding {@code addr}, or null. */
    public Entry ramRangeAt(long addr) {
        for (Entry e : entries) {
            if (e.type == RAM && e.addr <= addr && addr < e.end()) return e;
        }
        return null;
    }

    /** Kilobytes of RAM above 1 MiB that are contiguous with 1 MiB (the alt_mem_k convention). */
    public long extendedMemoryKb() {
        long end = HIGH_START;
        for (Entry e : entries) {
            if (e.type == RAM && e.addr <= end && e.end() > end) end = e.end();
        }
        return (end - HIGH_START) >>> 10;
    }

    /**
     * Writes the table into the zero page at {@code zeroPage}: e820_entries at 0x1E8 and the
     * entries at 0x2D0.
     *
     * @return the number of entries written
     */
    public int writeTo(PhysicalMemory mem, int zeroPage) {
        if (entries.size() > MAX_ZEROPAGE_ENTRIES) {
            throw new IllegalArgumentException("e820 map has " + entries.size()
                    + " entries; the zero page holds at most " + MAX_ZEROPAGE_ENTRIES);
        }
        int p = zeroPage + ZeroPage.E820_TABLE;
        for (Entry e : entries) {
            mem.write32(p, (int) e.addr);
            mem.write32(p + 4, (int) (e.addr >>> 32));
            mem.write32(p + 8, (int) e.size);
            mem.write32(p + 12, (int) (e.size >>> 32));
            mem.write32(p + 16, e.type);
            p += ENTRY_SIZE;
        }
        mem.write8(zeroPage + ZeroPage.E820_ENTRIES, entries.size());
        return entries.size();
    }

    public static String typeName(int type) {
        return switch (type) {
            case RAM -> "usable";
            case RESERVED -> "reserved";
            case ACPI -> "ACPI data";
            case NVS -> "ACPI NVS";
            case UNUSABLE -> "unusable";
            default -> "type " + type;
        };
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        for (Entry e : entries) sb.append(e).append('\n');
        return sb.toString();
    }
}
