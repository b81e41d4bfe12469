package dev.tandem.core.dev;

import dev.tandem.core.io.IoBus;
import dev.tandem.core.io.IoDevice;
import dev.tandem.core.io.IrqSink;
import dev.tandem.core.time.Clock;
import dev.tandem.core.time.Scheduler;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;

/**
 * Intel 8254 programmable interval timer: three 16-bit down counters clocked at 1.193182 MHz
 * (ports 0x40-0x42 data, 0x43 control). Channel 0 OUT drives IRQ0, channel 2's GATE and OUT are
 * wired to port 0x61 (see {@link SystemControlPortB}); channel 1's GATE is tied high.
 *
 * <p>Counting is not simulated clock by clock: for each channel we remember the input-clock tick
 * at which the count register was loaded into the counting element and derive the counter value
 * and OUT level from the number of ticks elapsed since then. Ticks are computed from guest
 * nanoseconds with exact integer arithmetic ({@link #ticksAt}), so nothing drifts.
 *
 * <p>Tick {@code k} is the k-th rising CLK edge since power-on. A count written while {@code k}
 * ticks have elapsed is transferred into the counting element on CLK {@code k+1} (the datasheet's
 * "loaded on the next CLK pulse"), which is where {@code loadTick} points.
 *
 * <p>Known simplification: in mode 3 a count written while counting takes effect at the end of
 * the current full period (the 8254 switches at the end of the current half-cycle).
 */
public final class Pit8254 implements IoDevice {
    public static final int STATE_VERSION = 1;
    /** Input clock of all three counters, in Hz. */
    public static final long FREQUENCY_HZ = 1_193_182L;
    private static final long NS_PER_S = 1_000_000_000L;

    private static final int NOCOUNT = 0;
    private static final int WAIT_TRIGGER = 1;
    private static final int COUNTING = 2;

    private final Clock clock;
    private final IrqSink irq;
    private final Scheduler.Timer irqTimer;

    // ---- guest-visible state, one slot per channel
    /** Operating mode 0-5 (6 and 7 folded onto 2 and 3). */
    private final int[] mode = new int[3];
    /** Mode field exactly as written in the control word (reported by read-back status). */
    private final int[] modeBits = new int[3];
    private final boolean[] bcd = new boolean[3];
    /** RW field: 1 = LSB only, 2 = MSB only, 3 = LSB then MSB. */
    private final int[] access = new int[3];
    /** Effective count in binary, 1..65536 (or 1..10000 in BCD). */
    private final int[] count = new int[3];
    private final int[] phase = new int[3];
    private final long[] loadTick = new long[3];
    /** Elapsed ticks frozen while GATE holds the counter; -1 when not frozen. */
    private final long[] pausedElapsed = new long[3];
    /** Counting-element value shown while no count is being counted. */
    private final int[] frozenValue = new int[3];
    /** Count written while counting (modes 1, 2, 3, 5), applied later; -1 if none. */
    private final int[] pendingCount = new int[3];
    /** For modes 2/3: the tick at which {@link #pendingCount} is reloaded. */
    private final long[] pendingTick = new long[3];
    private final boolean[] gate = new boolean[3];
    /** Write flip-flop for RW=3: false = LSB expected next. */
    private final boolean[] writeMsbNext = new boolean[3];
    private final int[] writeLsb = new int[3];
    /** Read flip-flop for RW=3: false = LSB next. */
    private final boolean[] readMsbNext = new boolean[3];
    private final boolean[] countLatched = new boolean[3];
    private final int[] latchValue = new int[3];
    private final boolean[] statusLatched = new boolean[3];
    private final int[] statusValue = new int[3];
    /** Tick of the channel 0 rising edge the IRQ timer is armed for, or -1. */
    private long irqEdgeTick = -1;

    public Pit8254(Clock clock, Scheduler scheduler, IrqSink irq) {
        this.clock = clock;
        this.irq = irq;
        this.irqTimer = scheduler.create("pit-ch0", this::irqTimerFired);
        reset();
    }

