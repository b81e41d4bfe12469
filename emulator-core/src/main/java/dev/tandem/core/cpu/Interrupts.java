package dev.tandem.core.cpu;

import static dev.tandem.core.cpu.Cpu.CS;
import static dev.tandem.core.cpu.Cpu.ESP;
import static dev.tandem.core.cpu.Cpu.SS;
import static dev.tandem.core.cpu.Flags.AC;
import static dev.tandem.core.cpu.Flags.IF;
import static dev.tandem.core.cpu.Flags.RF;
import static dev.tandem.core.cpu.Flags.TF;

/**
 * Interrupt and exception delivery: the entry used by external interrupts, exceptions and INT n
 * ({@link #deliver}), real-mode delivery through the interrupt vector table and real-mode IRET
 * (protected and virtual-8086 mode are in {@link Gates}, task gates in {@link Tasks}), and the
 * escalation of faults raised during delivery to #DF and to a triple fault ({@link #handleFault}).
 */
final class Interrupts {
    private Interrupts() { }

    /**
     * Delivers the exception an instruction raised, escalating as the SDM's double-fault table
     * says: a contributory fault (#DE, #TS, #NP, #SS, #GP) during the delivery of another, or a
     * contributory fault or #PF during the delivery of a #PF, becomes #DF; a fault while
     * delivering #DF, or a third nested fault, shuts the CPU down (triple fault).
     */
    static void handleFault(Cpu c, CpuFault f) {
        int vector = f.vector;
        c.lastException = vector;
        int code = f.errorCode;
        boolean hasCode = f.hasErrorCode;
        if (c.faultDepth >= 2) {
            c.shutdown = true;
            c.faultDepth = 0;
            return;
        }
        c.faultDepth++;
        try {
            deliver(c, vector, hasCode, code, true, false);
            c.faultDepth = 0;
        } catch (CpuFault f2) {
            int v2 = f2.vector;
            boolean contributory1 = vector == 0 || (vector >= 10 && vector <= 13);
            boolean contributory2 = v2 == 0 || (v2 >= 10 && v2 <= 13);
            if (vector == 8) {
                c.shutdown = true;
                c.faultDepth = 0;
                return;
            }
            if ((contributory1 && contributory2) || (vector == 14 && (contributory2 || v2 == 14))) {
                handleFaultDouble(c);
            } else {
                handleFault(c, f2);
            }
        }
    }

    private static void handleFaultDouble(Cpu c) {
        try {
            deliver(c, 8, true, 0, true, false);
            c.faultDepth = 0;
        } catch (CpuFault f3) {
            c.shutdown = true;
            c.faultDepth = 0;
        }
    }

    /** INT n / INT3 / INTO: software interrupts check the gate DPL against CPL in protected mode. */
    static void softInt(Cpu c, int vector, boolean isInt3OrInto) {
        c.noTrap = true;
        deliver(c, vector, false, 0, false, false, true);
    }

    /** Delivers a hardware interrupt or an exception (no gate DPL check). */
    static void deliver(Cpu c, int vector, boolean hasCode, int code, boolean isFault, boolean external) {
        deliver(c, vector, hasCode, code, isFault, external, false);
    }

    /**
     * Delivers interrupt or exception {@code vector}. EIP must already hold the return address
     * (the faulting instruction for faults, the next instruction for traps and INT n).
     */
    static void deliver(Cpu c, int vector, boolean hasCode, int code, boolean isFault, boolean external, boolean soft) {
        c.halted = false;
        if (!c.protectedMode()) {
            int off = vector * 4;
            if (Integer.compareUnsigned(off + 3, c.idtrLimit) > 0) throw c.gp(0);
            int target = c.mmu.lrd16(c.idtrBase + off);
            int sel = c.mmu.lrd16(c.idtrBase + off + 2);
            int f = c.getEflags();
            int sp1 = (c.reg[ESP] - 2) & 0xFFFF, sp2 = (c.reg[ESP] - 4) & 0xFFFF, sp3 = (c.reg[ESP] - 6) & 0xFFFF;
            c.mmu.wr16(SS, sp1, f);
            c.mmu.wr16(SS, sp2, c.segSel[CS]);
            c.mmu.wr16(SS, sp3, c.eip);
            StackOps.setSp(c, sp3);
            c.eflags &= ~(IF | TF | AC | RF);
            c.loadSegmentReal(CS, sel);
            c.eip = target;
            return;
        }
        Gates.deliverProtected(c, vector, hasCode, code, external, soft);
    }

    /** IRET: real mode here, protected and virtual-8086 mode in {@link Gates#iretProtected}. */
    static void iret(Cpu c, int sz) {
        if (!c.protectedMode()) {
            int n = sz == 2 ? 4 : 2;
            int off = StackOps.peek(c, sz, 0);
            int sel = StackOps.peek(c, sz, n) & 0xFFFF;
            int f = StackOps.peek(c, sz, 2 * n);
            if (sz == 1) off &= 0xFFFF;
            if (Integer.compareUnsigned(off, c.segLimit[CS]) > 0) throw c.gp(0);
            c.loadSegmentReal(CS, sel);
            c.eip = off;
            StackOps.adjustSp(c, 3 * n);
            StackOps.writeEflagsFromPop(c, f, sz);
            return;
        }
        Gates.iretProtected(c, sz);
    }
}
