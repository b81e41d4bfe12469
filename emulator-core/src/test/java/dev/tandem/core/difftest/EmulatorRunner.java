package dev.tandem.core.difftest;

import dev.tandem.core.cpu.Cpu;
import dev.tandem.core.io.IoBus;
import dev.tandem.core.mem.PhysicalMemory;

/**
 * Runs cases in the emulator. Memory layout (physical = linear, flat 32-bit segments):
 * GDT at 0x1000, IDT at 0x2000 (32 interrupt gates), the GDTR/IDTR images at 0x3000/0x3008,
 * exception handlers at 0x4000 + 2*vector (each a HLT), the scratch block at 0x100000,
 * the stack top at 0x170000 and the code at 0x200000: LGDT; LIDT; the instruction; HLT.
 * Which HLT the CPU stopped at tells whether the instruction completed or which exception it raised.
 */
final class EmulatorRunner {
    static final int GDT = 0x1000, IDT = 0x2000, GDTR = 0x3000, IDTR = 0x3008, HANDLERS = 0x4000;
    static final int SCRATCH = 0x100000, STACK_TOP = 0x170000, CODE = 0x200000;
    private static final byte[] PROLOGUE = {
        0x0F, 0x01, 0x15, (byte) GDTR, (byte) (GDTR >> 8), 0, 0,   // lgdt [GDTR]
        0x0F, 0x01, 0x1D, (byte) IDTR, (byte) (IDTR >> 8), 0, 0,   // lidt [IDTR]
    };
    static final int INSN = CODE + PROLOGUE.length;
    private static final int STEP_LIMIT = 10_000;

    private final PhysicalMemory mem = new PhysicalMemory(16 << 20);
    private final Cpu cpu = new Cpu(mem, new IoBus());

    EmulatorRunner() {
        // flat code (0x08) and data (0x10) descriptors
        long code = 0x00CF9A000000FFFFL, data = 0x00CF92000000FFFFL;
        write64(GDT + 8, code);
        write64(GDT + 16, data);
        mem.write16(GDTR, 3 * 8 - 1);
        mem.write32(GDTR + 2, GDT);
        for (int v = 0; v < 32; v++) {
            int h = HANDLERS + 2 * v;
            mem.write8(h, 0xF4);     // hlt
            mem.write8(h + 1, 0x90); // nop (padding: HLT may report EIP at or after itself)
            int g = IDT + 8 * v;
            mem.write16(g, h & 0xFFFF);
            mem.write16(g + 2, 0x08);
            mem.write8(g + 4, 0);
            mem.write8(g + 5, 0x8E); // present, DPL 0, 32-bit interrupt gate
            mem.write16(g + 6, h >>> 16);
        }
        mem.write16(IDTR, 32 * 8 - 1);
        mem.write32(IDTR + 2, IDT);
        mem.load(CODE, PROLOGUE);
        cpu.reset(); // throws UnsupportedOperationException while the CPU is a placeholder
    }

    private void write64(int addr, long v) {
        mem.write32(addr, (int) v);
        mem.write32(addr + 4, (int) (v >>> 32));
    }

    Outcome run(TestCase c) {
        mem.load(SCRATCH, c.scratch);
        mem.load(INSN, c.code);
        int end = INSN + c.code.length;
        mem.write8(end, 0xF4);
        cpu.reset();
        mem.setA20(true);
        cpu.enterFlat32();
        for (int r = 0; r < 8; r++) {
            cpu.reg[r] = (c.relMask & (1 << r)) != 0 ? c.regs[r] + SCRATCH : c.regs[r];
        }
        boolean espRel = (c.relMask & 0x10) != 0;
        if (!espRel) cpu.reg[Cpu.ESP] = STACK_TOP;
        cpu.setEflags((c.eflags & UndefinedFlags.ALL) | 0x202); // IF=1 as in the native user-mode process
        cpu.eip = CODE;
        Outcome o = new Outcome();
        long start = cpu.icount();
        try {
            cpu.run(start + STEP_LIMIT);
        } catch (RuntimeException e) {
            o.problem = "emulator threw " + e;
            return o;
        }

        int eip = cpu.eip;
        for (int r = 0; r < 8; r++) o.regs[r] = cpu.reg[r];
        o.eflags = cpu.getEflags();
        if (!cpu.halted()) {
            o.problem = String.format("did not halt within %d instructions (EIP=%08x)", STEP_LIMIT, eip);
        } else if (eip >= HANDLERS && eip < HANDLERS + 64) {
            int v = (eip - HANDLERS) / 2;
            o.vector = v;
            int esp = cpu.reg[Cpu.ESP];
            boolean err = v == 8 || (v >= 10 && v <= 14) || v == 17;
            if (err) esp += 4;
            o.faultEip = mem.read32(esp) - INSN;
            o.eflags = mem.read32(esp + 8);
            o.regs[Cpu.ESP] = esp + 12;
        } else if (eip != end + 1 && eip != end) {
            o.problem = String.format("halted at EIP=%08x, expected the HLT after the instruction at %08x", eip, end);
        }
        o.regs[Cpu.ESP] -= espRel ? SCRATCH : STACK_TOP;
        for (int r = 0; r < 8; r++) {
            if (r != Cpu.ESP && (c.relMask & (0x100 << r)) != 0) o.regs[r] -= SCRATCH;
        }
        for (int i = 0; i < TestCase.SCRATCH_SIZE; i++) o.scratch[i] = (byte) mem.read8(SCRATCH + i);
        return o;
    }
}
