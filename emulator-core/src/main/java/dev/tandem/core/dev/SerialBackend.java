package dev.tandem.core.dev;

/** Where a {@link Uart16550} sends the bytes the guest transmits. */
@FunctionalInterface
public interface SerialBackend {
    /** One transmitted character (the low {@code 5..8} data bits, as configured in LCR). */
    void transmit(int b);
}
