package dev.tandem.core.cpu;

import static dev.tandem.core.cpu.Cpu.CS;
import static dev.tandem.core.cpu.Cpu.DS;
import static dev.tandem.core.cpu.Cpu.ES;
import static dev.tandem.core.cpu.Cpu.ESP;
import static dev.tandem.core.cpu.Cpu.FS;
import static dev.tandem.core.cpu.Cpu.GS;
import static dev.tandem.core.cpu.Cpu.SS;

/**
 * Protected-mode control transfers through gates: interrupt and exception delivery through the
 * IDT, IRET, and far CALL through call gates, including the stack switch via the TSS.
 */
final class Gates {
    private Gates() { }

    /** Stack pointer and selector for privilege level {@code dpl} from the current TSS. */
    static long tssStack(Cpu c, int dpl) {
        int type = c.trAttr & 0xF;
        int ss, esp;
        if (type == 0x9 || type == 0xB) {
            int off = 4 + 8 * dpl;
            if (Integer.compareUnsigned(off + 5, c.trLimit) > 0) throw c.fault(10, c.trSel & 0xFFFC);
            esp = c.mmu.sysRd32(c.trBase + off);
            ss = c.mmu.sysRd16(c.trBase + off + 4);
        } else {
            int off = 2 + 4 * dpl;
            if (Integer.compareUnsigned(off + 3, c.trLimit) > 0) throw c.fault(10, c.trSel & 0xFFFC);
            esp = c.mmu.sysRd16(c.trBase + off);
            ss = c.mmu.sysRd16(c.trBase + off + 2);
        }
        return ((long) ss << 32) | (esp & 0xFFFFFFFFL);
    }

    /** Validates the new inner stack selector for level {@code dpl} (#TS on failure); returns its descriptor. */
    static long innerStack(Cpu c, int ss, int dpl, int ext) {
        if ((ss & 0xFFFC) == 0) throw c.fault(10, ext);
        long d = Segments.readDescriptor(c, ss, 10);
        int a = Segments.descAttr(d);
        if ((ss & 3) != dpl || ((a >>> 5) & 3) != dpl || (a & 0x1A) != 0x12) throw c.fault(10, (ss & 0xFFFC) | ext);
        if ((a & 0x80) == 0) throw c.fault(12, (ss & 0xFFFC) | ext);
        return d;
    }

