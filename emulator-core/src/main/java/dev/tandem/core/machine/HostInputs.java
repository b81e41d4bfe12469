package dev.tandem.core.machine;

/**
 * The nondeterminism boundary: the single path through which anything guest-observable that is
 * not a function of machine state enters a {@link Machine} — serial input bytes, the RTC's host
 * time at power-on, and in {@link TimingMode#HOST_CLOCK} mode the host clock.
 *
 * <p>Every input takes effect at a slice boundary of {@link Machine#run}, i.e. at an exact
 * instruction count. A live source reads the world; a recording source reads the world and
 * logs each input with its instruction count; a replaying source reads the log and bounds slices
 * ({@link #nextBoundary}) so that execution stops at each logged count.
 */
public interface HostInputs {
    /** Host UTC time in ms at power-on, for the RTC (called once, when the machine is built). */
    default long rtcEpochMillisAtPowerOn() {
        return 0;
    }

    /**
     * Called at every slice boundary, before due timers fire: inject serial bytes
     * ({@code m.com1().receive}), advance time ({@link Machine#advanceTime}), check or write
     * state hashes, or {@link Machine#requestStop()}.
     */
    void atBoundary(Machine m);

    /**
     * The next instruction count greater than the current one at which this source needs a
     * slice boundary, or {@code Long.MAX_VALUE}.
     */
    default long nextBoundary(Machine m) {
        return Long.MAX_VALUE;
    }

    /** An instruction count at which {@link Machine#run} must return {@code LIMIT} (replay of a recording that ended there). */
    default long runLimit() {
        return Long.MAX_VALUE;
    }

    /**
     * Host-clock mode only: the CPU is halted with interrupts enabled and the next timer is due at
     * {@code targetTicks} ({@code Long.MAX_VALUE}: none). A live or recording source waits in host
     * time (until then, or until input arrives); a replaying source returns at once.
     */
    default void idle(Machine m, long targetTicks) {
    }

    /** No inputs at all: the machine is a closed, deterministic system. */
    HostInputs NONE = m -> { };
}
