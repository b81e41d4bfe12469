package dev.tandem.core.fpu;

/**
 * What the x87 needs from the CPU: memory access through a segment (the CPU applies its own
 * segmentation/paging and may throw its fault exception, which the FPU lets propagate), the AX
 * register for FNSTSW AX, and EFLAGS for FCOMI/FUCOMI and FCMOVcc.
 */
public interface FpuHost {
    int readMem8(int seg, int off);
    int readMem16(int seg, int off);
    int readMem32(int seg, int off);
    void writeMem8(int seg, int off, int v);
    void writeMem16(int seg, int off, int v);
    void writeMem32(int seg, int off, int v);
    /** FNSTSW AX: writes the low 16 bits of EAX. */
    void setAX(int v);
    int getEflags();
    void setEflags(int v);
}
