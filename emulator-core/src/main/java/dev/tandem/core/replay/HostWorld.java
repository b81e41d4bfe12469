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

    /**
     * Copies the next Ethernet frame received for network card {@code nic} into {@code buf} (at
     * least {@link dev.tandem.core.dev.virtio.VirtioNet#MAX_FRAME} bytes) and returns its length,
     * or -1 when none is waiting. Called on the machine thread only when the card can take it.
     */
    default int pollFrame(int nic, byte[] buf) {
        return -1;
    }

    /** True when a received frame is waiting for some card (ends a host-clock idle wait). */
    default boolean frameAvailable() {
        return false;
    }

    /** Sleeps for up to {@code nanos} (may return early). */
    default void sleep(long nanos) {
        LockSupport.parkNanos(nanos);
    }

    /** Where serial input comes from (a console, a socket, a test thread). */
    interface SerialSource {
        /** Next byte or -1 (non-blocking, called on the machine thread). */
        int poll();
    }

    /** Where received frames come from (network backends, a test); see {@link HostWorld#pollFrame}. */
    interface FrameSource {
        /** Next frame for card {@code nic} copied into {@code buf}, its length, or -1 (non-blocking, machine thread). */
        int poll(int nic, byte[] buf);

        /** True when a frame is waiting for any card. */
        boolean available();

        FrameSource NONE = new FrameSource() {
            @Override
            public int poll(int nic, byte[] buf) {
                return -1;
            }

            @Override
            public boolean available() {
                return false;
            }
        };
    }

    /** The real host: system clocks and the given serial source. */
    static HostWorld system(SerialSource serial) {
        return system(serial, FrameSource.NONE);
    }

    /** The real host: system clocks, the given serial source and received network frames. */
    static HostWorld system(SerialSource serial, FrameSource frames) {
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

            @Override
            public int pollFrame(int nic, byte[] buf) {
                return frames.poll(nic, buf);
            }

            @Override
            public boolean frameAvailable() {
                return frames.available();
            }
        };
    }
}
