package dev.tandem.core.mem;

/** A device mapped into the physical address space. {@code size} is 1, 2 or 4. */
public interface MmioDevice {
    int mmioRead(int physAddr, int size);

    void mmioWrite(int physAddr, int size, int value);
}
