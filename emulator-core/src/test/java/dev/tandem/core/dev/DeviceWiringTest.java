package dev.tandem.core.dev;

import dev.tandem.core.io.IoBus;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** The timer devices feeding the real PIC pair, with the CPU side played by the test. */
class DeviceWiringTest {
    private final FakeClock clock = new FakeClock();
    private final IoBus bus = new IoBus();
    private final Pic8259Pair pic = new Pic8259Pair();

    private void initPic() {
        int[][] seq = {{0x20, 0x11}, {0x21, 0x30}, {0x21, 0x04}, {0x21, 0x01},
                {0xA0, 0x11}, {0xA1, 0x38}, {0xA1, 0x02}, {0xA1, 0x01}, {0x21, 0x00}, {0xA1, 0x00}};
        for (int[] w : seq) bus.out(w[0], 1, w[1]);
    }

    @Test
    void pitMode2DeliversVector0x30EveryMillisecond() {
        pic.register(bus);
        initPic();
        Pit8254 pit = new Pit8254(clock, clock.scheduler, pic);
        pit.register(bus);
        bus.out(0x43, 1, 0x34);
        bus.out(0x40, 1, 1193 & 0xFF);
        bus.out(0x40, 1, 1193 >> 8);
        int taken = 0;
        long lastNs = -1;
        for (long t = 0; t <= 10_000_000; t += 10_000) { // the "CPU" polls INTR every 10 us
            clock.advanceTo(t);
            if (pic.hasInterrupt()) {
                assertEquals(0x30, pic.acknowledge());
                bus.out(0x20, 1, 0x20);
                if (lastNs >= 0) assertEquals(1_000_000, t - lastNs, 10_000, "period ~1 ms");
                lastNs = t;
                taken++;
            }
        }
        // edges at ticks 1 + k*1193 up to 10 ms = tick 11931: k = 1..10 (the 10th exactly at 11931)
        assertEquals(10, taken);
    }

    @Test
    void rtcPeriodicThroughSlavePic() {
        pic.register(bus);
        initPic();
        CmosRtc rtc = new CmosRtc(clock, clock.scheduler, pic, 1_700_000_000_000L);
        rtc.register(bus);
        bus.out(0x70, 1, 0x0A);
        bus.out(0x71, 1, 0x2F); // 2 Hz
        bus.out(0x70, 1, 0x0B);
        bus.out(0x71, 1, 0x42); // PIE
        int taken = 0;
        for (long t = 0; t <= 3_000_000_000L; t += 1_000_000) {
            clock.advanceTo(t);
            if (pic.hasInterrupt()) {
                assertEquals(0x38, pic.acknowledge(), "IRQ8 -> slave IR0");
                bus.out(0x70, 1, 0x0C);
                assertEquals(0xC0, bus.in(0x71, 1) & 0xC0);
                bus.out(0xA0, 1, 0x20);
                bus.out(0x20, 1, 0x20);
                taken++;
            }
        }
        assertEquals(6, taken, "2 Hz for 3 s");
    }
}
