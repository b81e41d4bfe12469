package dev.tandem.core.io;

/** Where devices drive interrupt request lines (the PIC pair implements it). */
public interface IrqSink {
    /** Sets the level of ISA interrupt line {@code irq} (0-15). Edge-triggered lines latch on 0->1. */
    void setIrq(int irq, boolean level);

    /** Convenience for edge-triggered devices: a 0->1->0 pulse. */
    default void pulseIrq(int irq) {
        setIrq(irq, true);
        setIrq(irq, false);
    }
}
