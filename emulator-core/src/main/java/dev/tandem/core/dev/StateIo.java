package dev.tandem.core.dev;

import java.io.DataInput;
import java.io.IOException;

/** Small helpers shared by the device snapshot code. */
final class StateIo {
    private StateIo() {
    }

    /** Reads the leading version int and rejects anything but {@code expected}. */
    static void expectVersion(DataInput in, String device, int expected) throws IOException {
        int v = in.readInt();
        if (v != expected) {
            throw new IOException(device + ": unsupported state version " + v + " (expected " + expected + ")");
        }
    }

    static void readFully(DataInput in, byte[] dst, String device, String what) throws IOException {
        int n = in.readInt();
        if (n != dst.length) {
            throw new IOException(device + ": " + what + " has length " + n + ", expected " + dst.length);
        }
        in.readFully(dst);
    }
}
