package dev.tandem.core.dev;

import dev.tandem.core.io.IoBus;
import dev.tandem.core.io.IoDevice;
import dev.tandem.core.time.Clock;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;

/**
 * PC/AT system control port B (0x61).
 *
 * <p>Write bits: 0 = PIT channel 2 GATE, 1 = speaker data enable, 2 = parity check disable,
 * 3 = channel check disable. Read adds bit 4 (toggles with every DRAM refresh request, i.e. every
 * 18 PIT clocks, about 15.1 us) and bit 5 (PIT channel 2 OUT); bits 6/7 (IOCHK / parity error
 * status) read as 0 because this machine never reports those errors.
 */
public final class SystemControlPortB implements IoDevice {
    public static final int STATE_VERSION = 1;
    /** PIT clocks per refresh request (channel 1 is programmed with 18 by every PC BIOS). */
    private static final long REFRESH_TICKS = 18;

    private final Clock clock;
    private final Pit8254 pit;

    /** Writable bits 0-3. */
    private int control;

    public SystemControlPortB(Clock clock, Pit8254 pit) {
        this.clock = clock;
        this.pit = pit;
    }

    public void register(IoBus bus) {
        bus.register(0x61, 0x61, this);
    }

    /** True while the speaker is audible (gate and data enable both set). */
    public boolean speakerEnabled() {
        return (control & 3) == 3;
    }

    @Override
    public int ioRead(int port, int size) {
        long ticks = Pit8254.ticksAt(clock.nowNs());
        int refresh = (int) ((ticks / REFRESH_TICKS) & 1);
        return (control & 0x0F) | refresh << 4 | (pit.output(2) ? 0x20 : 0);
    }

    @Override
    public void ioWrite(int port, int size, int value) {
        control = value & 0x0F;
        pit.setGate(2, (control & 1) != 0);
    }

    public void saveState(DataOutput out) throws IOException {
        out.writeInt(STATE_VERSION);
        out.writeInt(control);
    }

    /** Restores bits 0-3; the PIT's copy of the gate comes from the PIT's own state. */
    public void loadState(DataInput in) throws IOException {
        StateIo.expectVersion(in, "SystemControlPortB", STATE_VERSION);
        control = in.readInt() & 0x0F;
    }
}
