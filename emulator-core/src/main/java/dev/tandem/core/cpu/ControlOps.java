package dev.tandem.core.cpu;

import static dev.tandem.core.cpu.Cpu.CS;
import static dev.tandem.core.cpu.Cpu.ECX;
import static dev.tandem.core.cpu.Cpu.ESP;
import static dev.tandem.core.cpu.Cpu.SS;
import static dev.tandem.core.cpu.StackOps.adjustSp;
import static dev.tandem.core.cpu.StackOps.peek;
import static dev.tandem.core.cpu.StackOps.push;

/**
 * Handlers of the control-transfer family: Jcc, JMP, CALL and RET (near and far), LOOP/LOOPE/LOOPNE,
 * JCXZ, INT n, INT3, INT1, INTO, IRET and BOUND, with the far transfers of real, virtual-8086 and
 * protected mode (direct to a code segment, through call gates in {@link Gates}, or a task switch
 * in {@link Tasks}).
 *
 * <p>Each handler takes {@code next}, the EIP of the following instruction, and returns the EIP to
 * continue at. Near targets are checked against the CS limit ({@link #branchTarget}) before
 * anything changes. Far transfers and interrupts set {@code c.eip} themselves; their handlers
 * return it.
 */
final class ControlOps {
    private ControlOps() { }

    /** Checks a near branch target against the CS limit; returns it masked to the operand size. */
    static int branchTarget(Cpu c, int t) {
        if (!c.cur.dOp32) t &= 0xFFFF;
        if (Integer.compareUnsigned(t, c.segLimit[CS]) > 0) throw c.gp(0);
        return t;
    }

    /** Far JMP to {@code sel:off}: real/v86 mode, a code segment, a call gate, a TSS or task gate. */
    static void farJump(Cpu c, int sel, int off, int next) {
        if (!c.protectedMode() || c.v86()) {
            if (Integer.compareUnsigned(off, c.segLimit[CS]) > 0 && !c.v86() && false) throw c.gp(0);
            c.loadSegmentReal(CS, sel);
            c.eip = off;
            return;
        }
        if ((sel & 0xFFFC) == 0) throw c.gp(0);
        long d = Segments.readDescriptor(c, sel, 13);
        int attr = Segments.descAttr(d);
        if ((attr & 0x10) != 0) {
            Segments.checkDirectCode(c, sel, d);
            if (Integer.compareUnsigned(off, Segments.descLimit(d)) > 0) throw c.gp(0);
            Segments.loadCs(c, sel, d, c.cpl);
            c.eip = off;
            return;
        }
        int type = attr & 0x1F;
        if (type == 0x04 || type == 0x0C) {
            // call gate used by JMP: no privilege change
            int dpl = (attr >>> 5) & 3;
            if (dpl < c.cpl || dpl < (sel & 3)) throw c.gp(sel & 0xFFFC);
            if ((attr & 0x80) == 0) throw c.fault(11, sel & 0xFFFC);
            int csSel = (int) ((d >>> 16) & 0xFFFF);
            int target = (int) ((d & 0xFFFF) | (type == 0x0C ? ((d >>> 32) & 0xFFFF0000L) : 0));
            if ((csSel & 0xFFFC) == 0) throw c.gp(0);
            long cd = Segments.readDescriptor(c, csSel, 13);
            int ca = Segments.descAttr(cd);
            int cdpl = (ca >>> 5) & 3;
            if ((ca & 0x18) != 0x18) throw c.gp(csSel & 0xFFFC);
            if (((ca & 0x4) != 0 && cdpl > c.cpl) || ((ca & 0x4) == 0 && cdpl != c.cpl)) throw c.gp(csSel & 0xFFFC);
            if ((ca & 0x80) == 0) throw c.fault(11, csSel & 0xFFFC);
            if (Integer.compareUnsigned(target, Segments.descLimit(cd)) > 0) throw c.gp(0);
            Segments.loadCs(c, csSel, cd, c.cpl);
            c.eip = target;
            return;
        }
        if (type == 0x05 || type == 0x09 || type == 0x01) {
            Tasks.switchByJumpOrCall(c, sel, d, false, next);
            return;
        }
        throw c.gp(sel & 0xFFFC);
    }