    static void deliverProtected(Cpu c, int vector, boolean hasCode, int code, boolean external, boolean soft) {
        int ext = external ? 1 : 0;
        int idtErr = vector * 8 + 2 + ext;
        if (Integer.compareUnsigned(vector * 8 + 7, c.idtrLimit) > 0) throw c.gp(idtErr);
        int lo = c.mmu.sysRd32(c.idtrBase + vector * 8);
        int hi = c.mmu.sysRd32(c.idtrBase + vector * 8 + 4);
        long gate = (lo & 0xFFFFFFFFL) | ((long) hi << 32);
        int attr = Segments.descAttr(gate);
        int type = attr & 0x1F;
        int gdpl = (attr >>> 5) & 3;
        if (type != 0x05 && type != 0x06 && type != 0x07 && type != 0x0E && type != 0x0F) throw c.gp(idtErr);
        if (soft && gdpl < c.cpl) throw c.gp(idtErr);
        if ((attr & 0x80) == 0) throw c.fault(11, idtErr);
        if (type == 0x05) {
            int tssSel = (lo >>> 16) & 0xFFFF;
            Tasks.switchByGate(c, tssSel, hasCode, code, ext);
            return;
        }
        boolean gate32 = (type & 0x8) != 0;
        boolean trapGate = (type & 1) != 0;
        int csSel = (lo >>> 16) & 0xFFFF;
        int target = gate32 ? (lo & 0xFFFF) | (hi & 0xFFFF0000) : lo & 0xFFFF;
        if ((csSel & 0xFFFC) == 0) throw c.gp(ext);
        long cd = Segments.readDescriptor(c, csSel, 13);
        int ca = Segments.descAttr(cd);
        int cdpl = (ca >>> 5) & 3;
        if ((ca & 0x18) != 0x18 || cdpl > c.cpl) throw c.gp((csSel & 0xFFFC) | ext);
        if ((ca & 0x80) == 0) throw c.fault(11, (csSel & 0xFFFC) | ext);
        if (Integer.compareUnsigned(target, Segments.descLimit(cd)) > 0) throw c.gp(ext);
        int flags = c.getEflags();
        boolean v86 = c.v86();
        boolean conforming = (ca & 0x4) != 0;
        int n = gate32 ? 4 : 2;
        if (!conforming && cdpl < c.cpl) {
            // inner privilege: switch to the stack of level cdpl from the TSS
            if (v86 && cdpl != 0) throw c.gp((csSel & 0xFFFC) | ext);
            long st = tssStack(c, cdpl);
            int newSs = (int) (st >>> 32) & 0xFFFF;
            int newEsp = (int) st;
            long sd = innerStack(c, newSs, cdpl, ext);
            int ssBase = Segments.descBase(sd);
            int ssLimit = Segments.descLimit(sd);
            boolean ss32 = (Segments.descAttr(sd) & 0x4000) != 0;
            int words = (v86 ? 9 : 5) + (hasCode ? 1 : 0);
            int sp = newEsp;
            // write the frame through supervisor accesses; check the limit first
            int top = ss32 ? sp : sp & 0xFFFF;
            int bottom = top - words * n;
            if (!ss32) bottom &= 0xFFFF;
            if (Integer.compareUnsigned(bottom, ssLimit) > 0 || Integer.compareUnsigned(top - 1, ssLimit) > 0
                    && ss32) {
                throw c.fault(12, (newSs & 0xFFFC) | ext);
            }
            int[] vals = c.scratchA;
            int k = 0;
            if (v86) {
                vals[k++] = c.segSel[GS];
                vals[k++] = c.segSel[FS];
                vals[k++] = c.segSel[DS];
                vals[k++] = c.segSel[ES];
            }
            vals[k++] = c.segSel[SS];
            vals[k++] = c.reg[ESP];
            vals[k++] = flags;
            vals[k++] = c.segSel[CS];
            vals[k++] = c.eip;
            if (hasCode) vals[k++] = code;
            int a = top;
            for (int vi = 0; vi < words; vi++) {
                int v = vals[vi];
                a -= n;
                int off = ss32 ? a : a & 0xFFFF;
                if (n == 4) c.mmu.sysWr32(ssBase + off, v);
                else c.mmu.sysWr16(ssBase + off, v);
            }
            Segments.setAccessed(c, newSs, sd);
            c.setSegmentCache(SS, newSs, ssBase, ssLimit, Segments.descAttr(sd) | 1);
            c.reg[ESP] = ss32 ? a : (newEsp & 0xFFFF0000) | (a & 0xFFFF);
            if (v86) {
                for (int s : Segments.DATA_SEGS) {
                    c.segSel[s] = 0;
                    c.segBase[s] = 0;
                    c.segLimit[s] = 0;
                    c.segAttr[s] = 0;
                    c.segUsable[s] = false;
                }
            }
        } else {
            if (v86) throw c.gp((csSel & 0xFFFC) | ext);
            int words = 3 + (hasCode ? 1 : 0);
            int sp = c.reg[ESP];
            int[] vals = c.scratchA;
            vals[0] = flags;
            vals[1] = c.segSel[CS];
            vals[2] = c.eip;
            vals[3] = code;
            for (int i = 0; i < words; i++) {
                int a = c.stack32 ? sp - n * (i + 1) : (sp - n * (i + 1)) & 0xFFFF;
                if (n == 4) c.mmu.wr32(SS, a, vals[i]);
                else c.mmu.wr16(SS, a, vals[i]);
            }
            StackOps.setSp(c, c.stack32 ? sp - n * words : (sp - n * words) & 0xFFFF);
            cdpl = c.cpl;
        }
        LazyFlags.materialize(c);
        int f = c.eflags & ~(Flags.TF | Flags.NT | Flags.VM | Flags.RF);
        if (!trapGate) f &= ~Flags.IF;
        c.eflags = f;
        Segments.loadCs(c, csSel, cd, cdpl);
        c.eip = target;
    }

