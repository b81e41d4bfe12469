package dev.tandem.core.cpu;

import static dev.tandem.core.cpu.Cpu.EAX;
import static dev.tandem.core.cpu.Cpu.ECX;
import static dev.tandem.core.cpu.Cpu.EDI;
import static dev.tandem.core.cpu.Cpu.EDX;
import static dev.tandem.core.cpu.Cpu.ES;
import static dev.tandem.core.cpu.Cpu.ESI;

/**
 * Handlers of the string family: MOVS CMPS STOS LODS SCAS INS OUTS, with REP/REPE/REPNE.
 *
 * <p>Each completed iteration of a REP instruction retires as one instruction ({@code icount + 1});
 * a REP instruction whose count is zero retires once. Between iterations the instruction may stop
 * (run limit reached, interrupt pending, single-step) and resumes at the same iteration.
 */
final class StringOps {
    private StringOps() { }

    /**
     * Runs the string instruction decoded in {@code c}; {@code sz} is 0/1/2 for 8/16/32 bits.
     * Counts retired iterations itself. Returns true when the instruction is complete.
     */
    static boolean execute(Cpu c, int sz) {
        int h = c.cur.dHandler;
        int n = sz == 2 ? 4 : sz == 1 ? 2 : 1;
        int delta = (c.eflags & Flags.DF) != 0 ? -n : n;
        boolean a32 = c.cur.dAddr32;
        int srcSeg = c.cur.dSeg;
        if (c.cur.dRep == 0) {
            once(c, h, sz, delta, a32, srcSeg);
            c.icount++;
            return true;
        }
        boolean condRep = h == HandlerId.CMPS || h == HandlerId.SCAS;
        for (;;) {
            int count = a32 ? c.reg[ECX] : c.reg[ECX] & 0xFFFF;
            if (count == 0) {
                c.icount++;
                return true;
            }
            once(c, h, sz, delta, a32, srcSeg);
            count--;
            if (a32) c.reg[ECX] = count;
            else c.reg[ECX] = (c.reg[ECX] & 0xFFFF0000) | count;
            c.icount++;
            if (count == 0) return true;
            if (condRep) {
                boolean zf = LazyFlags.getZF(c);
                if (c.cur.dRep == 1 ? !zf : zf) return true;
            }
            if (c.icount >= c.runLimit || (c.eflags & Flags.TF) != 0 || c.interruptPending()) {
                return false;
            }
        }
    }

    private static int si(Cpu c, boolean a32) {
        return a32 ? c.reg[ESI] : c.reg[ESI] & 0xFFFF;
    }

    private static int di(Cpu c, boolean a32) {
        return a32 ? c.reg[EDI] : c.reg[EDI] & 0xFFFF;
    }

    private static void advance(Cpu c, int r, int delta, boolean a32) {
        if (a32) c.reg[r] += delta;
        else c.reg[r] = (c.reg[r] & 0xFFFF0000) | ((c.reg[r] + delta) & 0xFFFF);
    }

    private static void once(Cpu c, int h, int sz, int delta, boolean a32, int srcSeg) {
        switch (h) {
            case HandlerId.MOVS: {
                int v = c.mmu.rd(srcSeg, si(c, a32), sz);
                c.mmu.wr(ES, di(c, a32), sz, v);
                advance(c, ESI, delta, a32);
                advance(c, EDI, delta, a32);
                break;
            }
            case HandlerId.STOS:
                c.mmu.wr(ES, di(c, a32), sz, c.reg[EAX]);
                advance(c, EDI, delta, a32);
                break;
            case HandlerId.LODS:
                c.setReg(EAX, sz, c.mmu.rd(srcSeg, si(c, a32), sz));
                advance(c, ESI, delta, a32);
                break;
            case HandlerId.CMPS: {
                int a = c.mmu.rd(srcSeg, si(c, a32), sz);
                int b = c.mmu.rd(ES, di(c, a32), sz);
                LazyFlags.alu(c, 7, a, b, sz);
                advance(c, ESI, delta, a32);
                advance(c, EDI, delta, a32);
                break;
            }
            case HandlerId.SCAS: {
                int b = c.mmu.rd(ES, di(c, a32), sz);
                LazyFlags.alu(c, 7, c.reg[EAX], b, sz);
                advance(c, EDI, delta, a32);
                break;
            }
            case HandlerId.INS: {
                int port = c.reg[EDX] & 0xFFFF;
                int bytes = sz == 2 ? 4 : sz == 1 ? 2 : 1;
                SystemOps.checkIoPermission(c, port, bytes);
                // probe the destination before the port read so a fault loses no input
                c.mmu.checkSeg(ES, di(c, a32), bytes, true);
                int v = c.io.in(port, bytes);
                c.mmu.wr(ES, di(c, a32), sz, v);
                advance(c, EDI, delta, a32);
                break;
            }
            case HandlerId.OUTS: {
                int port = c.reg[EDX] & 0xFFFF;
                int bytes = sz == 2 ? 4 : sz == 1 ? 2 : 1;
                SystemOps.checkIoPermission(c, port, bytes);
                int v = c.mmu.rd(srcSeg, si(c, a32), sz);
                c.io.out(port, bytes, v);
                advance(c, ESI, delta, a32);
                break;
            }
            default:
                throw new IllegalStateException("not a string handler: " + h);
        }
    }
}
