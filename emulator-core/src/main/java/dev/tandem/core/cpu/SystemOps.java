package dev.tandem.core.cpu;

import static dev.tandem.core.cpu.Cpu.CR0_CD;
import static dev.tandem.core.cpu.Cpu.CR0_ET;
import static dev.tandem.core.cpu.Cpu.CR0_NW;
import static dev.tandem.core.cpu.Cpu.CR0_PE;
import static dev.tandem.core.cpu.Cpu.CR0_PG;
import static dev.tandem.core.cpu.Cpu.CR0_TS;
import static dev.tandem.core.cpu.Cpu.CR0_WP;
import static dev.tandem.core.cpu.Cpu.CR4_DE;
import static dev.tandem.core.cpu.Cpu.CR4_PGE;
import static dev.tandem.core.cpu.Cpu.CR4_PSE;
import static dev.tandem.core.cpu.Cpu.CR4_TSD;
import static dev.tandem.core.cpu.Cpu.EAX;
import static dev.tandem.core.cpu.Cpu.EBX;
import static dev.tandem.core.cpu.Cpu.ECX;
import static dev.tandem.core.cpu.Cpu.EDX;
import static dev.tandem.core.cpu.Flags.IF;
import static dev.tandem.core.cpu.Flags.ZF;
import static dev.tandem.core.cpu.LazyFlags.materialize;

/**
 * Handlers of the system family: the interrupt flag (CLI STI), HLT, port I/O (IN OUT, with the
 * TSS I/O permission bitmap also used by INS/OUTS), the descriptor-table instructions (groups 6
 * and 7: SLDT STR LLDT LTR VERR VERW SGDT SIDT LGDT LIDT SMSW LMSW INVLPG; LAR LSL ARPL), control
 * and debug registers (MOV CRn/DRn, CLTS), MSRs, RDTSC and CPUID. Privilege checks come first:
 * #GP(0) above CPL 0 (or IOPL for CLI/STI and I/O) before anything changes.
 */
final class SystemOps {
    private SystemOps() { }

    /** #GP(0) unless at CPL 0 (or in real mode). */
    static void requireCpl0(Cpu c) {
        if (c.protectedMode() && c.cpl != 0) throw c.gp(0);
    }

    // ================================================================== interrupt flag, HLT

    static void cli(Cpu c) {
        if (c.protectedMode() && c.cpl > c.iopl()) throw c.gp(0);
        c.eflags &= ~IF;
    }

    /** STI: interrupts stay inhibited until after the next instruction when IF was clear. */
    static void sti(Cpu c) {
        if (c.protectedMode() && c.cpl > c.iopl()) throw c.gp(0);
        if ((c.eflags & IF) == 0) c.inhibitIrq = true;
        c.eflags |= IF;
    }

    static void hlt(Cpu c) {
        if (c.protectedMode() && c.cpl != 0) throw c.gp(0);
        c.halted = true;
    }

    // ================================================================== port I/O

    /** IN AL/eAX, Ib (dSub 1 = byte). */
    static void inI(Cpu c, int sz) {
        ioIn(c, c.cur.dImm & 0xFF, c.cur.dSub == 1 ? 0 : sz);
    }

    /** IN AL/eAX, DX (dSub 1 = byte). */
    static void inDX(Cpu c, int sz) {
        ioIn(c, c.reg[EDX] & 0xFFFF, c.cur.dSub == 1 ? 0 : sz);
    }

    /** OUT Ib, AL/eAX (dSub 1 = byte). */
    static void outI(Cpu c, int sz) {
        ioOut(c, c.cur.dImm & 0xFF, c.cur.dSub == 1 ? 0 : sz);
    }

    /** OUT DX, AL/eAX (dSub 1 = byte). */
    static void outDX(Cpu c, int sz) {
        ioOut(c, c.reg[EDX] & 0xFFFF, c.cur.dSub == 1 ? 0 : sz);
    }

    private static void ioIn(Cpu c, int port, int sz) {
        int bytes = sz == 2 ? 4 : sz == 1 ? 2 : 1;
        checkIoPermission(c, port, bytes);
        int v = c.io.in(port, bytes);
        c.setReg(EAX, sz, v);
    }

    private static void ioOut(Cpu c, int port, int sz) {
        int bytes = sz == 2 ? 4 : sz == 1 ? 2 : 1;
        checkIoPermission(c, port, bytes);
        c.io.out(port, bytes, c.getReg(EAX, sz));
    }

