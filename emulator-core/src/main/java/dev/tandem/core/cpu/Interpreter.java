package dev.tandem.core.cpu;

import static dev.tandem.core.cpu.Cpu.ESP;
import static dev.tandem.core.cpu.Flags.IF;
import static dev.tandem.core.cpu.Flags.TF;

/**
 * The interpreter: the run loop, execution of decoded blocks and single steps, and the dispatch of
 * a decoded instruction to its handler.
 *
 * <p>{@link #run} accepts an external interrupt when IF is set and no interrupt shadow is active,
 * otherwise executes a decoded block from the {@link BlockCache}, or one instruction through
 * {@link #step} when single-stepping (TF), in an interrupt shadow, or when no block can be had
 * (the first byte's page is not in the TLB yet). A block stops early after a control transfer, a
 * write to its own page, HLT, a new interrupt shadow, or at the run limit, so the instruction
 * count stays exact.
 *
 * <p>{@link #execute} is a switch from the handler id to one static method of a handler family:
 * {@link AluOps}, {@link BitOps}, {@link MoveOps}, {@link StackOps}, {@link ControlOps},
 * {@link StringOps}, {@link SystemOps}, {@link FpuGlue}. Before the switch it computes the
 * effective address and applies the table's checks (memory-only, protected-mode-only, LOCK);
 * after it, EIP advances and the instruction retires ({@code icount + 1}). Control transfers
 * return the EIP to continue at. The 32-bit specializations of the most frequent forms go through
 * {@link #executeSpecial32}, a smaller method the JIT compiles with its handlers inlined.
 *
 * <p>A handler that faults throws the CPU's one {@link CpuFault}; the loop restores EIP and ESP to
 * their values at the start of the instruction and hands the fault to
 * {@link Interrupts#handleFault}. Handlers read all their operands before they write anything.
 */
final class Interpreter {
    private Interpreter() { }

    private static final int CHECK_MASK = (OpTable.MEM_ONLY | OpTable.PM_ONLY) << 27;

    // ================================================================== run loop

    /** See {@link Cpu#run}. */
    static long run(Cpu c, long untilIcount) {
        c.runLimit = untilIcount;
        while (c.icount < untilIcount) {
            if (c.shutdown) break;
            if ((c.eflags & IF) != 0 && !c.inhibitIrq && c.pic != null && c.pic.hasInterrupt()) {
                c.halted = false;
                int vector = c.pic.acknowledge();
                try {
                    Interrupts.deliver(c, vector, false, 0, false, true);
                } catch (CpuFault f) {
                    Interrupts.handleFault(c, f);
                }
                continue;
            }
            if (c.halted) break;
            if ((c.eflags & TF) != 0 || c.inhibitIrq || !c.blockCacheEnabled) {
                step(c);
                continue;
            }
            int blk = c.blocks.find();
            if (blk < 0) {
                step(c);
                continue;
            }
            execBlock(c, blk, untilIcount);
        }
        return c.icount;
    }

    private static void execBlock(Cpu c, int idx, long until) {
        BlockCache b = c.blocks;
        int o = b.btStart[idx];
        int n = b.btCount[idx];
        b.curBlockPage = b.btPhys[idx] >>> 12;
        b.blockAbort = false;
        Insn[] p = b.pool;
        for (int k = 0; k < n; k++, o++) {
            Insn in = p[o];
            c.cur = in;
            // (run() only enters a block with no interrupt shadow and TF clear, and the block stops as
            // soon as an instruction sets a shadow, so neither needs resetting per instruction)
            int start = c.eip;
            c.startEip = start;
            c.startEsp = c.reg[ESP];
            try {
                execute(c);
            } catch (CpuFault f) {
                // (a task switch past its commit point moves these to the new task)
                c.eip = c.startEip;
                c.reg[ESP] = c.startEsp;
                b.curBlockPage = -1;
                Interrupts.handleFault(c, f);
                return;
            }
            int next = start + in.dLen;
            if (!c.code32) next &= 0xFFFF;
            if (c.eip != next || b.blockAbort || c.halted || c.icount >= until || c.inhibitIrq) break;
        }
        b.curBlockPage = -1;
    }

