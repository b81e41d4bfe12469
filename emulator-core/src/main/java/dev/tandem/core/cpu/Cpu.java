package dev.tandem.core.cpu;

import static dev.tandem.core.cpu.Flags.AC;
import static dev.tandem.core.cpu.Flags.AF;
import static dev.tandem.core.cpu.Flags.ARITH;
import static dev.tandem.core.cpu.Flags.CF;
import static dev.tandem.core.cpu.Flags.DF;
import static dev.tandem.core.cpu.Flags.ID;
import static dev.tandem.core.cpu.Flags.IF;
import static dev.tandem.core.cpu.Flags.IOPL;
import static dev.tandem.core.cpu.Flags.NT;
import static dev.tandem.core.cpu.Flags.OF;
import static dev.tandem.core.cpu.Flags.PF;
import static dev.tandem.core.cpu.Flags.RF;
import static dev.tandem.core.cpu.Flags.SF;
import static dev.tandem.core.cpu.Flags.TF;
import static dev.tandem.core.cpu.Flags.VM;
import static dev.tandem.core.cpu.Flags.ZF;

import dev.tandem.core.io.InterruptController;
import dev.tandem.core.io.IoBus;
import dev.tandem.core.mem.PhysicalMemory;

/**
 * An IA-32 (P6 class) CPU: architectural state, the memory path (segmentation, paging, software
 * TLB), decoding driven by {@link OpTable}, and the interpreter.
 *
 * <p>Instruction counting rule: {@link #icount} is incremented once for every retired instruction
 * and once for every completed iteration of a REP-prefixed string instruction (a REP instruction
 * with a zero count retires once). Instructions that fault do not retire. Delivering an
 * interrupt or exception is not an instruction. See docs/instruction-counting.md.
 */
public final class Cpu {
    public static final int EAX = 0, ECX = 1, EDX = 2, EBX = 3, ESP = 4, EBP = 5, ESI = 6, EDI = 7;
    public static final int ES = 0, CS = 1, SS = 2, DS = 3, FS = 4, GS = 5;
    static final int SEG_NONE = 7;

    public static final int CR0_PE = 1, CR0_MP = 2, CR0_EM = 4, CR0_TS = 8, CR0_ET = 16, CR0_NE = 32,
            CR0_WP = 1 << 16, CR0_AM = 1 << 18, CR0_NW = 1 << 29, CR0_CD = 1 << 30, CR0_PG = 1 << 31;
    public static final int CR4_VME = 1, CR4_PVI = 2, CR4_TSD = 4, CR4_DE = 8, CR4_PSE = 16, CR4_PGE = 128;

    // ------------------------------------------------------------------ architectural state
    public final int[] reg = new int[8];
    public int eip;
    /** EFLAGS; the arithmetic bits are stale while {@link #lfOp} != 0. */
    int eflags = Flags.FIXED_ONE;
    public final int[] segSel = new int[6];
    public final int[] segBase = new int[6];
    /** Effective byte limit (granularity applied). */
    public final int[] segLimit = new int[6];
    /** Descriptor bits 40..55: access byte in 0-7, flags (AVL, L, D/B, G) in 12-15. */
    public final int[] segAttr = new int[6];
    /** False for a segment register holding a null selector in protected mode. */
    final boolean[] segUsable = new boolean[6];
    public int cr0 = CR0_ET, cr2, cr3, cr4;
    public final int[] dr = new int[8];
    public int gdtrBase, gdtrLimit = 0xFFFF, idtrBase, idtrLimit = 0x3FF;
    public int ldtrSel, ldtrBase, ldtrLimit, ldtrAttr;
    public int trSel, trBase, trLimit, trAttr;
    public int cpl;
    public long tscOffset;
    /** Retired instruction count. */
    public long icount;
    public boolean halted;
    /** Set on triple fault; the machine decides what to do (reset or stop). */
    public boolean shutdown;
    /** Interrupts are inhibited until after the next instruction (STI, MOV SS, POP SS). */
    boolean inhibitIrq;

    // ------------------------------------------------------------------ derived state
    /** Code segment D bit: default operand and address size 32. */
    boolean code32;
    /** Stack segment B bit: ESP (true) or SP (false). */
    boolean stack32;

    // ------------------------------------------------------------------ lazy arithmetic flags (see LazyFlags)
    /** Kind and size of the last flag-setting operation (see {@link LazyFlags}); 0 when EFLAGS is current. */
    int lfOp;
    /** Result and operands of that operation. */
    int lfRes, lfDst, lfSrc;
    /** Carry in (ADC/SBB) or preserved carry (INC/DEC). */
    int lfCin;

    // ------------------------------------------------------------------ wiring
    public final PhysicalMemory mem;
    public final IoBus io;
    private InterruptController pic;
    private final CpuFault fault = new CpuFault();
    /** The memory path: segment checks, TLB, page walk (see {@link Mmu}). */
    final Mmu mmu;
    /** Time stamp counter source; the machine routes it through the nondeterminism boundary. */
    private java.util.function.LongSupplier tscSource = () -> icount;
    private FpuUnit fpu;

    /** Optional x87 unit; without one, ESC opcodes raise #NM when CR0.EM is set and #UD... see execFpu. */
    public interface FpuUnit {
        void reset();

        void execute(Cpu cpu, int opcode, int modrm, int seg, int off, boolean hasMem);

        boolean isNonWaiting(int opcode, int modrm);

        boolean hasPendingUnmaskedException();
    }

    public Cpu(PhysicalMemory mem, IoBus io) {
        this.mem = mem;
        this.io = io;
        this.mmu = new Mmu(this, mem);
        mem.setMappingListener(mmu::flushTlbAll);
        this.blocks = new BlockCache(this);
        mem.setWriteListener(blocks::codeWritten);
        reset();
    }

    public void setInterruptController(InterruptController pic) {
        this.pic = pic;
    }

    public void setTscSource(java.util.function.LongSupplier s) {
        this.tscSource = s;
    }

    public void setFpu(FpuUnit fpu) {
        this.fpu = fpu;
    }

    public FpuUnit fpu() {
        return fpu;
    }

    // ================================================================== reset and mode setup

    /** Power-on state (INIT/RESET): real mode, CS:IP = F000:FFF0 with CS base FFFF0000. */
    public void reset() {
        java.util.Arrays.fill(reg, 0);
        reg[EDX] = 0x0633; // family 6, model 3, stepping 3
        eip = 0xFFF0;
        eflags = Flags.FIXED_ONE;
        lfOp = 0;
        cr0 = CR0_ET | CR0_CD | CR0_NW;
        cr2 = cr3 = cr4 = 0;
        java.util.Arrays.fill(dr, 0);
        dr[6] = 0xFFFF0FF0;
        dr[7] = 0x400;
        for (int s = 0; s < 6; s++) {
            setSegmentCache(s, 0, 0, 0xFFFF, 0x93);
        }
        setSegmentCache(CS, 0xF000, 0xFFFF0000, 0xFFFF, 0x9B);
        gdtrBase = 0;
        gdtrLimit = 0xFFFF;
        idtrBase = 0;
        idtrLimit = 0x3FF;
        ldtrSel = ldtrBase = 0;
        ldtrLimit = 0xFFFF;
        ldtrAttr = 0x82;
        trSel = trBase = 0;
        trLimit = 0xFFFF;
        trAttr = 0x8B;
        cpl = 0;
        halted = false;
        shutdown = false;
        inhibitIrq = false;
        if (fpu != null) fpu.reset();
        updateMode();
        flushTlbAll();
    }

    /** Protected mode, CPL 0, flat 4 GiB 32-bit segments, paging off: for tests and loaders. */
    public void enterFlat32() {
        cr0 |= CR0_PE;
        cpl = 0;
        setSegmentCache(CS, 0x08, 0, 0xFFFFFFFF, 0xC09B);
        for (int s : new int[] {ES, SS, DS, FS, GS}) setSegmentCache(s, 0x10, 0, 0xFFFFFFFF, 0xC093);
        updateMode();
        flushTlbAll();
    }

