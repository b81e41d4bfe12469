package dev.tandem.core.cpu;

import static dev.tandem.core.cpu.Cpu.EBP;
import static dev.tandem.core.cpu.Cpu.ESP;
import static dev.tandem.core.cpu.Cpu.SS;
import static dev.tandem.core.cpu.Flags.AC;
import static dev.tandem.core.cpu.Flags.ARITH;
import static dev.tandem.core.cpu.Flags.DF;
import static dev.tandem.core.cpu.Flags.ID;
import static dev.tandem.core.cpu.Flags.IF;
import static dev.tandem.core.cpu.Flags.IOPL;
import static dev.tandem.core.cpu.Flags.NT;
import static dev.tandem.core.cpu.Flags.OF;
import static dev.tandem.core.cpu.Flags.RF;
import static dev.tandem.core.cpu.Flags.TF;
import static dev.tandem.core.cpu.Flags.VM;
import static dev.tandem.core.cpu.Operands.computeEa;
import static dev.tandem.core.cpu.Operands.readE;
import static dev.tandem.core.cpu.Operands.writeE;

/**
 * The stack: push, pop and peek at the current stack size (SS.B), and the handlers of the stack
 * family: PUSH and POP of registers, immediates, memory and segment registers, PUSHA/POPA,
 * PUSHF/POPF (with the privilege rules for EFLAGS), ENTER and LEAVE. Stack writes go through the
 * segmented memory path (SS checks, #SS) before SP changes, so a faulting push leaves SP as it was.
 */
final class StackOps {
    private StackOps() { }

    /** Pushes {@code v} of operand size {@code sz} (1 = 16, 2 = 32 bits). */
    static void push(Cpu c, int v, int sz) {
        push(c, v, sz, false);
    }

    /** Pushes; a segment register push with 32-bit operand size writes only 16 bits on a P6. */
    static void push(Cpu c, int v, int sz, boolean segPush) {
        int n = sz == 2 ? 4 : 2;
        int sp = c.stack32 ? c.reg[ESP] - n : (c.reg[ESP] - n) & 0xFFFF;
        if (sz == 2) {
            if (segPush) c.mmu.wr16(SS, sp, v);
            else c.mmu.wr32(SS, sp, v);
        } else {
            c.mmu.wr16(SS, sp, v);
        }
        setSp(c, sp);
    }

    /** Pops a value of operand size {@code sz}. */
    static int pop(Cpu c, int sz) {
        int v = peek(c, sz, 0);
        adjustSp(c, sz == 2 ? 4 : 2);
        return v;
    }

    /** Reads the stack at SP + {@code offset} without moving SP. */
    static int peek(Cpu c, int sz, int offset) {
        int sp = c.stack32 ? c.reg[ESP] + offset : (c.reg[ESP] + offset) & 0xFFFF;
        return sz == 2 ? c.mmu.rd32(SS, sp) : c.mmu.rd16(SS, sp);
    }

    /** Adds {@code n} to SP or ESP (the stack size, SS.B, decides). */
    static void adjustSp(Cpu c, int n) {
        if (c.stack32) c.reg[ESP] += n;
        else c.reg[ESP] = (c.reg[ESP] & 0xFFFF0000) | ((c.reg[ESP] + n) & 0xFFFF);
    }

    /** Sets SP or ESP (a 16-bit stack keeps the upper half of ESP). */
    static void setSp(Cpu c, int sp) {
        if (c.stack32) c.reg[ESP] = sp;
        else c.reg[ESP] = (c.reg[ESP] & 0xFFFF0000) | (sp & 0xFFFF);
    }

    /** PUSHA / PUSHAD: the ESP pushed is the value before the instruction. */
    static void pusha(Cpu c, int sz) {
        int n = sz == 2 ? 4 : 2;
        int sp = c.reg[ESP];
        for (int r = 0; r < 8; r++) {
            int a = c.stack32 ? sp - n * (r + 1) : (sp - n * (r + 1)) & 0xFFFF;
            int v = r == ESP ? sp : c.reg[r];
            if (sz == 2) c.mmu.wr32(SS, a, v);
            else c.mmu.wr16(SS, a, v);
        }
        setSp(c, c.stack32 ? sp - 8 * n : (sp - 8 * n) & 0xFFFF);
    }

    /** POPA / POPAD: the saved SP is skipped. */
    static void popa(Cpu c, int sz) {
        int n = sz == 2 ? 4 : 2;
        int[] v = c.tmp8;
        for (int i = 0; i < 8; i++) v[7 - i] = peek(c, sz, i * n);
        for (int r = 0; r < 8; r++) {
            if (r != ESP) c.setReg(r, sz, v[r]);
        }
        adjustSp(c, 8 * n);
    }

    static void popf(Cpu c, int sz) {
        if (c.v86() && c.iopl() < 3) throw c.gp(0);
        int v = sz == 2 ? peek(c, 2, 0) : peek(c, 1, 0) & 0xFFFF;
        adjustSp(c, sz == 2 ? 4 : 2);
        writeEflagsFromPop(c, v, sz);
    }

