package dev.tandem.core.dev;

/**
 * Receives the A20 gate output of one source (the i8042 output port or port 0x92). A PC ORs the
 * sources; the machine does that and drives {@code PhysicalMemory.setA20}.
 */
@FunctionalInterface
public interface A20Listener {
    void a20Changed(boolean enabled);
}