    /** Loads a segment register's hidden descriptor cache directly (loaders, tests, snapshots). */
    public void setSegmentCache(int seg, int selector, int base, int limit, int attrs) {
        segSel[seg] = selector & 0xFFFF;
        segBase[seg] = base;
        segLimit[seg] = limit;
        segAttr[seg] = attrs;
        segUsable[seg] = true;
        if (seg == CS) code32 = (attrs & 0x4000) != 0;
        if (seg == SS) stack32 = (attrs & 0x4000) != 0;
    }

    public void setGdtr(int base, int limit) {
        gdtrBase = base;
        gdtrLimit = limit & 0xFFFF;
    }

    public void setIdtr(int base, int limit) {
        idtrBase = base;
        idtrLimit = limit & 0xFFFF;
    }

    public int getSelector(int seg) {
        return segSel[seg];
    }

    public int getSegBase(int seg) {
        return segBase[seg];
    }

    /** Real-mode style segment load: selector, base = selector * 16; limit and attributes kept. */
    public void loadSegmentReal(int seg, int selector) {
        selector &= 0xFFFF;
        segSel[seg] = selector;
        segBase[seg] = selector << 4;
        segUsable[seg] = true;
    }

    public long icount() {
        return icount;
    }

    public boolean halted() {
        return halted;
    }

    public boolean protectedMode() {
        return (cr0 & CR0_PE) != 0;
    }

    public boolean v86() {
        return (eflags & VM) != 0;
    }

    void refreshMode() {
        updateMode();
    }

    private void updateMode() {
        code32 = (segAttr[CS] & 0x4000) != 0 && protectedMode() && !v86();
        stack32 = (segAttr[SS] & 0x4000) != 0 && protectedMode() && !v86();
        if (!protectedMode()) {
            cpl = 0;
        } else if (v86()) {
            cpl = 3;
        }
        mmu.selectTlb(cpl);
    }

    // ================================================================== EFLAGS

    /** EFLAGS with the lazily held arithmetic flags written in. */
    public int getEflags() {
        LazyFlags.materialize(this);
        return eflags;
    }

    /** Sets EFLAGS without privilege checks (loaders, tests, snapshots). */
    public void setEflags(int v) {
        lfOp = 0;
        eflags = (v & Flags.WRITABLE) | Flags.FIXED_ONE;
        updateMode();
    }

    // ================================================================== registers by size

    int getReg8(int r) {
        return r < 4 ? reg[r] & 0xFF : (reg[r - 4] >>> 8) & 0xFF;
    }

    void setReg8(int r, int v) {
        if (r < 4) reg[r] = (reg[r] & ~0xFF) | (v & 0xFF);
        else reg[r - 4] = (reg[r - 4] & ~0xFF00) | ((v & 0xFF) << 8);
    }

    int getReg(int r, int sz) {
        return sz == 2 ? reg[r] : sz == 1 ? reg[r] & 0xFFFF : getReg8(r);
    }

    void setReg(int r, int sz, int v) {
        if (sz == 2) reg[r] = v;
        else if (sz == 1) reg[r] = (reg[r] & 0xFFFF0000) | (v & 0xFFFF);
        else setReg8(r, v);
    }

    // ================================================================== faults

    CpuFault fault(int vector, int code) {
        return fault.set(vector, code, true);
    }

    CpuFault fault(int vector) {
        return fault.set(vector, 0, false);
    }

    CpuFault gp(int code) {
        return fault(13, code);
    }

    CpuFault ud() {
        return fault(6);
    }

    /** Drops every TLB entry (after the memory map or paging state changed outside the CPU). */
    public void flushTlbAll() {
        mmu.flushTlbAll();
    }

    /** Public accessors for devices and the FPU: segment-relative reads and writes with all checks. */
    public int readMem8(int s, int off) {
        return mmu.rd8(s, off);
    }

    public int readMem16(int s, int off) {
        return mmu.rd16(s, off);
    }

    public int readMem32(int s, int off) {
        return mmu.rd32(s, off);
    }

    public void writeMem8(int s, int off, int v) {
        mmu.wr8(s, off, v);
    }

    public void writeMem16(int s, int off, int v) {
        mmu.wr16(s, off, v);
    }

    public void writeMem32(int s, int off, int v) {
        mmu.wr32(s, off, v);
    }

    /** Linear-address read as the CPU would do it (for debuggers and tests); may raise #PF. */
    public int readLinear8(int lin) {
        return mmu.lrd8(lin);
    }

    // ================================================================== the instruction being executed

    /** Decodes instructions at CS:EIP (see {@link Decoder}). */
    final Decoder decoder = new Decoder(this);
    /** The instruction being executed (a block-cache entry, or {@link #scratchInsn} for single steps). */
    Insn cur;
    private final Insn scratchInsn = new Insn();
    /** Effective address offset of the memory operand, computed before execution. */
    int eaOff;
    /** ESP at the start of the instruction being executed (restored when it faults). */
    int startEsp;
    /** EIP of the instruction being executed. */
    int startEip;
    int computeEa() {
        int a = cur.dDisp;
        if (cur.dBase >= 0) a += reg[cur.dBase];
        if (cur.dAddr32) {
            if (cur.dIndex >= 0) a += reg[cur.dIndex] << cur.dScale;
            return a;
        }
        if (cur.dIndex >= 0) a += reg[cur.dIndex];
        return a & 0xFFFF;
    }

    // ================================================================== run loop

    /**
     * Runs until {@link #icount} reaches {@code untilIcount}, the CPU halts, or it shuts down.
     * Returns the instruction count.
     */
    public long run(long untilIcount) {
        runLimit = untilIcount;
        while (icount < untilIcount) {
            if (shutdown) break;
            if ((eflags & IF) != 0 && !inhibitIrq && pic != null && pic.hasInterrupt()) {
                halted = false;
                int vector = pic.acknowledge();
                try {
                    deliver(vector, false, 0, false, true);
                } catch (CpuFault f) {
                    handleFault(f);
                }
                continue;
            }
            if (halted) break;
            if ((eflags & TF) != 0 || inhibitIrq || !blockCacheEnabled) {
                step();
                continue;
            }
            int blk = blocks.find();
            if (blk < 0) {
                step();
                continue;
            }
            execBlock(blk, untilIcount);
        }
        return icount;
    }

    // ================================================================== decoded blocks

    /** When false every instruction is decoded afresh (for testing the cache itself). */
    public boolean blockCacheEnabled = true;
    /** Decoded blocks by physical address (see {@link BlockCache}). */
    final BlockCache blocks;

    /** Drops every decoded block (used after state is loaded from outside, e.g. a snapshot). */
    public void flushBlockCache() {
        blocks.flush();
    }

    private void execBlock(int idx, long until) {
        BlockCache b = blocks;
        int o = b.btStart[idx];
        int n = b.btCount[idx];
        b.curBlockPage = b.btPhys[idx] >>> 12;
        b.blockAbort = false;
        Insn[] p = b.pool;
        for (int k = 0; k < n; k++, o++) {
            Insn in = p[o];
            cur = in;
            // (run() only enters a block with no interrupt shadow and TF clear, and the block stops as
            // soon as an instruction sets a shadow, so neither needs resetting per instruction)
            int start = eip;
            startEip = start;
            startEsp = reg[ESP];
            try {
                execute();
            } catch (CpuFault f) {
                // (a task switch past its commit point moves these to the new task)
                eip = startEip;
                reg[ESP] = startEsp;
                b.curBlockPage = -1;
                handleFault(f);
                return;
            }
            int next = start + in.dLen;
            if (!code32) next &= 0xFFFF;
            if (eip != next || b.blockAbort || halted || icount >= until || inhibitIrq) break;
        }
        b.curBlockPage = -1;
    }

