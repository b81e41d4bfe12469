package dev.tandem.core.cpu;

/** Connects ESC opcodes (D8-DF) and WAIT to the x87 unit, with the CR0.EM/TS/MP rules. */
final class FpuGlue {
    private FpuGlue() { }

    static void execute(Cpu c) {
        if ((c.cr0 & (Cpu.CR0_EM | Cpu.CR0_TS)) != 0) throw c.fault(7);
        Cpu.FpuUnit f = c.fpu();
        if (f == null) throw c.fault(7);
        int modrm = (c.cur.dMod << 6) | (c.cur.dReg << 3) | c.cur.dRm;
        int opcode = c.cur.dOpcode;
        if (!f.isNonWaiting(opcode, modrm)) checkPending(c);
        f.execute(c, opcode, modrm, c.cur.dSeg, c.eaOff, c.cur.dMod != 3);
    }

    /** WAIT/FWAIT: #NM when CR0.MP and CR0.TS are both set, then any pending unmasked x87 exception. */
    static void waitOp(Cpu c) {
        if ((c.cr0 & (Cpu.CR0_MP | Cpu.CR0_TS)) == (Cpu.CR0_MP | Cpu.CR0_TS)) throw c.fault(7);
        checkPending(c);
    }

    /** Raises the pending unmasked x87 exception: #MF with CR0.NE, else the IRQ 13 path. */
    static void checkPending(Cpu c) {
        Cpu.FpuUnit f = c.fpu();
        if (f != null && f.hasPendingUnmaskedException()) {
            if ((c.cr0 & Cpu.CR0_NE) != 0) throw c.fault(16);
            c.fpuIrq13();
        }
    }
}