    public void reset() {
        for (int ch = 0; ch < 3; ch++) {
            mode[ch] = 0;
            modeBits[ch] = 0;
            bcd[ch] = false;
            access[ch] = 3;
            count[ch] = 65536;
            phase[ch] = NOCOUNT;
            loadTick[ch] = 0;
            pausedElapsed[ch] = -1;
            frozenValue[ch] = 0;
            pendingCount[ch] = -1;
            pendingTick[ch] = 0;
            gate[ch] = ch != 2;
            writeMsbNext[ch] = false;
            writeLsb[ch] = 0;
            readMsbNext[ch] = false;
            countLatched[ch] = false;
            latchValue[ch] = 0;
            statusLatched[ch] = false;
            statusValue[ch] = 0;
        }
        irqEdgeTick = -1;
        irqTimer.cancel();
    }

    public void register(IoBus bus) {
        bus.register(0x40, 0x43, this);
    }

    // ------------------------------------------------------------------ time conversion

    /** Number of PIT input clock edges in guest time {@code [0, ns]}: floor(ns * F / 1e9). */
    public static long ticksAt(long ns) {
        long q = Math.floorDiv(ns, NS_PER_S);
        long r = Math.floorMod(ns, NS_PER_S);
        return q * FREQUENCY_HZ + r * FREQUENCY_HZ / NS_PER_S;
    }

    /** The earliest guest time at which {@code ticksAt(t) >= tick}: ceil(tick * 1e9 / F). */
    public static long nsOfTick(long tick) {
        long q = Math.floorDiv(tick, FREQUENCY_HZ);
        long r = Math.floorMod(tick, FREQUENCY_HZ);
        return q * NS_PER_S + (r * NS_PER_S + FREQUENCY_HZ - 1) / FREQUENCY_HZ;
    }

    private long nowTick() {
        return ticksAt(clock.nowNs());
    }

    // ------------------------------------------------------------------ counter model

    private int modulus(int ch) {
        return bcd[ch] ? 10000 : 65536;
    }

    /** Applies a deferred mode 2/3 reload once its tick has passed. */
    private void sync(int ch, long t) {
        if (pendingCount[ch] >= 0 && pausedElapsed[ch] < 0 && phase[ch] == COUNTING
                && (mode[ch] == 2 || mode[ch] == 3) && t >= pendingTick[ch]) {
            count[ch] = pendingCount[ch];
            loadTick[ch] = pendingTick[ch];
            pendingCount[ch] = -1;
        }
    }

    private long elapsed(int ch, long t) {
        if (pausedElapsed[ch] >= 0) return pausedElapsed[ch];
        return t - loadTick[ch];
    }

    /** Binary value of the counting element at tick {@code t}. */
    private int value(int ch, long t) {
        if (phase[ch] != COUNTING) return frozenValue[ch];
        long e = elapsed(ch, t);
        if (e < 0) return frozenValue[ch];
        int n = count[ch];
        int m = modulus(ch);
        long v;
        switch (mode[ch]) {
            case 2 -> v = n - (e % n);
            case 3 -> {
                long q = e % n;
                if ((n & 1) == 0) {
                    // even count: loaded, then decremented by two; reloaded at each half-cycle
                    long half = n / 2;
                    v = n - 2 * (q < half ? q : q - half);
                } else {
                    // odd count: high half (N+1)/2 clocks (first decrement by 1, then by 2),
                    // low half (N-1)/2 clocks (first decrement by 3, then by 2)
                    long high = (n + 1) / 2;
                    if (q < high) {
                        v = q == 0 ? n : n + 1 - 2 * q;
                    } else {
                        long r = q - high;
                        v = r == 0 ? n : n - 1 - 2 * r;
                    }
                }
            }
            default -> v = Math.floorMod(n - e, (long) m);
        }
        return (int) (v % m);
    }

    /** Level of OUT on channel {@code ch} at tick {@code t}. */
    private boolean out(int ch, long t) {
        int md = mode[ch];
        if (phase[ch] != COUNTING) return md != 0;
        long e = elapsed(ch, t);
        int n = count[ch];
        switch (md) {
            case 0:
                return e >= n;
            case 1:
                return e < 0 || e >= n;
            case 2:
                if (pausedElapsed[ch] >= 0 || e < 0) return true;
                return e % n != n - 1;
            case 3:
                if (pausedElapsed[ch] >= 0 || e < 0) return true;
                return e % n < (n + 1) / 2;
            default: // 4, 5: one-clock low strobe when the count expires
                return e != n;
        }
    }