    /** EFLAGS load with the privilege rules of POPF/IRET at the same level. */
    static void writeEflagsFromPop(Cpu c, int v, int sz) {
        int changeable = ARITH | TF | DF | NT | OF;
        if (sz == 2) changeable |= AC | ID;
        if (!c.protectedMode()) {
            changeable |= IF | IOPL;
        } else if (c.v86()) {
            changeable |= IF; // IOPL == 3 here
        } else {
            if (c.cpl == 0) changeable |= IOPL;
            if (c.cpl <= c.iopl()) changeable |= IF;
        }
        if (sz == 1) changeable &= 0xFFFF;
        LazyFlags.materialize(c);
        c.eflags = (c.eflags & ~changeable) | (v & changeable) | Flags.FIXED_ONE;
        c.eflags &= ~RF;
    }

    // ================================================================== handlers

    /** PUSH of the register in the opcode (50+r). */
    static void pushZv(Cpu c, int sz) {
        push(c, c.reg[c.cur.dSub], sz);
    }

    /** POP to the register in the opcode (58+r). */
    static void popZv(Cpu c, int sz) {
        int v = pop(c, sz);
        c.setReg(c.cur.dSub, sz, v);
    }

    static void pushZv32(Cpu c) {
        push(c, c.reg[c.cur.dSub], 2);
    }

    static void popZv32(Cpu c) {
        c.reg[c.cur.dSub] = pop(c, 2);
    }

    /** PUSH Iz / PUSH Ib (sign-extended). */
    static void pushI(Cpu c, int sz) {
        push(c, c.cur.dImm, sz);
    }

    static void pushEv(Cpu c, int sz) {
        push(c, readE(c, sz), sz);
    }

    /** POP Ev: the effective address is computed with the incremented stack pointer. */
    static void popEv(Cpu c, int sz) {
        Insn in = c.cur;
        int v = peek(c, sz, 0);
        int oldEsp = c.reg[ESP];
        adjustSp(c, sz == 2 ? 4 : 2);
        if (in.dMod != 3) {
            c.eaOff = computeEa(c);
            try {
                writeE(c, sz, v);
            } catch (CpuFault f) {
                c.reg[ESP] = oldEsp;
                throw f;
            }
        } else {
            c.setReg(in.dRm, sz, v);
        }
    }

    /** PUSH of a segment register (dSub); with 32-bit operand size only 16 bits are written. */
    static void pushSeg(Cpu c, int sz) {
        push(c, c.segSel[c.cur.dSub], sz, true);
    }

    /** POP to a segment register (dSub); loading SS inhibits interrupts until after the next instruction. */
    static void popSeg(Cpu c, int sz) {
        int s = c.cur.dSub;
        int v = peek(c, sz, 0) & 0xFFFF;
        Segments.loadSeg(c, s, v);
        adjustSp(c, sz == 2 ? 4 : 2);
        if (s == SS) c.inhibitIrq = true;
    }

    static void pushf(Cpu c, int sz) {
        if (c.v86() && c.iopl() < 3) throw c.gp(0);
        int f = c.getEflags() & ~(RF | VM);
        push(c, f, sz);
    }

    static void leave(Cpu c, int sz) {
        int bp = c.stack32 ? c.reg[EBP] : c.reg[EBP] & 0xFFFF;
        int v = sz == 2 ? c.mmu.rd32(SS, bp) : c.mmu.rd16(SS, bp);
        setSp(c, bp + (sz == 2 ? 4 : 2));
        if (!c.stack32) c.reg[ESP] = (c.reg[ESP] & 0xFFFF0000) | ((bp + (sz == 2 ? 4 : 2)) & 0xFFFF);
        c.setReg(EBP, sz, v);
    }

    /** ENTER Iw,Ib: frame size and nesting level; every stack write is checked before the commit. */
    static void enter(Cpu c, int sz) {
        int size = c.cur.dImm & 0xFFFF;
        int level = c.cur.dImm2 & 31;
        int n = sz == 2 ? 4 : 2;
        int sp = c.reg[ESP];
        int bp = c.reg[EBP];
        // compute every stack write first, then commit
        int a = c.stack32 ? sp - n : (sp - n) & 0xFFFF;
        if (n == 4) c.mmu.wr32(SS, a, bp);
        else c.mmu.wr16(SS, a, bp);
        int frame = a;
        int cur = a;
        if (level > 0) {
            int b = bp;
            for (int i = 1; i < level; i++) {
                b = c.stack32 ? b - n : (b - n) & 0xFFFF;
                int v = n == 4 ? c.mmu.rd32(SS, b) : c.mmu.rd16(SS, b);
                cur = c.stack32 ? cur - n : (cur - n) & 0xFFFF;
                if (n == 4) c.mmu.wr32(SS, cur, v);
                else c.mmu.wr16(SS, cur, v);
            }
            cur = c.stack32 ? cur - n : (cur - n) & 0xFFFF;
            if (n == 4) c.mmu.wr32(SS, cur, frame);
            else c.mmu.wr16(SS, cur, frame);
        }
        int newSp = c.stack32 ? cur - size : (cur - size) & 0xFFFF;
        // the final stack pointer must be writable too
        if (size > 0) c.mmu.checkSeg(SS, newSp, 1, true);
        c.setReg(EBP, sz, frame);
        if (!c.stack32) c.reg[EBP] = sz == 2 ? frame : (c.reg[EBP] & 0xFFFF0000) | (frame & 0xFFFF);
        setSp(c, newSp);
    }
}