    /** Executes one instruction (or one REP iteration), delivering any exception it raises. */
    public void step() {
        startEip = eip;
        startEsp = reg[ESP];
        boolean trap = (eflags & TF) != 0;
        inhibitIrq = false;
        noTrap = false;
        cur = scratchInsn;
        try {
            decoder.decode(scratchInsn);
            if (formCounts != null) countForm();
            execute();
        } catch (CpuFault f) {
            eip = startEip;
            reg[ESP] = startEsp;
            handleFault(f);
            return;
        }
        if (trap && !noTrap) {
            // single-step trap after the instruction
            dr[6] |= 0x4000;
            try {
                deliver(1, false, 0, false, false);
            } catch (CpuFault f) {
                handleFault(f);
            }
        }
    }

    /** The count at which the current {@link #run} stops (REP loops stop there too). */
    long runLimit = Long.MAX_VALUE;

    /** True when an external interrupt is pending and would be accepted now. */
    public boolean interruptAcceptable() {
        return interruptPending();
    }

    /** True when an external interrupt would be accepted now. */
    boolean interruptPending() {
        return (eflags & IF) != 0 && pic != null && pic.hasInterrupt();
    }

    /**
     * Opcode-table coverage (tests): when non-null, {@link #step} counts each decoded instruction
     * here, indexed by {@link #formIndex}. Only the single-step path counts; set
     * {@link #blockCacheEnabled} to false to route everything through it.
     */
    public long[] formCounts;

    /** Index of an instruction form in {@link #formCounts}: 9 slots per opcode (no ModRM group, /0../7). */
    public static int formIndex(int opcode, int regField) {
        return opcode * 9 + regField + 1;
    }

    private void countForm() {
        int op = cur.dOpcode;
        int idx = OpTable.IS_GROUP[op] ? formIndex(op, cur.dReg) : formIndex(op, -1);
        formCounts[idx]++;
    }

    /** Set by software interrupts: no single-step trap after them (TF was cleared on entry). */
    boolean noTrap;
    private int faultDepth;

    /** Diagnostics: multi-byte accesses that straddled a segment limit (and faulted). */
    public long straddleFaults;
    /** Diagnostics: the vector of the last exception raised by an instruction, or -1. */
    public int lastException = -1;

    private void handleFault(CpuFault f) {
        int vector = f.vector;
        lastException = vector;
        int code = f.errorCode;
        boolean hasCode = f.hasErrorCode;
        if (faultDepth >= 2) {
            shutdown = true;
            faultDepth = 0;
            return;
        }
        faultDepth++;
        try {
            deliver(vector, hasCode, code, true, false);
            faultDepth = 0;
        } catch (CpuFault f2) {
            int v2 = f2.vector;
            boolean contributory1 = vector == 0 || (vector >= 10 && vector <= 13);
            boolean contributory2 = v2 == 0 || (v2 >= 10 && v2 <= 13);
            if (vector == 8) {
                shutdown = true;
                faultDepth = 0;
                return;
            }
            if ((contributory1 && contributory2) || (vector == 14 && (contributory2 || v2 == 14))) {
                handleFaultDouble();
            } else {
                handleFault(f2);
            }
        }
    }

    private void handleFaultDouble() {
        try {
            deliver(8, true, 0, true, false);
            faultDepth = 0;
        } catch (CpuFault f3) {
            shutdown = true;
            faultDepth = 0;
        }
    }

    // ================================================================== execution

