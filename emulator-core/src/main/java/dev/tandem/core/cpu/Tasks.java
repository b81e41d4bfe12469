package dev.tandem.core.cpu;

import static dev.tandem.core.cpu.Cpu.CS;
import static dev.tandem.core.cpu.Cpu.DS;
import static dev.tandem.core.cpu.Cpu.ES;
import static dev.tandem.core.cpu.Cpu.ESP;
import static dev.tandem.core.cpu.Cpu.FS;
import static dev.tandem.core.cpu.Cpu.GS;
import static dev.tandem.core.cpu.Cpu.SS;

/**
 * Hardware task switching: far JMP/CALL to a TSS descriptor or a task gate, interrupts and
 * exceptions through a task gate, and IRET with EFLAGS.NT set (return through the back link).
 *
 * <p>The switch follows the order of the Intel SDM (vol. 3, "Task Switching"): all checks that
 * can fail in the context of the outgoing task come first (privilege, presence, TSS limit); then
 * the busy bit of the outgoing TSS is cleared (JMP, IRET), its dynamic state is saved, the back
 * link is written and NT set (CALL, interrupts), the incoming descriptor is marked busy (JMP,
 * CALL, interrupts), and TR is loaded. That is the commit point: CR0.TS is set and the incoming
 * state (CR3, EFLAGS, EIP, general registers, selectors) is loaded; the LDT and the segment
 * descriptors are then checked, and a failure there raises the fault (#TS, #NP, #SS, #GP) in the
 * context of the new task. Such a fault is delivered here, directly, because the run loop would
 * otherwise roll EIP and ESP back to the outgoing task's values.
 *
 * <p>TSS layouts: 32-bit (types 9/B), minimum limit 0x67: link 0, CR3 0x1C, EIP 0x20, EFLAGS
 * 0x24, EAX..EDI 0x28..0x44, ES CS SS DS FS GS at 0x48 + 4*i, LDT 0x60. 16-bit (types 1/3),
 * minimum limit 0x2B: link 0, IP 0x0E, FLAGS 0x10, AX..DI 0x12..0x20, ES CS SS DS at 0x22 + 2*i,
 * LDT 0x2A (FS and GS become null, the upper halves of the registers are kept).
 */
final class Tasks {
    private Tasks() { }

    private static final int SRC_JMP = 0, SRC_CALL = 1, SRC_INT = 2, SRC_IRET = 3;

    /** Far JMP or CALL whose selector names a TSS descriptor (type 1/9) or a task gate (type 5). */
    static void switchByJumpOrCall(Cpu c, int sel, long desc, boolean call, int next) {
        int attr = Segments.descAttr(desc);
        int dpl = (attr >>> 5) & 3;
        if (dpl < c.cpl || dpl < (sel & 3)) throw c.gp(sel & 0xFFFC);
        int tssSel = sel;
        long tss = desc;
        if ((attr & 0x1F) == 0x05) {
            if ((attr & 0x80) == 0) throw c.fault(11, sel & 0xFFFC);
            tssSel = (int) (desc >>> 16) & 0xFFFF;
            tss = checkTssFromGate(c, tssSel, 0);
        } else {
            int type = attr & 0x1F;
            if (type != 0x01 && type != 0x09) throw c.gp(sel & 0xFFFC);
            if ((attr & 0x80) == 0) throw c.fault(11, sel & 0xFFFC);
        }
        doSwitch(c, tssSel, tss, call ? SRC_CALL : SRC_JMP, next, false, 0);
    }

    /** Interrupt or exception through a task gate; the error code goes on the new task's stack. */
    static void switchByGate(Cpu c, int tssSel, boolean hasCode, int code, int ext) {
        long tss = checkTssFromGate(c, tssSel, ext);
        doSwitch(c, tssSel, tss, SRC_INT, c.eip, hasCode, code);
    }

    /** IRET with NT set: switches back to the task named by the back link of the current TSS. */
    static void iretTask(Cpu c) {
        int link = c.mmu.sysRd16(c.trBase);
        if ((link & 4) != 0) throw c.fault(10, link & 0xFFFC);
        long d = Segments.readDescriptor(c, link, 10);
        int attr = Segments.descAttr(d);
        // must be a busy TSS (16- or 32-bit)
        if ((attr & 0x17) != 0x03) throw c.fault(10, link & 0xFFFC);
        if ((attr & 0x80) == 0) throw c.fault(11, link & 0xFFFC);
        int next = c.eip + c.cur.dLen;
        if (!c.code32) next &= 0xFFFF;
        doSwitch(c, link, d, SRC_IRET, next, false, 0);
    }