    static void iretProtected(Cpu c, int sz) {
        int n = sz == 2 ? 4 : 2;
        if (c.v86()) {
            if (c.iopl() < 3) throw c.gp(0);
            int off = StackOps.peek(c, sz, 0);
            int sel = StackOps.peek(c, sz, n) & 0xFFFF;
            int f = StackOps.peek(c, sz, 2 * n);
            if (sz == 1) off &= 0xFFFF;
            c.loadSegmentReal(CS, sel);
            c.eip = off;
            StackOps.adjustSp(c, 3 * n);
            // IOPL is not changed from v86 mode; VM stays set
            int keep = Flags.IOPL | Flags.VM | Flags.VIF | Flags.VIP;
            int changeable = (Flags.ARITH | Flags.TF | Flags.IF | Flags.DF | Flags.NT | (sz == 2 ? Flags.AC | Flags.ID : 0))
                    & ~keep;
            if (sz == 1) changeable &= 0xFFFF;
            LazyFlags.materialize(c);
            c.eflags = (c.eflags & ~changeable) | (f & changeable) | Flags.FIXED_ONE;
            return;
        }
        if ((c.getEflags() & Flags.NT) != 0) {
            Tasks.iretTask(c);
            return;
        }
        int off = StackOps.peek(c, sz, 0);
        int sel = StackOps.peek(c, sz, n) & 0xFFFF;
        int f = StackOps.peek(c, sz, 2 * n);
        if (sz == 1) {
            off &= 0xFFFF;
            f = (c.getEflags() & 0xFFFF0000) | (f & 0xFFFF);
        }
        if (sz == 2 && (f & Flags.VM) != 0 && c.cpl == 0) {
            returnToV86(c, off, sel, f);
            return;
        }
        if ((sel & 0xFFFC) == 0) throw c.gp(0);
        long d = Segments.readDescriptor(c, sel, 13);
        int attr = Segments.descAttr(d);
        int rpl = sel & 3;
        int dpl = (attr >>> 5) & 3;
        if (rpl < c.cpl || (attr & 0x18) != 0x18) throw c.gp(sel & 0xFFFC);
        if ((attr & 0x4) != 0 ? dpl > rpl : dpl != rpl) throw c.gp(sel & 0xFFFC);
        if ((attr & 0x80) == 0) throw c.fault(11, sel & 0xFFFC);
        if (Integer.compareUnsigned(off, Segments.descLimit(d)) > 0) throw c.gp(0);
        int oldCpl = c.cpl;
        if (rpl == c.cpl) {
            Segments.loadCs(c, sel, d, rpl);
            c.eip = off;
            StackOps.adjustSp(c, 3 * n);
            setFlagsAfterIret(c, f, sz, oldCpl);
            return;
        }
        int newEsp = StackOps.peek(c, sz, 3 * n);
        int newSs = StackOps.peek(c, sz, 4 * n) & 0xFFFF;
        Segments.checkOuterSs(c, newSs, rpl);
        long sd = Segments.readDescriptor(c, newSs, 13);
        Segments.loadCs(c, sel, d, rpl);
        Segments.setAccessed(c, newSs, sd);
        c.setSegmentCache(SS, newSs, Segments.descBase(sd), Segments.descLimit(sd), Segments.descAttr(sd) | 1);
        if (c.stack32) c.reg[ESP] = newEsp;
        else c.reg[ESP] = (c.reg[ESP] & 0xFFFF0000) | (newEsp & 0xFFFF);
        c.eip = off;
        setFlagsAfterIret(c, f, sz, oldCpl);
        Segments.invalidateOuterSegments(c);
    }

    private static void setFlagsAfterIret(Cpu c, int f, int sz, int oldCpl) {
        int changeable = Flags.ARITH | Flags.TF | Flags.DF | Flags.NT | Flags.RF;
        if (sz == 2) changeable |= Flags.AC | Flags.ID | Flags.VIF | Flags.VIP;
        if (oldCpl == 0) changeable |= Flags.IOPL;
        if (oldCpl <= c.iopl()) changeable |= Flags.IF;
        if (sz == 1) changeable &= 0xFFFF;
        LazyFlags.materialize(c);
        c.eflags = (c.eflags & ~changeable) | (f & changeable) | Flags.FIXED_ONE;
    }

    private static void returnToV86(Cpu c, int off, int sel, int f) {
        int esp = StackOps.peek(c, 2, 12);
        int ss = StackOps.peek(c, 2, 16);
        int es = StackOps.peek(c, 2, 20);
        int ds = StackOps.peek(c, 2, 24);
        int fs = StackOps.peek(c, 2, 28);
        int gs = StackOps.peek(c, 2, 32);
        LazyFlags.materialize(c);
        c.eflags = (f & Flags.WRITABLE) | Flags.FIXED_ONE | Flags.VM;
        c.cpl = 3;
        for (int s = 0; s < 6; s++) c.setSegmentCache(s, 0, 0, 0xFFFF, 0xF3);
        c.setSegmentCache(CS, sel & 0xFFFF, (sel & 0xFFFF) << 4, 0xFFFF, 0xF3);
        c.setSegmentCache(SS, ss & 0xFFFF, (ss & 0xFFFF) << 4, 0xFFFF, 0xF3);
        c.setSegmentCache(ES, es & 0xFFFF, (es & 0xFFFF) << 4, 0xFFFF, 0xF3);
        c.setSegmentCache(DS, ds & 0xFFFF, (ds & 0xFFFF) << 4, 0xFFFF, 0xF3);
        c.setSegmentCache(FS, fs & 0xFFFF, (fs & 0xFFFF) << 4, 0xFFFF, 0xF3);
        c.setSegmentCache(GS, gs & 0xFFFF, (gs & 0xFFFF) << 4, 0xFFFF, 0xF3);
        c.reg[ESP] = esp;
        c.eip = off & 0xFFFF;
        c.updateMode();
    }

