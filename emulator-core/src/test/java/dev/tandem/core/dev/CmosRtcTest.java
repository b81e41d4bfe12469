package dev.tandem.core.dev;

import dev.tandem.core.io.IoBus;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.time.LocalDateTime;
import java.time.ZoneOffset;

import static org.junit.jupiter.api.Assertions.*;

class CmosRtcTest {
    /** 2026-11-22 01:02:03.250 UTC, a Sunday. */
    private static final long EPOCH_MS = LocalDateTime.of(2026, 11, 22, 1, 2, 3)
            .toInstant(ZoneOffset.UTC).toEpochMilli() + 250;

    private final FakeClock clock = new FakeClock();
    private final RecordingIrqSink irqs = new RecordingIrqSink(clock);
    private final IoBus bus = new IoBus();
    private CmosRtc rtc = newRtc(EPOCH_MS);

    private CmosRtc newRtc(long ms) {
        CmosRtc r = new CmosRtc(clock, clock.scheduler, irqs, ms);
        r.register(bus);
        return r;
    }

    private int read(int reg) {
        bus.out(0x70, 1, reg);
        return bus.in(0x71, 1);
    }

    private void write(int reg, int v) {
        bus.out(0x70, 1, reg);
        bus.out(0x71, 1, v);
    }

    @Test
    void readsPowerOnTimeInBcd() {
        assertEquals(0x03, read(0x00));
        assertEquals(0x02, read(0x02));
        assertEquals(0x01, read(0x04));
        assertEquals(0x01, read(0x06), "Sunday is day 1");
        assertEquals(0x22, read(0x07));
        assertEquals(0x11, read(0x08));
        assertEquals(0x26, read(0x09));
        assertEquals(0x20, read(0x32), "century byte");
        assertEquals(0x26, read(0x0A), "divider 32.768 kHz, 1024 Hz rate");
        assertEquals(0x02, read(0x0B), "24-hour BCD");
        assertEquals(0x80, read(0x0D), "VRT: valid RAM and time");
        // the power-on instant was 250 ms into second 3: second 4 starts 750 ms later
        clock.advanceTo(749_999_999);
        assertEquals(0x03, read(0x00));
        clock.advanceTo(750_000_000);
        assertEquals(0x04, read(0x00));
    }

    @Test
    void binaryAnd12HourModes() {
        write(0x0B, 0x06); // binary, 24 h
        assertEquals(3, read(0x00));
        assertEquals(22, read(0x07));
        assertEquals(26, read(0x09));
        assertEquals(20, read(0x32));
        clock.advanceTo(12L * 3600 * 1_000_000_000L); // 13:02:03.25
        write(0x0B, 0x00); // BCD, 12 h
        assertEquals(0x81, read(0x04), "1 PM: bit 7 = PM");
        write(0x0B, 0x04); // binary, 12 h
        assertEquals(0x81, read(0x04));
        clock.advanceTo(23L * 3600 * 1_000_000_000L); // 00:02:03.25 next day
        assertEquals(12, read(0x04), "midnight hour is 12 AM");
        assertEquals(23, read(0x07));
        assertEquals(2, read(0x06), "Monday");
    }

    @Test
    void calendarMatchesJavaTimeOverYears() {
        long[] offsetsS = {59, 3600, 86_400 * 9 + 7, 86_400L * 400, 86_400L * 1_200 + 12_345, 86_400L * 36_600};
        write(0x0B, 0x06);
        for (long off : offsetsS) {
            clock.advanceTo(off * 1_000_000_000L - 250_000_000L + 1);
            LocalDateTime expect = LocalDateTime.ofEpochSecond(EPOCH_MS / 1000 + off, 0, ZoneOffset.UTC);
            assertEquals(expect.getSecond(), read(0x00), "sec at +" + off);
            assertEquals(expect.getMinute(), read(0x02), "min at +" + off);
            assertEquals(expect.getHour(), read(0x04), "hour at +" + off);
            assertEquals(expect.getDayOfMonth(), read(0x07), "day at +" + off);
            assertEquals(expect.getMonthValue(), read(0x08), "month at +" + off);
            assertEquals(expect.getYear() % 100, read(0x09), "year at +" + off);
            assertEquals(expect.getYear() / 100, read(0x32), "century at +" + off);
            assertEquals(expect.getDayOfWeek().getValue() % 7 + 1, read(0x06), "weekday at +" + off);
        }
    }

