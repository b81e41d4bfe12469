package dev.tandem.core.cpu;

/**
 * Hardware task switching (TSS descriptors and task gates). Not implemented yet: every path raises
 * #GP with the selector so a guest that relies on it fails visibly instead of misbehaving.
 */
final class Tasks {
    private Tasks() { }

    static void switchByJumpOrCall(Cpu c, int sel, long desc, boolean call, int next) {
        throw c.gp(sel & 0xFFFC);
    }

    static void switchByGate(Cpu c, int tssSel, boolean hasCode, int code, int ext) {
        throw c.gp((tssSel & 0xFFFC) | ext);
    }

    static void iretTask(Cpu c) {
        throw c.gp(c.trSel & 0xFFFC);
    }
}