    /** I/O privilege: CPL > IOPL (or v86 mode) consults the TSS I/O permission bitmap. */
    static void checkIoPermission(Cpu c, int port, int bytes) {
        if (!c.protectedMode() || (!c.v86() && c.cpl <= c.iopl())) return;
        // 32-bit TSS only; the bitmap base is at offset 0x66
        if ((c.trAttr & 0xF) != 0x9 && (c.trAttr & 0xF) != 0xB) throw c.gp(0);
        if (Integer.compareUnsigned(c.trLimit, 0x67) < 0) throw c.gp(0);
        int bmBase = c.mmu.sysRd16(c.trBase + 0x66);
        int byteOff = bmBase + (port >>> 3);
        if (Integer.compareUnsigned(byteOff + 1, c.trLimit) > 0) throw c.gp(0);
        int bits = c.mmu.sysRd16(c.trBase + byteOff);
        int m = ((1 << bytes) - 1) << (port & 7);
        if ((bits & m) != 0) throw c.gp(0);
    }

    /** MOV CR0 / LMSW: PG needs PE, NW needs CD; a change of PG, WP or PE flushes the TLB. */
    static void writeCr0(Cpu c, int v) {
        int old = c.cr0;
        if ((v & CR0_PG) != 0 && (v & CR0_PE) == 0) throw c.gp(0);
        if ((v & CR0_NW) != 0 && (v & CR0_CD) == 0) throw c.gp(0);
        c.cr0 = v | CR0_ET;
        if (((old ^ c.cr0) & (CR0_PG | CR0_WP | CR0_PE)) != 0) c.flushTlbAll();
        c.updateMode();
    }

    /** MOV CR3: drops the non-global TLB entries. */
    static void writeCr3(Cpu c, int v) {
        c.cr3 = v;
        c.mmu.flushTlbNonGlobal();
    }

    /** MOV CR4: TSD DE PSE PGE only (#GP for anything else). */
    static void writeCr4(Cpu c, int v) {
        int supported = CR4_TSD | CR4_DE | CR4_PSE | CR4_PGE;
        if ((v & ~supported) != 0) throw c.gp(0);
        int old = c.cr4;
        c.cr4 = v;
        if (((old ^ v) & (CR4_PSE | CR4_PGE)) != 0) c.flushTlbAll();
    }

    /** CPUID for a P6-class CPU advertising exactly what is implemented. */
    static void cpuid(Cpu c) {
        int leaf = c.reg[EAX];
        switch (leaf) {
            case 0:
                c.reg[EAX] = 1;
                // "GenuineIntel"
                c.reg[EBX] = 0x756E6547;
                c.reg[EDX] = 0x49656E69;
                c.reg[ECX] = 0x6C65746E;
                break;
            case 1:
                c.reg[EAX] = 0x0633; // family 6, model 3, stepping 3
                c.reg[EBX] = 0;
                c.reg[ECX] = 0;
                c.reg[EDX] = Cpu.CPUID_FEATURES;
                break;
            default:
                c.reg[EAX] = c.reg[EBX] = c.reg[ECX] = c.reg[EDX] = 0;
        }
    }

    // ================================================================== ARPL, control and debug registers, MSRs, TSC, CPUID

    static void arpl(Cpu c) {
        int dst = Operands.readEw(c, 1);
        int src = c.getReg(c.cur.dReg, 1);
        materialize(c);
        if ((dst & 3) < (src & 3)) {
            Operands.writeE(c, 1, (dst & ~3) | (src & 3));
            c.eflags |= ZF;
        } else {
            c.eflags &= ~ZF;
        }
    }

    static void clts(Cpu c) {
        requireCpl0(c);
        c.cr0 &= ~CR0_TS;
    }

    /** MOV Rd,Cd. */
    static void movRdCd(Cpu c) {
        requireCpl0(c);
        int v;
        switch (c.cur.dReg) {
            case 0 -> v = c.cr0;
            case 2 -> v = c.cr2;
            case 3 -> v = c.cr3;
            case 4 -> v = c.cr4;
            default -> throw c.ud();
        }
        c.reg[c.cur.dRm] = v;
    }

    /** MOV Cd,Rd. */
    static void movCdRd(Cpu c) {
        requireCpl0(c);
        int v = c.reg[c.cur.dRm];
        switch (c.cur.dReg) {
            case 0 -> writeCr0(c, v);
            case 2 -> c.cr2 = v;
            case 3 -> writeCr3(c, v);
            case 4 -> writeCr4(c, v);
            default -> throw c.ud();
        }
    }

    /** MOV Rd,Dd. */
    static void movRdDd(Cpu c) {
        requireCpl0(c);
        int r = debugReg(c, c.cur.dReg);
        c.reg[c.cur.dRm] = c.dr[r];
    }