    @Test
    void setBitFreezesAndGuestWritesSetNewBase() {
        clock.advanceTo(100_000_000);
        // the way Linux's mc146818_set_time does it: SET, write fields, clear SET
        write(0x0B, read(0x0B) | 0x80);
        write(0x09, 0x24);
        write(0x08, 0x02);
        write(0x07, 0x29);
        write(0x04, 0x23);
        write(0x02, 0x59);
        write(0x00, 0x58);
        clock.advanceTo(5_100_000_000L);
        assertEquals(0x58, read(0x00), "no updates while SET");
        assertEquals(0, read(0x0A) & 0x80, "no UIP while SET");
        write(0x0B, read(0x0B) & ~0x80);
        // resumes on the divider's seconds boundaries (250 ms phase from power-on)
        clock.advanceTo(5_750_000_000L);
        assertEquals(0x59, read(0x00));
        clock.advanceTo(6_750_000_000L);
        // 2024 is a leap year: Feb 29 23:59:59 -> Mar 1 00:00:00
        assertEquals(0x00, read(0x00));
        assertEquals(0x00, read(0x04));
        assertEquals(0x01, read(0x07));
        assertEquals(0x03, read(0x08));
        assertEquals(0x24, read(0x09));
    }

    @Test
    void writeWhileRunningKeepsPhase() {
        clock.advanceTo(500_000_000);
        write(0x02, 0x30); // minute 30, without SET
        assertEquals(0x30, read(0x02));
        assertEquals(0x03, read(0x00));
        clock.advanceTo(750_000_000);
        assertEquals(0x04, read(0x00));
        assertEquals(0x30, read(0x02));
    }

    @Test
    void uipSetShortlyBeforeEachUpdate() {
        // next update at 750 ms; UIP rises 244 us + 1984 us before it
        long boundary = 750_000_000L;
        clock.advanceTo(boundary - 2_228_001);
        assertEquals(0, read(0x0A) & 0x80);
        clock.advanceTo(boundary - 2_228_000);
        assertEquals(0x80, read(0x0A) & 0x80);
        clock.advanceTo(boundary - 1);
        assertEquals(0x80, read(0x0A) & 0x80);
        assertEquals(0x03, read(0x00), "old time until the update ends");
        clock.advanceTo(boundary);
        assertEquals(0, read(0x0A) & 0x80);
        assertEquals(0x04, read(0x00));
    }

    @Test
    void periodicInterruptAt1024HzAndCClears() {
        clock.advanceTo(1_000_000); // 1 ms: one periodic tick passed with PIE clear
        assertEquals(0x40, read(0x0C), "PF is set even when PIE is off, IRQF is not");
        assertEquals(0, irqs.rises[8], "no interrupt without PIE");
        assertEquals(0x00, read(0x0C), "reading C cleared the flags");
        write(0x0B, 0x42); // PIE, 24 h
        long end = 1_000_000 + 1_000_000_000L;
        while (clock.now < end) {
            clock.advanceBy(50_000);
            if (irqs.level[8]) {
                int c = read(0x0C);
                assertEquals(0xC0, c & 0xC0, "IRQF and PF");
                assertFalse(irqs.level[8], "IRQ8 released by reading C");
            }
        }
        // ticks of 976562.5 ns from the divider phase (-250 ms): exactly 1024 in one second
        assertEquals(1024, irqs.rises[8]);
        // the first after enabling: divider tick 256 * 32 = 250 ms + 1.953125 ms -> 1953125 ns
        assertEquals(1_953_125L, irqs.firstRiseNs[8]);
    }

    @Test
    void periodicRates() {
        assertEquals(0, CmosRtc.periodTicks(0));
        assertEquals(128, CmosRtc.periodTicks(1), "rate 1 = 256 Hz");
        assertEquals(256, CmosRtc.periodTicks(2), "rate 2 = 128 Hz");
        assertEquals(4, CmosRtc.periodTicks(3), "rate 3 = 8192 Hz");
        assertEquals(32, CmosRtc.periodTicks(6), "rate 6 = 1024 Hz");
        assertEquals(16384, CmosRtc.periodTicks(15), "rate 15 = 2 Hz");
    }

