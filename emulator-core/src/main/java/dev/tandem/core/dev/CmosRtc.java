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
 * MC146818-compatible real-time clock with 128 bytes of CMOS RAM (index port 0x70, data 0x71;
 * bit 7 of a write to 0x70 masks NMI).
 *
 * <p>Time keeping: the calendar registers are not ticked one by one. We keep the date/time that
 * was current at guest instant {@code baseNs} (always a seconds boundary of the divider chain)
 * and derive the present value from the guest time elapsed since then. The power-on time is the
 * host wall-clock value handed to the constructor (read once, at the machine's nondeterminism
 * boundary); afterwards only guest time matters.
 *
 * <p>Update cycle timing (32.768 kHz time base): UIP rises 244 us before an update cycle starts
 * and stays set during the 1984 us cycle; the new time, UF and AF appear at the end of the cycle,
 * which is the seconds boundary here. Periodic interrupts tick on the same divider chain.
 *
 * <p>Simplification: switching DM or 24/12 re-encodes the current time on the next read (real
 * parts require software to rewrite the time registers after such a change).
 */
public final class CmosRtc implements IoDevice {
    public static final int STATE_VERSION = 1;

    public static final int REG_A = 0x0A;
    public static final int REG_B = 0x0B;
    public static final int REG_C = 0x0C;
    public static final int REG_D = 0x0D;
    public static final int CENTURY = 0x32;

    public static final int B_SET = 0x80;
    public static final int B_PIE = 0x40;
    public static final int B_AIE = 0x20;
    public static final int B_UIE = 0x10;
    public static final int B_DM_BINARY = 0x04;
    public static final int B_24H = 0x02;

    public static final int C_IRQF = 0x80;
    public static final int C_PF = 0x40;
    public static final int C_AF = 0x20;
    public static final int C_UF = 0x10;

    private static final long NS_PER_S = 1_000_000_000L;
    /** UIP is set this long before the seconds boundary (244 us + 1984 us). */
    private static final long UIP_NS = 244_000L + 1_984_000L;
    private static final int IRQ = 8;

    private final Clock clock;
    private final IrqSink irqSink;
    private final Scheduler.Timer timer;

    // ---- guest-visible state
    private final byte[] cmos = new byte[128];
    private int index;
    private boolean nmiMasked;
    /** Guest instant of a seconds boundary at which the time below was current. */
    private long baseNs;
    private int year; // full year, e.g. 2026
    private int month;
    private int day;
    private int hour; // 0-23 internally
    private int minute;
    private int second;
    private int dayOfWeek; // 1-7, 1 = Sunday
    /** Interrupt flags PF/AF/UF (IRQF is derived). */
    private int flags;
    /** Guest time up to which PF/AF/UF have been accounted for. */
    private long flagsSyncedNs;
    private boolean irqLine;

    /**
     * @param hostEpochMillisAtPowerOn host UTC wall-clock time (ms since 1970) at power-on, read once
     *     by the machine at its nondeterminism boundary and recorded
     */
    public CmosRtc(Clock clock, Scheduler scheduler, IrqSink irq, long hostEpochMillisAtPowerOn) {
        this.clock = clock;
        this.irqSink = irq;
        this.timer = scheduler.create("rtc", this::timerFired);
        long secs = Math.floorDiv(hostEpochMillisAtPowerOn, 1000L);
        long ms = Math.floorMod(hostEpochMillisAtPowerOn, 1000L);
        // the seconds boundary preceding power-on lies ms milliseconds before guest time 0
        baseNs = -ms * 1_000_000L;
        setFieldsFromEpoch(secs);
        dayOfWeek = (int) Math.floorMod(Math.floorDiv(secs, 86400L) + 4, 7L) + 1; // 1970-01-01: Thu
        cmos[REG_A] = 0x26; // DV = 010 (32.768 kHz), RS = 0110 (1024 Hz)
        cmos[REG_B] = B_24H;
        flagsSyncedNs = clock.nowNs();
    }

    public void register(IoBus bus) {
        bus.register(0x70, 0x71, this);
    }

    /** True while the last write to port 0x70 had bit 7 set (NMI disabled). */
    public boolean nmiMasked() {
        return nmiMasked;
    }

    // ------------------------------------------------------------------ BIOS-style setup helpers

    /** Raw CMOS byte (for firmware setup by the machine; not for the clock registers 0-0xD). */
    public int cmosByte(int i) {
        checkIndex(i);
        return cmos[i] & 0xFF;
    }

    public void setCmosByte(int i, int value) {
        checkIndex(i);
        if (i <= REG_D || i == CENTURY) {
            throw new IllegalArgumentException("CMOS byte 0x" + Integer.toHexString(i)
                    + " is a clock register; program it through the ports");
        }
        cmos[i] = (byte) value;
    }

