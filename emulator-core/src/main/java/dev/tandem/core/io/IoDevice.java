package dev.tandem.core.io;

/**
 * A device reachable through the x86 I/O port space.
 *
 * <p>{@code size} is 1, 2 or 4 bytes. A device that only decodes byte accesses may rely on
 * {@link IoBus} to split wider accesses (see {@link #splitsWideAccesses()}).
 */
public interface IoDevice {
    /** Reads {@code size} bytes from {@code port}; only the low {@code 8*size} bits are used. */
    int ioRead(int port, int size);

    /** Writes the low {@code 8*size} bits of {@code value} to {@code port}. */
    void ioWrite(int port, int size, int value);

    /**
     * When true (the default) the bus turns a 16- or 32-bit access into byte accesses at
     * consecutive ports, which is what ISA hardware does for 8-bit devices.
     */
    default boolean splitsWideAccesses() {
        return true;
    }
}