    /** MOV Dd,Rd: DR6 and DR7 keep their fixed bits. */
    static void movDdRd(Cpu c) {
        requireCpl0(c);
        int r = debugReg(c, c.cur.dReg);
        int v = c.reg[c.cur.dRm];
        if (r == 6) v = (v & 0xE00F) | 0xFFFF0FF0;
        else if (r == 7) v = (v & ~0x2000 & 0xFFFF23FF) | 0x400;
        c.dr[r] = v;
    }

    /** DR4/DR5 alias DR6/DR7 unless CR4.DE is set (then #UD). */
    private static int debugReg(Cpu c, int r) {
        if (r == 4 || r == 5) {
            if ((c.cr4 & CR4_DE) != 0) throw c.ud();
            return r + 2;
        }
        return r;
    }

    static void rdtsc(Cpu c) {
        if ((c.cr4 & CR4_TSD) != 0 && c.cpl != 0 && c.protectedMode()) throw c.gp(0);
        long t = c.readTsc();
        c.reg[EAX] = (int) t;
        c.reg[EDX] = (int) (t >>> 32);
    }

    static void rdmsr(Cpu c) {
        requireCpl0(c);
        long v = Msr.read(c, c.reg[ECX]);
        c.reg[EAX] = (int) v;
        c.reg[EDX] = (int) (v >>> 32);
    }

    static void wrmsr(Cpu c) {
        requireCpl0(c);
        Msr.write(c, c.reg[ECX], ((long) c.reg[EDX] << 32) | (c.reg[EAX] & 0xFFFFFFFFL));
    }

    // ================================================================== descriptor tables

    static void grp6(Cpu c, int sz) {
        switch (c.cur.dReg) {
            case 0 -> storeSelector(c, sz, c.ldtrSel);
            case 1 -> storeSelector(c, sz, c.trSel);
            case 2 -> {
                requireCpl0(c);
                lldt(c, Operands.readE(c, 1) & 0xFFFF);
            }
            case 3 -> {
                requireCpl0(c);
                ltr(c, Operands.readE(c, 1) & 0xFFFF);
            }
            case 4, 5 -> verify(c, Operands.readE(c, 1) & 0xFFFF, c.cur.dReg == 5);
            default -> throw c.ud();
        }
    }

    private static void storeSelector(Cpu c, int sz, int sel) {
        if (c.cur.dMod == 3) c.setReg(c.cur.dRm, sz, sel);
        else c.mmu.wr16(c.cur.dSeg, c.eaOff, sel);
    }

    static void lldt(Cpu c, int sel) {
        if ((sel & 0xFFFC) == 0) {
            c.ldtrSel = sel;
            c.ldtrBase = 0;
            c.ldtrLimit = 0;
            c.ldtrAttr = 0;
            return;
        }
        if ((sel & 4) != 0) throw c.gp(sel & 0xFFFC);
        long d = Segments.readDescriptor(c, sel, 13);
        int a = Segments.descAttr(d);
        if ((a & 0x1F) != 0x02) throw c.gp(sel & 0xFFFC);
        if ((a & 0x80) == 0) throw c.fault(11, sel & 0xFFFC);
        c.ldtrSel = sel;
        c.ldtrBase = Segments.descBase(d);
        c.ldtrLimit = Segments.descLimit(d);
        c.ldtrAttr = a;
    }

    static void ltr(Cpu c, int sel) {
        if ((sel & 0xFFFC) == 0) throw c.gp(0);
        if ((sel & 4) != 0) throw c.gp(sel & 0xFFFC);
        long d = Segments.readDescriptor(c, sel, 13);
        int a = Segments.descAttr(d);
        int type = a & 0x1F;
        if (type != 0x01 && type != 0x09) throw c.gp(sel & 0xFFFC);
        if ((a & 0x80) == 0) throw c.fault(11, sel & 0xFFFC);
        // mark busy
        int addr = c.gdtrBase + (sel & 0xFFF8) + 5;
        c.mmu.sysWr8(addr, c.mmu.sysRd8(addr) | 0x02);
        c.trSel = sel;
        c.trBase = Segments.descBase(d);
        c.trLimit = Segments.descLimit(d);
        c.trAttr = a | 0x02;
    }

    /** Reads a descriptor for LAR/LSL/VERR/VERW without faulting; returns null-equivalent on failure. */
    private static boolean descriptorVisible(Cpu c, int sel, long[] out) {
        if ((sel & 0xFFFC) == 0) return false;
        int base, limit;
        if ((sel & 4) != 0) {
            if (c.ldtrSel == 0) return false;
            base = c.ldtrBase;
            limit = c.ldtrLimit;
        } else {
            base = c.gdtrBase;
            limit = c.gdtrLimit;
        }
        if (Integer.compareUnsigned((sel & 0xFFF8) + 7, limit) > 0) return false;
        int lo = c.mmu.sysRd32(base + (sel & 0xFFF8));
        int hi = c.mmu.sysRd32(base + (sel & 0xFFF8) + 4);
        out[0] = (lo & 0xFFFFFFFFL) | ((long) hi << 32);
        return true;
    }

