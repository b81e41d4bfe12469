package dev.tandem.core.machine;

/**
 * Static configuration of a PC machine. Everything here is fixed at construction; everything
 * that changes while the guest runs lives in the machine's state.
 *
 * @param ramBytes          RAM size (multiple of 4 KiB, 1 MiB .. 1.5 GiB)
 * @param instructionsPerSecond nominal guest speed: virtual time advances by 1/ips per retired
 *                          instruction (and the TSC ticks once per instruction)
 * @param postPort          port whose writes are reported as POST codes, or -1
 * @param debugPort         port whose writes are reported as debug console bytes, or -1
 */
public record MachineConfig(int ramBytes, long instructionsPerSecond, int postPort, int debugPort) {
    public static final long DEFAULT_IPS = 100_000_000L;

    public MachineConfig {
        if (instructionsPerSecond < 1_000_000L || instructionsPerSecond > 100_000_000_000L) {
            throw new IllegalArgumentException("instructions per second out of range: " + instructionsPerSecond);
        }
        if (postPort > 0xFFFF || debugPort > 0xFFFF) throw new IllegalArgumentException("port out of range");
    }

    public static MachineConfig defaults(int ramBytes) {
        return new MachineConfig(ramBytes, DEFAULT_IPS, 0x80, 0xE9);
    }

    public MachineConfig withPorts(int post, int debug) {
        return new MachineConfig(ramBytes, instructionsPerSecond, post, debug);
    }
}
