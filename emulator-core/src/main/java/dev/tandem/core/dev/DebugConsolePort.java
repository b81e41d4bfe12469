package dev.tandem.core.dev;

import dev.tandem.core.io.IoBus;
import dev.tandem.core.io.IoDevice;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.function.IntConsumer;

/**
 * The Bochs-style debug console at port 0xE9: every byte written goes to the sink. Reading the
 * port returns 0xE9 so that software can detect the console. It has no state beyond the version.
 */
public final class DebugConsolePort implements IoDevice {
    public static final int STATE_VERSION = 1;
    public static final int PORT = 0xE9;

    private final IntConsumer sink;

    public DebugConsolePort(IntConsumer sink) {
        this.sink = sink == null ? b -> { } : sink;
    }

    public void register(IoBus bus) {
        bus.register(PORT, PORT, this);
    }

    @Override
    public int ioRead(int port, int size) {
        return PORT;
    }

    @Override
    public void ioWrite(int port, int size, int value) {
        sink.accept(value & 0xFF);
    }

    public void saveState(DataOutput out) throws IOException {
        out.writeInt(STATE_VERSION);
    }

    public void loadState(DataInput in) throws IOException {
        StateIo.expectVersion(in, "DebugConsolePort", STATE_VERSION);
    }
}
