package dev.tandem.core.cpu;

/**
 * Model-specific registers a Linux kernel touches on a P6 without APIC, MTRR, SYSENTER or
 * microcode support. Everything else raises #GP(0), as the hardware does for an unknown MSR.
 */
final class Msr {
    private Msr() { }

    static final int TSC = 0x10;
    static final int PLATFORM_ID = 0x17;
    static final int BIOS_SIGN_ID = 0x8B;

    static long read(Cpu c, int msr) {
        switch (msr) {
            case TSC:
                return c.readTsc();
            case PLATFORM_ID:
            case BIOS_SIGN_ID:
                return 0;
            default:
                throw c.gp(0);
        }
    }

    static void write(Cpu c, int msr, long v) {
        switch (msr) {
            case TSC:
                c.tscOffset += v - c.readTsc();
                return;
            case BIOS_SIGN_ID:
                return;
            default:
                throw c.gp(0);
        }
    }
}