    private void execute() {
        if (cur.dHandler >= HandlerId.FIRST_SPECIAL) {
            if (cur.dLock && ((OpTable.flags(cur.dInfo) & OpTable.LOCKABLE) == 0 || cur.dMod == 3)) throw ud();
            executeSpecial32();
            return;
        }
        int info = cur.dInfo;
        if (cur.dMod != 3 && (OpTable.hasModrm(info) || OpTable.IS_GROUP[cur.dOpcode])) {
            eaOff = computeEa();
        }
        if ((info & CHECK_MASK) != 0 || cur.dLock) {
            int fl = OpTable.flags(info);
            if ((fl & OpTable.MEM_ONLY) != 0 && cur.dMod == 3) throw ud();
            if ((fl & OpTable.PM_ONLY) != 0 && (!protectedMode() || v86())) throw ud();
            if (cur.dLock && ((fl & OpTable.LOCKABLE) == 0 || cur.dMod == 3)) throw ud();
        }
        int next = eip + cur.dLen;
        if (!code32) next &= 0xFFFF;
        int sz = cur.dOp32 ? 2 : 1;
        switch (cur.dHandler) {
            // ---- generic forms
            case HandlerId.ALU_EbGb: {
                int r = LazyFlags.alu(this, cur.dSub, cur.dSub != 7 ? readEw(0) : readE(0), getReg8(cur.dReg), 0);
                if (cur.dSub != 7) writeE(0, r);
                break;
            }
            case HandlerId.ALU_EvGv: {
                int r = LazyFlags.alu(this, cur.dSub, cur.dSub != 7 ? readEw(sz) : readE(sz), getReg(cur.dReg, sz), sz);
                if (cur.dSub != 7) writeE(sz, r);
                break;
            }
            case HandlerId.ALU_GbEb: {
                int r = LazyFlags.alu(this, cur.dSub, getReg8(cur.dReg), readE(0), 0);
                if (cur.dSub != 7) setReg8(cur.dReg, r);
                break;
            }
            case HandlerId.ALU_GvEv: {
                int r = LazyFlags.alu(this, cur.dSub, getReg(cur.dReg, sz), readE(sz), sz);
                if (cur.dSub != 7) setReg(cur.dReg, sz, r);
                break;
            }
            case HandlerId.ALU_ALIb: {
                int r = LazyFlags.alu(this, cur.dSub, reg[EAX], cur.dImm, 0);
                if (cur.dSub != 7) setReg8(EAX, r);
                break;
            }
            case HandlerId.ALU_eAXIz: {
                int r = LazyFlags.alu(this, cur.dSub, reg[EAX], cur.dImm, sz);
                if (cur.dSub != 7) setReg(EAX, sz, r);
                break;
            }
            case HandlerId.ALU_EbIb: {
                int r = LazyFlags.alu(this, cur.dSub, cur.dSub != 7 ? readEw(0) : readE(0), cur.dImm, 0);
                if (cur.dSub != 7) writeE(0, r);
                break;
            }
            case HandlerId.ALU_EvIz: {
                int r = LazyFlags.alu(this, cur.dSub, cur.dSub != 7 ? readEw(sz) : readE(sz), cur.dImm, sz);
                if (cur.dSub != 7) writeE(sz, r);
                break;
            }
            case HandlerId.TEST_EbGb: LazyFlags.alu(this, 4, readE(0), getReg8(cur.dReg), 0); break;
            case HandlerId.TEST_EvGv: LazyFlags.alu(this, 4, readE(sz), getReg(cur.dReg, sz), sz); break;
            case HandlerId.TEST_ALIb: LazyFlags.alu(this, 4, reg[EAX], cur.dImm, 0); break;
            case HandlerId.TEST_eAXIz: LazyFlags.alu(this, 4, reg[EAX], cur.dImm, sz); break;
            case HandlerId.TEST_EbIb: LazyFlags.alu(this, 4, readE(0), cur.dImm, 0); break;
            case HandlerId.TEST_EvIz: LazyFlags.alu(this, 4, readE(sz), cur.dImm, sz); break;
            case HandlerId.INC_Zv: setReg(cur.dSub, sz, LazyFlags.inc(this, reg[cur.dSub], sz)); break;
            case HandlerId.DEC_Zv: setReg(cur.dSub, sz, LazyFlags.dec(this, reg[cur.dSub], sz)); break;
            case HandlerId.INC_Eb: writeE(0, LazyFlags.inc(this, readEw(0), 0)); break;
            case HandlerId.DEC_Eb: writeE(0, LazyFlags.dec(this, readEw(0), 0)); break;
            case HandlerId.INC_Ev: writeE(sz, LazyFlags.inc(this, readEw(sz), sz)); break;
            case HandlerId.DEC_Ev: writeE(sz, LazyFlags.dec(this, readEw(sz), sz)); break;
            case HandlerId.NOT_Eb: writeE(0, ~readEw(0)); break;
            case HandlerId.NOT_Ev: writeE(sz, ~readEw(sz)); break;
            case HandlerId.NEG_Eb: writeE(0, LazyFlags.alu(this, 5, 0, readEw(0), 0)); break;
            case HandlerId.NEG_Ev: writeE(sz, LazyFlags.alu(this, 5, 0, readEw(sz), sz)); break;
            case HandlerId.MOV_EbGb: writeE(0, getReg8(cur.dReg)); break;
            case HandlerId.MOV_EvGv: writeE(sz, getReg(cur.dReg, sz)); break;
            case HandlerId.MOV_GbEb: setReg8(cur.dReg, readE(0)); break;
            case HandlerId.MOV_GvEv: setReg(cur.dReg, sz, readE(sz)); break;
            case HandlerId.MOV_EbIb: writeE(0, cur.dImm); break;
            case HandlerId.MOV_EvIz: writeE(sz, cur.dImm); break;
            case HandlerId.MOV_ZbIb: setReg8(cur.dSub, cur.dImm); break;
            case HandlerId.MOV_ZvIv: setReg(cur.dSub, sz, cur.dImm); break;
            case HandlerId.MOV_ALOb: setReg8(EAX, mmu.rd8(cur.dSeg, moffs())); break;
            case HandlerId.MOV_eAXOv: setReg(EAX, sz, mmu.rd(cur.dSeg, moffs(), sz)); break;
            case HandlerId.MOV_ObAL: mmu.wr8(cur.dSeg, moffs(), reg[EAX]); break;
            case HandlerId.MOV_OveAX: mmu.wr(cur.dSeg, moffs(), sz, reg[EAX]); break;
            case HandlerId.LEA: setReg(cur.dReg, sz, eaOff); break;
            case HandlerId.NOP:
            case HandlerId.NOP_Ev:
                break;
            case HandlerId.PUSH_Zv: push(reg[cur.dSub], sz); break;
            case HandlerId.POP_Zv: {
                int v = pop(sz);
                setReg(cur.dSub, sz, v);
                break;
            }
            case HandlerId.PUSH_I: push(cur.dImm, sz); break;
            case HandlerId.PUSH_Ev: push(readE(sz), sz); break;
            case HandlerId.POP_Ev: {
                // the effective address is computed with the incremented stack pointer
                int v = peek(sz, 0);
                int oldEsp = reg[ESP];
                adjustSp(sz == 2 ? 4 : 2);
                if (cur.dMod != 3) {
                    eaOff = computeEa();
                    try {
                        writeE(sz, v);
                    } catch (CpuFault f) {
                        reg[ESP] = oldEsp;
                        throw f;
                    }
                } else {
                    setReg(cur.dRm, sz, v);
                }
                break;
            }
            case HandlerId.JCC:
                if (LazyFlags.cond(this, cur.dSub)) next = branchTarget(next + cur.dImm);
                break;
            case HandlerId.JMP_J: next = branchTarget(next + cur.dImm); break;
            case HandlerId.JMP_Ev: next = branchTarget(readE(sz)); break;
            case HandlerId.CALL_Jz: {
                int t = branchTarget(next + cur.dImm);
                push(next, sz);
                next = t;
                break;
            }
            case HandlerId.CALL_Ev: {
                int t = branchTarget(readE(sz));
                push(next, sz);
                next = t;
                break;
            }
            case HandlerId.RET: {
                int t = peek(sz, 0);
                if (sz == 1) t &= 0xFFFF;
                t = branchTarget(t);
                adjustSp(sz == 2 ? 4 : 2);
                next = t;
                break;
            }
            case HandlerId.RET_Iw: {
                int t = peek(sz, 0);
                if (sz == 1) t &= 0xFFFF;
                t = branchTarget(t);
                adjustSp((sz == 2 ? 4 : 2) + (cur.dImm & 0xFFFF));
                next = t;
                break;
            }
            case HandlerId.MOVS:
            case HandlerId.CMPS:
            case HandlerId.STOS:
            case HandlerId.LODS:
            case HandlerId.SCAS:
            case HandlerId.INS:
            case HandlerId.OUTS:
                // Strings counts retired iterations itself
                eip = Strings.execute(this, cur.dSub == 1 ? 0 : sz) ? next : startEip;
                return;
            default:
                next = executeRare(next, sz);
                break;
        }
        eip = next;
        icount++;
    }

    /**
     * The 32-bit specializations of the most frequent forms, in a method small enough for the JIT
     * to compile with their memory and flag helpers inlined (a LOCK prefix has been checked).
     */
    private void executeSpecial32() {
        if (cur.dMod != 3) eaOff = computeEa();
        int next = eip + cur.dLen;
        if (!code32) next &= 0xFFFF;
        switch (cur.dHandler) {
            case HandlerId.MOV_EvGv32:
                if (cur.dMod == 3) reg[cur.dRm] = reg[cur.dReg];
                else mmu.wr32(cur.dSeg, eaOff, reg[cur.dReg]);
                break;
            case HandlerId.MOV_GvEv32:
                reg[cur.dReg] = cur.dMod == 3 ? reg[cur.dRm] : mmu.rd32(cur.dSeg, eaOff);
                break;
            case HandlerId.ALU_EvGv32: {
                int op = cur.dSub;
                if (cur.dMod == 3) {
                    int r = LazyFlags.alu32(this, op, reg[cur.dRm], reg[cur.dReg]);
                    if (op != 7) reg[cur.dRm] = r;
                } else {
                    int r = LazyFlags.alu32(this, op, op != 7 ? mmu.rdw(cur.dSeg, eaOff, 2) : mmu.rd32(cur.dSeg, eaOff), reg[cur.dReg]);
                    if (op != 7) mmu.wr32(cur.dSeg, eaOff, r);
                }
                break;
            }
            case HandlerId.ALU_GvEv32: {
                int r = LazyFlags.alu32(this, cur.dSub, reg[cur.dReg], cur.dMod == 3 ? reg[cur.dRm] : mmu.rd32(cur.dSeg, eaOff));
                if (cur.dSub != 7) reg[cur.dReg] = r;
                break;
            }
            case HandlerId.ALU_EvIz32: {
                int op = cur.dSub;
                if (cur.dMod == 3) {
                    int r = LazyFlags.alu32(this, op, reg[cur.dRm], cur.dImm);
                    if (op != 7) reg[cur.dRm] = r;
                } else {
                    int r = LazyFlags.alu32(this, op, op != 7 ? mmu.rdw(cur.dSeg, eaOff, 2) : mmu.rd32(cur.dSeg, eaOff), cur.dImm);
                    if (op != 7) mmu.wr32(cur.dSeg, eaOff, r);
                }
                break;
            }
            case HandlerId.TEST_EvGv32: {
                int r = (cur.dMod == 3 ? reg[cur.dRm] : mmu.rd32(cur.dSeg, eaOff)) & reg[cur.dReg];
                lfDst = 0;
                lfSrc = 0;
                lfRes = r;
                lfOp = LazyFlags.LF_LOGIC << 2 | 2;
                break;
            }
            case HandlerId.INC_Zv32: reg[cur.dSub] = LazyFlags.inc(this, reg[cur.dSub], 2); break;
            case HandlerId.DEC_Zv32: reg[cur.dSub] = LazyFlags.dec(this, reg[cur.dSub], 2); break;
            case HandlerId.PUSH_Zv32: push(reg[cur.dSub], 2); break;
            case HandlerId.POP_Zv32: reg[cur.dSub] = pop(2); break;
            case HandlerId.MOV_ZvIv32: reg[cur.dSub] = cur.dImm; break;
            case HandlerId.LEA32:
                if (cur.dMod == 3) throw ud();
                reg[cur.dReg] = eaOff;
                break;
            default:
                throw new IllegalStateException("not a specialized handler: " + HandlerId.NAMES[cur.dHandler]);
        }
        eip = next;
        icount++;
    }

