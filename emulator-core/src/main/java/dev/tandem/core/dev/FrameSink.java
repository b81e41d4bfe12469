package dev.tandem.core.dev;

/**
 * Where a network card's transmitted Ethernet frames go: the guest's outputs. Called on the
 * machine thread, in the middle of the guest instruction that notified the card (the instruction
 * count is {@code machine.cpu().icount}); the bytes are only valid during the call, so an
 * implementation that keeps them must copy them. No network code lives in emulator-core: the CLI
 * connects a sink to a socket or TAP backend, and replication can hold frames back until the
 * followers have the log that produced them (output commit).
 */
@FunctionalInterface
public interface FrameSink {
    /** A frame the guest transmitted on card {@code nic}: {@code len} bytes at {@code frame[off]}, without FCS. */
    void transmitted(int nic, byte[] frame, int off, int len);

    /**
     * A frame card {@code nic} handed to the guest (it came through the nondeterminism boundary);
     * for captures. The default ignores it.
     */
    default void received(int nic, byte[] frame, int off, int len) {
    }

    /** Drops every frame. */
    FrameSink NONE = (nic, frame, off, len) -> { };
}
