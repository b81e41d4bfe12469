package dev.tandem.cli.console;

import dev.tandem.core.machine.Machine;
import dev.tandem.core.machine.TimingMode;
import dev.tandem.core.replay.HostWorld;
import dev.tandem.core.snapshot.Snapshot;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * The escape-key commands of an interactive console and their effect on the machine.
 *
 * <p>Keys arrive on the console's input thread; everything that touches the machine happens on
 * the machine thread in {@link #atSliceBoundary}, which the command calls at every slice boundary:
 * a snapshot is written there (the CPU is between instructions, all devices are quiescent), and
 * a pause blocks there until it is lifted. Quitting asks the machine to stop ({@link
 * Machine#requestStop()}), so the run ends the same way as on SIGTERM, with the usual final lines.
 *
 * <p>Guest time during a pause: in virtual timing it is a function of the instruction count, so it
 * stands still by construction. In host-clock timing the {@link #hostWorld} this class hands out
 * subtracts the time spent paused (and writing snapshots) from the host clock, so guest time stops
 * too and resumes where it stopped, as a stopped QEMU VM's does: no timer storm after a pause, and
 * nothing about the pause is written to a recording. The guest's wall clock falls behind the
 * host's by the pause.
 */
public final class ConsoleControl implements EscapeDecoder.Actions {
    private final PrintStream msg;
    private final String snapshotTemplate;
    private final int escapeKey;
    private final GuestOutput output;
    private final Object lock = new Object();
    private volatile Machine machine;
    private volatile boolean quit;
    private volatile boolean snapshotRequested;
    private volatile boolean paused;
    /** Host ns spent paused or writing snapshots; written and read on the machine thread. */
    private volatile long heldNanos;
    private int snapshotsWritten;

    /**
     * @param msg                where console messages go (standard error)
     * @param snapshotTemplate   snapshot file name; {@code {icount}} is replaced by the instruction count
     * @param escapeKey          the escape prefix (for the help text)
     * @param output             the guest's console output, flushed before each message
     */
    public ConsoleControl(PrintStream msg, String snapshotTemplate, int escapeKey, GuestOutput output) {
        this.msg = msg;
        this.snapshotTemplate = snapshotTemplate;
        this.escapeKey = escapeKey;
        this.output = output;
    }

    /** The guest's console output as far as messages care. */
    public interface GuestOutput {
        /** Writes out what the guest printed so far. */
        void flush();

        /** True when the guest's output (or the last message) ended a line. */
        boolean atLineStart();

        /** Records that a message ended a line. */
        void lineEnded();
    }

    /** The machine the keys act on (set before it runs). */
    public void attach(Machine m) {
        this.machine = m;
    }

    public boolean quitRequested() {
        return quit;
    }

    public int snapshotsWritten() {
        return snapshotsWritten;
    }

    /** The host as the machine should see it: the system clocks minus the time the console held the machine. */
    public HostWorld hostWorld(HostWorld.SerialSource serial) {
        HostWorld sys = HostWorld.system(serial);
        return new HostWorld() {
            @Override
            public long epochMillis() {
                return sys.epochMillis();
            }

            @Override
            public long nanoTime() {
                return sys.nanoTime() - heldNanos;
            }

            @Override
            public int pollSerial() {
                return sys.pollSerial();
            }

            @Override
            public boolean serialAvailable() {
                return sys.serialAvailable();
            }

            @Override
            public void sleep(long nanos) {
                sys.sleep(nanos);
            }
        };
    }

    // ------------------------------------------------------------------ keys (input thread)

    @Override
    public void quit() {
        quit = true;
        Machine m = machine;
        if (m != null) m.requestStop();
        synchronized (lock) {
            lock.notifyAll();
        }
    }

    @Override
    public void snapshot() {
        snapshotRequested = true;
        synchronized (lock) {
            lock.notifyAll();
        }
    }

    @Override
    public void togglePause() {
        synchronized (lock) {
            paused = !paused;
            lock.notifyAll();
        }
    }

    @Override
    public void help() {
        String k = EscapeDecoder.describe(escapeKey);
        say(k + " x  quit (exit 0)\n"
                + k + " s  write a snapshot (" + snapshotTemplate + ") and go on\n"
                + k + " p  pause / resume the guest\n"
                + k + " h  this help\n"
                + k + " " + k + "  send " + k + " to the guest");
    }

    @Override
    public void unknown(int key) {
        say("unknown console key " + EscapeDecoder.describe(key) + " after " + EscapeDecoder.describe(escapeKey)
                + "; " + EscapeDecoder.describe(escapeKey) + " h lists the keys");
    }

    // ------------------------------------------------------------------ machine thread

    /** Runs the pending commands; blocks while paused. Call on the machine thread at every slice boundary. */
    public void atSliceBoundary(Machine m) {
        if (quit) {
            m.requestStop();
            return;
        }
        if (snapshotRequested) writeSnapshot(m);
        if (!paused) return;
        long t0 = System.nanoTime();
        say(String.format("paused at %,d instructions (guest time %.6f s); %s p resumes", m.cpu().icount(),
                m.nowNs() / 1e9, EscapeDecoder.describe(escapeKey)));
        synchronized (lock) {
            while (paused && !quit) {
                if (snapshotRequested) {
                    writeSnapshot(m);
                    continue;
                }
                try {
                    lock.wait();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    quit = true;
                }
            }
        }
        heldNanos += System.nanoTime() - t0;
        if (quit) {
            m.requestStop();
        } else {
            say(String.format("resumed at %,d instructions (guest time %.6f s)%s", m.cpu().icount(), m.nowNs() / 1e9,
                    m.timingMode() == TimingMode.HOST_CLOCK ? "; guest time was held during the pause" : ""));
        }
    }

    private void writeSnapshot(Machine m) {
        snapshotRequested = false;
        long t0 = System.nanoTime();
        Path file = Path.of(snapshotTemplate.replace("{icount}", Long.toString(m.cpu().icount())));
        Path tmp = file.resolveSibling(file.getFileName() + ".part");
        try {
            Snapshot.write(m, tmp);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            snapshotsWritten++;
            say(String.format("snapshot at %,d instructions written to %s (%,d bytes); restore with: tandem restore --file %s",
                    m.cpu().icount(), file, Files.size(file), file));
        } catch (IOException | RuntimeException e) {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // nothing more to do
            }
            say("snapshot NOT written to " + file + ": " + e.getMessage() + "; the guest goes on");
        }
        // host-clock timing: the guest does not see the time the snapshot took
        heldNanos += System.nanoTime() - t0;
    }

    /** Prints a console message on its own line(s) without disturbing the guest's output more than needed. */
    void say(String text) {
        synchronized (msg) {
            output.flush();
            StringBuilder sb = new StringBuilder();
            if (!output.atLineStart()) sb.append('\n');
            for (String line : text.split("\n")) sb.append("[tandem] ").append(line).append('\n');
            msg.print(sb);
            msg.flush();
            output.lineEnded();
        }
    }
}