    /** Far CALL to {@code sel:off}, pushing CS:{@code next}: as {@link #farJump}, plus call gates with a stack switch. */
    static void farCall(Cpu c, int sel, int off, int sz, int next) {
        if (!c.protectedMode() || c.v86()) {
            int oldCs = c.segSel[CS];
            // push CS then IP; both writes are checked before anything changes
            int n = sz == 2 ? 4 : 2;
            int sp1 = c.stack32 ? c.reg[ESP] - n : (c.reg[ESP] - n) & 0xFFFF;
            int sp2 = c.stack32 ? c.reg[ESP] - 2 * n : (c.reg[ESP] - 2 * n) & 0xFFFF;
            if (sz == 2) {
                c.mmu.wr32(SS, sp1, oldCs);
                c.mmu.wr32(SS, sp2, next);
            } else {
                c.mmu.wr16(SS, sp1, oldCs);
                c.mmu.wr16(SS, sp2, next);
            }
            StackOps.setSp(c, sp2);
            c.loadSegmentReal(CS, sel);
            c.eip = sz == 2 ? off : off & 0xFFFF;
            return;
        }
        if ((sel & 0xFFFC) == 0) throw c.gp(0);
        long d = Segments.readDescriptor(c, sel, 13);
        int attr = Segments.descAttr(d);
        if ((attr & 0x10) != 0) {
            Segments.checkDirectCode(c, sel, d);
            if (Integer.compareUnsigned(off, Segments.descLimit(d)) > 0) throw c.gp(0);
            int n = sz == 2 ? 4 : 2;
            int sp1 = c.stack32 ? c.reg[ESP] - n : (c.reg[ESP] - n) & 0xFFFF;
            int sp2 = c.stack32 ? c.reg[ESP] - 2 * n : (c.reg[ESP] - 2 * n) & 0xFFFF;
            if (sz == 2) {
                c.mmu.wr32(SS, sp1, c.segSel[CS]);
                c.mmu.wr32(SS, sp2, next);
            } else {
                c.mmu.wr16(SS, sp1, c.segSel[CS]);
                c.mmu.wr16(SS, sp2, next);
            }
            StackOps.setSp(c, sp2);
            Segments.loadCs(c, sel, d, c.cpl);
            c.eip = off;
            return;
        }
        int type = attr & 0x1F;
        if (type == 0x04 || type == 0x0C) {
            Gates.callGate(c, sel, d, next);
            return;
        }
        if (type == 0x05 || type == 0x09 || type == 0x01) {
            Tasks.switchByJumpOrCall(c, sel, d, true, next);
            return;
        }
        throw c.gp(sel & 0xFFFC);
    }

    /** Far RET, releasing {@code extra} bytes of parameters; to an outer level it pops SS:ESP too. */
    static void farReturn(Cpu c, int sz, int extra) {
        int n = sz == 2 ? 4 : 2;
        int off = peek(c, sz, 0);
        int sel = peek(c, sz, n) & 0xFFFF;
        if (sz == 1) off &= 0xFFFF;
        if (!c.protectedMode() || c.v86()) {
            c.loadSegmentReal(CS, sel);
            c.eip = off;
            adjustSp(c, 2 * n + extra);
            return;
        }
        if ((sel & 0xFFFC) == 0) throw c.gp(0);
        long d = Segments.readDescriptor(c, sel, 13);
        int attr = Segments.descAttr(d);
        int rpl = sel & 3;
        int dpl = (attr >>> 5) & 3;
        if (rpl < c.cpl) throw c.gp(sel & 0xFFFC);
        if ((attr & 0x18) != 0x18) throw c.gp(sel & 0xFFFC);
        if ((attr & 0x4) != 0 ? dpl > rpl : dpl != rpl) throw c.gp(sel & 0xFFFC);
        if ((attr & 0x80) == 0) throw c.fault(11, sel & 0xFFFC);
        if (rpl == c.cpl) {
            if (Integer.compareUnsigned(off, Segments.descLimit(d)) > 0) throw c.gp(0);
            Segments.loadCs(c, sel, d, c.cpl);
            c.eip = off;
            adjustSp(c, 2 * n + extra);
            return;
        }
        // return to an outer privilege level: pop SS:ESP too
        int newEsp = peek(c, sz, 2 * n + extra);
        int newSs = peek(c, sz, 3 * n + extra) & 0xFFFF;
        Segments.checkOuterSs(c, newSs, rpl);
        if (Integer.compareUnsigned(off, Segments.descLimit(d)) > 0) throw c.gp(0);
        long ssd = Segments.readDescriptor(c, newSs, 13);
        Segments.loadCs(c, sel, d, rpl);
        Segments.setAccessed(c, newSs, ssd);
        c.setSegmentCache(SS, newSs, Segments.descBase(ssd), Segments.descLimit(ssd), Segments.descAttr(ssd) | 1);
        c.reg[ESP] = sz == 2 || c.stack32 ? newEsp + extra : (c.reg[ESP] & 0xFFFF0000) | ((newEsp + extra) & 0xFFFF);
        if (!c.stack32) c.reg[ESP] = (c.reg[ESP] & 0xFFFF0000) | ((newEsp + extra) & 0xFFFF);
        c.eip = off;
        Segments.invalidateOuterSegments(c);
    }

    // ================================================================== near transfers

    static int jcc(Cpu c, int next) {
        if (LazyFlags.cond(c, c.cur.dSub)) next = branchTarget(c, next + c.cur.dImm);
        return next;
    }

    static int jmpJ(Cpu c, int next) {
        return branchTarget(c, next + c.cur.dImm);
    }

    static int jmpEv(Cpu c, int sz) {
        return branchTarget(c, Operands.readE(c, sz));
    }

