package dev.tandem.core.dev;

import dev.tandem.core.io.IoBus;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;

import static org.junit.jupiter.api.Assertions.*;

class Pit8254Test {
    private final FakeClock clock = new FakeClock();
    private final RecordingIrqSink irqs = new RecordingIrqSink(clock);
    private final IoBus bus = new IoBus();
    private Pit8254 pit;
    private SystemControlPortB portB;

    @BeforeEach
    void setUp() {
        pit = new Pit8254(clock, clock.scheduler, irqs);
        pit.register(bus);
        portB = new SystemControlPortB(clock, pit);
        portB.register(bus);
    }

    /** Guest time at which PIT input clock edge {@code k} has happened. */
    private static long at(long k) {
        return Pit8254.nsOfTick(k);
    }

    private int latchAndRead(int ch) {
        bus.out(0x43, 1, ch << 6); // counter latch command
        int lo = bus.in(0x40 + ch, 1);
        int hi = bus.in(0x40 + ch, 1);
        return lo | hi << 8;
    }

    @Test
    void tickConversionIsExactInverse() {
        long[] ks = {0, 1, 2, 1193181, 1193182, 1193183, 59659, 123456789012L, 3_600L * 1_193_182L + 7};
        for (long k : ks) {
            long t = Pit8254.nsOfTick(k);
            assertEquals(k, Pit8254.ticksAt(t), "tick " + k);
            if (k > 0) assertEquals(k - 1, Pit8254.ticksAt(t - 1), "just before tick " + k);
        }
        // one second of guest time is exactly the nominal frequency in clocks
        assertEquals(1_193_182L, Pit8254.ticksAt(1_000_000_000L));
        assertEquals(3_600L * 1_193_182L, Pit8254.ticksAt(3_600_000_000_000L));
    }

    @Test
    void mode2RateGeneratorCountsAndInterrupts() {
        // Linux's setup_pit_timer for HZ=1000: mode 2, LSB then MSB, count 1193
        bus.out(0x43, 1, 0x34);
        bus.out(0x40, 1, 1193 & 0xFF);
        bus.out(0x40, 1, 1193 >> 8);
        // written at tick 0: the count enters the counting element on clock 1
        clock.advanceTo(at(1));
        assertEquals(1193, latchAndRead(0));
        clock.advanceTo(at(101));
        assertEquals(1093, latchAndRead(0), "decrements once per input clock");
        clock.advanceTo(at(1 + 1192));
        assertEquals(1, latchAndRead(0), "mode 2 counts down to 1 ...");
        assertFalse(pit.output(0), "... with OUT low for that one clock");
        clock.advanceTo(at(1 + 1193));
        assertEquals(1193, latchAndRead(0), "... then reloads");
        assertTrue(pit.output(0));
        assertEquals(1, irqs.rises[0]);
        assertEquals(at(1 + 1193), irqs.firstRiseNs[0], "IRQ0 on the rising edge of OUT");
        clock.advanceTo(1_000_000_000L);
        // edges at ticks 1 + k*1193 <= 1193182: k = 1..1000
        assertEquals(1000, irqs.rises[0]);
        assertEquals(at(1 + 1000L * 1193), irqs.lastRiseNs[0]);
        // no drift: an hour later the counter is exactly where integer arithmetic says
        clock.advanceTo(3_600_000_000_000L);
        long e = 3_600L * 1_193_182L - 1;
        assertEquals(1193 - e % 1193, latchAndRead(0));
        assertEquals(e / 1193, irqs.rises[0]);
    }

    @Test
    void mode3SquareWaveEvenAndOddCounts() {
        // even count: decrements by two, OUT high for N/2 clocks and low for N/2 clocks
        bus.out(0x43, 1, 0x36);
        bus.out(0x40, 1, 10);
        bus.out(0x40, 1, 0);
        int[] expect = {10, 8, 6, 4, 2, 10, 8, 6, 4, 2, 10};
        boolean[] outs = {true, true, true, true, true, false, false, false, false, false, true};
        for (int i = 0; i < expect.length; i++) {
            clock.advanceTo(at(1 + i));
            assertEquals(expect[i], latchAndRead(0), "even count, clock " + i);
            assertEquals(outs[i], pit.output(0), "even OUT, clock " + i);
        }
        // odd count 5: high for (5+1)/2 = 3 clocks (5, 4, 2), low for 2 clocks (5, 2)
        long t0 = Pit8254.ticksAt(clock.now);
        bus.out(0x43, 1, 0x36);
        bus.out(0x40, 1, 5);
        bus.out(0x40, 1, 0);
        int[] odd = {5, 4, 2, 5, 2, 5};
        boolean[] oddOut = {true, true, true, false, false, true};
        for (int i = 0; i < odd.length; i++) {
            clock.advanceTo(at(t0 + 1 + i));
            assertEquals(odd[i], latchAndRead(0), "odd count, clock " + i);
            assertEquals(oddOut[i], pit.output(0), "odd OUT, clock " + i);
        }
    }