    /** The TSS named by a task gate: in the GDT, an available TSS, present. */
    private static long checkTssFromGate(Cpu c, int tssSel, int ext) {
        if ((tssSel & 4) != 0) throw c.gp((tssSel & 0xFFFC) | ext);
        int index = tssSel & 0xFFF8;
        if (index == 0 || Integer.compareUnsigned(index + 7, c.gdtrLimit) > 0) throw c.gp((tssSel & 0xFFFC) | ext);
        long d = Segments.readDescriptor(c, tssSel, 13);
        int attr = Segments.descAttr(d);
        int type = attr & 0x1F;
        if (type != 0x01 && type != 0x09) throw c.gp((tssSel & 0xFFFC) | ext);
        if ((attr & 0x80) == 0) throw c.fault(11, (tssSel & 0xFFFC) | ext);
        return d;
    }

    private static void doSwitch(Cpu c, int tssSel, long desc, int src, int next, boolean hasCode, int code) {
        int attr = Segments.descAttr(desc);
        boolean new32 = (attr & 0x8) != 0;
        int base = Segments.descBase(desc);
        int limit = Segments.descLimit(desc);
        if (Integer.compareUnsigned(limit, new32 ? 0x67 : 0x2B) < 0) throw c.fault(10, tssSel & 0xFFFC);

        // ---- read the incoming state (faults here are in the outgoing task's context); task
        // switches are rare, so the two small arrays are allocated per switch (thread-safe)
        final int[] newRegs = new int[8];
        final int[] newSegs = new int[6];
        int newCr3 = 0, newEip, newFlags, newLdt;
        if (new32) {
            newCr3 = c.mmu.sysRd32(base + 0x1C);
            newEip = c.mmu.sysRd32(base + 0x20);
            newFlags = c.mmu.sysRd32(base + 0x24);
            for (int i = 0; i < 8; i++) newRegs[i] = c.mmu.sysRd32(base + 0x28 + 4 * i);
            for (int i = 0; i < 6; i++) newSegs[i] = c.mmu.sysRd16(base + 0x48 + 4 * i);
            newLdt = c.mmu.sysRd16(base + 0x60);
        } else {
            newEip = c.mmu.sysRd16(base + 0x0E);
            newFlags = c.mmu.sysRd16(base + 0x10);
            for (int i = 0; i < 8; i++) newRegs[i] = c.mmu.sysRd16(base + 0x12 + 2 * i);
            for (int i = 0; i < 4; i++) newSegs[i] = c.mmu.sysRd16(base + 0x22 + 2 * i);
            newSegs[FS] = 0;
            newSegs[GS] = 0;
            newLdt = c.mmu.sysRd16(base + 0x2A);
        }

        // ---- outgoing task: busy bit, saved state
        boolean old32 = (c.trAttr & 0x8) != 0;
        int oldBase = c.trBase;
        int oldFlags = c.getEflags();
        if (src == SRC_IRET) oldFlags &= ~Flags.NT;
        if (src == SRC_JMP || src == SRC_IRET) setBusy(c, c.trSel, false);
        if (old32) {
            c.mmu.sysWr32(oldBase + 0x20, next);
            c.mmu.sysWr32(oldBase + 0x24, oldFlags);
            for (int i = 0; i < 8; i++) c.mmu.sysWr32(oldBase + 0x28 + 4 * i, c.reg[i]);
            for (int i = 0; i < 6; i++) c.mmu.sysWr16(oldBase + 0x48 + 4 * i, c.segSel[i]);
        } else {
            c.mmu.sysWr16(oldBase + 0x0E, next);
            c.mmu.sysWr16(oldBase + 0x10, oldFlags);
            for (int i = 0; i < 8; i++) c.mmu.sysWr16(oldBase + 0x12 + 2 * i, c.reg[i]);
            for (int i = 0; i < 4; i++) c.mmu.sysWr16(oldBase + 0x22 + 2 * i, c.segSel[i]);
        }

        // ---- incoming task: back link, NT, busy bit
        if (src == SRC_CALL || src == SRC_INT) {
            c.mmu.sysWr16(base, c.trSel);
            newFlags |= Flags.NT;
        }
        if (src != SRC_IRET) setBusy(c, tssSel, true);

        // ---- commit point: from here on faults belong to the new task
        c.cr0 |= Cpu.CR0_TS;
        c.trSel = tssSel & 0xFFFF;
        c.trBase = base;
        c.trLimit = limit;
        c.trAttr = attr | 0x02;
        if (new32 && (c.cr0 & Cpu.CR0_PG) != 0) SystemOps.writeCr3(c, newCr3);
        c.eip = new32 ? newEip : newEip & 0xFFFF;
        if (new32) {
            System.arraycopy(newRegs, 0, c.reg, 0, 8);
            c.setEflags(newFlags);
        } else {
            for (int i = 0; i < 8; i++) c.reg[i] = (c.reg[i] & 0xFFFF0000) | (newRegs[i] & 0xFFFF);
            c.setEflags((c.getEflags() & 0xFFFF0000) | (newFlags & 0xFFFF));
        }
        // a fault raised from here on is restarted in the new task, never rolled back to the old one
        c.startEip = c.eip;
        c.startEsp = c.reg[Cpu.ESP];
        boolean vm = (c.getEflags() & Flags.VM) != 0;
        if (vm) {
            for (int s = 0; s < 6; s++) {
                int sel = newSegs[s] & 0xFFFF;
                c.setSegmentCache(s, sel, sel << 4, 0xFFFF, 0xF3);
            }
        } else {
            // selectors first (a fault below reports them), descriptors after the LDT
            for (int s = 0; s < 6; s++) {
                c.segSel[s] = newSegs[s] & 0xFFFF;
                c.segBase[s] = 0;
                c.segLimit[s] = 0;
                c.segAttr[s] = 0;
                c.segUsable[s] = false;
            }
        }
        c.ldtrSel = newLdt & 0xFFFF;
        c.ldtrBase = 0;
        c.ldtrLimit = 0;
        c.ldtrAttr = 0;
        c.cpl = vm ? 3 : newSegs[CS] & 3;
        c.updateMode();
        try {
            loadLdt(c, newLdt & 0xFFFF);
            if (!vm) {
                int cpl = c.cpl;
                loadTaskSeg(c, CS, newSegs[CS] & 0xFFFF, cpl);
                loadTaskSeg(c, SS, newSegs[SS] & 0xFFFF, cpl);
                loadTaskSeg(c, ES, newSegs[ES] & 0xFFFF, cpl);
                loadTaskSeg(c, DS, newSegs[DS] & 0xFFFF, cpl);
                loadTaskSeg(c, FS, newSegs[FS] & 0xFFFF, cpl);
                loadTaskSeg(c, GS, newSegs[GS] & 0xFFFF, cpl);
            }
            c.updateMode();
            if (Integer.compareUnsigned(c.eip, c.segLimit[CS]) > 0) throw c.gp(0);
            if (hasCode) {
                int n = new32 ? 4 : 2;
                int sp = c.stack32 ? c.reg[ESP] - n : (c.reg[ESP] - n) & 0xFFFF;
                if (n == 4) c.mmu.wr32(SS, sp, code);
                else c.mmu.wr16(SS, sp, code);
                StackOps.setSp(c, sp);
            }
        } catch (CpuFault f) {
            int v = f.vector, e = f.errorCode;
            boolean h = f.hasErrorCode;
            c.updateMode();
            Interrupts.deliver(c, v, h, e, true, false);
        }
    }

