package dev.tandem.core.dev;

import dev.tandem.core.io.IoBus;
import dev.tandem.core.io.IoDevice;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;

/**
 * System control port A (0x92, "fast A20"): bit 1 drives the A20 gate, a 0-&gt;1 transition of
 * bit 0 resets the CPU (the bit reads back as written until then). Other bits are kept.
 */
public final class Port92 implements IoDevice {
    public static final int STATE_VERSION = 1;

    private A20Listener a20 = on -> { };
    private Runnable reset = () -> { };

    private int value;

    public void register(IoBus bus) {
        bus.register(0x92, 0x92, this);
    }

    public void setA20Listener(A20Listener l) {
        this.a20 = l == null ? on -> { } : l;
    }

    public void setResetCallback(Runnable r) {
        this.reset = r == null ? () -> { } : r;
    }

    public boolean a20() {
        return (value & 0x02) != 0;
    }

    @Override
    public int ioRead(int port, int size) {
        return value;
    }

    @Override
    public void ioWrite(int port, int size, int v) {
        v &= 0xFF;
        int old = value;
        value = v;
        if (((old ^ v) & 0x02) != 0) a20.a20Changed((v & 0x02) != 0);
        if ((old & 0x01) == 0 && (v & 0x01) != 0) {
            value &= ~0x01; // the reset pulse is over once the CPU restarts
            reset.run();
        }
    }

    public void saveState(DataOutput out) throws IOException {
        out.writeInt(STATE_VERSION);
        out.writeInt(value);
    }

    public void loadState(DataInput in) throws IOException {
        StateIo.expectVersion(in, "Port92", STATE_VERSION);
        value = in.readInt() & 0xFF;
    }
}
