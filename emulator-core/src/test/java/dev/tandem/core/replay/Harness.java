package dev.tandem.core.replay;

import dev.tandem.core.machine.Machine;
import dev.tandem.core.machine.MachineConfig;
import dev.tandem.core.machine.TimingMode;
import dev.tandem.core.snapshot.StateDigest;
import dev.tandem.core.snapshot.StateHasher;
import dev.tandem.core.testkit.LinuxGuest;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;

/** Records and replays machines in memory for the tests. */
final class Harness {
    private Harness() {
    }

    record Run(byte[] log, String output, StateDigest digest, Machine.Exit exit, long icount, String divergence,
            long checkpoints, long inputs) {
    }

    /** The Debian guest ({@link LinuxGuest}: skipped, or failed in require mode, when it is absent). */
    static Map<String, String> linuxSpec(String append) {
        LinuxGuest.require();
        return Map.of("kernel", LinuxGuest.kernel().toString(), "initrd", LinuxGuest.initrd().toString(), "append", append);
    }

    /** The serial bytes the INPUT records of a log deliver, in order. */
    static String serialInput(byte[] log) throws IOException {
        LogReader r = new LogReader(new ByteArrayInputStream(log));
        r.readHeader();
        StringBuilder sb = new StringBuilder();
        for (LogRecord x; (x = r.next()) != null; ) {
            if (x.type() != LogWriter.INPUT) continue;
            java.io.DataInputStream in = new java.io.DataInputStream(new ByteArrayInputStream(x.payload()));
            in.readLong(); // ticks
            in.readLong(); // host-clock delta
            int n = in.readUnsignedShort();
            for (int i = 0; i < n; i++) sb.append((char) in.readUnsignedByte());
        }
        return sb.toString();
    }

    /**
     * Records a run of {@code spec} up to {@code until} instructions while a feeder thread types
     * {@code input} one byte every {@code gapMillis} of host time.
     */
    static Run record(Map<String, String> spec, int ram, TimingMode timing, long until, long checkpointEvery,
            String input, long gapMillis) throws Exception {
        ConcurrentLinkedQueue<Integer> q = new ConcurrentLinkedQueue<>();
        Thread feeder = new Thread(() -> {
            try {
                for (char ch : input.toCharArray()) {
                    Thread.sleep(gapMillis);
                    q.add((int) ch);
                }
            } catch (InterruptedException e) {
                // stop feeding
            }
        });
        ByteArrayOutputStream logBytes = new ByteArrayOutputStream();
        LogWriter w = new LogWriter(logBytes);
        Recorder rec = new Recorder(HostWorld.system(() -> {
            Integer b = q.poll();
            return b == null ? -1 : b;
        }), w, checkpointEvery);
        Machine m = new Machine(MachineConfig.defaults(ram), rec);
        m.setTimingMode(timing);
        StringBuilder out = new StringBuilder();
        wireOutput(m, out);
        GuestSpec.load(m, spec);
        w.writeHeader(rec.header(m, spec));
        feeder.start();
        Machine.Exit exit = m.run(until);
        feeder.interrupt();
        feeder.join();
        rec.finish(m, exit);
        w.close();
        return new Run(logBytes.toByteArray(), out.toString(), StateHasher.digest(m), exit, m.cpu().icount, null, 0,
                rec.inputEvents());
    }

    static void wireOutput(Machine m, StringBuilder out) {
        m.setDebugConsole(b -> out.append((char) b));
        m.setSerial(0, b -> out.append((char) b));
    }

    /** Replays a log to its end (or {@code stopAt}). */
    static Run replay(byte[] log, long stopAt) throws IOException {
        LogReader r = new LogReader(new ByteArrayInputStream(log));
        LogHeader h = r.readHeader();
        Replayer rp = new Replayer(r, h, null);
        Machine m = new Machine(h.config(), rp);
        m.setTimingMode(h.timing());
        StringBuilder out = new StringBuilder();
        wireOutput(m, out);
        GuestSpec.load(m, h.guest());
        Machine.Exit exit;
        do {
            exit = m.run(stopAt);
        } while (!(exit == Machine.Exit.LIMIT && m.cpu().icount >= stopAt) && !rp.finishIfEnded(m, exit));
        rp.throwIfLogDamaged();
        return new Run(log, out.toString(), StateHasher.digest(m), exit, m.cpu().icount, rp.divergence(),
                rp.checkpointsChecked(), rp.inputsApplied());
    }
}