    /** First tick {@code > x} at which OUT of {@code ch} rises, with no further guest action. */
    private long nextRisingEdge(int ch, long x) {
        if (phase[ch] != COUNTING || pausedElapsed[ch] >= 0) return -1;
        int n = count[ch];
        long load = loadTick[ch];
        if (pendingCount[ch] >= 0 && (mode[ch] == 2 || mode[ch] == 3) && x >= pendingTick[ch]) {
            n = pendingCount[ch];
            load = pendingTick[ch];
        }
        long edge;
        switch (mode[ch]) {
            case 0, 1 -> edge = load + n;
            case 2, 3 -> {
                if (n < 2) return -1;
                long k = Math.max(1, Math.floorDiv(x - load, n) + 1);
                edge = load + k * n;
            }
            default -> edge = load + n + 1;
        }
        return edge > x ? edge : -1;
    }

    private boolean nullCount(int ch, long t) {
        if (phase[ch] == NOCOUNT || phase[ch] == WAIT_TRIGGER) return true;
        if (pendingCount[ch] >= 0) return true;
        return pausedElapsed[ch] < 0 && t < loadTick[ch];
    }

    // ------------------------------------------------------------------ IRQ0 timer

    /** Delivers an IRQ0 edge whose time has come but whose timer has not run yet. */
    private void catchUp(long t) {
        sync(0, t);
        if (irqEdgeTick >= 0 && irqEdgeTick <= t) {
            irqTimerFired();
        }
    }

    private void irqTimerFired() {
        long t = nowTick();
        sync(0, t);
        long due = irqEdgeTick;
        if (due < 0) return;
        irq.pulseIrq(0);
        rearm(Math.max(due, t));
    }

    private void rearm(long afterTick) {
        long edge = nextRisingEdge(0, afterTick);
        irqEdgeTick = edge;
        if (edge < 0) {
            irqTimer.cancel();
        } else {
            irqTimer.set(nsOfTick(edge));
        }
    }

    // ------------------------------------------------------------------ external inputs

    /** GATE input of channel {@code ch} (only channel 2's is wired, to port 0x61 bit 0). */
    public void setGate(int ch, boolean level) {
        long t = nowTick();
        catchUp(t);
        sync(ch, t);
        if (gate[ch] == level) return;
        gate[ch] = level;
        if (phase[ch] == NOCOUNT) return;
        switch (mode[ch]) {
            case 0, 4 -> {
                if (phase[ch] != COUNTING) break;
                if (!level) {
                    pausedElapsed[ch] = Math.max(0, elapsed(ch, t));
                } else if (pausedElapsed[ch] >= 0) {
                    loadTick[ch] = t - pausedElapsed[ch]; // resumes with the next clock
                    pausedElapsed[ch] = -1;
                }
            }
            case 1, 5 -> {
                if (level) { // rising GATE triggers (or retriggers) the one-shot
                    if (pendingCount[ch] >= 0) {
                        count[ch] = pendingCount[ch];
                        pendingCount[ch] = -1;
                    }
                    phase[ch] = COUNTING;
                    loadTick[ch] = t + 1;
                    pausedElapsed[ch] = -1;
                }
            }
            default -> { // 2, 3: low GATE stops counting and forces OUT high; rising reloads
                if (phase[ch] != COUNTING) break;
                if (!level) {
                    pausedElapsed[ch] = Math.max(0, elapsed(ch, t));
                } else {
                    if (pendingCount[ch] >= 0) {
                        count[ch] = pendingCount[ch];
                        pendingCount[ch] = -1;
                    }
                    loadTick[ch] = t + 1;
                    pausedElapsed[ch] = -1;
                }
            }
        }
        if (ch == 0) rearm(t);
    }

    /** OUT level of channel {@code ch} now (channel 2's is port 0x61 bit 5). */
    public boolean output(int ch) {
        long t = nowTick();
        sync(ch, t);
        return out(ch, t);
    }

    /** Current binary value of the counting element (for diagnostics and tests). */
    public int counterValue(int ch) {
        long t = nowTick();
        sync(ch, t);
        return value(ch, t);
    }

    // ------------------------------------------------------------------ port I/O

