package dev.tandem.core.cpu;

import static dev.tandem.core.cpu.Flags.IF;
import static dev.tandem.core.cpu.Flags.VM;

import dev.tandem.core.io.InterruptController;
import dev.tandem.core.io.IoBus;
import dev.tandem.core.mem.PhysicalMemory;

/**
 * An IA-32 (P6 class) CPU: the architectural state in flat fields, the wiring to memory, I/O, the
 * interrupt controller and the x87, and the public API (reset, run, step, state access).
 *
 * <p>The rest of the package works on this object; each part is a file named after it:
 * <ul>
 * <li>{@link Interpreter}: the run loop, blocks, single steps, dispatch by {@link HandlerId};
 * <li>{@link Decoder} (driven by {@link OpTable}) fills {@link Insn}s, cached in {@link BlockCache};
 * <li>{@link Mmu}: segment checks, software TLB, page walk, every memory access;
 * <li>{@link LazyFlags}: the lazy arithmetic flags and the ALU primitives that set them;
 * <li>handler families: {@link AluOps}, {@link BitOps}, {@link MoveOps}, {@link StackOps},
 *     {@link ControlOps}, {@link StringOps}, {@link SystemOps}, {@link FpuGlue}; with
 *     {@link Operands}, {@link Segments}, {@link Interrupts}, {@link Gates}, {@link Tasks},
 *     {@link Msr} beneath them.
 * </ul>
 * Handlers are static methods taking the {@code Cpu}, so all state stays in this one object and
 * {@link CpuState#walk} remains the one list of it.
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

    /** FPU, DE, PSE, TSC, MSR, CX8, PGE, CMOV. */
    public static final int CPUID_FEATURES = 1 | (1 << 2) | (1 << 3) | (1 << 4) | (1 << 5) | (1 << 8) | (1 << 13)
            | (1 << 15);

    // ------------------------------------------------------------------ architectural state (saved by CpuState)
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

    // ------------------------------------------------------------------ derived state (recomputed on load)
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

    // ------------------------------------------------------------------ the instruction being executed (dead between instructions)
    /** The instruction being executed (a block-cache entry, or {@link #scratchInsn} for single steps). */
    Insn cur;
    /** The instruction decoded by {@link #step}. */
    final Insn scratchInsn = new Insn();
    /** Effective address offset of the memory operand, computed before execution. */
    int eaOff;
    /** ESP at the start of the instruction being executed (restored when it faults). */
    int startEsp;
    /** EIP of the instruction being executed. */
    int startEip;
    /** Set by software interrupts: no single-step trap after them (TF was cleared on entry). */
    boolean noTrap;
    /** Nesting of exception delivery (see {@link Interrupts#handleFault}); 0 at instruction boundaries. */
    int faultDepth;
    /** The count at which the current {@link #run} stops (REP loops stop there too). */
    long runLimit = Long.MAX_VALUE;
    // scratch space, so that no instruction allocates
    final int[] tmp8 = new int[8];
    /** Stack frames built by gates. */
    final int[] scratchA = new int[40];
    final int[] scratchB = new int[32];
    final long[] descTmp = new long[1];

    // ------------------------------------------------------------------ parts
    /** The memory path: segment checks, TLB, page walk (see {@link Mmu}). */
    final Mmu mmu;
    /** Decodes instructions at CS:EIP (see {@link Decoder}). */
    final Decoder decoder = new Decoder(this);
    /** Decoded blocks by physical address (see {@link BlockCache}). */
    final BlockCache blocks;

    // ------------------------------------------------------------------ wiring
    public final PhysicalMemory mem;
    public final IoBus io;
    InterruptController pic;
    /** The one preallocated exception object (see {@link CpuFault}). */
    private final CpuFault fault = new CpuFault();
    /** Time stamp counter source; the machine routes it through the nondeterminism boundary. */
    private java.util.function.LongSupplier tscSource = () -> icount;
    private FpuUnit fpu;
    private Runnable ferrHook = () -> { };

    // ------------------------------------------------------------------ diagnostics and test hooks (not state)
    /** When false every instruction is decoded afresh (for testing the cache itself). */
    public boolean blockCacheEnabled = true;
    /**
     * Opcode-table coverage (tests): when non-null, {@link #step} counts each decoded instruction
     * here, indexed by {@link #formIndex}. Only the single-step path counts; set
     * {@link #blockCacheEnabled} to false to route everything through it.
     */
    public long[] formCounts;
    /** Multi-byte accesses that straddled a segment limit (and faulted). */
    public long straddleFaults;
    /** The vector of the last exception raised by an instruction, or -1. */
    public int lastException = -1;

    /** Optional x87 unit; without one, ESC opcodes and WAIT raise #NM (see {@link FpuGlue}). */
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

    /** Legacy FERR# path: the machine raises IRQ 13 here. */
    public void setFerrHook(Runnable r) {
        this.ferrHook = r;
    }

    // ================================================================== running

    /**
     * Runs until {@link #icount} reaches {@code untilIcount}, the CPU halts, or it shuts down.
     * Returns the instruction count.
     */
    public long run(long untilIcount) {
        return Interpreter.run(this, untilIcount);
    }

    /** Executes one instruction (or one REP iteration), delivering any exception it raises. */
    public void step() {
        Interpreter.step(this);
    }

    /** True when an external interrupt is pending and would be accepted now. */
    public boolean interruptAcceptable() {
        return interruptPending();
    }

    /** True when an external interrupt would be accepted now. */
    boolean interruptPending() {
        return (eflags & IF) != 0 && pic != null && pic.hasInterrupt();
    }

    /** Index of an instruction form in {@link #formCounts}: 9 slots per opcode (no ModRM group, /0../7). */
    public static int formIndex(int opcode, int regField) {
        return opcode * 9 + regField + 1;
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

    /** Recomputes code/stack size, CPL in real and v86 mode, and the TLB tags in use. */
    void updateMode() {
        code32 = (segAttr[CS] & 0x4000) != 0 && protectedMode() && !v86();
        stack32 = (segAttr[SS] & 0x4000) != 0 && protectedMode() && !v86();
        if (!protectedMode()) {
            cpl = 0;
        } else if (v86()) {
            cpl = 3;
        }
        mmu.selectTlb(cpl);
    }

    int iopl() {
        return (eflags >>> 12) & 3;
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

    // ================================================================== memory and caches, from outside

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

    /** Drops every decoded block (used after state is loaded from outside, e.g. a snapshot). */
    public void flushBlockCache() {
        blocks.flush();
    }

    // ================================================================== TSC, FERR#

    long readTsc() {
        return tscSource.getAsLong() + tscOffset;
    }

    void fpuIrq13() {
        ferrHook.run();
    }
}
