package dev.tandem.core.machine;

/**
 * The output side of the nondeterminism boundary, symmetric to {@link HostInputs}: every byte the
 * guest sends to the host world leaves through here, tagged with the instruction count at which
 * it was produced, so a replicated machine can hold output until the followers have the log up
 * to that count (output commit) and a replica can number its output deterministically.
 *
 * <p>Channels: {@link #COM1} and {@link #COM2} carry the UARTs' transmitted bytes (more kinds,
 * such as transmitted network frames, get channels of their own). Calls come from the machine
 * thread while an instruction executes; implementations must not block and should not allocate.
 */
public interface HostOutputs {
    /** Bytes transmitted by the first UART. */
    int COM1 = 0;
    /** Bytes transmitted by the second UART. */
    int COM2 = 1;

    /**
     * {@code len} bytes of {@code data} from {@code off} were sent on {@code channel} by the
     * instruction that retires as number {@code icount + 1} (i.e. {@code icount} instructions had
     * retired before it). The array is only valid during the call.
     */
    void output(int channel, long icount, byte[] data, int off, int len);

    /** One byte; the default forwards to {@link #output} through a per-thread one-byte array. */
    default void outputByte(int channel, long icount, int b) {
        byte[] one = ONE.get();
        one[0] = (byte) b;
        output(channel, icount, one, 0, 1);
    }

    /** Per-thread scratch for {@link #outputByte}. */
    ThreadLocal<byte[]> ONE = ThreadLocal.withInitial(() -> new byte[1]);

    /** Discards everything. */
    HostOutputs NONE = (channel, icount, data, off, len) -> { };
}
