package dev.tandem.core.cpu;

import static dev.tandem.core.cpu.Flags.ZF;

/** Descriptor-table instructions: groups 6 and 7 (0F 00, 0F 01), LAR and LSL. */
final class SystemOps {
    private SystemOps() { }

    static void grp6(Cpu c, int sz) {
        switch (c.cur.dReg) {
            case 0 -> storeSelector(c, sz, c.ldtrSel);
            case 1 -> storeSelector(c, sz, c.trSel);
            case 2 -> {
                Exec2.requireCpl0(c);
                lldt(c, c.readE(1) & 0xFFFF);
            }
            case 3 -> {
                Exec2.requireCpl0(c);
                ltr(c, c.readE(1) & 0xFFFF);
            }
            case 4, 5 -> verify(c, c.readE(1) & 0xFFFF, c.cur.dReg == 5);
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
        long d = c.readDescriptor(sel, 13);
        int a = Cpu.descAttr(d);
        if ((a & 0x1F) != 0x02) throw c.gp(sel & 0xFFFC);
        if ((a & 0x80) == 0) throw c.fault(11, sel & 0xFFFC);
        c.ldtrSel = sel;
        c.ldtrBase = Cpu.descBase(d);
        c.ldtrLimit = Cpu.descLimit(d);
        c.ldtrAttr = a;
    }

    static void ltr(Cpu c, int sel) {
        if ((sel & 0xFFFC) == 0) throw c.gp(0);
        if ((sel & 4) != 0) throw c.gp(sel & 0xFFFC);
        long d = c.readDescriptor(sel, 13);
        int a = Cpu.descAttr(d);
        int type = a & 0x1F;
        if (type != 0x01 && type != 0x09) throw c.gp(sel & 0xFFFC);
        if ((a & 0x80) == 0) throw c.fault(11, sel & 0xFFFC);
        // mark busy
        int addr = c.gdtrBase + (sel & 0xFFF8) + 5;
        c.mmu.sysWr8(addr, c.mmu.sysRd8(addr) | 0x02);
        c.trSel = sel;
        c.trBase = Cpu.descBase(d);
        c.trLimit = Cpu.descLimit(d);
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
            int a = Cpu.descAttr(d[0]);
            if ((a & 0x10) == 0) ok = false;
            else if (write) ok = (a & 0x8) == 0 && (a & 0x2) != 0 && privilegeOk(c, sel, a);
            else ok = ((a & 0x8) == 0 || (a & 0x2) != 0) && privilegeOk(c, sel, a);
        }
        LazyFlags.materialize(c);
        c.eflags = ok ? c.eflags | ZF : c.eflags & ~ZF;
    }

    static void lar(Cpu c, int sz) {
        int sel = c.readE(1) & 0xFFFF;
        long[] d = c.descTmp;
        boolean ok = descriptorVisible(c, sel, d);
        int a = 0;
        if (ok) {
            a = Cpu.descAttr(d[0]);
            if ((a & 0x10) == 0) {
                int t = a & 0xF;
                ok = t == 1 || t == 2 || t == 3 || t == 4 || t == 5 || t == 9 || t == 0xB || t == 0xC;
            }
            ok = ok && privilegeOk(c, sel, a);
        }
        LazyFlags.materialize(c);
        if (ok) {
            int v = (int) ((d[0] >>> 32) & 0x00F0FF00L);
            c.setReg(c.cur.dReg, sz, v);
            c.eflags |= ZF;
        } else {
            c.eflags &= ~ZF;
        }
    }

    static void lsl(Cpu c, int sz) {
        int sel = c.readE(1) & 0xFFFF;
        long[] d = c.descTmp;
        boolean ok = descriptorVisible(c, sel, d);
        if (ok) {
            int a = Cpu.descAttr(d[0]);
            if ((a & 0x10) == 0) {
                int t = a & 0xF;
                ok = t == 1 || t == 2 || t == 3 || t == 9 || t == 0xB;
            }
            ok = ok && privilegeOk(c, sel, a);
        }
        LazyFlags.materialize(c);
        if (ok) {
            c.setReg(c.cur.dReg, sz, Cpu.descLimit(d[0]));
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
                Exec2.requireCpl0(c);
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
                Exec2.requireCpl0(c);
                if (c.v86()) throw c.gp(0);
                int v = c.readE(1) & 0xF;
                // LMSW can set PE but never clear it
                int nv = (c.cr0 & ~0xE) | (v & 0xE) | (c.cr0 & 1) | (v & 1);
                c.writeCr0(nv);
            }
            case 7 -> {
                Exec2.requireCpl0(c);
                if (c.v86()) throw c.gp(0);
                c.mmu.invlpg(c.segBase[c.cur.dSeg] + c.eaOff);
            }
            default -> throw c.ud();
        }
    }
}