    /** The less frequent one-byte forms, and everything in {@link Exec2}; returns the next EIP. */
    private int executeRare(int next, int sz) {
        switch (cur.dHandler) {
            case HandlerId.MOV_EvSw: {
                if (cur.dReg > 5) throw ud();
                // to memory always 16 bits; to a register, 32-bit operand size zero-extends
                if (cur.dMod == 3) setReg(cur.dRm, sz, segSel[cur.dReg]);
                else mmu.wr16(cur.dSeg, eaOff, segSel[cur.dReg]);
                break;
            }
            case HandlerId.MOV_SwEw: {
                if (cur.dReg > 5 || cur.dReg == CS) throw ud();
                int sel = readE(1);
                loadSeg(cur.dReg, sel);
                if (cur.dReg == SS) inhibitIrq = true;
                break;
            }
            case HandlerId.XCHG_EbGb: {
                int a = readEw(0);
                writeE(0, getReg8(cur.dReg));
                setReg8(cur.dReg, a);
                break;
            }
            case HandlerId.XCHG_EvGv: {
                int a = readEw(sz);
                writeE(sz, getReg(cur.dReg, sz));
                setReg(cur.dReg, sz, a);
                break;
            }
            case HandlerId.XCHG_eAX: {
                int a = getReg(EAX, sz);
                setReg(EAX, sz, getReg(cur.dSub, sz));
                setReg(cur.dSub, sz, a);
                break;
            }
            case HandlerId.CBW:
                if (sz == 2) reg[EAX] = (short) reg[EAX];
                else setReg(EAX, 1, (byte) reg[EAX]);
                break;
            case HandlerId.CWD:
                if (sz == 2) reg[EDX] = reg[EAX] >> 31;
                else setReg(EDX, 1, ((short) reg[EAX]) >> 15);
                break;
            case HandlerId.PUSH_SEG: push(segSel[cur.dSub], sz, true); break;
            case HandlerId.POP_SEG: {
                int v = peek(sz, 0) & 0xFFFF;
                loadSeg(cur.dSub, v);
                adjustSp(sz == 2 ? 4 : 2);
                if (cur.dSub == SS) inhibitIrq = true;
                break;
            }
            case HandlerId.PUSHA: pusha(sz); break;
            case HandlerId.POPA: popa(sz); break;
            case HandlerId.PUSHF: {
                if (v86() && iopl() < 3) throw gp(0);
                int f = getEflags() & ~(RF | VM);
                push(f, sz);
                break;
            }
            case HandlerId.POPF: popf(sz); break;
            case HandlerId.SAHF: {
                LazyFlags.materialize(this);
                eflags = (eflags & ~(SF | ZF | AF | PF | CF)) | ((reg[EAX] >>> 8) & (SF | ZF | AF | PF | CF));
                break;
            }
            case HandlerId.LAHF: setReg8(4, (getEflags() & (SF | ZF | AF | PF | CF)) | 2); break;
            case HandlerId.CLC: LazyFlags.setCFOnly(this, false); break;
            case HandlerId.STC: LazyFlags.setCFOnly(this, true); break;
            case HandlerId.CMC: LazyFlags.setCFOnly(this, !LazyFlags.getCF(this)); break;
            case HandlerId.CLD: eflags &= ~DF; break;
            case HandlerId.STD: eflags |= DF; break;
            case HandlerId.CLI:
                if (protectedMode() && cpl > iopl()) throw gp(0);
                eflags &= ~IF;
                break;
            case HandlerId.STI:
                if (protectedMode() && cpl > iopl()) throw gp(0);
                if ((eflags & IF) == 0) inhibitIrq = true;
                eflags |= IF;
                break;
            case HandlerId.SALC: setReg8(EAX, LazyFlags.getCF(this) ? 0xFF : 0); break;
            case HandlerId.XLAT: {
                int off = cur.dAddr32 ? reg[EBX] + (reg[EAX] & 0xFF) : (reg[EBX] + (reg[EAX] & 0xFF)) & 0xFFFF;
                setReg8(EAX, mmu.rd8(cur.dSeg, off));
                break;
            }
            case HandlerId.LOOP: {
                int c = cur.dAddr32 ? reg[ECX] - 1 : (reg[ECX] - 1) & 0xFFFF;
                boolean take = c != 0;
                if (cur.dSub == 0) take &= !LazyFlags.getZF(this);
                else if (cur.dSub == 1) take &= LazyFlags.getZF(this);
                int t = take ? branchTarget(next + cur.dImm) : next;
                if (cur.dAddr32) reg[ECX] = c;
                else setReg(ECX, 1, c);
                next = t;
                break;
            }
            case HandlerId.JCXZ: {
                int c = cur.dAddr32 ? reg[ECX] : reg[ECX] & 0xFFFF;
                if (c == 0) next = branchTarget(next + cur.dImm);
                break;
            }
            case HandlerId.JMPF_Ap: {
                int off = sz == 2 ? cur.dImm : cur.dImm & 0xFFFF;
                farJump(cur.dImm2 & 0xFFFF, off, next);
                next = eip;
                break;
            }
            case HandlerId.JMPF_Ep: {
                int off = mmu.rd(cur.dSeg, eaOff, sz);
                int sel = mmu.rd16(cur.dSeg, eaOff + (sz == 2 ? 4 : 2));
                farJump(sel, off, next);
                next = eip;
                break;
            }
            case HandlerId.CALLF_Ap: {
                int off = sz == 2 ? cur.dImm : cur.dImm & 0xFFFF;
                farCall(cur.dImm2 & 0xFFFF, off, sz, next);
                next = eip;
                break;
            }
            case HandlerId.CALLF_Ep: {
                int off = mmu.rd(cur.dSeg, eaOff, sz);
                int sel = mmu.rd16(cur.dSeg, eaOff + (sz == 2 ? 4 : 2));
                farCall(sel, off, sz, next);
                next = eip;
                break;
            }
            case HandlerId.RETF: {
                farReturn(sz, cur.dSub == 1 ? cur.dImm & 0xFFFF : 0);
                next = eip;
                break;
            }
            case HandlerId.INT3:
                eip = next;
                softInt(3, true);
                next = eip;
                break;
            case HandlerId.INT1:
                eip = next;
                deliver(1, false, 0, false, false);
                next = eip;
                break;
            case HandlerId.INT_Ib:
                if (v86() && iopl() < 3) throw gp(0);
                eip = next;
                softInt(cur.dImm & 0xFF, false);
                next = eip;
                break;
            case HandlerId.INTO:
                if (LazyFlags.getOF(this)) {
                    eip = next;
                    softInt(4, true);
                    next = eip;
                }
                break;
            case HandlerId.IRET:
                iret(sz);
                next = eip;
                break;
            case HandlerId.HLT:
                if (protectedMode() && cpl != 0) throw gp(0);
                halted = true;
                break;
            case HandlerId.IN_I: ioIn(cur.dImm & 0xFF, cur.dSub == 1 ? 0 : sz); break;
            case HandlerId.IN_DX: ioIn(reg[EDX] & 0xFFFF, cur.dSub == 1 ? 0 : sz); break;
            case HandlerId.OUT_I: ioOut(cur.dImm & 0xFF, cur.dSub == 1 ? 0 : sz); break;
            case HandlerId.OUT_DX: ioOut(reg[EDX] & 0xFFFF, cur.dSub == 1 ? 0 : sz); break;
            default:
                Exec2.execute(this, sz);
                if (jumped) {
                    jumped = false;
                    next = eip;
                }
                break;
        }
        return next;
    }

