package dev.tandem.core.replay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tandem.core.machine.Machine;
import dev.tandem.core.machine.MachineConfig;
import dev.tandem.core.machine.TimingMode;
import dev.tandem.core.snapshot.StateDigest;
import dev.tandem.core.snapshot.StateHasher;
import dev.tandem.core.testkit.LinuxGuest;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.Test;

/**
 * The end-to-end check: record the Linux boot to the busybox shell plus an interactive
 * session whose keystrokes a separate thread types at moments it picks in host time (random
 * pauses, so every run differs), then replay the log: the console output must be the same bytes,
 * every state-hash checkpoint and the final state must match, in both timing modes.
 *
 * <p>About 4 minutes on the 2-core development machine (two boots recorded, two replayed), so it
 * runs only with {@code -Dtandem.long=true}; LinuxBootTest and RecordReplayTest's short Linux
 * run cover the default run.
 */
class LinuxSessionRecordReplayTest {
    static final String APPEND = "console=ttyS0 nokaslr cryptomgr.notests";
    static final long CHECKPOINT_EVERY = 250_000_000L;
    /** Guard: a boot plus session takes ~3e9 instructions; a run past this has gone wrong. */
    static final long MAX_INSTRUCTIONS = 12_000_000_000L;
    static final String PROMPT = "/ # ";

    /** Console output shared between the machine thread (appends) and the typist (reads). */
    static final class Console {
        private final StringBuilder sb = new StringBuilder();

        synchronized void append(int b) {
            sb.append((char) (b & 0xFF));
        }

        synchronized String text() {
            return sb.toString();
        }
    }

    record Recording(byte[] log, String output, StateDigest digest, Machine.Exit exit, long icount, long inputs,
            long bootIcount, double seconds, String typistError) {
    }

    private static int count(String s, String what) {
        int n = 0;
        for (int i = s.indexOf(what); i >= 0; i = s.indexOf(what, i + what.length())) n++;
        return n;
    }

    static Recording record(TimingMode timing, String[] commands, long seed) throws Exception {
        Map<String, String> spec = Harness.linuxSpec(APPEND);
        ConcurrentLinkedQueue<Integer> keys = new ConcurrentLinkedQueue<>();
        ByteArrayOutputStream logBytes = new ByteArrayOutputStream();
        LogWriter w = new LogWriter(logBytes);
        Recorder rec = new Recorder(HostWorld.system(() -> {
            Integer b = keys.poll();
            return b == null ? -1 : b;
        }), w, CHECKPOINT_EVERY);
        Machine m = new Machine(MachineConfig.defaults(128 << 20), rec);
        m.setTimingMode(timing);
        Console out = new Console();
        m.setDebugConsole(out::append);
        m.setSerial(0, out::append);
        GuestSpec.load(m, spec);
        w.writeHeader(rec.header(m, spec));

        long[] bootIcount = {-1};
        String[] error = {null};
        Thread typist = new Thread(() -> {
            Random rnd = new Random(seed);
            try {
                long deadline = System.nanoTime() + 600_000_000_000L;
                while (!out.text().contains(PROMPT)) {
                    if (System.nanoTime() > deadline) throw new IllegalStateException("no shell prompt within 10 min");
                    Thread.sleep(20);
                }
                bootIcount[0] = m.cpu().icount; // approximate (read across threads), for the report only
                for (String cmd : commands) {
                    int prompts = count(out.text(), PROMPT);
                    Thread.sleep(100 + rnd.nextInt(1400)); // the guest runs on meanwhile
                    for (char c : (cmd + "\n").toCharArray()) {
                        keys.add((int) c);
                        if (rnd.nextInt(4) == 0) Thread.sleep(rnd.nextInt(40));
                    }
                    while (count(out.text(), PROMPT) <= prompts) {
                        if (System.nanoTime() > deadline) throw new IllegalStateException("no prompt after '" + cmd + "'");
                        Thread.sleep(10);
                    }
                }
                Thread.sleep(100 + rnd.nextInt(500));
            } catch (Exception e) {
                error[0] = e.toString();
            } finally {
                m.requestStop();
            }
        }, "typist");
        long t0 = System.nanoTime();
        typist.start();
        Machine.Exit exit;
        for (;;) {
            exit = m.run(MAX_INSTRUCTIONS);
            // a guest idle with no timer armed waits for keys (the log records where it went on)
            if (exit != Machine.Exit.IDLE_FOREVER || !typist.isAlive()) break;
            Thread.sleep(5);
        }
        typist.join(); // the typist always stops the machine when it is done or has failed
        rec.finish(m, exit);
        w.close();
        double secs = (System.nanoTime() - t0) / 1e9;
        return new Recording(logBytes.toByteArray(), out.text(), StateHasher.digest(m), exit, m.cpu().icount,
                rec.inputEvents(), bootIcount[0], secs, error[0]);
    }

