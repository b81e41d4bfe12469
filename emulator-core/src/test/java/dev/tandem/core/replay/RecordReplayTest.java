package dev.tandem.core.replay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.core.machine.Machine;
import dev.tandem.core.machine.TimingMode;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class RecordReplayTest {
    static final Map<String, String> HELLO = Map.of("guest", "hello");

    private static void assertSameRun(Harness.Run rec, Harness.Run rep) {
        assertNull(rep.divergence(), rep.divergence());
        assertEquals(rec.output(), rep.output(), "console output");
        assertEquals(rec.icount(), rep.icount(), "final instruction count");
        assertEquals(rec.exit(), rep.exit(), "exit reason");
        assertEquals(rec.digest().total(), rep.digest().total(), "final state hash");
        assertTrue(rep.checkpoints() >= 2, "checkpoints checked: " + rep.checkpoints());
    }

    /**
     * The log's INPUT records carry {@code recorded}, and the replay applies every input record.
     * A guest that does not read its UART takes one byte (it waits in the receive buffer); the
     * other keys stay queued on the host side and are never input, so only the first key is logged.
     */
    private static void assertInputRecorded(String recorded, Harness.Run rec, Harness.Run rep) throws IOException {
        assertEquals(recorded, Harness.serialInput(rec.log()), "serial bytes in the log's INPUT records");
        assertTrue(rec.inputs() >= 1, "input records: " + rec.inputs());
        assertEquals(rec.inputs(), rep.inputs(), "input records applied in replay");
    }

    @Test
    void builtInGuestRecordsAndReplaysInVirtualTime() throws Exception {
        Harness.Run rec = Harness.record(HELLO, 32 << 20, TimingMode.VIRTUAL, Long.MAX_VALUE, 20_000, "ab", 1);
        assertEquals(Machine.Exit.HALTED, rec.exit());
        Harness.Run rep = Harness.replay(rec.log(), Long.MAX_VALUE);
        assertSameRun(rec, rep);
        assertInputRecorded("a", rec, rep); // the hello guest never reads COM1
    }

    @Test
    void builtInGuestRecordsAndReplaysInHostClockTime() throws Exception {
        Harness.Run rec = Harness.record(HELLO, 32 << 20, TimingMode.HOST_CLOCK, Long.MAX_VALUE, 20_000, "xy", 1);
        Harness.Run rep = Harness.replay(rec.log(), Long.MAX_VALUE);
        assertSameRun(rec, rep);
        assertInputRecorded("x", rec, rep);
    }

    @Test
    void flippedByteIsRejectedNamingTheRecord() throws Exception {
        Harness.Run rec = Harness.record(HELLO, 32 << 20, TimingMode.VIRTUAL, Long.MAX_VALUE, 20_000, "", 1);
        byte[] bad = rec.log().clone();
        int at = bad.length - 30; // inside the END record's payload
        bad[at] ^= 0x10;
        IOException e = assertThrows(IOException.class, () -> Harness.replay(bad, Long.MAX_VALUE));
        assertTrue(e.getMessage().matches(".*record #\\d+ at byte offset \\d+ fails its CRC32C check.*"), e.getMessage());
    }

    @Test
    void logCutInsideARecordIsRejectedNamingTheRecord() throws Exception {
        Harness.Run rec = Harness.record(HELLO, 32 << 20, TimingMode.VIRTUAL, Long.MAX_VALUE, 20_000, "", 1);
        byte[] cut = Arrays.copyOf(rec.log(), rec.log().length - 7);
        IOException e = assertThrows(IOException.class, () -> Harness.replay(cut, Long.MAX_VALUE));
        assertTrue(e.getMessage().matches("log truncated: record #\\d+ at byte offset \\d+ is cut short.*"), e.getMessage());
    }

    @Test
    void logCutBetweenRecordsIsRejectedForTheMissingEndRecord() throws Exception {
        Harness.Run rec = Harness.record(HELLO, 32 << 20, TimingMode.VIRTUAL, Long.MAX_VALUE, 20_000, "", 1);
        LogReader r = new LogReader(new ByteArrayInputStream(rec.log()));
        r.readHeader();
        LogRecord last = null;
        for (LogRecord x; (x = r.next()) != null; ) last = x;
        assertEquals(LogWriter.END, last.type());
        byte[] cut2 = Arrays.copyOf(rec.log(), (int) last.offset());
        IOException e2 = assertThrows(IOException.class, () -> Harness.replay(cut2, Long.MAX_VALUE));
        assertTrue(e2.getMessage().contains("without an END record"), e2.getMessage());
    }

    @Test
    void damagedMagicIsRejected() throws Exception {
        Harness.Run rec = Harness.record(HELLO, 32 << 20, TimingMode.VIRTUAL, 1000, 0, "", 1);
        byte[] bad = rec.log().clone();
        bad[0] = 'X';
        String msg = assertThrows(IOException.class, () -> Harness.replay(bad, Long.MAX_VALUE)).getMessage();
        assertTrue(msg.contains("magic"), msg);
    }

    @Test
    void damagedHeaderIsRejected() throws Exception {
        Harness.Run rec = Harness.record(HELLO, 32 << 20, TimingMode.VIRTUAL, 1000, 0, "", 1);
        byte[] bad = rec.log().clone();
        bad[20] ^= 1;
        String msg = assertThrows(IOException.class, () -> Harness.replay(bad, Long.MAX_VALUE)).getMessage();
        assertTrue(msg.contains("header"), msg);
    }

    @Test
    void divergenceIsReportedWithTheDifferingComponents() throws Exception {
        Harness.Run rec = Harness.record(HELLO, 32 << 20, TimingMode.VIRTUAL, Long.MAX_VALUE, 10_000, "", 1);
        // replay against a guest whose state differs: same log, but poke RAM and a register first
        LogReader r = new LogReader(new ByteArrayInputStream(rec.log()));
        LogHeader h = r.readHeader();
        Replayer rp = new Replayer(r, h, null);
        Machine m = new Machine(h.config(), rp);
        GuestSpec.load(m, h.guest());
        m.memory().ram[0x123456] = 1;
        m.cpu().reg[dev.tandem.core.cpu.Cpu.EBP] = 0x5555;
        Machine.Exit exit = m.run(Long.MAX_VALUE);
        assertEquals(Machine.Exit.STOPPED, exit);
        String d = rp.divergence();
        assertNotNull(d);
        assertTrue(d.contains("icount 0"), d);
        assertTrue(d.contains("ebp=expected 00000000, got 00005555"), d);
        assertTrue(d.contains("0x00123000"), d);
    }

    /**
     * 3e8 instructions of the Linux boot while "echo hi" is typed (150 ms between keys), in each
     * timing mode. The serial driver does not read COM1 this early, so the first key is the input.
     */
    @ParameterizedTest
    @EnumSource(TimingMode.class)
    void shortLinuxRunRecordsAndReplays(TimingMode t) throws Exception {
        Harness.Run rec = Harness.record(Harness.linuxSpec("console=ttyS0"), 128 << 20, t, 300_000_000L, 50_000_000L,
                "echo hi\n", 150);
        assertEquals(Machine.Exit.LIMIT, rec.exit());
        Harness.Run rep = Harness.replay(rec.log(), Long.MAX_VALUE);
        assertSameRun(rec, rep);
        assertInputRecorded("e", rec, rep);
    }

    @Test
    void fullLinuxBootRecordsAndReplays() throws Exception {
        Assumptions.assumeTrue(Boolean.getBoolean("tandem.long"), "long run only with -Dtandem.long=true");
        Harness.Run rec = Harness.record(Harness.linuxSpec("console=ttyS0"), 128 << 20, TimingMode.VIRTUAL, 7_500_000_000L,
                500_000_000L, "\necho replay-ok\n", 20_000);
        Harness.Run rep = Harness.replay(rec.log(), Long.MAX_VALUE);
        assertSameRun(rec, rep);
        // one key every 20 s of host time: how many arrive before 7.5e9 instructions depends on the host's speed
        String typed = Harness.serialInput(rec.log());
        assertTrue(!typed.isEmpty() && "\necho replay-ok\n".startsWith(typed), "serial bytes in the log: '" + typed + "'");
        assertEquals(rec.inputs(), rep.inputs(), "input records applied in replay");
    }
}