    @Test
    void biosMode3Count0Gives18Hz() {
        bus.out(0x43, 1, 0x36);
        bus.out(0x40, 1, 0);
        bus.out(0x40, 1, 0); // 0 means 65536
        clock.advanceTo(10_000_000_000L);
        // 10 s * 1193182 / 65536 = 182.06 periods
        assertEquals(182, irqs.rises[0]);
        assertEquals(at(1 + 65536L), irqs.firstRiseNs[0]);
    }

    @Test
    void channel2GateAndPort61AsLinuxTscCalibration() {
        // pit_calibrate_tsc(): gate on, speaker off; mode 0 LSB/MSB, 50 ms worth of clocks
        clock.advanceTo(12_345_678);
        bus.out(0x61, 1, (bus.in(0x61, 1) & ~0x02) | 0x01);
        bus.out(0x43, 1, 0xB0);
        int latch = 1193182 / 20;
        bus.out(0x42, 1, latch & 0xFF);
        long writeTick = Pit8254.ticksAt(clock.now);
        bus.out(0x42, 1, latch >> 8);
        assertEquals(0, bus.in(0x61, 1) & 0x20, "mode 0: OUT low after the count is written");
        // OUT rises N clocks after the count is loaded (N+1 after it is written)
        long rise = writeTick + 1 + latch;
        clock.advanceTo(at(rise) - 1);
        assertEquals(0, bus.in(0x61, 1) & 0x20);
        clock.advanceTo(at(rise));
        assertEquals(0x20, bus.in(0x61, 1) & 0x20);
        assertEquals(0x01, bus.in(0x61, 1) & 0x0F, "written bits read back");
        double ms = (at(rise) - 12_345_678) / 1e6;
        assertEquals(50.0, ms, 0.01);
        // after terminal count mode 0 keeps counting down (wraps to 0xFFFF)
        clock.advanceTo(at(rise + 1));
        assertEquals(0xFFFF, latchAndRead(2));
        assertEquals(0, irqs.rises[0], "channel 2 never raises IRQ0");
    }

    @Test
    void gateLowSuspendsMode0() {
        bus.out(0x61, 1, 0x01);
        bus.out(0x43, 1, 0xB0);
        bus.out(0x42, 1, 100);
        bus.out(0x42, 1, 0);
        clock.advanceTo(at(11));
        assertEquals(90, latchAndRead(2));
        bus.out(0x61, 1, 0x00); // GATE low: counting suspended
        clock.advanceTo(at(500));
        assertEquals(90, latchAndRead(2));
        bus.out(0x61, 1, 0x01);
        clock.advanceTo(at(510));
        assertEquals(80, latchAndRead(2));
    }

    @Test
    void mode1OneShotTriggeredByGate() {
        bus.out(0x61, 1, 0x00);
        bus.out(0x43, 1, 0xB2); // channel 2 mode 1
        bus.out(0x42, 1, 50);
        bus.out(0x42, 1, 0);
        clock.advanceTo(at(20));
        assertTrue(pit.output(2), "mode 1 OUT stays high until triggered");
        bus.out(0x61, 1, 0x01); // rising GATE at tick 20 triggers
        clock.advanceTo(at(21));
        assertFalse(pit.output(2), "OUT low from the clock after the trigger");
        assertEquals(50, latchAndRead(2));
        clock.advanceTo(at(21 + 49));
        assertFalse(pit.output(2));
        clock.advanceTo(at(21 + 50));
        assertTrue(pit.output(2), "OUT high when the count reaches zero");
    }

    @Test
    void mode4StrobeAndLsbOnlyAccess() {
        bus.out(0x43, 1, 0x18); // channel 0, LSB only, mode 4
        bus.out(0x40, 1, 20);
        assertTrue(pit.output(0));
        clock.advanceTo(at(1 + 5));
        assertEquals(15, bus.in(0x40, 1), "LSB-only read");
        assertEquals(15, bus.in(0x40, 1), "no flip-flop in LSB-only mode");
        clock.advanceTo(at(1 + 20));
        assertFalse(pit.output(0), "one clock low strobe when the count expires");
        assertEquals(0, irqs.rises[0]);
        clock.advanceTo(at(1 + 21));
        assertTrue(pit.output(0));
        assertEquals(1, irqs.rises[0]);
        assertEquals(at(22), irqs.firstRiseNs[0]);
        clock.advanceTo(at(100_000));
        assertEquals(1, irqs.rises[0], "mode 4 strobes once");
    }

    @Test
    void mode5HardwareStrobeAndMsbOnlyAccess() {
        bus.out(0x61, 1, 0x00);
        bus.out(0x43, 1, 0xAA); // channel 2, MSB only, mode 5
        bus.out(0x42, 1, 0x01); // count 0x0100
        clock.advanceTo(at(1000));
        assertTrue(pit.output(2), "waits for a GATE rising edge");
        bus.out(0x61, 1, 0x01); // trigger at tick 1000; counting starts on clock 1001
        clock.advanceTo(at(1001 + 0x80));
        assertEquals(0x00, bus.in(0x42, 1), "MSB-only read of 0x0080");
        clock.advanceTo(at(1001 + 0x100));
        assertFalse(pit.output(2), "one clock low strobe at terminal count");
        clock.advanceTo(at(1001 + 0x101));
        assertTrue(pit.output(2));
        bus.out(0x61, 1, 0x00);
        bus.out(0x61, 1, 0x01); // retrigger
        clock.advanceTo(at(Pit8254.ticksAt(clock.now) + 1 + 0x100));
        assertFalse(pit.output(2), "retriggered strobe");
    }

