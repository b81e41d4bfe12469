package dev.tandem.core.cpu;

import static dev.tandem.core.cpu.Cpu.CR0_PG;
import static dev.tandem.core.cpu.Cpu.CR0_WP;
import static dev.tandem.core.cpu.Cpu.CR4_PGE;
import static dev.tandem.core.cpu.Cpu.CR4_PSE;
import static dev.tandem.core.cpu.Cpu.SS;

import dev.tandem.core.mem.PhysicalMemory;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * The CPU's memory path: segment checks, the software TLB, the page-table walk, and reads and
 * writes by segment:offset, by linear address, and as implicit supervisor accesses.
 *
 * <p>Layers, from the instruction down:
 * <ul>
 * <li>{@code rd8/16/32}, {@code wr8/16/32}, {@code rdw}: segment:offset, after {@link #checkSeg}
 *     (limit, expand-down, type and null-selector checks) and the segment base;
 * <li>{@code lrd8/16/32}, {@code lwr8/16/32}: linear address, at the current privilege level;
 * <li>{@code sysRd}/{@code sysWr}: linear address, as the implicit supervisor accesses to
 *     descriptor tables, the TSS and the IDT;
 * <li>{@link #translate}: the page-table walk (4 KiB and 4 MiB pages, A/D bits, U/S, R/W with
 *     CR0.WP, #PF with CR2), which fills the TLB.
 * </ul>
 *
 * <p>The TLB is 4096 direct-mapped entries in flat arrays: tags (the linear page number, -1 for
 * none) separately for supervisor and user reads and writes, the physical page, and the global
 * bit. {@link #rtag} and {@link #wtag} point at the tag arrays of the current privilege level. A
 * tag match on a RAM page reads or writes {@link #ram} directly; that is the fast path, and a
 * block compiler may emit the same test inline. Write tags are only installed for pages that are
 * dirty in the page tables and not write-watched by {@link PhysicalMemory}, so dirty bits,
 * dirty-page tracking and code-page invalidation see every write.
 *
 * <p>The segment arrays here are the very arrays of {@link Cpu} (same objects), so segment checks
 * read them without going through the CPU. Nothing here is architectural state: the TLB is a
 * cache, dropped on CR3 loads (non-global entries), INVLPG, paging-mode changes and snapshots.
 */
final class Mmu {
    static final int TLB_BITS = 12;
    static final int TLB_SIZE = 1 << TLB_BITS;
    static final int TLB_MASK = TLB_SIZE - 1;

    static final VarHandle SHORT = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);
    static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);

    private final Cpu cpu;
    final PhysicalMemory mem;
    /** Guest RAM, indexed by physical address (TLB entries only ever point into RAM pages). */
    final byte[] ram;

    // the CPU's segment descriptor caches (aliases of Cpu.segBase etc.)
    private final int[] segBase;
    private final int[] segLimit;
    private final int[] segAttr;
    private final boolean[] segUsable;

    // TLB: tags hold the linear page number; -1 is invalid
    final int[] rtagS = new int[TLB_SIZE];
    final int[] wtagS = new int[TLB_SIZE];
    final int[] rtagU = new int[TLB_SIZE];
    final int[] wtagU = new int[TLB_SIZE];
    /** Physical address of the page of each entry (page aligned). */
    final int[] tlbPhys = new int[TLB_SIZE];
    final boolean[] tlbGlobal = new boolean[TLB_SIZE];
    /** Read and write tags for the current privilege level (user arrays at CPL 3). */
    int[] rtag = rtagS;
    int[] wtag = wtagS;

    Mmu(Cpu cpu, PhysicalMemory mem) {
        this.cpu = cpu;
        this.mem = mem;
        this.ram = mem.ram;
        this.segBase = cpu.segBase;
        this.segLimit = cpu.segLimit;
        this.segAttr = cpu.segAttr;
        this.segUsable = cpu.segUsable;
    }

    // ================================================================== TLB maintenance

    /** Points {@link #rtag}/{@link #wtag} at the tags for privilege level {@code cpl}. */
    void selectTlb(int cpl) {
        if (cpl == 3) {
            rtag = rtagU;
            wtag = wtagU;
        } else {
            rtag = rtagS;
            wtag = wtagS;
        }
    }

    void flushTlbAll() {
        java.util.Arrays.fill(rtagS, -1);
        java.util.Arrays.fill(wtagS, -1);
        java.util.Arrays.fill(rtagU, -1);
        java.util.Arrays.fill(wtagU, -1);
        java.util.Arrays.fill(tlbGlobal, false);
    }

    /** CR3 load: drops all non-global translations. */
    void flushTlbNonGlobal() {
        if ((cpu.cr4 & CR4_PGE) == 0) {
            flushTlbAll();
            return;
        }
        for (int i = 0; i < TLB_SIZE; i++) {
            if (!tlbGlobal[i]) {
                rtagS[i] = wtagS[i] = rtagU[i] = wtagU[i] = -1;
            }
        }
    }

    void invlpg(int lin) {
        int i = (lin >>> 12) & TLB_MASK;
        rtagS[i] = wtagS[i] = rtagU[i] = wtagU[i] = -1;
        tlbGlobal[i] = false;
    }

    // ================================================================== page-table walk

    /**
     * Translates a linear address for an access by the current privilege level (or a supervisor
     * access when {@code sup}), walking the page tables, setting accessed/dirty bits, raising #PF,
     * and filling the TLB when the page is plain RAM.
     */
    int translate(int lin, boolean write, boolean sup) {
        Cpu c = cpu;
        boolean user = !sup && c.cpl == 3;
        int phys;
        boolean global = false;
        boolean rw = true, us = true, dirty = true;
        boolean wp = (c.cr0 & CR0_WP) != 0;
        int a20 = mem.a20Mask();
        if ((c.cr0 & CR0_PG) == 0) {
            phys = lin & a20;
        } else {
            int pdeAddr = ((c.cr3 & 0xFFFFF000) | ((lin >>> 20) & 0xFFC)) & a20;
            int pde = mem.read32(pdeAddr);
            if ((pde & 1) == 0) throw pageFault(lin, write, user, false);
            if ((pde & 0x80) != 0 && (c.cr4 & CR4_PSE) != 0) {
                rw = (pde & 2) != 0;
                us = (pde & 4) != 0;
                checkPagePerm(lin, write, user, rw, us, wp);
                int want = pde | 0x20 | (write ? 0x40 : 0);
                if (want != pde) mem.write32(pdeAddr, want);
                dirty = (want & 0x40) != 0;
                phys = ((pde & 0xFFC00000) | (lin & 0x3FF000) | (lin & 0xFFF)) & a20;
                global = (pde & 0x100) != 0 && (c.cr4 & CR4_PGE) != 0;
            } else {
                int pteAddr = ((pde & 0xFFFFF000) | ((lin >>> 10) & 0xFFC)) & a20;
                int pte = mem.read32(pteAddr);
                if ((pte & 1) == 0) throw pageFault(lin, write, user, false);
                rw = (pde & 2) != 0 && (pte & 2) != 0;
                us = (pde & 4) != 0 && (pte & 4) != 0;
                checkPagePerm(lin, write, user, rw, us, wp);
                if ((pde & 0x20) == 0) mem.write32(pdeAddr, pde | 0x20);
                int want = pte | 0x20 | (write ? 0x40 : 0);
                if (want != pte) mem.write32(pteAddr, want);
                dirty = (want & 0x40) != 0;
                phys = ((pte & 0xFFFFF000) | (lin & 0xFFF)) & a20;
                global = (pte & 0x100) != 0 && (c.cr4 & CR4_PGE) != 0;
            }
        }
        if (mem.isDirectReadable(phys)) {
            int page = lin >>> 12;
            int i = page & TLB_MASK;
            int ppage = phys & 0xFFFFF000;
            if (tlbPhys[i] != ppage || (rtagS[i] != page && rtagU[i] != page)) {
                rtagS[i] = wtagS[i] = rtagU[i] = wtagU[i] = -1;
                tlbPhys[i] = ppage;
            }
            tlbGlobal[i] = global;
            boolean direct = dirty && mem.isDirectWritable(phys);
            if (user) {
                if (us) {
                    rtagU[i] = page;
                    if (direct && rw) wtagU[i] = page;
                }
            } else {
                rtagS[i] = page;
                if (direct && (rw || !wp)) wtagS[i] = page;
            }
        }
        return phys;
    }

    private void checkPagePerm(int lin, boolean write, boolean user, boolean writable, boolean userOk,
                               boolean wp) {
        if (user) {
            if (!userOk || (write && !writable)) throw pageFault(lin, write, true, true);
        } else if (write && !writable && wp) {
            throw pageFault(lin, true, false, true);
        }
    }

    private CpuFault pageFault(int lin, boolean write, boolean user, boolean present) {
        cpu.cr2 = lin;
        return cpu.fault(14, (present ? 1 : 0) | (write ? 2 : 0) | (user ? 4 : 0));
    }

    // ================================================================== linear access by the current privilege level

    int lrd8(int lin) {
        int i = (lin >>> 12) & TLB_MASK;
        if (rtag[i] == (lin >>> 12)) return ram[tlbPhys[i] | (lin & 0xFFF)] & 0xFF;
        return mem.read8(translate(lin, false, false));
    }

    int lrd16(int lin) {
        int i = (lin >>> 12) & TLB_MASK;
        if (rtag[i] == (lin >>> 12) && (lin & 0xFFF) <= 0xFFE) {
            int p = tlbPhys[i] | (lin & 0xFFF);
            return (ram[p] & 0xFF) | ((ram[p + 1] & 0xFF) << 8);
        }
        if ((lin & 0xFFF) == 0xFFF) return lrd8(lin) | (lrd8(lin + 1) << 8);
        return mem.read16(translate(lin, false, false));
    }

    int lrd32(int lin) {
        int i = (lin >>> 12) & TLB_MASK;
        if (rtag[i] == (lin >>> 12) && (lin & 0xFFF) <= 0xFFC) {
            return (int) INT.get(ram, tlbPhys[i] | (lin & 0xFFF));
        }
        if ((lin & 0xFFF) > 0xFFC) {
            // crossing a page: translate both pages before reading (all-or-nothing)
            int b0 = lrd8(lin), b1 = lrd8(lin + 1), b2 = lrd8(lin + 2), b3 = lrd8(lin + 3);
            return b0 | (b1 << 8) | (b2 << 16) | (b3 << 24);
        }
        return mem.read32(translate(lin, false, false));
    }

    void lwr8(int lin, int v) {
        int i = (lin >>> 12) & TLB_MASK;
        if (wtag[i] == (lin >>> 12)) {
            ram[tlbPhys[i] | (lin & 0xFFF)] = (byte) v;
            return;
        }
        int p = translate(lin, true, false);
        mem.write8(p, v);
    }

    void lwr16(int lin, int v) {
        int i = (lin >>> 12) & TLB_MASK;
        if (wtag[i] == (lin >>> 12) && (lin & 0xFFF) <= 0xFFE) {
            SHORT.set(ram, tlbPhys[i] | (lin & 0xFFF), (short) v);
            return;
        }
        if ((lin & 0xFFF) == 0xFFF) {
            int p0 = translate(lin, true, false);
            int p1 = translate(lin + 1, true, false);
            mem.write8(p0, v);
            mem.write8(p1, v >>> 8);
            return;
        }
        int p = translate(lin, true, false);
        mem.write16(p, v);
    }

    void lwr32(int lin, int v) {
        int i = (lin >>> 12) & TLB_MASK;
        if (wtag[i] == (lin >>> 12) && (lin & 0xFFF) <= 0xFFC) {
            INT.set(ram, tlbPhys[i] | (lin & 0xFFF), v);
            return;
        }
        if ((lin & 0xFFF) > 0xFFC) {
            int p0 = translate(lin, true, false);
            int p1 = translate((lin | 0xFFF) + 1, true, false); // first byte of the second page (CR2 on a fault)
            int n0 = 0x1000 - (lin & 0xFFF);
            for (int k = 0; k < 4; k++) {
                int p = k < n0 ? p0 + k : (p1 & 0xFFFFF000) + (k - n0);
                mem.write8(p, v >>> (8 * k));
            }
            return;
        }
        int p = translate(lin, true, false);
        mem.write32(p, v);
    }

    // ================================================================== supervisor (implicit) accesses: descriptor tables, TSS, IDT

    int sysRd8(int lin) {
        return mem.read8(translate(lin, false, true));
    }

    int sysRd16(int lin) {
        return sysRd8(lin) | (sysRd8(lin + 1) << 8);
    }

    int sysRd32(int lin) {
        if ((lin & 0xFFF) <= 0xFFC) return mem.read32(translate(lin, false, true));
        return sysRd16(lin) | (sysRd16(lin + 2) << 16);
    }

    void sysWr8(int lin, int v) {
        int p = translate(lin, true, true);
        mem.write8(p, v);
    }

    void sysWr16(int lin, int v) {
        sysWr8(lin, v);
        sysWr8(lin + 1, v >>> 8);
    }

    void sysWr32(int lin, int v) {
        sysWr16(lin, v);
        sysWr16(lin + 2, v >>> 16);
    }

    // ================================================================== segmented access

    /** Checks a data access of {@code size} bytes at {@code off} in segment {@code s}. */
    void checkSeg(int s, int off, int size, boolean write) {
        int limit = segLimit[s];
        // fast accept: a 4 GiB expand-up writable data segment (flat models); an access wrapping past
        // 2^32 is not checked here
        if (limit == -1 && (segAttr[s] & 0x1E) == 0x12 && segUsable[s]) return;
        if (size > 1 && Integer.compareUnsigned(off, limit) <= 0 && Integer.compareUnsigned(off + size - 1, limit) > 0
                && segUsable[s] && (segAttr[s] & 0x1C) != 0x14) {
            cpu.straddleFaults++;
        }
        int attr = segAttr[s];
        if (!segUsable[s]) throw s == SS ? cpu.fault(12, 0) : cpu.gp(0);
        if ((attr & 0x1C) == 0x14) {
            // expand-down data segment: valid offsets are limit+1 .. 0xFFFF or 0xFFFFFFFF
            int upper = (attr & 0x4000) != 0 ? 0xFFFFFFFF : 0xFFFF;
            if (Integer.compareUnsigned(off, limit) <= 0
                    || Integer.compareUnsigned(off + size - 1, upper) > 0
                    || Integer.compareUnsigned(off, off + size - 1) > 0) {
                throw s == SS ? cpu.fault(12, 0) : cpu.gp(0);
            }
        } else if (Integer.compareUnsigned(off, limit) > 0
                || Integer.compareUnsigned(off + size - 1, limit) > 0
                || (size > 1 && Integer.compareUnsigned(off + size - 1, off) < 0)) {
            throw s == SS ? cpu.fault(12, 0) : cpu.gp(0);
        }
        if (cpu.protectedMode() && !cpu.v86()) {
            if (write) {
                // code segments and read-only data are not writable
                if ((attr & 0x8) != 0 || (attr & 0x2) == 0) throw cpu.gp(0);
            } else if ((attr & 0xA) == 0x8) {
                throw cpu.gp(0); // execute-only code
            }
        }
    }

    int rd8(int s, int off) {
        checkSeg(s, off, 1, false);
        return lrd8(segBase[s] + off);
    }

    int rd16(int s, int off) {
        checkSeg(s, off, 2, false);
        return lrd16(segBase[s] + off);
    }

    int rd32(int s, int off) {
        checkSeg(s, off, 4, false);
        return lrd32(segBase[s] + off);
    }

    /** Read of operand size {@code sz} (0 = 8, 1 = 16, 2 = 32 bits). */
    int rd(int s, int off, int sz) {
        return sz == 2 ? rd32(s, off) : sz == 1 ? rd16(s, off) : rd8(s, off);
    }

    /**
     * Read with write intent, for read-modify-write instructions: checks the segment and every page
     * for writing before reading, so a protection fault is raised (as a write) before anything of
     * the instruction takes effect, flags included.
     */
    int rdw(int s, int off, int sz) {
        int n = sz == 2 ? 4 : sz == 1 ? 2 : 1;
        checkSeg(s, off, n, true);
        int lin = segBase[s] + off;
        int i = (lin >>> 12) & TLB_MASK;
        if (wtag[i] == (lin >>> 12) && (lin & 0xFFF) <= 0x1000 - n) {
            int p = tlbPhys[i] | (lin & 0xFFF);
            return sz == 2 ? (int) INT.get(ram, p) : sz == 1 ? (short) SHORT.get(ram, p) & 0xFFFF : ram[p] & 0xFF;
        }
        translate(lin, true, false);
        if ((((lin + n - 1) ^ lin) >>> 12) != 0) translate((lin | 0xFFF) + 1, true, false);
        return sz == 2 ? lrd32(lin) : sz == 1 ? lrd16(lin) : lrd8(lin);
    }

    void wr8(int s, int off, int v) {
        checkSeg(s, off, 1, true);
        lwr8(segBase[s] + off, v);
    }

    void wr16(int s, int off, int v) {
        checkSeg(s, off, 2, true);
        lwr16(segBase[s] + off, v);
    }

    void wr32(int s, int off, int v) {
        checkSeg(s, off, 4, true);
        lwr32(segBase[s] + off, v);
    }

    /** Write of operand size {@code sz} (0 = 8, 1 = 16, 2 = 32 bits). */
    void wr(int s, int off, int sz, int v) {
        if (sz == 2) wr32(s, off, v);
        else if (sz == 1) wr16(s, off, v);
        else wr8(s, off, v);
    }
}