    @Override
    public int ioRead(int port, int size) {
        int ch = port - 0x40;
        if (ch < 0 || ch > 2) return 0xFF; // the control register is write-only
        long t = nowTick();
        catchUp(t);
        sync(ch, t);
        if (statusLatched[ch]) {
            statusLatched[ch] = false;
            return statusValue[ch];
        }
        int v;
        boolean latched = countLatched[ch];
        if (latched) {
            v = latchValue[ch];
        } else {
            v = encode(ch, value(ch, t));
        }
        int result;
        switch (access[ch]) {
            case 1 -> {
                result = v & 0xFF;
                countLatched[ch] = false;
            }
            case 2 -> {
                result = (v >> 8) & 0xFF;
                countLatched[ch] = false;
            }
            default -> {
                if (!readMsbNext[ch]) {
                    result = v & 0xFF;
                    readMsbNext[ch] = true;
                } else {
                    result = (v >> 8) & 0xFF;
                    readMsbNext[ch] = false;
                    countLatched[ch] = false;
                }
            }
        }
        return result;
    }

    private int encode(int ch, int v) {
        return bcd[ch] ? binToBcd16(v) : v & 0xFFFF;
    }

    static int binToBcd16(int v) {
        return (v % 10) | ((v / 10) % 10) << 4 | ((v / 100) % 10) << 8 | ((v / 1000) % 10) << 12;
    }

    static int bcd16ToBin(int v) {
        return (v & 0xF) + ((v >> 4) & 0xF) * 10 + ((v >> 8) & 0xF) * 100 + ((v >> 12) & 0xF) * 1000;
    }

    @Override
    public void ioWrite(int port, int size, int value) {
        value &= 0xFF;
        long t = nowTick();
        catchUp(t);
        if (port == 0x43) {
            control(value, t);
            return;
        }
        int ch = port - 0x40;
        if (ch < 0 || ch > 2) return;
        sync(ch, t);
        switch (access[ch]) {
            case 1 -> loadCount(ch, value, t);
            case 2 -> loadCount(ch, value << 8, t);
            default -> {
                if (!writeMsbNext[ch]) {
                    writeLsb[ch] = value;
                    writeMsbNext[ch] = true;
                    if (mode[ch] == 0) {
                        // mode 0: writing the first byte stops the count and drives OUT low
                        frozenValue[ch] = value(ch, t);
                        phase[ch] = NOCOUNT;
                        pausedElapsed[ch] = -1;
                        if (ch == 0) rearm(t);
                    }
                } else {
                    writeMsbNext[ch] = false;
                    loadCount(ch, writeLsb[ch] | value << 8, t);
                }
            }
        }
    }

    private void control(int v, long t) {
        int sc = v >> 6;
        if (sc == 3) {
            readBack(v, t);
            return;
        }
        int ch = sc;
        sync(ch, t);
        int rw = (v >> 4) & 3;
        if (rw == 0) { // counter latch command; a second latch before the read is ignored
            if (!countLatched[ch]) {
                countLatched[ch] = true;
                latchValue[ch] = encode(ch, value(ch, t));
                readMsbNext[ch] = false;
            }
            return;
        }
        frozenValue[ch] = value(ch, t);
        modeBits[ch] = (v >> 1) & 7;
        mode[ch] = modeBits[ch] >= 6 ? modeBits[ch] - 4 : modeBits[ch];
        bcd[ch] = (v & 1) != 0;
        access[ch] = rw;
        phase[ch] = NOCOUNT; // OUT takes its initial level: low in mode 0, high otherwise
        pausedElapsed[ch] = -1;
        pendingCount[ch] = -1;
        writeMsbNext[ch] = false;
        readMsbNext[ch] = false;
        countLatched[ch] = false;
        statusLatched[ch] = false;
        if (ch == 0) rearm(t);
    }

    private void readBack(int v, long t) {
        boolean latchCount = (v & 0x20) == 0;
        boolean latchStatus = (v & 0x10) == 0;
        for (int ch = 0; ch < 3; ch++) {
            if ((v & (2 << ch)) == 0) continue;
            sync(ch, t);
            if (latchStatus && !statusLatched[ch]) {
                statusLatched[ch] = true;
                statusValue[ch] = (out(ch, t) ? 0x80 : 0) | (nullCount(ch, t) ? 0x40 : 0)
                        | access[ch] << 4 | modeBits[ch] << 1 | (bcd[ch] ? 1 : 0);
            }
            if (latchCount && !countLatched[ch]) {
                countLatched[ch] = true;
                latchValue[ch] = encode(ch, value(ch, t));
                readMsbNext[ch] = false;
            }
        }
    }

