package dev.tandem.core.dev;

/**
 * A function on PCI bus 0 besides the two built-in bridges of {@link PciHost} (a network card).
 * The host bridge forwards configuration cycles to it and routes its INTx pin to an ISA IRQ
 * through the PIIX3 PIRQ registers.
 */
public interface PciFunction {
    /** False while the slot is empty: configuration reads return all ones. */
    boolean present();

    /** Reads {@code size} (1, 2 or 4) bytes of configuration space at {@code offset} (within one dword). */
    int configRead(int offset, int size);

    /** Writes {@code size} bytes of configuration space at {@code offset} (within one dword). */
    void configWrite(int offset, int size, int value);

    /** The interrupt pin register: 0 none, 1..4 for INTA#..INTD#. */
    int interruptPin();

    /** True while the function drives its INTx line (level triggered, active while true). */
    boolean intxAsserted();

    /** Called by the host bridge; the function runs it whenever {@link #intxAsserted()} may have changed. */
    void setIntxListener(Runnable listener);
}
