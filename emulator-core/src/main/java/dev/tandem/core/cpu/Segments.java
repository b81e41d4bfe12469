package dev.tandem.core.cpu;

import static dev.tandem.core.cpu.Cpu.CS;
import static dev.tandem.core.cpu.Cpu.DS;
import static dev.tandem.core.cpu.Cpu.ES;
import static dev.tandem.core.cpu.Cpu.FS;
import static dev.tandem.core.cpu.Cpu.GS;
import static dev.tandem.core.cpu.Cpu.SS;

/**
 * Segment-register loads in protected mode: reading descriptors from the GDT/LDT (implicit
 * supervisor accesses), the checks of MOV/POP/LxS to a data segment register or SS and of direct
 * far transfers to a code segment, setting the accessed bit, and filling the hidden descriptor
 * cache ({@link Cpu#setSegmentCache}). Real and virtual-8086 mode loads take the selector times 16
 * as the base. Descriptors are passed around as the 8 bytes in one little-endian {@code long}.
 */
final class Segments {
    private Segments() { }

    /** ES DS FS GS: the data segment registers nulled on a return to an outer privilege level. */
    static final int[] DATA_SEGS = {ES, DS, FS, GS};

    /** Reads the 8-byte descriptor for {@code sel}; raises #GP(sel) when outside the table. */
    static long readDescriptor(Cpu c, int sel, int errVector) {
        int index = sel & 0xFFF8;
        int base, limit;
        if ((sel & 4) != 0) {
            if ((c.ldtrAttr & 0x80) == 0 || c.ldtrSel == 0) throw c.fault(errVector, sel & 0xFFFC);
            base = c.ldtrBase;
            limit = c.ldtrLimit;
        } else {
            base = c.gdtrBase;
            limit = c.gdtrLimit;
        }
        if (Integer.compareUnsigned(index + 7, limit) > 0) throw c.fault(errVector, sel & 0xFFFC);
        int lo = c.mmu.sysRd32(base + index);
        int hi = c.mmu.sysRd32(base + index + 4);
        return (lo & 0xFFFFFFFFL) | ((long) hi << 32);
    }

    /** Base address of descriptor {@code d} (the 8 bytes as a little-endian long). */
    static int descBase(long d) {
        return (int) (((d >>> 16) & 0xFFFFFF) | ((d >>> 32) & 0xFF000000L));
    }

    /** Byte limit of descriptor {@code d}, granularity applied. */
    static int descLimit(long d) {
        int lim = (int) ((d & 0xFFFF) | ((d >>> 32) & 0xF0000));
        if ((d & (1L << 55)) != 0) lim = (lim << 12) | 0xFFF;
        return lim;
    }

    /** Descriptor bits 40..55 (access byte and flags). */
    static int descAttr(long d) {
        return (int) ((d >>> 40) & 0xF0FF);
    }

    /** Sets the accessed bit of a code/data descriptor in memory. */
    static void setAccessed(Cpu c, int sel, long d) {
        if ((d & (1L << 40)) == 0) {
            int base = (sel & 4) != 0 ? c.ldtrBase : c.gdtrBase;
            int a = base + (sel & 0xFFF8) + 5;
            c.mmu.sysWr8(a, c.mmu.sysRd8(a) | 1);
        }
    }

    /** MOV/POP/LxS to a data segment register or SS, with all protected-mode checks. */
    static void loadSeg(Cpu c, int s, int sel) {
        sel &= 0xFFFF;
        if (!c.protectedMode() || c.v86()) {
            c.loadSegmentReal(s, sel);
            if (c.v86()) {
                c.segLimit[s] = 0xFFFF;
                c.segAttr[s] = s == CS ? 0xF3 : 0xF3;
            }
            if (s == SS) c.stack32 = false;
            return;
        }
        if ((sel & 0xFFFC) == 0) {
            if (s == SS) throw c.gp(0);
            c.segSel[s] = sel;
            c.segBase[s] = 0;
            c.segLimit[s] = 0;
            c.segAttr[s] = 0;
            c.segUsable[s] = false;
            return;
        }
        long d = readDescriptor(c, sel, 13);
        int attr = descAttr(d);
        int dpl = (attr >>> 5) & 3;
        int rpl = sel & 3;
        boolean present = (attr & 0x80) != 0;
        if (s == SS) {
            // writable data, RPL == CPL == DPL
            if ((attr & 0x10) == 0 || (attr & 0x8) != 0 || (attr & 0x2) == 0 || rpl != c.cpl || dpl != c.cpl) {
                throw c.gp(sel & 0xFFFC);
            }
            if (!present) throw c.fault(12, sel & 0xFFFC);
        } else {
            if ((attr & 0x10) == 0) throw c.gp(sel & 0xFFFC);
            boolean code = (attr & 0x8) != 0;
            if (code && (attr & 0x2) == 0) throw c.gp(sel & 0xFFFC); // execute-only
            boolean conforming = code && (attr & 0x4) != 0;
            if (!conforming && (rpl > dpl || c.cpl > dpl)) throw c.gp(sel & 0xFFFC);
            if (!present) throw c.fault(11, sel & 0xFFFC);
        }
        setAccessed(c, sel, d);
        c.setSegmentCache(s, sel, descBase(d), descLimit(d), attr | 1);
    }

    /** Loads CS from a code descriptor already checked by the caller, at privilege {@code newCpl}. */
    static void loadCs(Cpu c, int sel, long d, int newCpl) {
        setAccessed(c, sel, d);
        c.setSegmentCache(CS, (sel & 0xFFFC) | newCpl, descBase(d), descLimit(d), descAttr(d) | 1);
        c.cpl = newCpl;
        c.updateMode();
    }

    /** Checks a code-segment descriptor for a far JMP/CALL to it directly (no gate). */
    static void checkDirectCode(Cpu c, int sel, long d) {
        int attr = descAttr(d);
        int dpl = (attr >>> 5) & 3;
        int rpl = sel & 3;
        if ((attr & 0x18) != 0x18) throw c.gp(sel & 0xFFFC);
        if ((attr & 0x4) != 0) {
            if (dpl > c.cpl) throw c.gp(sel & 0xFFFC);
        } else if (rpl > c.cpl || dpl != c.cpl) {
            throw c.gp(sel & 0xFFFC);
        }
        if ((attr & 0x80) == 0) throw c.fault(11, sel & 0xFFFC);
    }

    /** Checks the SS popped by a return to outer level {@code rpl} (#GP, #SS). */
    static void checkOuterSs(Cpu c, int ss, int rpl) {
        if ((ss & 0xFFFC) == 0) throw c.gp(0);
        long sd = readDescriptor(c, ss, 13);
        int a = descAttr(sd);
        if ((ss & 3) != rpl || ((a >>> 5) & 3) != rpl || (a & 0x1A) != 0x12) throw c.gp(ss & 0xFFFC);
        if ((a & 0x80) == 0) throw c.fault(12, ss & 0xFFFC);
    }

    /** After a return to an outer level, data segments the new CPL may not use become null. */
    static void invalidateOuterSegments(Cpu c) {
        for (int s : DATA_SEGS) {
            int a = c.segAttr[s];
            boolean conformingCode = (a & 0x1C) == 0x1C;
            int dpl = (a >>> 5) & 3;
            if (c.segUsable[s] && !conformingCode && dpl < c.cpl) {
                c.segSel[s] = 0;
                c.segUsable[s] = false;
                c.segBase[s] = 0;
                c.segLimit[s] = 0;
                c.segAttr[s] = 0;
            }
        }
    }
}
