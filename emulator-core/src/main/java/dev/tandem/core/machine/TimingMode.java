package dev.tandem.core.machine;

/** How guest time advances. */
public enum TimingMode {
    /**
     * Guest time is a pure function of the instruction count plus deterministic idle skips
     * (default). Nothing about time is recorded: replay reproduces it from the instructions alone.
     */
    VIRTUAL,
    /**
     * Guest time follows the host clock: at every slice boundary the host time is read through
     * the {@link HostInputs} boundary and guest time jumps forward to match it; a halted CPU
     * waits in host time. Recordings log every jump, so replays reproduce the same timer
     * interrupts at the same instruction counts.
     */
    HOST_CLOCK
}