    /** See {@link Cpu#step}. */
    static void step(Cpu c) {
        c.startEip = c.eip;
        c.startEsp = c.reg[ESP];
        boolean trap = (c.eflags & TF) != 0;
        c.inhibitIrq = false;
        c.noTrap = false;
        Insn in = c.scratchInsn;
        c.cur = in;
        try {
            c.decoder.decode(in);
            if (c.formCounts != null) countForm(c);
            execute(c);
        } catch (CpuFault f) {
            c.eip = c.startEip;
            c.reg[ESP] = c.startEsp;
            Interrupts.handleFault(c, f);
            return;
        }
        if (trap && !c.noTrap) {
            // single-step trap after the instruction
            c.dr[6] |= 0x4000;
            try {
                Interrupts.deliver(c, 1, false, 0, false, false);
            } catch (CpuFault f) {
                Interrupts.handleFault(c, f);
            }
        }
    }

    private static void countForm(Cpu c) {
        int op = c.cur.dOpcode;
        int idx = OpTable.IS_GROUP[op] ? Cpu.formIndex(op, c.cur.dReg) : Cpu.formIndex(op, -1);
        c.formCounts[idx]++;
    }

    // ================================================================== dispatch

    /** Executes {@code c.cur}: EIP and ESP are still those at the start of the instruction. */
    static void execute(Cpu c) {
        Insn in = c.cur;
        if (in.dHandler >= HandlerId.FIRST_SPECIAL) {
            if (in.dLock && ((OpTable.flags(in.dInfo) & OpTable.LOCKABLE) == 0 || in.dMod == 3)) throw c.ud();
            executeSpecial32(c);
            return;
        }
        int info = in.dInfo;
        if (in.dMod != 3 && (OpTable.hasModrm(info) || OpTable.IS_GROUP[in.dOpcode])) {
            c.eaOff = Operands.computeEa(c);
        }
        if ((info & CHECK_MASK) != 0 || in.dLock) {
            int fl = OpTable.flags(info);
            if ((fl & OpTable.MEM_ONLY) != 0 && in.dMod == 3) throw c.ud();
            if ((fl & OpTable.PM_ONLY) != 0 && (!c.protectedMode() || c.v86())) throw c.ud();
            if (in.dLock && ((fl & OpTable.LOCKABLE) == 0 || in.dMod == 3)) throw c.ud();
        }
        int next = c.eip + in.dLen;
        if (!c.code32) next &= 0xFFFF;
        int sz = in.dOp32 ? 2 : 1;
        switch (in.dHandler) {
            // ---- ALU and flags
            case HandlerId.ALU_EbGb -> AluOps.aluEbGb(c);
            case HandlerId.ALU_EvGv -> AluOps.aluEvGv(c, sz);
            case HandlerId.ALU_GbEb -> AluOps.aluGbEb(c);
            case HandlerId.ALU_GvEv -> AluOps.aluGvEv(c, sz);
            case HandlerId.ALU_ALIb -> AluOps.aluALIb(c);
            case HandlerId.ALU_eAXIz -> AluOps.aluEAXIz(c, sz);
            case HandlerId.ALU_EbIb -> AluOps.aluEbIb(c);
            case HandlerId.ALU_EvIz -> AluOps.aluEvIz(c, sz);
            case HandlerId.TEST_EbGb -> AluOps.testEbGb(c);
            case HandlerId.TEST_EvGv -> AluOps.testEvGv(c, sz);
            case HandlerId.TEST_ALIb -> AluOps.testALIb(c);
            case HandlerId.TEST_eAXIz -> AluOps.testEAXIz(c, sz);
            case HandlerId.TEST_EbIb -> AluOps.testEbIb(c);
            case HandlerId.TEST_EvIz -> AluOps.testEvIz(c, sz);
            case HandlerId.INC_Zv -> AluOps.incZv(c, sz);
            case HandlerId.DEC_Zv -> AluOps.decZv(c, sz);
            case HandlerId.INC_Eb -> AluOps.incE(c, 0);
            case HandlerId.DEC_Eb -> AluOps.decE(c, 0);
            case HandlerId.INC_Ev -> AluOps.incE(c, sz);
            case HandlerId.DEC_Ev -> AluOps.decE(c, sz);
            case HandlerId.NOT_Eb -> AluOps.notE(c, 0);
            case HandlerId.NOT_Ev -> AluOps.notE(c, sz);
            case HandlerId.NEG_Eb -> AluOps.negE(c, 0);
            case HandlerId.NEG_Ev -> AluOps.negE(c, sz);
            case HandlerId.MUL_Eb -> AluOps.mulEb(c);
            case HandlerId.MUL_Ev -> AluOps.mulEv(c, sz);
            case HandlerId.IMUL_Eb -> AluOps.imulEb(c);
            case HandlerId.IMUL_Ev -> AluOps.imulEv(c, sz);
            case HandlerId.IMUL_GvEv -> AluOps.imulGvEv(c, sz);
            case HandlerId.IMUL_GvEvI -> AluOps.imulGvEvI(c, sz);
            case HandlerId.DIV_Eb -> AluOps.divEb(c);
            case HandlerId.DIV_Ev -> AluOps.divEv(c, sz);
            case HandlerId.IDIV_Eb -> AluOps.idivEb(c);
            case HandlerId.IDIV_Ev -> AluOps.idivEv(c, sz);
            case HandlerId.DAA -> AluOps.daa(c);
            case HandlerId.DAS -> AluOps.das(c);
            case HandlerId.AAA -> AluOps.aaa(c);
            case HandlerId.AAS -> AluOps.aas(c);
            case HandlerId.AAM -> AluOps.aam(c);
            case HandlerId.AAD -> AluOps.aad(c);
            case HandlerId.XADD_Eb -> AluOps.xaddEb(c);
            case HandlerId.XADD_Ev -> AluOps.xaddEv(c, sz);
            case HandlerId.CMPXCHG_Eb -> AluOps.cmpxchg(c, 0);
            case HandlerId.CMPXCHG_Ev -> AluOps.cmpxchg(c, sz);
            case HandlerId.CMPXCHG8B -> AluOps.cmpxchg8b(c);
            case HandlerId.SETCC -> AluOps.setcc(c);
            case HandlerId.CLC -> AluOps.clc(c);
            case HandlerId.STC -> AluOps.stc(c);
            case HandlerId.CMC -> AluOps.cmc(c);
            case HandlerId.CLD -> AluOps.cld(c);
            case HandlerId.STD -> AluOps.std(c);
            case HandlerId.SAHF -> AluOps.sahf(c);
            case HandlerId.LAHF -> AluOps.lahf(c);
            case HandlerId.SALC -> AluOps.salc(c);
            // ---- shifts, rotates, bit operations
            case HandlerId.SHIFT_Eb -> BitOps.shiftI(c, 0);
            case HandlerId.SHIFT_Ev -> BitOps.shiftI(c, sz);
            case HandlerId.SHIFT1_Eb -> BitOps.shift1(c, 0);
            case HandlerId.SHIFT1_Ev -> BitOps.shift1(c, sz);
            case HandlerId.SHIFTCL_Eb -> BitOps.shiftCL(c, 0);
            case HandlerId.SHIFTCL_Ev -> BitOps.shiftCL(c, sz);
            case HandlerId.SHLD -> BitOps.shldOp(c, sz);
            case HandlerId.SHRD -> BitOps.shrdOp(c, sz);
            case HandlerId.BT_EvGv -> BitOps.btEvGv(c, sz);
            case HandlerId.BT_EvIb -> BitOps.btEvIb(c, sz);
            case HandlerId.BSF -> BitOps.bitScan(c, sz, true);
            case HandlerId.BSR -> BitOps.bitScan(c, sz, false);
            // ---- data movement
            case HandlerId.MOV_EbGb -> MoveOps.movEbGb(c);
            case HandlerId.MOV_EvGv -> MoveOps.movEvGv(c, sz);
            case HandlerId.MOV_GbEb -> MoveOps.movGbEb(c);
            case HandlerId.MOV_GvEv -> MoveOps.movGvEv(c, sz);
            case HandlerId.MOV_EbIb -> MoveOps.movEbIb(c);
            case HandlerId.MOV_EvIz -> MoveOps.movEvIz(c, sz);
            case HandlerId.MOV_ZbIb -> MoveOps.movZbIb(c);
            case HandlerId.MOV_ZvIv -> MoveOps.movZvIv(c, sz);
            case HandlerId.MOV_ALOb -> MoveOps.movALOb(c);
            case HandlerId.MOV_eAXOv -> MoveOps.movEAXOv(c, sz);
            case HandlerId.MOV_ObAL -> MoveOps.movObAL(c);
            case HandlerId.MOV_OveAX -> MoveOps.movOvEAX(c, sz);
            case HandlerId.MOV_EvSw -> MoveOps.movEvSw(c, sz);
            case HandlerId.MOV_SwEw -> MoveOps.movSwEw(c);
            case HandlerId.LxS -> MoveOps.lxs(c, sz);
            case HandlerId.LEA -> MoveOps.lea(c, sz);
            case HandlerId.XCHG_EbGb -> MoveOps.xchgEbGb(c);
            case HandlerId.XCHG_EvGv -> MoveOps.xchgEvGv(c, sz);
            case HandlerId.XCHG_eAX -> MoveOps.xchgEAX(c, sz);
            case HandlerId.MOVZX_Eb -> MoveOps.movzxEb(c, sz);
            case HandlerId.MOVZX_Ew -> MoveOps.movzxEw(c, sz);
            case HandlerId.MOVSX_Eb -> MoveOps.movsxEb(c, sz);
            case HandlerId.MOVSX_Ew -> MoveOps.movsxEw(c, sz);
            case HandlerId.CBW -> MoveOps.cbw(c, sz);
            case HandlerId.CWD -> MoveOps.cwd(c, sz);
            case HandlerId.BSWAP -> MoveOps.bswap(c, sz);
            case HandlerId.XLAT -> MoveOps.xlat(c);
            case HandlerId.CMOVCC -> MoveOps.cmovcc(c, sz);
            case HandlerId.NOP, HandlerId.NOP_Ev -> { }
            // ---- stack
            case HandlerId.PUSH_Zv -> StackOps.pushZv(c, sz);
            case HandlerId.POP_Zv -> StackOps.popZv(c, sz);
            case HandlerId.PUSH_I -> StackOps.pushI(c, sz);
            case HandlerId.PUSH_Ev -> StackOps.pushEv(c, sz);
            case HandlerId.POP_Ev -> StackOps.popEv(c, sz);
            case HandlerId.PUSH_SEG -> StackOps.pushSeg(c, sz);
            case HandlerId.POP_SEG -> StackOps.popSeg(c, sz);
            case HandlerId.PUSHA -> StackOps.pusha(c, sz);
            case HandlerId.POPA -> StackOps.popa(c, sz);
            case HandlerId.PUSHF -> StackOps.pushf(c, sz);
            case HandlerId.POPF -> StackOps.popf(c, sz);
            case HandlerId.ENTER -> StackOps.enter(c, sz);
            case HandlerId.LEAVE -> StackOps.leave(c, sz);
            // ---- control transfer
            case HandlerId.JCC -> next = ControlOps.jcc(c, next);
            case HandlerId.JMP_J -> next = ControlOps.jmpJ(c, next);
            case HandlerId.JMP_Ev -> next = ControlOps.jmpEv(c, sz);
            case HandlerId.CALL_Jz -> next = ControlOps.callJz(c, next, sz);
            case HandlerId.CALL_Ev -> next = ControlOps.callEv(c, next, sz);
            case HandlerId.RET -> next = ControlOps.ret(c, sz, 0);
            case HandlerId.RET_Iw -> next = ControlOps.ret(c, sz, in.dImm & 0xFFFF);
            case HandlerId.LOOP -> next = ControlOps.loop(c, next);
            case HandlerId.JCXZ -> next = ControlOps.jcxz(c, next);
            case HandlerId.JMPF_Ap -> next = ControlOps.jmpfAp(c, next, sz);
            case HandlerId.JMPF_Ep -> next = ControlOps.jmpfEp(c, next, sz);
            case HandlerId.CALLF_Ap -> next = ControlOps.callfAp(c, next, sz);
            case HandlerId.CALLF_Ep -> next = ControlOps.callfEp(c, next, sz);
            case HandlerId.RETF -> next = ControlOps.retf(c, sz);
            case HandlerId.INT3 -> next = ControlOps.int3(c, next);
            case HandlerId.INT1 -> next = ControlOps.int1(c, next);
            case HandlerId.INT_Ib -> next = ControlOps.intIb(c, next);
            case HandlerId.INTO -> next = ControlOps.into(c, next);
            case HandlerId.IRET -> next = ControlOps.iret(c, sz);
            case HandlerId.BOUND -> ControlOps.bound(c, sz);
            // ---- strings (they count retired iterations themselves)
            case HandlerId.MOVS, HandlerId.CMPS, HandlerId.STOS, HandlerId.LODS, HandlerId.SCAS, HandlerId.INS,
                    HandlerId.OUTS -> {
                c.eip = StringOps.execute(c, in.dSub == 1 ? 0 : sz) ? next : c.startEip;
                return;
            }
            // ---- system
            case HandlerId.CLI -> SystemOps.cli(c);
            case HandlerId.STI -> SystemOps.sti(c);
            case HandlerId.HLT -> SystemOps.hlt(c);
            case HandlerId.IN_I -> SystemOps.inI(c, sz);
            case HandlerId.IN_DX -> SystemOps.inDX(c, sz);
            case HandlerId.OUT_I -> SystemOps.outI(c, sz);
            case HandlerId.OUT_DX -> SystemOps.outDX(c, sz);
            case HandlerId.GRP6 -> SystemOps.grp6(c, sz);
            case HandlerId.GRP7 -> SystemOps.grp7(c, sz);
            case HandlerId.LAR -> SystemOps.lar(c, sz);
            case HandlerId.LSL -> SystemOps.lsl(c, sz);
            case HandlerId.ARPL -> SystemOps.arpl(c);
            case HandlerId.CLTS -> SystemOps.clts(c);
            case HandlerId.MOV_RdCd -> SystemOps.movRdCd(c);
            case HandlerId.MOV_CdRd -> SystemOps.movCdRd(c);
            case HandlerId.MOV_RdDd -> SystemOps.movRdDd(c);
            case HandlerId.MOV_DdRd -> SystemOps.movDdRd(c);
            case HandlerId.RDTSC -> SystemOps.rdtsc(c);
            case HandlerId.RDMSR -> SystemOps.rdmsr(c);
            case HandlerId.WRMSR -> SystemOps.wrmsr(c);
            case HandlerId.CPUID -> SystemOps.cpuid(c);
            // ---- x87
            case HandlerId.FPU -> FpuGlue.execute(c);
            case HandlerId.WAIT -> FpuGlue.waitOp(c);
            case HandlerId.UD -> throw c.ud();
            default -> throw new IllegalStateException("no handler for " + HandlerId.NAMES[in.dHandler]);
        }
        c.eip = next;
        c.icount++;
    }

