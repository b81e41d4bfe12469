package dev.tandem.core.boot;

import static dev.tandem.core.testkit.Rejects.rejects;

import dev.tandem.core.mem.PhysicalMemory;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class E820Test {

    @Test
    void standardPcMap() {
        E820 m = E820.standardPc(64L << 20);
        List<E820.Entry> e = m.entries();
        assertEquals(List.of(
                new E820.Entry(0, 0x9FC00, E820.RAM),
                new E820.Entry(0x9FC00, 0x400, E820.RESERVED),
                new E820.Entry(0xF0000, 0x10000, E820.RESERVED),
                new E820.Entry(0x100000, (64L << 20) - 0x100000, E820.RAM)), e);
        assertEquals(63 * 1024, m.extendedMemoryKb());
        assertTrue(m.isRam(0x100000, 64L << 20));
        assertFalse(m.isRam(0x9F000, 0xA0000));
        assertFalse(m.isRam(0x100000, (64L << 20) + 1));
    }

    @Test
    void reserveCutsRam() {
        E820 m = E820.standardPc(32L << 20).reserve(0x1F00000, 0x100000, E820.ACPI);
        List<E820.Entry> e = m.entries();
        assertEquals(5, e.size());
        assertEquals(new E820.Entry(0x100000, 0x1E00000, E820.RAM), e.get(3));
        assertEquals(new E820.Entry(0x1F00000, 0x100000, E820.ACPI), e.get(4));
        assertEquals((0x1F00000 - 0x100000) / 1024, m.extendedMemoryKb());

        // a hole in the middle splits the RAM range in two
        E820 h = E820.standardPc(32L << 20).reserve(0x800000, 0x1000, E820.RESERVED);
        assertEquals(6, h.entries().size());
        assertEquals(new E820.Entry(0x801000, (32L << 20) - 0x801000, E820.RAM), h.entries().get(5));
        assertEquals((0x800000 - 0x100000) / 1024, h.extendedMemoryKb());

        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                () -> E820.standardPc(32L << 20).reserve(0x9FD00, 0x10, E820.RESERVED));
        assertTrue(ex.getMessage().contains("overlaps"), ex.getMessage());
    }

    @Test
    void addRejectsOverlapAndBadRanges() {
        assertAll(
                rejects("a range overlapping RAM", () -> E820.standardPc(8L << 20).add(0x200000, 0x1000, E820.RESERVED)),
                rejects("an empty range", () -> new E820().add(0, 0, E820.RAM)),
                rejects("a negative start", () -> new E820().add(-5, 10, E820.RAM)),
                rejects("a standard PC map with too little RAM", () -> E820.standardPc(1L << 20)));
    }

    @Test
    void serializesIntoZeroPage() {
        PhysicalMemory mem = new PhysicalMemory(4 << 20);
        E820 m = E820.standardPc(4L << 20);
        int zp = 0x10000;
        assertEquals(4, m.writeTo(mem, zp));
        assertEquals(4, mem.read8(zp + 0x1E8));
        int[][] expect = {
                {0, 0, 0x9FC00, 0, 1},
                {0x9FC00, 0, 0x400, 0, 2},
                {0xF0000, 0, 0x10000, 0, 2},
                {0x100000, 0, 0x300000, 0, 1}};
        for (int i = 0; i < expect.length; i++) {
            for (int w = 0; w < 5; w++) {
                assertEquals(expect[i][w], mem.read32(zp + 0x2D0 + i * 20 + w * 4), "entry " + i + " word " + w);
            }
        }
        assertEquals(0, mem.read32(zp + 0x2D0 + 4 * 20), "nothing past the last entry");
    }

    @Test
    void tooManyEntries() {
        E820 m = new E820();
        for (int i = 0; i < 129; i++) m.add(i * 0x2000L, 0x1000, E820.RAM);
        PhysicalMemory mem = new PhysicalMemory(1 << 20);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> m.writeTo(mem, 0));
        assertTrue(e.getMessage().contains("128"), e.getMessage());
    }
}
