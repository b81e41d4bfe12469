package dev.tandem.core.cpu;

import dev.tandem.core.fpu.FpuHost;
import dev.tandem.core.fpu.X87;

/** Connects the {@link X87} to the CPU: memory through the CPU's segmented path, AX and EFLAGS. */
public final class X87Unit implements Cpu.FpuUnit, FpuHost {
    private final X87 x87;
    private Cpu cpu;

    public X87Unit(X87 x87) {
        this.x87 = x87;
    }

    public X87 x87() {
        return x87;
    }

    @Override
    public void reset() {
        x87.reset();
    }

    @Override
    public void execute(Cpu c, int opcode, int modrm, int seg, int off, boolean hasMem) {
        this.cpu = c;
        int op = opcode & 0xFF;
        if (X87.isInvalid(op, modrm)) throw c.ud();
        boolean pm = c.protectedMode() && !c.v86();
        x87.execute(op, modrm, seg, off, c.cur.dOp32, pm, c.startEip, c.segSel[Cpu.CS], hasMem ? c.segSel[seg] : 0,
                this);
    }

    @Override
    public boolean isNonWaiting(int opcode, int modrm) {
        return X87.isNonWaiting(opcode & 0xFF, modrm);
    }

    @Override
    public boolean hasPendingUnmaskedException() {
        return x87.hasPendingUnmaskedException();
    }

    @Override public int readMem8(int seg, int off) { return cpu.mmu.rd8(seg, off); }
    @Override public int readMem16(int seg, int off) { return cpu.mmu.rd16(seg, off); }
    @Override public int readMem32(int seg, int off) { return cpu.mmu.rd32(seg, off); }
    @Override public void writeMem8(int seg, int off, int v) { cpu.mmu.wr8(seg, off, v); }
    @Override public void writeMem16(int seg, int off, int v) { cpu.mmu.wr16(seg, off, v); }
    @Override public void writeMem32(int seg, int off, int v) { cpu.mmu.wr32(seg, off, v); }
    @Override public void setAX(int v) { cpu.setReg(Cpu.EAX, 1, v); }
    @Override public int getEflags() { return cpu.getEflags(); }

    @Override
    public void setEflags(int v) {
        // only the arithmetic flags change (FCOMI/FUCOMI); keep system flags as they are
        LazyFlags.materialize(cpu);
        cpu.eflags = (cpu.eflags & ~Flags.ARITH) | (v & Flags.ARITH);
    }
}