    private static void setBusy(Cpu c, int sel, boolean busy) {
        int a = c.gdtrBase + (sel & 0xFFF8) + 5;
        int b = c.mmu.sysRd8(a);
        c.mmu.sysWr8(a, busy ? b | 0x02 : b & ~0x02);
    }

    /** LDTR from the incoming TSS: null, or an LDT descriptor in the GDT (#TS otherwise). */
    private static void loadLdt(Cpu c, int sel) {
        if ((sel & 4) != 0) throw c.fault(10, sel & 0xFFFC);
        if ((sel & 0xFFFC) == 0) return;
        int index = sel & 0xFFF8;
        if (Integer.compareUnsigned(index + 7, c.gdtrLimit) > 0) throw c.fault(10, sel & 0xFFFC);
        long d = Segments.readDescriptor(c, sel, 10);
        int a = Segments.descAttr(d);
        if ((a & 0x1F) != 0x02 || (a & 0x80) == 0) throw c.fault(10, sel & 0xFFFC);
        c.ldtrBase = Segments.descBase(d);
        c.ldtrLimit = Segments.descLimit(d);
        c.ldtrAttr = a;
    }

    /** Loads a segment register of the incoming task with the checks of a task switch (#TS). */
    private static void loadTaskSeg(Cpu c, int s, int sel, int cpl) {
        int err = sel & 0xFFFC;
        if (err == 0) {
            if (s == CS || s == SS) throw c.fault(10, err);
            c.segSel[s] = sel;
            c.segUsable[s] = false;
            return;
        }
        long d = Segments.readDescriptor(c, sel, 10);
        int a = Segments.descAttr(d);
        int dpl = (a >>> 5) & 3;
        int rpl = sel & 3;
        if ((a & 0x10) == 0) throw c.fault(10, err);
        boolean code = (a & 0x8) != 0;
        boolean conforming = code && (a & 0x4) != 0;
        if (s == CS) {
            if (!code) throw c.fault(10, err);
            if (conforming ? dpl > rpl : dpl != rpl) throw c.fault(10, err);
        } else if (s == SS) {
            if (code || (a & 0x2) == 0) throw c.fault(10, err);
            if (dpl != cpl || rpl != cpl) throw c.fault(10, err);
        } else {
            if (code && (a & 0x2) == 0) throw c.fault(10, err);
            if (!conforming && (dpl < cpl || dpl < rpl)) throw c.fault(10, err);
        }
        if ((a & 0x80) == 0) throw c.fault(s == SS ? 12 : 11, err);
        Segments.setAccessed(c, sel, d);
        c.setSegmentCache(s, sel, Segments.descBase(d), Segments.descLimit(d), a | 1);
    }
}