    /** Far CALL through a call gate, with the stack switch and parameter copy for inner levels. */
    static void callGate(Cpu c, int sel, long gate, int next) {
        int attr = Segments.descAttr(gate);
        int type = attr & 0x1F;
        int gdpl = (attr >>> 5) & 3;
        if (gdpl < c.cpl || gdpl < (sel & 3)) throw c.gp(sel & 0xFFFC);
        if ((attr & 0x80) == 0) throw c.fault(11, sel & 0xFFFC);
        boolean gate32 = type == 0x0C;
        int csSel = (int) ((gate >>> 16) & 0xFFFF);
        int target = (int) ((gate & 0xFFFF) | (gate32 ? ((gate >>> 32) & 0xFFFF0000L) : 0));
        int params = (int) ((gate >>> 32) & 0x1F);
        if ((csSel & 0xFFFC) == 0) throw c.gp(0);
        long cd = Segments.readDescriptor(c, csSel, 13);
        int ca = Segments.descAttr(cd);
        int cdpl = (ca >>> 5) & 3;
        if ((ca & 0x18) != 0x18 || cdpl > c.cpl) throw c.gp(csSel & 0xFFFC);
        if ((ca & 0x80) == 0) throw c.fault(11, csSel & 0xFFFC);
        if (Integer.compareUnsigned(target, Segments.descLimit(cd)) > 0) throw c.gp(0);
        int n = gate32 ? 4 : 2;
        if ((ca & 0x4) == 0 && cdpl < c.cpl) {
            long st = tssStack(c, cdpl);
            int newSs = (int) (st >>> 32) & 0xFFFF;
            int newEsp = (int) st;
            long sd = innerStack(c, newSs, cdpl, 0);
            boolean ss32 = (Segments.descAttr(sd) & 0x4000) != 0;
            int ssBase = Segments.descBase(sd);
            int[] copy = c.scratchB;
            for (int i = 0; i < params; i++) copy[i] = StackOps.peek(c, gate32 ? 2 : 1, i * n);
            int oldSs = c.segSel[SS];
            int oldEsp = c.reg[ESP];
            int a = ss32 ? newEsp : newEsp & 0xFFFF;
            int[] vals = c.scratchA;
            int nvals = 4 + params;
            vals[0] = oldSs;
            vals[1] = oldEsp;
            for (int i = 0; i < params; i++) vals[2 + i] = copy[params - 1 - i];
            vals[2 + params] = c.segSel[CS];
            vals[3 + params] = next;
            int limit = Segments.descLimit(sd);
            int bottom = a - nvals * n;
            if (!ss32) bottom &= 0xFFFF;
            if (Integer.compareUnsigned(bottom, limit) > 0) throw c.fault(12, newSs & 0xFFFC);
            for (int vi = 0; vi < nvals; vi++) {
                int v = vals[vi];
                a -= n;
                int off = ss32 ? a : a & 0xFFFF;
                if (n == 4) c.mmu.sysWr32(ssBase + off, v);
                else c.mmu.sysWr16(ssBase + off, v);
            }
            Segments.setAccessed(c, newSs, sd);
            c.setSegmentCache(SS, newSs, ssBase, limit, Segments.descAttr(sd) | 1);
            c.reg[ESP] = ss32 ? a : (newEsp & 0xFFFF0000) | (a & 0xFFFF);
            Segments.loadCs(c, csSel, cd, cdpl);
            c.eip = target;
            return;
        }
        int sp = c.reg[ESP];
        int a1 = c.stack32 ? sp - n : (sp - n) & 0xFFFF;
        int a2 = c.stack32 ? sp - 2 * n : (sp - 2 * n) & 0xFFFF;
        if (n == 4) {
            c.mmu.wr32(SS, a1, c.segSel[CS]);
            c.mmu.wr32(SS, a2, next);
        } else {
            c.mmu.wr16(SS, a1, c.segSel[CS]);
            c.mmu.wr16(SS, a2, next);
        }
        StackOps.setSp(c, a2);
        Segments.loadCs(c, csSel, cd, c.cpl);
        c.eip = target;
    }
}