    private static final int CHECK_MASK = (OpTable.MEM_ONLY | OpTable.PM_ONLY) << 27;

    /** Set by handlers in {@link Exec2} that transfer control (they set {@link #eip}). */
    boolean jumped;

    int moffs() {
        return cur.dAddr32 ? cur.dImm : cur.dImm & 0xFFFF;
    }

    int readE(int sz) {
        if (cur.dMod == 3) return getReg(cur.dRm, sz);
        return mmu.rd(cur.dSeg, eaOff, sz);
    }

    /** The E operand of a read-modify-write instruction (see {@link #rdw}). */
    int readEw(int sz) {
        if (cur.dMod == 3) return getReg(cur.dRm, sz);
        return mmu.rdw(cur.dSeg, eaOff, sz);
    }

    void writeE(int sz, int v) {
        if (cur.dMod == 3) setReg(cur.dRm, sz, v);
        else mmu.wr(cur.dSeg, eaOff, sz, v);
    }

    /** Checks a near branch target against the CS limit; returns it masked to the operand size. */
    int branchTarget(int t) {
        if (!cur.dOp32) t &= 0xFFFF;
        if (Integer.compareUnsigned(t, segLimit[CS]) > 0) throw gp(0);
        return t;
    }

    int iopl() {
        return (eflags >>> 12) & 3;
    }

    // ================================================================== stack

    void push(int v, int sz) {
        push(v, sz, false);
    }

    /** Pushes; a segment register push with 32-bit operand size writes only 16 bits on a P6. */
    void push(int v, int sz, boolean segPush) {
        int n = sz == 2 ? 4 : 2;
        int sp = stack32 ? reg[ESP] - n : (reg[ESP] - n) & 0xFFFF;
        if (sz == 2) {
            if (segPush) mmu.wr16(SS, sp, v);
            else mmu.wr32(SS, sp, v);
        } else {
            mmu.wr16(SS, sp, v);
        }
        setSp(sp);
    }

    int pop(int sz) {
        int v = peek(sz, 0);
        adjustSp(sz == 2 ? 4 : 2);
        return v;
    }

    /** Reads the stack at SP + {@code offset} without moving SP. */
    int peek(int sz, int offset) {
        int sp = stack32 ? reg[ESP] + offset : (reg[ESP] + offset) & 0xFFFF;
        return sz == 2 ? mmu.rd32(SS, sp) : mmu.rd16(SS, sp);
    }

    void adjustSp(int n) {
        if (stack32) reg[ESP] += n;
        else reg[ESP] = (reg[ESP] & 0xFFFF0000) | ((reg[ESP] + n) & 0xFFFF);
    }

    void setSp(int sp) {
        if (stack32) reg[ESP] = sp;
        else reg[ESP] = (reg[ESP] & 0xFFFF0000) | (sp & 0xFFFF);
    }

    private void pusha(int sz) {
        int n = sz == 2 ? 4 : 2;
        int sp = reg[ESP];
        for (int r = 0; r < 8; r++) {
            int a = stack32 ? sp - n * (r + 1) : (sp - n * (r + 1)) & 0xFFFF;
            int v = r == ESP ? sp : reg[r];
            if (sz == 2) mmu.wr32(SS, a, v);
            else mmu.wr16(SS, a, v);
        }
        setSp(stack32 ? sp - 8 * n : (sp - 8 * n) & 0xFFFF);
    }

    private void popa(int sz) {
        int n = sz == 2 ? 4 : 2;
        int[] v = tmp8;
        for (int i = 0; i < 8; i++) v[7 - i] = peek(sz, i * n);
        for (int r = 0; r < 8; r++) {
            if (r != ESP) setReg(r, sz, v[r]);
        }
        adjustSp(8 * n);
    }

    private final int[] tmp8 = new int[8];
    /** Scratch space for stack frames built by gates (no allocation per interrupt or call). */
    final int[] scratchA = new int[40];
    final int[] scratchB = new int[32];
    final long[] descTmp = new long[1];

    private void popf(int sz) {
        if (v86() && iopl() < 3) throw gp(0);
        int v = sz == 2 ? peek(2, 0) : peek(1, 0) & 0xFFFF;
        adjustSp(sz == 2 ? 4 : 2);
        writeEflagsFromPop(v, sz);
    }

    /** EFLAGS load with the privilege rules of POPF/IRET at the same level. */
    void writeEflagsFromPop(int v, int sz) {
        int changeable = ARITH | TF | DF | NT | OF;
        if (sz == 2) changeable |= AC | ID;
        if (!protectedMode()) {
            changeable |= IF | IOPL;
        } else if (v86()) {
            changeable |= IF; // IOPL == 3 here
        } else {
            if (cpl == 0) changeable |= IOPL;
            if (cpl <= iopl()) changeable |= IF;
        }
        if (sz == 1) changeable &= 0xFFFF;
        LazyFlags.materialize(this);
        eflags = (eflags & ~changeable) | (v & changeable) | Flags.FIXED_ONE;
        eflags &= ~RF;
    }

    // ================================================================== I/O

    private void ioIn(int port, int sz) {
        int bytes = sz == 2 ? 4 : sz == 1 ? 2 : 1;
        checkIoPermission(port, bytes);
        int v = io.in(port, bytes);
        setReg(EAX, sz, v);
    }

    private void ioOut(int port, int sz) {
        int bytes = sz == 2 ? 4 : sz == 1 ? 2 : 1;
        checkIoPermission(port, bytes);
        io.out(port, bytes, getReg(EAX, sz));
    }

    /** I/O privilege: CPL > IOPL (or v86 mode) consults the TSS I/O permission bitmap. */
    void checkIoPermission(int port, int bytes) {
        if (!protectedMode() || (!v86() && cpl <= iopl())) return;
        // 32-bit TSS only; the bitmap base is at offset 0x66
        if ((trAttr & 0xF) != 0x9 && (trAttr & 0xF) != 0xB) throw gp(0);
        if (Integer.compareUnsigned(trLimit, 0x67) < 0) throw gp(0);
        int bmBase = mmu.sysRd16(trBase + 0x66);
        int byteOff = bmBase + (port >>> 3);
        if (Integer.compareUnsigned(byteOff + 1, trLimit) > 0) throw gp(0);
        int bits = mmu.sysRd16(trBase + byteOff);
        int m = ((1 << bytes) - 1) << (port & 7);
        if ((bits & m) != 0) throw gp(0);
    }

    // ================================================================== segments (protected mode)

    /** Reads the 8-byte descriptor for {@code sel}; raises #GP(sel) when outside the table. */
    long readDescriptor(int sel, int errVector) {
        int index = sel & 0xFFF8;
        int base, limit;
        if ((sel & 4) != 0) {
            if ((ldtrAttr & 0x80) == 0 || ldtrSel == 0) throw fault(errVector, sel & 0xFFFC);
            base = ldtrBase;
            limit = ldtrLimit;
        } else {
            base = gdtrBase;
            limit = gdtrLimit;
        }
        if (Integer.compareUnsigned(index + 7, limit) > 0) throw fault(errVector, sel & 0xFFFC);
        int lo = mmu.sysRd32(base + index);
        int hi = mmu.sysRd32(base + index + 4);
        return (lo & 0xFFFFFFFFL) | ((long) hi << 32);
    }

    static int descBase(long d) {
        return (int) (((d >>> 16) & 0xFFFFFF) | ((d >>> 32) & 0xFF000000L));
    }

