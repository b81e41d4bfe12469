package dev.tandem.core.difftest;

import java.util.HexFormat;

/** The state after running one case on one side (native or emulator). */
final class Outcome {
    /** -1 when the instruction completed, else the exception vector (#DE = 0, #UD = 6, #GP = 13, #PF = 14). */
    int vector = -1;
    /** Native signal number, 0 for the emulator side. */
    int signal;
    /** Final EAX..EDI; ESP relative to the side's stack top, scratch-relative registers relative to the scratch base. */
    final int[] regs = new int[8];
    int eflags;
    /** For a fault: EIP at the fault minus the instruction start (0 for a fault, the length for a trap). */
    int faultEip;
    /**
     * For #PF: the faulting linear address minus the side's scratch base (native si_addr, emulator
     * CR2). Natively also set for SIGSEGV/SIGBUS from other causes.
     */
    int faultAddr;
    /** Native: the ucontext's trap number; emulator: the vector (0 when completed). */
    int trapno;
    /** The exception's error code (native: the ucontext's err; for #PF bits P=1, W/R=2, U/S=4). */
    int errorCode;
    final byte[] scratch = new byte[TestCase.SCRATCH_SIZE];
    /** Emulator-side problem that prevents a comparison (did not halt, wrong EIP...), else null. */
    String problem;

    static String flagString(int f) {
        StringBuilder sb = new StringBuilder();
        sb.append((f & 0x800) != 0 ? "O" : "o");
        sb.append((f & 0x400) != 0 ? "D" : "d");
        sb.append((f & 0x080) != 0 ? "S" : "s");
        sb.append((f & 0x040) != 0 ? "Z" : "z");
        sb.append((f & 0x010) != 0 ? "A" : "a");
        sb.append((f & 0x004) != 0 ? "P" : "p");
        sb.append((f & 0x001) != 0 ? "C" : "c");
        return sb.toString();
    }

    String describe(TestCase c) {
        StringBuilder sb = new StringBuilder();
        if (problem != null) sb.append("PROBLEM: ").append(problem).append(' ');
        sb.append(vector < 0 ? "completed" : "fault vector " + vector + (signal != 0 ? " (signal " + signal + ")" : ""));
        sb.append(": ");
        for (int r = 0; r < 8; r++) {
            sb.append(TestCase.REG_NAMES[r]).append('=');
            if (r == 4) sb.append((c.relMask & 0x10) != 0 ? "scratch" : "top").append(String.format("%+d ", regs[r]));
            else if ((c.relMask & (0x100 << r)) != 0) sb.append(String.format("scratch+%08x ", regs[r]));
            else sb.append(String.format("%08x ", regs[r]));
        }
        sb.append(String.format("EFLAGS=%03x (%s)", eflags & UndefinedFlags.ALL, flagString(eflags)));
        if (vector >= 0) sb.append(String.format(" faultEip=+%d", faultEip));
        if (vector == 14) sb.append(String.format(" addr=scratch%+d err=%x", faultAddr, errorCode));
        return sb.toString();
    }

    String scratchHex() {
        return HexFormat.of().formatHex(scratch);
    }
}
