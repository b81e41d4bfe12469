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
 *
 * <p>Fault-layout cases ({@link TestCase#faultLayout}) run in user mode with paging on, like the
 * native process: page directory at 0x6000 and one page table at 0x7000 identity-map the first
 * 4 MiB as present, user, writable pages, except the page after the fault scratch page (linear
 * 0x301000, not present) and the page after that (0x302000, present, user, read-only). The fault
 * scratch block is the last 256 bytes of page 0x300000. The GDT adds ring-3 code (0x1B) and data
 * (0x23) descriptors and a 32-bit TSS (0x28, at 0x5000, ESP0 = 0x180000); the CPU enters ring 3
 * through a real IRET at 0x4100 and the instruction is followed by INT 0x40 (a DPL-3 gate) instead
 * of the HLT, which would #GP at CPL 3. Exceptions arrive on the ring-0 stack with the user
 * ESP/SS in the frame; a #PF's CR2 is reported relative to the fault scratch base.
 */
final class EmulatorRunner {
    static final int GDT = 0x1000, IDT = 0x2000, GDTR = 0x3000, IDTR = 0x3008, HANDLERS = 0x4000;
    static final int SCRATCH = 0x100000, STACK_TOP = 0x170000, CODE = 0x200000;
    static final int TSS = 0x5000, PD = 0x6000, PT = 0x7000, IRET_AT = 0x4100, RING0_STACK = 0x180000;
    static final int FAULT_PAGE = 0x300000, FAULT_SCRATCH = FAULT_PAGE + 0x1000 - TestCase.SCRATCH_SIZE;
    static final int DONE_VECTOR = 0x40, VECTORS = 0x41;
    static final int USER_CS = 0x1B, USER_DS = 0x23, TSS_SEL = 0x28;
    private static final byte[] PROLOGUE = {
        0x0F, 0x01, 0x15, (byte) GDTR, (byte) (GDTR >> 8), 0, 0,   // lgdt [GDTR]
        0x0F, 0x01, 0x1D, (byte) IDTR, (byte) (IDTR >> 8), 0, 0,   // lidt [IDTR]
    };
    static final int INSN = CODE + PROLOGUE.length;
    private static final int STEP_LIMIT = 10_000;

    private final PhysicalMemory mem = new PhysicalMemory(16 << 20);
    private final Cpu cpu = new Cpu(mem, new IoBus());

    EmulatorRunner() {
        this(c -> { });
    }

    /** {@code configure} is applied once to the CPU (e.g. opcode-coverage counting). */
    EmulatorRunner(java.util.function.Consumer<Cpu> configure) {
        configure.accept(cpu);
        // flat code (0x08) and data (0x10) descriptors
        long code = 0x00CF9A000000FFFFL, data = 0x00CF92000000FFFFL;
        write64(GDT + 8, code);
        write64(GDT + 16, data);
        write64(GDT + 24, 0x00CFFA000000FFFFL); // ring-3 code
        write64(GDT + 32, 0x00CFF2000000FFFFL); // ring-3 data
        // 32-bit available TSS at TSS, limit 0x67
        write64(GDT + 40, 0x67L | (long) (TSS & 0xFFFFFF) << 16 | 0x89L << 40 | (long) (TSS >>> 24) << 56);
        mem.write32(TSS + 4, RING0_STACK);
        mem.write32(TSS + 8, 0x10);
        mem.write16(GDTR, 6 * 8 - 1);
        mem.write32(GDTR + 2, GDT);
        mem.write32(PD, PT | 7);
        for (int p = 0; p < 1024; p++) mem.write32(PT + 4 * p, p << 12 | 7);
        mem.write32(PT + 4 * ((FAULT_PAGE >>> 12) + 1), 0);                            // guard: not present
        mem.write32(PT + 4 * ((FAULT_PAGE >>> 12) + 2), (FAULT_PAGE + 0x2000) | 5);     // read-only, user
        mem.write8(IRET_AT, 0xCF);
        for (int v = 0; v < VECTORS; v++) {
            int h = HANDLERS + 2 * v;
            mem.write8(h, 0xF4);     // hlt
            mem.write8(h + 1, 0x90); // nop (padding: HLT may report EIP at or after itself)
            int g = IDT + 8 * v;
            mem.write16(g, h & 0xFFFF);
            mem.write16(g + 2, 0x08);
            mem.write8(g + 4, 0);
            mem.write8(g + 5, v == DONE_VECTOR ? 0xEE : 0x8E); // present, DPL 0 (3 for INT 0x40), 32-bit interrupt gate
            mem.write16(g + 6, h >>> 16);
        }
        mem.write16(IDTR, VECTORS * 8 - 1);
        mem.write32(IDTR + 2, IDT);
        mem.load(CODE, PROLOGUE);
        cpu.reset();
    }

    private void write64(int addr, long v) {
        mem.write32(addr, (int) v);
        mem.write32(addr + 4, (int) (v >>> 32));
    }

    Outcome run(TestCase c) {
        return c.faultLayout ? runUser(c) : runFlat(c);
    }

    private Outcome runFlat(TestCase c) {
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

    /** Fault layout: CPL 3, paging on (see the class comment). */
    private Outcome runUser(TestCase c) {
        mem.load(FAULT_SCRATCH, c.scratch);
        mem.load(INSN, c.code);
        int end = INSN + c.code.length;
        mem.write8(end, 0xCD); // int 0x40
        mem.write8(end + 1, DONE_VECTOR);
        cpu.reset();
        mem.setA20(true);
        cpu.enterFlat32();
        cpu.setGdtr(GDT, 6 * 8 - 1);
        cpu.setIdtr(IDT, VECTORS * 8 - 1);
        cpu.trSel = TSS_SEL;
        cpu.trBase = TSS;
        cpu.trLimit = 0x67;
        cpu.trAttr = 0x8B; // busy 32-bit TSS
        cpu.cr3 = PD;
        cpu.cr0 |= Cpu.CR0_PG | Cpu.CR0_WP;
        cpu.flushTlbAll();
        for (int s : new int[] {Cpu.ES, Cpu.DS, Cpu.FS, Cpu.GS}) cpu.setSegmentCache(s, USER_DS, 0, 0xFFFFFFFF, 0xC0F3);
        for (int r = 0; r < 8; r++) {
            cpu.reg[r] = (c.relMask & (1 << r)) != 0 ? c.regs[r] + FAULT_SCRATCH : c.regs[r];
        }
        boolean espRel = (c.relMask & 0x10) != 0;
        int userEsp = espRel ? cpu.reg[Cpu.ESP] : STACK_TOP;
        // IRET frame on the ring-0 stack: EIP, CS, EFLAGS, ESP, SS
        int sp = RING0_STACK - 20;
        mem.write32(sp, INSN);
        mem.write32(sp + 4, USER_CS);
        mem.write32(sp + 8, (c.eflags & UndefinedFlags.ALL) | 0x202);
        mem.write32(sp + 12, userEsp);
        mem.write32(sp + 16, USER_DS);
        cpu.reg[Cpu.ESP] = sp;
        cpu.setEflags(0x2);
        cpu.eip = IRET_AT;
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
            return o;
        }
        if (eip < HANDLERS || eip >= HANDLERS + 2 * VECTORS + 2) {
            o.problem = String.format("halted at EIP=%08x, outside the handlers", eip);
            return o;
        }
        int v = (eip - HANDLERS) / 2;
        int esp = cpu.reg[Cpu.ESP];
        boolean err = v == 8 || (v >= 10 && v <= 14) || v == 17;
        if (err) {
            o.errorCode = mem.read32(esp);
            esp += 4;
        }
        int frameEip = mem.read32(esp);
        if (mem.read32(esp + 4) != USER_CS || esp + 20 != RING0_STACK) {
            o.problem = String.format("vector %d was not taken from ring 3 (frame CS=%04x, ring-0 ESP=%08x)", v,
                mem.read32(esp + 4), esp);
            return o;
        }
        o.eflags = mem.read32(esp + 8);
        o.regs[Cpu.ESP] = mem.read32(esp + 12) - (espRel ? FAULT_SCRATCH : STACK_TOP);
        if (v == DONE_VECTOR) {
            if (frameEip != end + 2) o.problem = String.format("INT 0x40 frame EIP %08x, expected %08x", frameEip, end + 2);
        } else {
            o.vector = v;
            o.trapno = v;
            o.faultEip = frameEip - INSN;
            if (v == 14) o.faultAddr = cpu.cr2 - FAULT_SCRATCH;
        }
        for (int r = 0; r < 8; r++) {
            if (r != Cpu.ESP && (c.relMask & (0x100 << r)) != 0) o.regs[r] -= FAULT_SCRATCH;
        }
        for (int i = 0; i < TestCase.SCRATCH_SIZE; i++) o.scratch[i] = (byte) mem.read8(FAULT_SCRATCH + i);
        return o;
    }
}