    private void loadCount(int ch, int raw, long t) {
        raw &= 0xFFFF;
        int n = raw == 0 ? modulus(ch) : (bcd[ch] ? bcd16ToBin(raw) : raw);
        if (n == 0) n = modulus(ch); // a BCD value with non-decimal digits that folds to zero
        switch (mode[ch]) {
            case 0, 4 -> {
                frozenValue[ch] = value(ch, t);
                count[ch] = n;
                phase[ch] = COUNTING;
                loadTick[ch] = t + 1;
                pausedElapsed[ch] = gate[ch] ? -1 : 0;
                pendingCount[ch] = -1;
            }
            case 1, 5 -> {
                if (phase[ch] == COUNTING) {
                    pendingCount[ch] = n; // used by the next trigger
                } else {
                    count[ch] = n;
                    phase[ch] = WAIT_TRIGGER;
                }
            }
            default -> { // 2, 3
                long e = phase[ch] == COUNTING ? elapsed(ch, t) : -1;
                if (phase[ch] == COUNTING && pausedElapsed[ch] >= 0) {
                    pendingCount[ch] = n; // applied when GATE rises
                    pendingTick[ch] = Long.MAX_VALUE;
                } else if (phase[ch] == COUNTING && e >= 0) {
                    int old = count[ch];
                    pendingCount[ch] = n;
                    pendingTick[ch] = loadTick[ch] + (Math.floorDiv(e, old) + 1) * old;
                } else {
                    if (phase[ch] != COUNTING) {
                        loadTick[ch] = t + 1;
                        pausedElapsed[ch] = gate[ch] ? -1 : 0;
                    }
                    count[ch] = n;
                    phase[ch] = COUNTING;
                    pendingCount[ch] = -1;
                }
            }
        }
        if (ch == 0) rearm(t);
    }

    // ------------------------------------------------------------------ snapshot

    public void saveState(DataOutput out) throws IOException {
        out.writeInt(STATE_VERSION);
        for (int ch = 0; ch < 3; ch++) {
            out.writeInt(mode[ch]);
            out.writeInt(modeBits[ch]);
            out.writeBoolean(bcd[ch]);
            out.writeInt(access[ch]);
            out.writeInt(count[ch]);
            out.writeInt(phase[ch]);
            out.writeLong(loadTick[ch]);
            out.writeLong(pausedElapsed[ch]);
            out.writeInt(frozenValue[ch]);
            out.writeInt(pendingCount[ch]);
            out.writeLong(pendingTick[ch]);
            out.writeBoolean(gate[ch]);
            out.writeBoolean(writeMsbNext[ch]);
            out.writeInt(writeLsb[ch]);
            out.writeBoolean(readMsbNext[ch]);
            out.writeBoolean(countLatched[ch]);
            out.writeInt(latchValue[ch]);
            out.writeBoolean(statusLatched[ch]);
            out.writeInt(statusValue[ch]);
        }
        out.writeLong(irqEdgeTick);
    }

    public void loadState(DataInput in) throws IOException {
        StateIo.expectVersion(in, "Pit8254", STATE_VERSION);
        for (int ch = 0; ch < 3; ch++) {
            mode[ch] = in.readInt();
            modeBits[ch] = in.readInt();
            bcd[ch] = in.readBoolean();
            access[ch] = in.readInt();
            count[ch] = in.readInt();
            phase[ch] = in.readInt();
            loadTick[ch] = in.readLong();
            pausedElapsed[ch] = in.readLong();
            frozenValue[ch] = in.readInt();
            pendingCount[ch] = in.readInt();
            pendingTick[ch] = in.readLong();
            gate[ch] = in.readBoolean();
            writeMsbNext[ch] = in.readBoolean();
            writeLsb[ch] = in.readInt();
            readMsbNext[ch] = in.readBoolean();
            countLatched[ch] = in.readBoolean();
            latchValue[ch] = in.readInt();
            statusLatched[ch] = in.readBoolean();
            statusValue[ch] = in.readInt();
            if (mode[ch] < 0 || mode[ch] > 5 || access[ch] < 1 || access[ch] > 3
                    || count[ch] < 1 || count[ch] > 65536 || phase[ch] < NOCOUNT || phase[ch] > COUNTING) {
                throw new IOException("Pit8254: corrupt state for channel " + ch);
            }
        }
        irqEdgeTick = in.readLong();
        if (irqEdgeTick >= 0) {
            irqTimer.set(nsOfTick(irqEdgeTick));
        } else {
            irqTimer.cancel();
        }
    }
}