    static int descLimit(long d) {
        int lim = (int) ((d & 0xFFFF) | ((d >>> 32) & 0xF0000));
        if ((d & (1L << 55)) != 0) lim = (lim << 12) | 0xFFF;
        return lim;
    }

    /** Descriptor bits 40..55 (access byte and flags). */
    static int descAttr(long d) {
        return (int) ((d >>> 40) & 0xF0FF);
    }

    /** Sets the accessed bit of a code/data descriptor in memory. */
    void setAccessed(int sel, long d) {
        if ((d & (1L << 40)) == 0) {
            int base = (sel & 4) != 0 ? ldtrBase : gdtrBase;
            int a = base + (sel & 0xFFF8) + 5;
            mmu.sysWr8(a, mmu.sysRd8(a) | 1);
        }
    }

    /** MOV/POP/LxS to a data segment register or SS, with all protected-mode checks. */
    void loadSeg(int s, int sel) {
        sel &= 0xFFFF;
        if (!protectedMode() || v86()) {
            loadSegmentReal(s, sel);
            if (v86()) {
                segLimit[s] = 0xFFFF;
                segAttr[s] = s == CS ? 0xF3 : 0xF3;
            }
            if (s == SS) stack32 = false;
            return;
        }
        if ((sel & 0xFFFC) == 0) {
            if (s == SS) throw gp(0);
            segSel[s] = sel;
            segBase[s] = 0;
            segLimit[s] = 0;
            segAttr[s] = 0;
            segUsable[s] = false;
            return;
        }
        long d = readDescriptor(sel, 13);
        int attr = descAttr(d);
        int dpl = (attr >>> 5) & 3;
        int rpl = sel & 3;
        boolean present = (attr & 0x80) != 0;
        if (s == SS) {
            // writable data, RPL == CPL == DPL
            if ((attr & 0x10) == 0 || (attr & 0x8) != 0 || (attr & 0x2) == 0 || rpl != cpl || dpl != cpl) {
                throw gp(sel & 0xFFFC);
            }
            if (!present) throw fault(12, sel & 0xFFFC);
        } else {
            if ((attr & 0x10) == 0) throw gp(sel & 0xFFFC);
            boolean code = (attr & 0x8) != 0;
            if (code && (attr & 0x2) == 0) throw gp(sel & 0xFFFC); // execute-only
            boolean conforming = code && (attr & 0x4) != 0;
            if (!conforming && (rpl > dpl || cpl > dpl)) throw gp(sel & 0xFFFC);
            if (!present) throw fault(11, sel & 0xFFFC);
        }
        setAccessed(sel, d);
        setSegmentCache(s, sel, descBase(d), descLimit(d), attr | 1);
    }

    /** Loads CS from a code descriptor already checked by the caller, at privilege {@code newCpl}. */
    void loadCs(int sel, long d, int newCpl) {
        setAccessed(sel, d);
        setSegmentCache(CS, (sel & 0xFFFC) | newCpl, descBase(d), descLimit(d), descAttr(d) | 1);
        cpl = newCpl;
        updateMode();
    }

    /** Checks a code-segment descriptor for a far JMP/CALL to it directly (no gate). */
    private void checkDirectCode(int sel, long d) {
        int attr = descAttr(d);
        int dpl = (attr >>> 5) & 3;
        int rpl = sel & 3;
        if ((attr & 0x18) != 0x18) throw gp(sel & 0xFFFC);
        if ((attr & 0x4) != 0) {
            if (dpl > cpl) throw gp(sel & 0xFFFC);
        } else if (rpl > cpl || dpl != cpl) {
            throw gp(sel & 0xFFFC);
        }
        if ((attr & 0x80) == 0) throw fault(11, sel & 0xFFFC);
    }

    void farJump(int sel, int off, int next) {
        if (!protectedMode() || v86()) {
            if (Integer.compareUnsigned(off, segLimit[CS]) > 0 && !v86() && false) throw gp(0);
            loadSegmentReal(CS, sel);
            eip = off;
            return;
        }
        if ((sel & 0xFFFC) == 0) throw gp(0);
        long d = readDescriptor(sel, 13);
        int attr = descAttr(d);
        if ((attr & 0x10) != 0) {
            checkDirectCode(sel, d);
            if (Integer.compareUnsigned(off, descLimit(d)) > 0) throw gp(0);
            loadCs(sel, d, cpl);
            eip = off;
            return;
        }
        int type = attr & 0x1F;
        if (type == 0x04 || type == 0x0C) {
            // call gate used by JMP: no privilege change
            int dpl = (attr >>> 5) & 3;
            if (dpl < cpl || dpl < (sel & 3)) throw gp(sel & 0xFFFC);
            if ((attr & 0x80) == 0) throw fault(11, sel & 0xFFFC);
            int csSel = (int) ((d >>> 16) & 0xFFFF);
            int target = (int) ((d & 0xFFFF) | (type == 0x0C ? ((d >>> 32) & 0xFFFF0000L) : 0));
            if ((csSel & 0xFFFC) == 0) throw gp(0);
            long cd = readDescriptor(csSel, 13);
            int ca = descAttr(cd);
            int cdpl = (ca >>> 5) & 3;
            if ((ca & 0x18) != 0x18) throw gp(csSel & 0xFFFC);
            if (((ca & 0x4) != 0 && cdpl > cpl) || ((ca & 0x4) == 0 && cdpl != cpl)) throw gp(csSel & 0xFFFC);
            if ((ca & 0x80) == 0) throw fault(11, csSel & 0xFFFC);
            if (Integer.compareUnsigned(target, descLimit(cd)) > 0) throw gp(0);
            loadCs(csSel, cd, cpl);
            eip = target;
            return;
        }
        if (type == 0x05 || type == 0x09 || type == 0x01) {
            Tasks.switchByJumpOrCall(this, sel, d, false, next);
            return;
        }
        throw gp(sel & 0xFFFC);
    }

    void farCall(int sel, int off, int sz, int next) {
        if (!protectedMode() || v86()) {
            int oldCs = segSel[CS];
            // push CS then IP; both writes are checked before anything changes
            int n = sz == 2 ? 4 : 2;
            int sp1 = stack32 ? reg[ESP] - n : (reg[ESP] - n) & 0xFFFF;
            int sp2 = stack32 ? reg[ESP] - 2 * n : (reg[ESP] - 2 * n) & 0xFFFF;
            if (sz == 2) {
                mmu.wr32(SS, sp1, oldCs);
                mmu.wr32(SS, sp2, next);
            } else {
                mmu.wr16(SS, sp1, oldCs);
                mmu.wr16(SS, sp2, next);
            }
            setSp(sp2);
            loadSegmentReal(CS, sel);
            eip = sz == 2 ? off : off & 0xFFFF;
            return;
        }
        if ((sel & 0xFFFC) == 0) throw gp(0);
        long d = readDescriptor(sel, 13);
        int attr = descAttr(d);
        if ((attr & 0x10) != 0) {
            checkDirectCode(sel, d);
            if (Integer.compareUnsigned(off, descLimit(d)) > 0) throw gp(0);
            int n = sz == 2 ? 4 : 2;
            int sp1 = stack32 ? reg[ESP] - n : (reg[ESP] - n) & 0xFFFF;
            int sp2 = stack32 ? reg[ESP] - 2 * n : (reg[ESP] - 2 * n) & 0xFFFF;
            if (sz == 2) {
                mmu.wr32(SS, sp1, segSel[CS]);
                mmu.wr32(SS, sp2, next);
            } else {
                mmu.wr16(SS, sp1, segSel[CS]);
                mmu.wr16(SS, sp2, next);
            }
            setSp(sp2);
            loadCs(sel, d, cpl);
            eip = off;
            return;
        }
        int type = attr & 0x1F;
        if (type == 0x04 || type == 0x0C) {
            Gates.callGate(this, sel, d, next);
            return;
        }
        if (type == 0x05 || type == 0x09 || type == 0x01) {
            Tasks.switchByJumpOrCall(this, sel, d, true, next);
            return;
        }
        throw gp(sel & 0xFFFC);
    }

