package dev.tandem.core.cpu;

/**
 * One decoded instruction: what the decoder derived from its bytes (never from register values),
 * so it can be cached and executed many times. Allocated once per block-cache slot, reused.
 */
final class Insn {
    int dInfo, dHandler, dSub, dOpcode;
    boolean dOp32, dAddr32, dLock;
    /** 0 none, 1 REP/REPE (F3), 2 REPNE (F2). */
    int dRep;
    /** Segment of the memory operand (override, or the default for the addressing form). */
    int dSeg;
    /** Explicit segment override prefix, or SEG_NONE. */
    int dSegOvr;
    int dMod, dReg, dRm;
    /** Base and index registers for the effective address, -1 for none; scale is a shift count. */
    int dBase, dIndex, dScale, dDisp;
    int dImm, dImm2;
    int dLen;
}