    @Test
    void updateEndedAndAlarmInterrupts() {
        write(0x0A, 0x20); // rate select 0, so PF stays clear and only UF/AF show up
        write(0x0B, 0x12); // UIE
        clock.advanceTo(750_000_000L - 1);
        assertEquals(0, irqs.rises[8]);
        clock.advanceTo(750_000_000L);
        assertEquals(1, irqs.rises[8], "update-ended interrupt at the seconds boundary");
        assertEquals(0x90, read(0x0C));
        // alarm at 01:02:07 (BCD)
        write(0x0B, 0x22); // AIE only
        write(0x01, 0x07);
        write(0x03, 0x02);
        write(0x05, 0x01);
        clock.advanceTo(3_749_999_999L); // 01:02:06.99
        assertEquals(1, irqs.rises[8]);
        clock.advanceTo(3_750_000_000L);
        assertEquals(2, irqs.rises[8], "alarm interrupt");
        assertEquals(0xB0, read(0x0C), "IRQF, AF and UF");
        // don't-care codes in all three registers: an alarm every second
        write(0x01, 0xC0);
        write(0x03, 0xFF);
        write(0x05, 0xC5);
        clock.advanceTo(4_750_000_000L);
        assertEquals(3, irqs.rises[8]);
        assertEquals(0xB0, read(0x0C));
        assertEquals(0x00, read(0x0C));
    }

    @Test
    void alarmFlagFoundAfterLongGapWithoutInterrupts() {
        write(0x0A, 0x20); // rate select 0: no periodic flag
        write(0x01, 0x00);
        write(0x03, 0x00);
        write(0x05, 0x05); // 05:00:00
        clock.advanceTo(10L * 3600 * 1_000_000_000L);
        assertEquals(0x30, read(0x0C), "AF and UF latched, no IRQF (interrupts disabled)");
    }

    @Test
    void dividerResetDelaysFirstUpdateByHalfSecond() {
        write(0x0A, 0x70); // DV = 111: divider held in reset
        clock.advanceTo(3_000_000_000L);
        assertEquals(0x03, read(0x00), "time stands still in reset");
        write(0x0A, 0x26);
        clock.advanceTo(3_499_999_999L);
        assertEquals(0x03, read(0x00));
        clock.advanceTo(3_500_000_000L);
        assertEquals(0x04, read(0x00));
    }

    @Test
    void nmiMaskAndPlainCmosBytes() {
        bus.out(0x70, 1, 0x8F);
        assertTrue(rtc.nmiMasked());
        bus.out(0x71, 1, 0x0A); // shutdown status byte
        bus.out(0x70, 1, 0x0F);
        assertFalse(rtc.nmiMasked());
        assertEquals(0x0A, bus.in(0x71, 1));
        write(0x0C, 0xFF);
        assertEquals(0x00, read(0x0C) & 0x0F, "C is read-only");
        assertThrows(IllegalArgumentException.class, () -> rtc.setCmosByte(0x0B, 0));
    }

    @Test
    void memorySizeFields() {
        rtc.setMemorySize(32L << 20);
        assertEquals(640, read(0x15) | read(0x16) << 8);
        assertEquals(31 * 1024, read(0x17) | read(0x18) << 8);
        assertEquals(31 * 1024, read(0x30) | read(0x31) << 8);
        assertEquals(16 * 16, read(0x34) | read(0x35) << 8, "16 MiB above 16 MiB in 64 KiB units");
        rtc.setMemorySize(6L << 30);
        assertEquals(0xFFFF, read(0x17) | read(0x18) << 8);
        assertEquals(((4L << 30) - (16L << 20)) >> 16, read(0x34) | read(0x35) << 8);
        assertEquals((2L << 30) >> 16, read(0x5B) | read(0x5C) << 8 | read(0x5D) << 16);
        rtc.setEquipmentByte(0x2F);
        rtc.updateChecksum();
        int sum = 0;
        for (int i = 0x10; i <= 0x2D; i++) sum += read(i);
        assertEquals(sum, read(0x2E) << 8 | read(0x2F));
    }

    @Test
    void stateRoundTrip() throws IOException {
        write(0x0B, 0x42);
        clock.advanceTo(123_456_789);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        rtc.saveState(new DataOutputStream(bytes));
        long deadline = clock.scheduler.timers().get(0).deadline();
        FakeClock c2 = new FakeClock();
        c2.now = clock.now;
        CmosRtc copy = new CmosRtc(c2, c2.scheduler, new RecordingIrqSink(c2), 0);
        copy.loadState(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())));
        assertEquals(deadline, c2.scheduler.timers().get(0).deadline());
        IoBus b2 = new IoBus();
        copy.register(b2);
        for (int r : new int[] {0, 2, 4, 6, 7, 8, 9, 0x0B}) {
            bus.out(0x70, 1, r);
            b2.out(0x70, 1, r);
            assertEquals(bus.in(0x71, 1), b2.in(0x71, 1), "register " + r);
        }
    }
}