    @Test
    void bcdCounting() {
        bus.out(0x43, 1, 0x31); // channel 0, LSB/MSB, mode 0, BCD
        bus.out(0x40, 1, 0x00);
        bus.out(0x40, 1, 0x10); // 1000 decimal
        clock.advanceTo(at(1 + 5));
        assertEquals(0x0995, latchAndRead(0));
        clock.advanceTo(at(1 + 1001));
        assertEquals(0x9999, latchAndRead(0), "BCD wraps through 9999");
    }

    @Test
    void latchHoldsValueUntilRead() {
        bus.out(0x43, 1, 0x34);
        bus.out(0x40, 1, 0x00);
        bus.out(0x40, 1, 0x10); // 0x1000
        clock.advanceTo(at(1 + 0x10));
        bus.out(0x43, 1, 0x00);
        clock.advanceTo(at(1 + 0x300));
        bus.out(0x43, 1, 0x00); // a second latch before reading is ignored
        assertEquals(0xF0, bus.in(0x40, 1));
        clock.advanceTo(at(1 + 0x400));
        assertEquals(0x0F, bus.in(0x40, 1), "MSB from the same latch");
        // unlatched reads follow the counter
        assertEquals(0x00, bus.in(0x40, 1));
        assertEquals(0x0C, bus.in(0x40, 1));
    }

    @Test
    void readBackStatusAndCount() {
        bus.out(0x61, 1, 0x01);
        bus.out(0x43, 1, 0xB0); // channel 2: LSB/MSB, mode 0, binary
        bus.out(0x43, 1, 0xE8); // read-back: latch status of channel 2
        // OUT low, null count set (no count written yet), RW=3, mode 0
        assertEquals(0x70, bus.in(0x42, 1));
        bus.out(0x42, 1, 0x34);
        bus.out(0x42, 1, 0x12);
        clock.advanceTo(at(1 + 2));
        bus.out(0x43, 1, 0xC8); // read-back: latch count and status of channel 2
        assertEquals(0x30, bus.in(0x42, 1), "status first; count loaded, OUT still low");
        assertEquals(0x32, bus.in(0x42, 1));
        assertEquals(0x12, bus.in(0x42, 1));
    }

    @Test
    void mode2NewCountTakesEffectAtEndOfPeriod() {
        bus.out(0x43, 1, 0x34);
        bus.out(0x40, 1, 100);
        bus.out(0x40, 1, 0);
        clock.advanceTo(at(1 + 30));
        bus.out(0x40, 1, 40);
        bus.out(0x40, 1, 0);
        clock.advanceTo(at(1 + 99));
        assertEquals(1, latchAndRead(0), "current period finishes with the old count");
        clock.advanceTo(at(1 + 100));
        assertEquals(40, latchAndRead(0));
        clock.advanceTo(at(1 + 100 + 40 * 3));
        // edges: tick 101 ends the old period, then every 40 clocks: 141, 181, 221
        assertEquals(4, irqs.rises[0]);
        assertEquals(at(1 + 100 + 120), irqs.lastRiseNs[0]);
    }

    @Test
    void refreshBitToggles() {
        int a = bus.in(0x61, 1) & 0x10;
        clock.advanceTo(at(18));
        int b = bus.in(0x61, 1) & 0x10;
        clock.advanceTo(at(36));
        int c = bus.in(0x61, 1) & 0x10;
        assertNotEquals(a, b);
        assertEquals(a, c);
    }

    @Test
    void stateRoundTripRearmsTimer() throws IOException {
        bus.out(0x43, 1, 0x34);
        bus.out(0x40, 1, 0xA9);
        bus.out(0x40, 1, 0x04);
        clock.advanceTo(5_000_000);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        pit.saveState(new DataOutputStream(bytes));
        long deadline = clock.scheduler.timers().get(0).deadline();

        FakeClock clock2 = new FakeClock();
        clock2.now = clock.now;
        RecordingIrqSink irqs2 = new RecordingIrqSink(clock2);
        Pit8254 copy = new Pit8254(clock2, clock2.scheduler, irqs2);
        copy.loadState(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())));
        assertEquals(deadline, clock2.scheduler.timers().get(0).deadline());
        assertEquals(pit.counterValue(0), copy.counterValue(0));
        int before = irqs.rises[0];
        clock.advanceTo(50_000_000);
        clock2.advanceTo(50_000_000);
        assertEquals(irqs.rises[0] - before, irqs2.rises[0]);
        assertEquals(irqs.lastRiseNs[0], irqs2.lastRiseNs[0]);
    }
}
