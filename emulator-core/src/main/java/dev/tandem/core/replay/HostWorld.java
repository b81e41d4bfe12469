package dev.tandem.core.replay;

import java.util.concurrent.locks.LockSupport;

/**
 * The host world as the machine may see it: wall-clock time (once, for the RTC), a monotonic
 * clock (host-clock mode) and serial input. Only {@link Recorder} consults it, so every value it
 * returns ends up in the log when recording. This is the one place in emulator-core that reads
 * host clocks.
 */
public interface HostWorld {
    /** Host UTC time in ms. */
    long epochMillis();

    /** Host monotonic time in ns. */
    long nanoTime();

    /** Next serial input byte for COM1, or -1 when none is waiting. */
    int pollSerial();

    /** True when a serial byte is waiting. */
    boolean serialAvailable();

    /** Sleeps for up to {@code nanos} (may return early). */
    default void sleep(long nanos) {
        LockSupport.parkNanos(nanos);
    }

    /** Where serial input comes from (a console, a socket, a test thread). */
    interface SerialSource {
        /** Next byte or -1 (non-blocking, called on the machine thread). */
        int poll();
    }

    /** The real host: system clocks and the given serial source. */
    static HostWorld system(SerialSource serial) {
        return new HostWorld() {
            private int lookahead = -1;

            @Override
            public long epochMillis() {
                return System.currentTimeMillis();
            }

            @Override
            public long nanoTime() {
                return System.nanoTime();
            }

            @Override
            public int pollSerial() {
                if (lookahead >= 0) {
                    int b = lookahead;
                    lookahead = -1;
                    return b;
                }
                return serial.poll();
            }

            @Override
            public boolean serialAvailable() {
                if (lookahead < 0) lookahead = serial.poll();
                return lookahead >= 0;
            }
        };
    }
}