    static int callJz(Cpu c, int next, int sz) {
        int t = branchTarget(c, next + c.cur.dImm);
        push(c, next, sz);
        return t;
    }

    static int callEv(Cpu c, int next, int sz) {
        int t = branchTarget(c, Operands.readE(c, sz));
        push(c, next, sz);
        return t;
    }

    /** RET, and RET Iw releasing {@code release} more bytes. */
    static int ret(Cpu c, int sz, int release) {
        int t = peek(c, sz, 0);
        if (sz == 1) t &= 0xFFFF;
        t = branchTarget(c, t);
        adjustSp(c, (sz == 2 ? 4 : 2) + release);
        return t;
    }

    /** LOOP (dSub 2), LOOPE (1), LOOPNE (0): count in CX or ECX by address size. */
    static int loop(Cpu c, int next) {
        Insn in = c.cur;
        int n = in.dAddr32 ? c.reg[ECX] - 1 : (c.reg[ECX] - 1) & 0xFFFF;
        boolean take = n != 0;
        if (in.dSub == 0) take &= !LazyFlags.getZF(c);
        else if (in.dSub == 1) take &= LazyFlags.getZF(c);
        int t = take ? branchTarget(c, next + in.dImm) : next;
        if (in.dAddr32) c.reg[ECX] = n;
        else c.setReg(ECX, 1, n);
        return t;
    }

    static int jcxz(Cpu c, int next) {
        int n = c.cur.dAddr32 ? c.reg[ECX] : c.reg[ECX] & 0xFFFF;
        if (n == 0) next = branchTarget(c, next + c.cur.dImm);
        return next;
    }

    // ================================================================== far transfers

    static int jmpfAp(Cpu c, int next, int sz) {
        int off = sz == 2 ? c.cur.dImm : c.cur.dImm & 0xFFFF;
        farJump(c, c.cur.dImm2 & 0xFFFF, off, next);
        return c.eip;
    }

    static int jmpfEp(Cpu c, int next, int sz) {
        Insn in = c.cur;
        int off = c.mmu.rd(in.dSeg, c.eaOff, sz);
        int sel = c.mmu.rd16(in.dSeg, c.eaOff + (sz == 2 ? 4 : 2));
        farJump(c, sel, off, next);
        return c.eip;
    }

    static int callfAp(Cpu c, int next, int sz) {
        int off = sz == 2 ? c.cur.dImm : c.cur.dImm & 0xFFFF;
        farCall(c, c.cur.dImm2 & 0xFFFF, off, sz, next);
        return c.eip;
    }

    static int callfEp(Cpu c, int next, int sz) {
        Insn in = c.cur;
        int off = c.mmu.rd(in.dSeg, c.eaOff, sz);
        int sel = c.mmu.rd16(in.dSeg, c.eaOff + (sz == 2 ? 4 : 2));
        farCall(c, sel, off, sz, next);
        return c.eip;
    }

    /** RETF, and RETF Iw (dSub 1). */
    static int retf(Cpu c, int sz) {
        farReturn(c, sz, c.cur.dSub == 1 ? c.cur.dImm & 0xFFFF : 0);
        return c.eip;
    }

    // ================================================================== software interrupts

    static int int3(Cpu c, int next) {
        c.eip = next;
        Interrupts.softInt(c, 3, true);
        return c.eip;
    }

    /** INT1 (ICEBP, F1): a debug exception delivered like a hardware one (no gate DPL check). */
    static int int1(Cpu c, int next) {
        c.eip = next;
        Interrupts.deliver(c, 1, false, 0, false, false);
        return c.eip;
    }

    static int intIb(Cpu c, int next) {
        if (c.v86() && c.iopl() < 3) throw c.gp(0);
        c.eip = next;
        Interrupts.softInt(c, c.cur.dImm & 0xFF, false);
        return c.eip;
    }

    static int into(Cpu c, int next) {
        if (LazyFlags.getOF(c)) {
            c.eip = next;
            Interrupts.softInt(c, 4, true);
            next = c.eip;
        }
        return next;
    }

    static int iret(Cpu c, int sz) {
        Interrupts.iret(c, sz);
        return c.eip;
    }

    /** BOUND Gv,Ma: #BR when the register is outside the signed bounds in memory. */
    static void bound(Cpu c, int sz) {
        Insn in = c.cur;
        int idx = c.getReg(in.dReg, sz);
        int lo, hi;
        if (sz == 2) {
            lo = c.mmu.rd32(in.dSeg, c.eaOff);
            hi = c.mmu.rd32(in.dSeg, c.eaOff + 4);
        } else {
            idx = (short) idx;
            lo = (short) c.mmu.rd16(in.dSeg, c.eaOff);
            hi = (short) c.mmu.rd16(in.dSeg, (c.eaOff + 2) & (in.dAddr32 ? -1 : 0xFFFF));
        }
        if (idx < lo || idx > hi) throw c.fault(5);
    }
}