    private static long hashRecords(byte[] log) throws Exception {
        LogReader r = new LogReader(new ByteArrayInputStream(log));
        r.readHeader();
        long n = 0;
        for (LogRecord x; (x = r.next()) != null; ) if (x.type() == LogWriter.HASH) n++;
        return n;
    }

    @Test
    void bootAndTypedSessionReplayIdenticallyInBothTimingModes() throws Exception {
        assumeTrue(Boolean.getBoolean("tandem.long"), "long run only with -Dtandem.long=true");
        String release = LinuxGuest.kernelRelease();
        String[] commands = {"uname -a", "echo $((6*7))", "seq 1 3000 > /tmp/f; md5sum /tmp/f"};
        StringBuilder seq = new StringBuilder();
        for (int i = 1; i <= 3000; i++) seq.append(i).append('\n');
        String md5 = HexFormat.of().formatHex(MessageDigest.getInstance("MD5")
                .digest(seq.toString().getBytes(StandardCharsets.US_ASCII)));

        for (TimingMode timing : TimingMode.values()) {
            long seed = System.nanoTime();
            Recording rec = record(timing, commands, seed);
            assertNull(rec.typistError(), rec.typistError() + "; console tail:\n"
                    + rec.output().substring(Math.max(0, rec.output().length() - 2000)));
            assertEquals(Machine.Exit.STOPPED, rec.exit());
            // the session really happened in the recording
            String o = rec.output().replace("\r\n", "\n");
            assertTrue(o.contains(" " + release + " ") && o.contains("i686"), "uname output missing");
            assertTrue(o.contains("\n42\n"), "echo $((6*7)) output missing");
            assertTrue(o.contains(md5 + "  /tmp/f"), "md5sum output missing");

            long t0 = System.nanoTime();
            Harness.Run rep = Harness.replay(rec.log(), Long.MAX_VALUE);
            double replaySecs = (System.nanoTime() - t0) / 1e9;
            long hashes = hashRecords(rec.log());

            assertNull(rep.divergence(), rep.divergence());
            assertEquals(rec.output(), rep.output(), "console output bytes");
            assertEquals(rec.exit(), rep.exit(), "exit reason");
            assertEquals(rec.icount(), rep.icount(), "final instruction count");
            assertEquals(rec.digest().total(), rep.digest().total(), "final state hash");
            assertTrue(hashes >= rec.bootIcount() / CHECKPOINT_EVERY, "checkpoints in the log: " + hashes);
            // every HASH record plus the END record's final digest was checked, none skipped
            assertEquals(hashes + 1, rep.checkpoints(), "checkpoints checked in replay");
            assertEquals(rec.inputs(), rep.inputs(), "input records applied in replay");
            assertTrue(rec.inputs() >= 3, "input records: " + rec.inputs());

            System.out.printf("[%s] seed %d: shell after ~%,d instructions; recorded %,d instructions in %.1f s, "
                            + "replayed in %.1f s (%.2f); log %,d bytes (%.1f bytes/M instructions), %,d input records, "
                            + "%,d checkpoints + final state matched; console %,d bytes identical%n",
                    timing, seed, rec.bootIcount(), rec.icount(), rec.seconds(), replaySecs, replaySecs / rec.seconds(),
                    rec.log().length, rec.log().length / (rec.icount() / 1e6), rec.inputs(), hashes,
                    rec.output().length());
        }
    }
}