    void farReturn(int sz, int extra) {
        int n = sz == 2 ? 4 : 2;
        int off = peek(sz, 0);
        int sel = peek(sz, n) & 0xFFFF;
        if (sz == 1) off &= 0xFFFF;
        if (!protectedMode() || v86()) {
            loadSegmentReal(CS, sel);
            eip = off;
            adjustSp(2 * n + extra);
            return;
        }
        if ((sel & 0xFFFC) == 0) throw gp(0);
        long d = readDescriptor(sel, 13);
        int attr = descAttr(d);
        int rpl = sel & 3;
        int dpl = (attr >>> 5) & 3;
        if (rpl < cpl) throw gp(sel & 0xFFFC);
        if ((attr & 0x18) != 0x18) throw gp(sel & 0xFFFC);
        if ((attr & 0x4) != 0 ? dpl > rpl : dpl != rpl) throw gp(sel & 0xFFFC);
        if ((attr & 0x80) == 0) throw fault(11, sel & 0xFFFC);
        if (rpl == cpl) {
            if (Integer.compareUnsigned(off, descLimit(d)) > 0) throw gp(0);
            loadCs(sel, d, cpl);
            eip = off;
            adjustSp(2 * n + extra);
            return;
        }
        // return to an outer privilege level: pop SS:ESP too
        int newEsp = peek(sz, 2 * n + extra);
        int newSs = peek(sz, 3 * n + extra) & 0xFFFF;
        checkOuterSs(newSs, rpl);
        if (Integer.compareUnsigned(off, descLimit(d)) > 0) throw gp(0);
        long ssd = readDescriptor(newSs, 13);
        loadCs(sel, d, rpl);
        setAccessed(newSs, ssd);
        setSegmentCache(SS, newSs, descBase(ssd), descLimit(ssd), descAttr(ssd) | 1);
        reg[ESP] = sz == 2 || stack32 ? newEsp + extra : (reg[ESP] & 0xFFFF0000) | ((newEsp + extra) & 0xFFFF);
        if (!stack32) reg[ESP] = (reg[ESP] & 0xFFFF0000) | ((newEsp + extra) & 0xFFFF);
        eip = off;
        invalidateOuterSegments();
    }

    void checkOuterSs(int ss, int rpl) {
        if ((ss & 0xFFFC) == 0) throw gp(0);
        long sd = readDescriptor(ss, 13);
        int a = descAttr(sd);
        if ((ss & 3) != rpl || ((a >>> 5) & 3) != rpl || (a & 0x1A) != 0x12) throw gp(ss & 0xFFFC);
        if ((a & 0x80) == 0) throw fault(12, ss & 0xFFFC);
    }

    /** After a return to an outer level, data segments the new CPL may not use become null. */
    void invalidateOuterSegments() {
        for (int s : DATA_SEGS) {
            int a = segAttr[s];
            boolean conformingCode = (a & 0x1C) == 0x1C;
            int dpl = (a >>> 5) & 3;
            if (segUsable[s] && !conformingCode && dpl < cpl) {
                segSel[s] = 0;
                segUsable[s] = false;
                segBase[s] = 0;
                segLimit[s] = 0;
                segAttr[s] = 0;
            }
        }
    }

    static final int[] DATA_SEGS = {ES, DS, FS, GS};

    // ================================================================== interrupts

    /** INT n / INT3 / INTO: software interrupts check the gate DPL against CPL in protected mode. */
    void softInt(int vector, boolean isInt3OrInto) {
        noTrap = true;
        deliver(vector, false, 0, false, false, true);
    }

    void deliver(int vector, boolean hasCode, int code, boolean isFault, boolean external) {
        deliver(vector, hasCode, code, isFault, external, false);
    }

    /**
     * Delivers interrupt or exception {@code vector}. EIP must already hold the return address
     * (the faulting instruction for faults, the next instruction for traps and INT n).
     */
    void deliver(int vector, boolean hasCode, int code, boolean isFault, boolean external, boolean soft) {
        halted = false;
        if (!protectedMode()) {
            int off = vector * 4;
            if (Integer.compareUnsigned(off + 3, idtrLimit) > 0) throw gp(0);
            int target = mmu.lrd16(idtrBase + off);
            int sel = mmu.lrd16(idtrBase + off + 2);
            int f = getEflags();
            int sp1 = (reg[ESP] - 2) & 0xFFFF, sp2 = (reg[ESP] - 4) & 0xFFFF, sp3 = (reg[ESP] - 6) & 0xFFFF;
            mmu.wr16(SS, sp1, f);
            mmu.wr16(SS, sp2, segSel[CS]);
            mmu.wr16(SS, sp3, eip);
            setSp(sp3);
            eflags &= ~(IF | TF | AC | RF);
            loadSegmentReal(CS, sel);
            eip = target;
            return;
        }
        Gates.deliverProtected(this, vector, hasCode, code, external, soft);
    }

    void iret(int sz) {
        if (!protectedMode()) {
            int n = sz == 2 ? 4 : 2;
            int off = peek(sz, 0);
            int sel = peek(sz, n) & 0xFFFF;
            int f = peek(sz, 2 * n);
            if (sz == 1) off &= 0xFFFF;
            if (Integer.compareUnsigned(off, segLimit[CS]) > 0) throw gp(0);
            loadSegmentReal(CS, sel);
            eip = off;
            adjustSp(3 * n);
            writeEflagsFromPop(f, sz);
            return;
        }
        Gates.iretProtected(this, sz);
    }

    // ================================================================== control registers

    void writeCr0(int v) {
        int old = cr0;
        if ((v & CR0_PG) != 0 && (v & CR0_PE) == 0) throw gp(0);
        if ((v & CR0_NW) != 0 && (v & CR0_CD) == 0) throw gp(0);
        cr0 = v | CR0_ET;
        if (((old ^ cr0) & (CR0_PG | CR0_WP | CR0_PE)) != 0) flushTlbAll();
        updateMode();
    }

    void writeCr3(int v) {
        cr3 = v;
        mmu.flushTlbNonGlobal();
    }

    void writeCr4(int v) {
        int supported = CR4_TSD | CR4_DE | CR4_PSE | CR4_PGE;
        if ((v & ~supported) != 0) throw gp(0);
        int old = cr4;
        cr4 = v;
        if (((old ^ v) & (CR4_PSE | CR4_PGE)) != 0) flushTlbAll();
    }

    long readTsc() {
        return tscSource.getAsLong() + tscOffset;
    }

    private Runnable ferrHook = () -> { };

    /** Legacy FERR# path: the machine raises IRQ 13 here. */
    public void setFerrHook(Runnable r) {
        this.ferrHook = r;
    }

    void fpuIrq13() {
        ferrHook.run();
    }

    /** CPUID for a P6-class CPU advertising exactly what is implemented. */
    void cpuid() {
        int leaf = reg[EAX];
        switch (leaf) {
            case 0:
                reg[EAX] = 1;
                // "GenuineIntel"
                reg[EBX] = 0x756E6547;
                reg[EDX] = 0x49656E69;
                reg[ECX] = 0x6C65746E;
                break;
            case 1:
                reg[EAX] = 0x0633; // family 6, model 3, stepping 3
                reg[EBX] = 0;
                reg[ECX] = 0;
                reg[EDX] = CPUID_FEATURES;
                break;
            default:
                reg[EAX] = reg[EBX] = reg[ECX] = reg[EDX] = 0;
        }
    }

    /** FPU, DE, PSE, TSC, MSR, CX8, PGE, CMOV. */
    public static final int CPUID_FEATURES = 1 | (1 << 2) | (1 << 3) | (1 << 4) | (1 << 5) | (1 << 8) | (1 << 13)
            | (1 << 15);
}
