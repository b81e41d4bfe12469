package dev.tandem.core.dev;

import dev.tandem.core.io.IoBus;
import dev.tandem.core.io.IoDevice;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.function.IntConsumer;

/**
 * The POST diagnostic port 0x80: firmware writes progress codes here (and Linux writes to it as
 * an I/O delay). Each byte goes to the sink; reads return the last code written.
 */
public final class PostPort implements IoDevice {
    public static final int STATE_VERSION = 1;

    private final IntConsumer sink;
    private int last;

    public PostPort(IntConsumer sink) {
        this.sink = sink == null ? b -> { } : sink;
    }

    public void register(IoBus bus) {
        bus.register(0x80, 0x80, this);
    }

    public int lastCode() {
        return last;
    }

    @Override
    public int ioRead(int port, int size) {
        return last;
    }

    @Override
    public void ioWrite(int port, int size, int value) {
        last = value & 0xFF;
        sink.accept(last);
    }

    public void saveState(DataOutput out) throws IOException {
        out.writeInt(STATE_VERSION);
        out.writeInt(last);
    }

    public void loadState(DataInput in) throws IOException {
        StateIo.expectVersion(in, "PostPort", STATE_VERSION);
        last = in.readInt() & 0xFF;
    }
}