    private static void checkIndex(int i) {
        if (i < 0 || i > 127) throw new IllegalArgumentException("CMOS index out of range 0..127: " + i);
    }

    /**
     * Fills the memory size fields as PC firmware expects them: 0x15/0x16 base memory (640 KiB),
     * 0x17/0x18 and 0x30/0x31 KiB above 1 MiB (capped at 65535), 0x34/0x35 64 KiB units above
     * 16 MiB (capped at 65535, below 4 GiB), 0x5B-0x5D 64 KiB units above 4 GiB.
     */
    public void setMemorySize(long ramBytes) {
        if (ramBytes < 1024 * 1024) {
            throw new IllegalArgumentException("RAM size below 1 MiB: " + ramBytes);
        }
        putWord(0x15, 640);
        long lowRam = Math.min(ramBytes, 0x1_0000_0000L);
        long extKb = Math.min(65535, (lowRam - 1024 * 1024) / 1024);
        putWord(0x17, (int) extKb);
        putWord(0x30, (int) extKb);
        long above16 = lowRam > 16L << 20 ? Math.min(65535, (lowRam - (16L << 20)) >> 16) : 0;
        putWord(0x34, (int) above16);
        long above4g = ramBytes > 0x1_0000_0000L ? (ramBytes - 0x1_0000_0000L) >> 16 : 0;
        cmos[0x5B] = (byte) above4g;
        cmos[0x5C] = (byte) (above4g >> 8);
        cmos[0x5D] = (byte) (above4g >> 16);
    }

    private void putWord(int i, int v) {
        cmos[i] = (byte) v;
        cmos[i + 1] = (byte) (v >> 8);
    }

    /** Equipment byte 0x14 (bit 0 floppy present, bits 4-5 video, bits 6-7 floppy count - 1). */
    public void setEquipmentByte(int value) {
        cmos[0x14] = (byte) value;
    }

    /** Standard AT checksum of bytes 0x10-0x2D stored big-endian at 0x2E/0x2F. */
    public void updateChecksum() {
        int sum = 0;
        for (int i = 0x10; i <= 0x2D; i++) sum += cmos[i] & 0xFF;
        cmos[0x2E] = (byte) (sum >> 8);
        cmos[0x2F] = (byte) sum;
    }

    // ------------------------------------------------------------------ calendar arithmetic

    /** Days since 1970-01-01 of the proleptic Gregorian date; month/day may be out of range. */
    static long daysFromCivil(long y, long m, long d) {
        y += Math.floorDiv(m - 1, 12L);
        m = Math.floorMod(m - 1, 12L) + 1;
        if (m <= 2) y--;
        long era = Math.floorDiv(y, 400L);
        long yoe = y - era * 400; // 0..399, years starting in March
        long mp = (m + 9) % 12; // March = 0
        long doy = (153 * mp + 2) / 5 + d - 1;
        long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        return era * 146097 + doe - 719468;
    }

    private long fieldsToEpoch() {
        return daysFromCivil(year, month, day) * 86400L + hour * 3600L + minute * 60L + second;
    }

    private void setFieldsFromEpoch(long epoch) {
        long days = Math.floorDiv(epoch, 86400L);
        int sod = (int) Math.floorMod(epoch, 86400L);
        hour = sod / 3600;
        minute = sod / 60 % 60;
        second = sod % 60;
        long z = days + 719468;
        long era = Math.floorDiv(z, 146097L);
        long doe = z - era * 146097;
        long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
        long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        long mp = (5 * doy + 2) / 153;
        day = (int) (doy - (153 * mp + 2) / 5 + 1);
        month = (int) (mp < 10 ? mp + 3 : mp - 9);
        year = (int) (yoe + era * 400 + (month <= 2 ? 1 : 0));
    }

    // ------------------------------------------------------------------ time base

    private boolean dividerRunning() {
        return ((cmos[REG_A] >> 4) & 6) != 6; // DV = 11x holds the divider chain in reset
    }

    private boolean updating() {
        return dividerRunning() && (cmos[REG_B] & B_SET) == 0;
    }

    /** Folds the whole seconds elapsed since baseNs into the stored date/time. */
    private void materialize(long now) {
        if (!updating()) return;
        long n = Math.floorDiv(now - baseNs, NS_PER_S);
        if (n <= 0) return;
        long e0 = fieldsToEpoch();
        long d0 = Math.floorDiv(e0, 86400L);
        setFieldsFromEpoch(e0 + n);
        long d1 = Math.floorDiv(e0 + n, 86400L);
        dayOfWeek = (int) Math.floorMod(dayOfWeek - 1 + (d1 - d0), 7L) + 1;
        baseNs += n * NS_PER_S;
    }

