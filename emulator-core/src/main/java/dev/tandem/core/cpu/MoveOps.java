package dev.tandem.core.cpu;

import static dev.tandem.core.cpu.Cpu.CS;
import static dev.tandem.core.cpu.Cpu.EAX;
import static dev.tandem.core.cpu.Cpu.EBX;
import static dev.tandem.core.cpu.Cpu.EDX;
import static dev.tandem.core.cpu.Cpu.SS;
import static dev.tandem.core.cpu.Operands.moffs;
import static dev.tandem.core.cpu.Operands.readE;
import static dev.tandem.core.cpu.Operands.readEw;
import static dev.tandem.core.cpu.Operands.writeE;

/**
 * Handlers of the data-movement family: MOV in all forms (registers, memory, immediates, the
 * moffs forms, segment registers), LEA, XCHG, MOVZX/MOVSX, CBW/CWD, XLAT, BSWAP, CMOVcc, and the
 * far-pointer loads LDS LES LFS LGS LSS. None of them changes the arithmetic flags.
 *
 * <p>One method per handler id, named after it; the {@code ...32} methods are the 32-bit
 * specializations (see {@link AluOps}). {@code sz} is the operand size index (0 = 8, 1 = 16,
 * 2 = 32 bits).
 */
final class MoveOps {
    private MoveOps() { }

    // ================================================================== MOV

    static void movEbGb(Cpu c) {
        writeE(c, 0, c.getReg8(c.cur.dReg));
    }

    static void movEvGv(Cpu c, int sz) {
        writeE(c, sz, c.getReg(c.cur.dReg, sz));
    }

    static void movGbEb(Cpu c) {
        c.setReg8(c.cur.dReg, readE(c, 0));
    }

    static void movGvEv(Cpu c, int sz) {
        c.setReg(c.cur.dReg, sz, readE(c, sz));
    }

    static void movEbIb(Cpu c) {
        writeE(c, 0, c.cur.dImm);
    }

    static void movEvIz(Cpu c, int sz) {
        writeE(c, sz, c.cur.dImm);
    }

    static void movZbIb(Cpu c) {
        c.setReg8(c.cur.dSub, c.cur.dImm);
    }

    static void movZvIv(Cpu c, int sz) {
        c.setReg(c.cur.dSub, sz, c.cur.dImm);
    }

    static void movALOb(Cpu c) {
        c.setReg8(EAX, c.mmu.rd8(c.cur.dSeg, moffs(c)));
    }

    static void movEAXOv(Cpu c, int sz) {
        c.setReg(EAX, sz, c.mmu.rd(c.cur.dSeg, moffs(c), sz));
    }

    static void movObAL(Cpu c) {
        c.mmu.wr8(c.cur.dSeg, moffs(c), c.reg[EAX]);
    }

    static void movOvEAX(Cpu c, int sz) {
        c.mmu.wr(c.cur.dSeg, moffs(c), sz, c.reg[EAX]);
    }

    static void movEvGv32(Cpu c) {
        Insn in = c.cur;
        if (in.dMod == 3) c.reg[in.dRm] = c.reg[in.dReg];
        else c.mmu.wr32(in.dSeg, c.eaOff, c.reg[in.dReg]);
    }

    static void movGvEv32(Cpu c) {
        Insn in = c.cur;
        c.reg[in.dReg] = in.dMod == 3 ? c.reg[in.dRm] : c.mmu.rd32(in.dSeg, c.eaOff);
    }

    static void movZvIv32(Cpu c) {
        c.reg[c.cur.dSub] = c.cur.dImm;
    }

    /** MOV Ev,Sw: to memory always 16 bits; to a register, 32-bit operand size zero-extends. */
    static void movEvSw(Cpu c, int sz) {
        Insn in = c.cur;
        if (in.dReg > 5) throw c.ud();
        if (in.dMod == 3) c.setReg(in.dRm, sz, c.segSel[in.dReg]);
        else c.mmu.wr16(in.dSeg, c.eaOff, c.segSel[in.dReg]);
    }