    /**
     * The 32-bit specializations of the most frequent forms, in a method small enough for the JIT
     * to compile with their handlers and those handlers' memory and flag helpers inlined (a LOCK
     * prefix has been checked).
     */
    private static void executeSpecial32(Cpu c) {
        Insn in = c.cur;
        if (in.dMod != 3) c.eaOff = Operands.computeEa(c);
        int next = c.eip + in.dLen;
        if (!c.code32) next &= 0xFFFF;
        switch (in.dHandler) {
            case HandlerId.MOV_EvGv32 -> MoveOps.movEvGv32(c);
            case HandlerId.MOV_GvEv32 -> MoveOps.movGvEv32(c);
            case HandlerId.ALU_EvGv32 -> AluOps.aluEvGv32(c);
            case HandlerId.ALU_GvEv32 -> AluOps.aluGvEv32(c);
            case HandlerId.ALU_EvIz32 -> AluOps.aluEvIz32(c);
            case HandlerId.TEST_EvGv32 -> AluOps.testEvGv32(c);
            case HandlerId.INC_Zv32 -> AluOps.incZv32(c);
            case HandlerId.DEC_Zv32 -> AluOps.decZv32(c);
            case HandlerId.PUSH_Zv32 -> StackOps.pushZv32(c);
            case HandlerId.POP_Zv32 -> StackOps.popZv32(c);
            case HandlerId.MOV_ZvIv32 -> MoveOps.movZvIv32(c);
            case HandlerId.LEA32 -> MoveOps.lea32(c);
            default -> throw new IllegalStateException("not a specialized handler: " + HandlerId.NAMES[in.dHandler]);
        }
        c.eip = next;
        c.icount++;
    }
}