    /** 32.768 kHz divider ticks in the guest interval [baseNs, t]. */
    private long dividerTicks(long t) {
        long d = t - baseNs;
        long q = Math.floorDiv(d, 1_953_125L);
        long r = Math.floorMod(d, 1_953_125L);
        return q * 64 + r * 64 / 1_953_125L; // 32768 / 1e9 = 64 / 1953125
    }

    /** Guest time of divider tick {@code k} (counted from baseNs). */
    private long dividerTickNs(long k) {
        long q = Math.floorDiv(k, 64L);
        long r = Math.floorMod(k, 64L);
        return baseNs + q * 1_953_125L + (r * 1_953_125L + 63) / 64;
    }

    /** Periodic interrupt period in 32.768 kHz ticks for rate select rs, or 0 if disabled. */
    static int periodTicks(int rs) {
        if (rs == 0) return 0;
        if (rs <= 2) return 1 << (rs + 6); // rates 1 and 2 repeat 8 and 9 with a 32 kHz base
        return 1 << (rs - 1);
    }

    // ------------------------------------------------------------------ flags and IRQ8

    private void syncFlags(long now) {
        long a = flagsSyncedNs;
        if (now <= a) return;
        flagsSyncedNs = now;
        if (!dividerRunning()) return;
        int p = periodTicks(cmos[REG_A] & 0x0F);
        if (p != 0 && Math.floorDiv(dividerTicks(now), p) > Math.floorDiv(dividerTicks(a), p)) {
            flags |= C_PF;
        }
        if ((cmos[REG_B] & B_SET) != 0) return;
        long sa = Math.floorDiv(a - baseNs, NS_PER_S);
        long sb = Math.floorDiv(now - baseNs, NS_PER_S);
        if (sb > sa) {
            flags |= C_UF;
            if ((flags & C_AF) == 0 && alarmBetween(sa, sb)) flags |= C_AF;
        }
    }

    /** Whether an update at seconds boundary k in (sa, sb] (relative to baseNs) matches the alarm. */
    private boolean alarmBetween(long sa, long sb) {
        long first = Math.max(sa + 1, sb - 86400); // the alarm pattern repeats daily
        long e0 = fieldsToEpoch();
        int as = cmos[1] & 0xFF;
        int am = cmos[3] & 0xFF;
        int ah = cmos[5] & 0xFF;
        for (long k = first; k <= sb; k++) {
            int sod = (int) Math.floorMod(e0 + k, 86400L);
            if (alarmMatch(as, encode(sod % 60)) && alarmMatch(am, encode(sod / 60 % 60))
                    && alarmMatch(ah, encodeHour(sod / 3600))) {
                return true;
            }
        }
        return false;
    }

    private static boolean alarmMatch(int alarm, int value) {
        return (alarm & 0xC0) == 0xC0 || alarm == value; // 11xxxxxx is "don't care"
    }

    private void updateIrq() {
        int b = cmos[REG_B];
        boolean irqf = (flags & b & (C_PF | C_AF | C_UF)) != 0; // PIE/AIE/UIE share the bit positions
        if (irqf != irqLine) {
            irqLine = irqf;
            irqSink.setIrq(IRQ, irqf);
        }
    }

    private void timerFired() {
        long now = clock.nowNs();
        syncFlags(now);
        updateIrq();
        rearm(now);
    }

    /** Arms the timer for the next event that could raise IRQ8 (none while IRQ8 is asserted). */
    private void rearm(long now) {
        long next = Scheduler.NEVER;
        if (!irqLine && dividerRunning()) {
            int b = cmos[REG_B];
            int p = periodTicks(cmos[REG_A] & 0x0F);
            if ((b & B_PIE) != 0 && p != 0) {
                long k = (Math.floorDiv(dividerTicks(now), p) + 1) * p;
                next = dividerTickNs(k);
            }
            if ((b & (B_UIE | B_AIE)) != 0 && (b & B_SET) == 0) {
                long s = Math.floorDiv(now - baseNs, NS_PER_S) + 1;
                next = Math.min(next, baseNs + s * NS_PER_S);
            }
        }
        if (next == Scheduler.NEVER) timer.cancel();
        else timer.set(next);
    }

    // ------------------------------------------------------------------ register encoding

    private boolean binary() {
        return (cmos[REG_B] & B_DM_BINARY) != 0;
    }

    private int encode(int v) {
        return binary() ? v : (v / 10) << 4 | v % 10;
    }

    private int decode(int v) {
        return binary() ? v : (v >> 4) * 10 + (v & 0x0F);
    }

    private int encodeHour(int h) {
        if ((cmos[REG_B] & B_24H) != 0) return encode(h);
        int h12 = h % 12 == 0 ? 12 : h % 12;
        return encode(h12) | (h >= 12 ? 0x80 : 0);
    }