    /** MOV Sw,Ew (not CS); loading SS inhibits interrupts until after the next instruction. */
    static void movSwEw(Cpu c) {
        Insn in = c.cur;
        if (in.dReg > 5 || in.dReg == CS) throw c.ud();
        int sel = readE(c, 1);
        Segments.loadSeg(c, in.dReg, sel);
        if (in.dReg == SS) c.inhibitIrq = true;
    }

    /** LDS LES LFS LGS LSS: offset, then selector, from memory; the segment register is dSub. */
    static void lxs(Cpu c, int sz) {
        Insn in = c.cur;
        int off = c.mmu.rd(in.dSeg, c.eaOff, sz);
        int sel = c.mmu.rd16(in.dSeg, c.eaOff + (sz == 2 ? 4 : 2));
        Segments.loadSeg(c, in.dSub, sel);
        c.setReg(in.dReg, sz, off);
        if (in.dSub == SS) c.inhibitIrq = true;
    }

    // ================================================================== LEA XCHG

    static void lea(Cpu c, int sz) {
        c.setReg(c.cur.dReg, sz, c.eaOff);
    }

    static void lea32(Cpu c) {
        if (c.cur.dMod == 3) throw c.ud();
        c.reg[c.cur.dReg] = c.eaOff;
    }

    static void xchgEbGb(Cpu c) {
        int a = readEw(c, 0);
        writeE(c, 0, c.getReg8(c.cur.dReg));
        c.setReg8(c.cur.dReg, a);
    }

    static void xchgEvGv(Cpu c, int sz) {
        int a = readEw(c, sz);
        writeE(c, sz, c.getReg(c.cur.dReg, sz));
        c.setReg(c.cur.dReg, sz, a);
    }

    /** XCHG eAX with the register in the opcode (90+r). */
    static void xchgEAX(Cpu c, int sz) {
        int r = c.cur.dSub;
        int a = c.getReg(EAX, sz);
        c.setReg(EAX, sz, c.getReg(r, sz));
        c.setReg(r, sz, a);
    }

    // ================================================================== extensions and conversions

    static void movzxEb(Cpu c, int sz) {
        c.setReg(c.cur.dReg, sz, readE(c, 0));
    }

    static void movzxEw(Cpu c, int sz) {
        c.setReg(c.cur.dReg, sz, readE(c, 1));
    }

    static void movsxEb(Cpu c, int sz) {
        c.setReg(c.cur.dReg, sz, (byte) readE(c, 0));
    }

    static void movsxEw(Cpu c, int sz) {
        c.setReg(c.cur.dReg, sz, (short) readE(c, 1));
    }

    /** CBW / CWDE. */
    static void cbw(Cpu c, int sz) {
        if (sz == 2) c.reg[EAX] = (short) c.reg[EAX];
        else c.setReg(EAX, 1, (byte) c.reg[EAX]);
    }

    /** CWD / CDQ. */
    static void cwd(Cpu c, int sz) {
        if (sz == 2) c.reg[EDX] = c.reg[EAX] >> 31;
        else c.setReg(EDX, 1, ((short) c.reg[EAX]) >> 15);
    }

    static void bswap(Cpu c, int sz) {
        int r = c.cur.dSub;
        if (sz == 2) c.reg[r] = Integer.reverseBytes(c.reg[r]);
        else c.setReg(r, 1, 0); // undefined for 16-bit operands; a P6 clears the word
    }

    static void xlat(Cpu c) {
        int off = c.cur.dAddr32 ? c.reg[EBX] + (c.reg[EAX] & 0xFF) : (c.reg[EBX] + (c.reg[EAX] & 0xFF)) & 0xFFFF;
        c.setReg8(EAX, c.mmu.rd8(c.cur.dSeg, off));
    }

    /** CMOVcc: the source is read (and may fault) whether or not the condition holds. */
    static void cmovcc(Cpu c, int sz) {
        int v = readE(c, sz);
        if (LazyFlags.cond(c, c.cur.dSub)) c.setReg(c.cur.dReg, sz, v);
    }
}
