package dev.tandem.core.difftest;

import java.util.HexFormat;

/** One generated case: an initial state and one instruction, plus what the SDM leaves undefined. */
final class TestCase {
    static final int SCRATCH_SIZE = 256;
    static final String[] REG_NAMES = {"EAX", "ECX", "EDX", "EBX", "ESP", "EBP", "ESI", "EDI"};

    final Form form;
    /** EAX..EDI. ESP (index 4) is always 0 here: both sides start ESP at their own stack top. */
    final int[] regs = new int[8];
    int eflags;
    /**
     * Bit r: the initial regs[r] is an offset into the scratch block; each side adds its own
     * scratch base. Bit 8+r: the final regs[r] is reported minus the side's scratch base.
     * For ESP only bit 4 counts: set, ESP starts (and is reported) relative to the scratch base;
     * clear, relative to the side's stack top.
     */
    int relMask;
    byte[] code;
    /**
     * Fault layout: the scratch block is the last 256 bytes of a read/write page, followed by a
     * not-present (unmapped) guard page at offset 0x100 and a read-only page at offset 0x1100;
     * the instruction runs in user mode on both sides (natively always, in the emulator at CPL 3
     * with paging on).
     */
    boolean faultLayout;
    static final int GUARD_OFF = 0x100, RO_OFF = 0x1100;
    final byte[] scratch = new byte[SCRATCH_SIZE];

    /** Registers (bit per EAX..EDI) whose value at a fault is host-specific (POPA loads some before faulting). */
    int faultRegsUnspecified;
    /** A REPE/REPNE CMPS or SCAS: EFLAGS at a fault after completed iterations are host-specific. */
    boolean repCompare;
    /** For CMPS: the element size in bytes (either operand may fault first); 0 otherwise. */
    int cmpsElement;
    /** Mask of EFLAGS bits that are defined after the instruction (see {@link UndefinedFlags}). */
    int flagsDefined = UndefinedFlags.ALL;
    /** Per register, bits whose final value is undefined. */
    final int[] regUndefined = new int[8];
    /** Scratch bytes whose final value is undefined (bit per byte offset). */
    final boolean[] memUndefined = new boolean[SCRATCH_SIZE];

    TestCase(Form form) {
        this.form = form;
    }

    void undefineReg(int reg32, int bits) {
        regUndefined[reg32] |= bits;
    }

    void undefineMem(int off, int len) {
        for (int i = 0; i < len; i++) memUndefined[off + i] = true;
    }

    String describe() {
        StringBuilder sb = new StringBuilder();
        if (faultLayout) sb.append("  fault layout (guard page at scratch+0x100, read-only page at scratch+0x1100)\n");
        sb.append("  bytes: ").append(HexFormat.ofDelimiter(" ").formatHex(code)).append('\n');
        sb.append("  in:   ");
        for (int r = 0; r < 8; r++) {
            if (r == 4 && (relMask & 0x10) == 0) continue;
            sb.append(REG_NAMES[r]).append('=');
            if ((relMask & (1 << r)) != 0) sb.append("scratch+");
            sb.append(String.format("%08x ", regs[r]));
        }
        sb.append(String.format("EFLAGS=%03x (%s)%n", eflags, Outcome.flagString(eflags)));
        sb.append("  scratch in: ").append(HexFormat.of().formatHex(scratch)).append('\n');
        return sb.toString();
    }
}