    private int decodeHour(int v) {
        if ((cmos[REG_B] & B_24H) != 0) return decode(v);
        int h = decode(v & 0x7F) % 12;
        return (v & 0x80) != 0 ? h + 12 : h;
    }

    // ------------------------------------------------------------------ port I/O

    @Override
    public int ioRead(int port, int size) {
        if (port == 0x70) return 0xFF; // the index register is write-only
        long now = clock.nowNs();
        syncFlags(now);
        materialize(now);
        int v = switch (index) {
            case 0x00 -> encode(second);
            case 0x02 -> encode(minute);
            case 0x04 -> encodeHour(hour);
            case 0x06 -> encode(dayOfWeek);
            case 0x07 -> encode(day);
            case 0x08 -> encode(month);
            case 0x09 -> encode(Math.floorMod(year, 100));
            case CENTURY -> encode(Math.floorMod(Math.floorDiv(year, 100), 100));
            case REG_A -> (cmos[REG_A] & 0x7F) | (uip(now) ? 0x80 : 0);
            case REG_C -> readC(now);
            case REG_D -> 0x80; // VRT: the battery is fine
            default -> cmos[index] & 0xFF;
        };
        return v;
    }

    private boolean uip(long now) {
        if (!updating()) return false;
        return Math.floorMod(now - baseNs, NS_PER_S) >= NS_PER_S - UIP_NS;
    }

    private int readC(long now) {
        updateIrq();
        int v = flags | (irqLine ? C_IRQF : 0);
        flags = 0; // reading C clears all flags and releases IRQ8
        updateIrq();
        rearm(now);
        return v;
    }

    @Override
    public void ioWrite(int port, int size, int value) {
        value &= 0xFF;
        if (port == 0x70) {
            index = value & 0x7F;
            nmiMasked = (value & 0x80) != 0;
            return;
        }
        long now = clock.nowNs();
        syncFlags(now);
        materialize(now);
        switch (index) {
            case 0x00 -> second = decode(value);
            case 0x02 -> minute = decode(value);
            case 0x04 -> hour = decodeHour(value);
            case 0x06 -> dayOfWeek = decode(value);
            case 0x07 -> day = decode(value);
            case 0x08 -> month = decode(value);
            case 0x09 -> year = Math.floorDiv(year, 100) * 100 + decode(value);
            case CENTURY -> year = decode(value) * 100 + Math.floorMod(year, 100);
            case REG_A -> writeA(value, now);
            case REG_B -> writeB(value, now);
            case REG_C, REG_D -> { } // read-only
            default -> cmos[index] = (byte) value;
        }
        updateIrq();
        rearm(now);
    }

    private void writeA(int value, long now) {
        boolean wasRunning = dividerRunning();
        cmos[REG_A] = (byte) (value & 0x7F);
        if (!wasRunning && dividerRunning()) {
            // leaving divider reset: the first update cycle ends half a second later
            baseNs = now + NS_PER_S / 2 - NS_PER_S;
            flagsSyncedNs = now;
        }
    }

    private void writeB(int value, long now) {
        boolean wasSet = (cmos[REG_B] & B_SET) != 0;
        if ((value & B_SET) != 0) value &= ~B_UIE; // SET clears UIE
        cmos[REG_B] = (byte) value;
        if (wasSet && (value & B_SET) == 0) {
            // updates resume on the divider's next seconds boundary with the time as written
            baseNs += Math.floorDiv(now - baseNs, NS_PER_S) * NS_PER_S;
        }
    }

    // ------------------------------------------------------------------ snapshot

    public void saveState(DataOutput out) throws IOException {
        out.writeInt(STATE_VERSION);
        out.writeInt(cmos.length);
        out.write(cmos);
        out.writeInt(index);
        out.writeBoolean(nmiMasked);
        out.writeLong(baseNs);
        out.writeInt(year);
        out.writeInt(month);
        out.writeInt(day);
        out.writeInt(hour);
        out.writeInt(minute);
        out.writeInt(second);
        out.writeInt(dayOfWeek);
        out.writeInt(flags);
        out.writeLong(flagsSyncedNs);
        out.writeBoolean(irqLine);
    }

    public void loadState(DataInput in) throws IOException {
        StateIo.expectVersion(in, "CmosRtc", STATE_VERSION);
        StateIo.readFully(in, cmos, "CmosRtc", "CMOS RAM");
        index = in.readInt() & 0x7F;
        nmiMasked = in.readBoolean();
        baseNs = in.readLong();
        year = in.readInt();
        month = in.readInt();
        day = in.readInt();
        hour = in.readInt();
        minute = in.readInt();
        second = in.readInt();
        dayOfWeek = in.readInt();
        flags = in.readInt() & (C_PF | C_AF | C_UF);
        flagsSyncedNs = in.readLong();
        irqLine = in.readBoolean();
        rearm(clock.nowNs());
    }
}
