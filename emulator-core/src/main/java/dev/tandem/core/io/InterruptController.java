package dev.tandem.core.io;

/** What the CPU sees of the interrupt controller: the INTR line and the acknowledge cycle. */
public interface InterruptController {
    /** True while INTR is asserted (an unmasked request of sufficient priority is pending). */
    boolean hasInterrupt();

    /** The INTA cycle: returns the vector (0-255) and updates ISR/IRR as the hardware does. */
    int acknowledge();
}