    private static boolean privilegeOk(Cpu c, int sel, int attr) {
        int dpl = (attr >>> 5) & 3;
        boolean conformingCode = (attr & 0x1C) == 0x1C;
        return conformingCode || (dpl >= c.cpl && dpl >= (sel & 3));
    }

    static void verify(Cpu c, int sel, boolean write) {
        long[] d = c.descTmp;
        boolean ok = descriptorVisible(c, sel, d);
        if (ok) {
            int a = Segments.descAttr(d[0]);
            if ((a & 0x10) == 0) ok = false;
            else if (write) ok = (a & 0x8) == 0 && (a & 0x2) != 0 && privilegeOk(c, sel, a);
            else ok = ((a & 0x8) == 0 || (a & 0x2) != 0) && privilegeOk(c, sel, a);
        }
        materialize(c);
        c.eflags = ok ? c.eflags | ZF : c.eflags & ~ZF;
    }

    static void lar(Cpu c, int sz) {
        int sel = Operands.readE(c, 1) & 0xFFFF;
        long[] d = c.descTmp;
        boolean ok = descriptorVisible(c, sel, d);
        int a = 0;
        if (ok) {
            a = Segments.descAttr(d[0]);
            if ((a & 0x10) == 0) {
                int t = a & 0xF;
                ok = t == 1 || t == 2 || t == 3 || t == 4 || t == 5 || t == 9 || t == 0xB || t == 0xC;
            }
            ok = ok && privilegeOk(c, sel, a);
        }
        materialize(c);
        if (ok) {
            int v = (int) ((d[0] >>> 32) & 0x00F0FF00L);
            c.setReg(c.cur.dReg, sz, v);
            c.eflags |= ZF;
        } else {
            c.eflags &= ~ZF;
        }
    }

    static void lsl(Cpu c, int sz) {
        int sel = Operands.readE(c, 1) & 0xFFFF;
        long[] d = c.descTmp;
        boolean ok = descriptorVisible(c, sel, d);
        if (ok) {
            int a = Segments.descAttr(d[0]);
            if ((a & 0x10) == 0) {
                int t = a & 0xF;
                ok = t == 1 || t == 2 || t == 3 || t == 9 || t == 0xB;
            }
            ok = ok && privilegeOk(c, sel, a);
        }
        materialize(c);
        if (ok) {
            c.setReg(c.cur.dReg, sz, Segments.descLimit(d[0]));
            c.eflags |= ZF;
        } else {
            c.eflags &= ~ZF;
        }
    }

    static void grp7(Cpu c, int sz) {
        switch (c.cur.dReg) {
            case 0, 1 -> {
                int limit = c.cur.dReg == 0 ? c.gdtrLimit : c.idtrLimit;
                int base = c.cur.dReg == 0 ? c.gdtrBase : c.idtrBase;
                c.mmu.wr16(c.cur.dSeg, c.eaOff, limit);
                c.mmu.wr32(c.cur.dSeg, c.eaOff + 2, sz == 2 ? base : base & 0x00FFFFFF);
            }
            case 2, 3 -> {
                requireCpl0(c);
                if (c.v86()) throw c.gp(0);
                int limit = c.mmu.rd16(c.cur.dSeg, c.eaOff);
                int base = c.mmu.rd32(c.cur.dSeg, c.eaOff + 2);
                if (sz != 2) base &= 0x00FFFFFF;
                if (c.cur.dReg == 2) {
                    c.gdtrBase = base;
                    c.gdtrLimit = limit;
                } else {
                    c.idtrBase = base;
                    c.idtrLimit = limit;
                }
            }
            case 4 -> {
                if (c.cur.dMod == 3) c.setReg(c.cur.dRm, sz, c.cr0);
                else c.mmu.wr16(c.cur.dSeg, c.eaOff, c.cr0);
            }
            case 6 -> {
                requireCpl0(c);
                if (c.v86()) throw c.gp(0);
                int v = Operands.readE(c, 1) & 0xF;
                // LMSW can set PE but never clear it
                int nv = (c.cr0 & ~0xE) | (v & 0xE) | (c.cr0 & 1) | (v & 1);
                writeCr0(c, nv);
            }
            case 7 -> {
                requireCpl0(c);
                if (c.v86()) throw c.gp(0);
                c.mmu.invlpg(c.segBase[c.cur.dSeg] + c.eaOff);
            }
            default -> throw c.ud();
        }
    }
}
