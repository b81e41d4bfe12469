package dev.tandem.core.replay;

import dev.tandem.core.dev.virtio.VirtioNet;
import dev.tandem.core.machine.HostInputs;
import dev.tandem.core.machine.Machine;
import dev.tandem.core.machine.TimingMode;
import dev.tandem.core.snapshot.IncrementalHasher;
import dev.tandem.core.time.Scheduler;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * The live side of the nondeterminism boundary: takes inputs from the {@link HostWorld} and, when
 * given a {@link LogWriter}, appends each one to the log tagged with the instruction count and
 * tick count at which it took effect; also writes a state-hash checkpoint every
 * {@code checkpointInterval} instructions. Without a writer it is the plain live input source
 * of {@code tandem run}.
 *
 * <p>Per slice boundary without input the cost is a few comparisons (and, in host-clock mode, one
 * {@code System.nanoTime}); nothing is allocated except when an event is logged.
 */
public final class Recorder implements HostInputs {
    private final HostWorld world;
    private final LogWriter log;
    private final long checkpointInterval;
    private final long rtcEpochMillis;
    private long nextCheckpoint;
    private Checkpoints checkpoints;
    private int[] checkpointSeed;
    private IncrementalHasher hasher;
    private final byte[] serialBuf = new byte[64];
    private final ByteArrayOutputStream payload = new ByteArrayOutputStream(256);
    private final DataOutputStream pout = new DataOutputStream(payload);
    // host-clock mapping, fixed at the first boundary
    private boolean clockStarted;
    private long hostStartNs;
    private long guestStartTicks;
    private long events;
    private long checkpointCount;
    private long checkpointNanos;

    /**
     * @param world              the host
     * @param log                where inputs are recorded, or null for a live run
     * @param checkpointInterval instructions between state-hash checkpoints (0: none; only with a log)
     */
    public Recorder(HostWorld world, LogWriter log, long checkpointInterval) {
        this.world = world;
        this.log = log;
        this.checkpointInterval = checkpointInterval;
        this.rtcEpochMillis = world.epochMillis();
    }

    /** The header describing a machine built with this recorder ({@link Machine#Machine(dev.tandem.core.machine.MachineConfig, HostInputs)}). */
    public LogHeader header(Machine m, java.util.Map<String, String> guest) {
        return new LogHeader(m.config(), m.timingMode(), rtcEpochMillis, checkpointInterval, guest);
    }

    @Override
    public long rtcEpochMillisAtPowerOn() {
        return rtcEpochMillis;
    }

    /** Host time mapped to guest ticks: the guest's start tick plus elapsed host ns at the nominal speed. */
    private long hostTicks(Machine m) {
        long ns = world.nanoTime() - hostStartNs;
        long ips = m.config().instructionsPerSecond();
        return guestStartTicks + (ns / 1_000_000_000L) * ips + (ns % 1_000_000_000L) * ips / 1_000_000_000L;
    }

    @Override
    public void atBoundary(Machine m) {
        long icount = m.cpu().icount;
        if (log != null && checkpointInterval > 0 && icount >= nextCheckpoint) {
            writeDigest(LogWriter.HASH, m, -1);
            nextCheckpoint = (icount / checkpointInterval + 1) * checkpointInterval;
        }
        long ticks = m.ticks();
        long delta = 0;
        if (m.timingMode() == TimingMode.HOST_CLOCK) {
            if (!clockStarted) {
                clockStarted = true;
                hostStartNs = world.nanoTime();
                guestStartTicks = ticks;
            } else {
                delta = hostTicks(m) - ticks;
                if (catchUpWhenHaltedOnly) {
                    if (!m.cpu().halted) {
                        delta = 0;
                    } else {
                        long next = m.scheduler().nextDeadline();
                        if (next != Scheduler.NEVER) delta = Math.min(delta, m.ticksAtOrAfterNs(next) - ticks);
                    }
                }
                if (delta > 0) m.advanceTime(delta);
                else delta = 0;
            }
        }
        int n = 0;
        while (n < serialBuf.length && m.com1().canReceive()) {
            int b = world.pollSerial();
            if (b < 0) break;
            m.com1().receive(b);
            serialBuf[n++] = (byte) b;
        }
        if (log != null && (delta != 0 || n != 0)) {
            try {
                payload.reset();
                pout.writeLong(ticks);
                pout.writeLong(delta);
                pout.writeShort(n);
                pout.write(serialBuf, 0, n);
                pout.flush();
                log.writeRecord(LogWriter.INPUT, icount, payloadBytes(), payload.size());
                events++;
                if (n != 0) log.flush();
            } catch (IOException e) {
                throw new UncheckedIOException("writing the input log", e);
            }
        }
        injectFrames(m, icount);
    }

    /**
     * Slices end at least this often (in instructions) while a network card is plugged, so a frame
     * waiting on the host reaches a busy guest within about a millisecond of guest time. The
     * replay cuts its slices at the same counts ({@link Replayer#nextBoundary}).
     */
    public static final long FRAME_POLL_INSTRUCTIONS = 100_000;
    private final byte[] frameBuf = new byte[VirtioNet.MAX_FRAME];
    private long frames;

    /** Hands waiting frames to every card that can take one, logging each as a FRAME record. */
    private void injectFrames(Machine m, long icount) {
        boolean logged = false;
        for (int s = 0; s < Machine.NIC_SLOTS; s++) {
            VirtioNet nic = m.nic(s);
            if (!nic.present()) continue;
            while (nic.canReceive()) {
                int len = world.pollFrame(s, frameBuf);
                if (len < 0) break;
                nic.receive(frameBuf, 0, len); // a bad frame is dropped (and logged) here and in the replay alike
                frames++;
                if (log == null) continue;
                try {
                    payload.reset();
                    pout.writeLong(m.ticks());
                    pout.writeByte(s);
                    pout.writeShort(len);
                    pout.write(frameBuf, 0, len);
                    pout.flush();
                    log.writeRecord(LogWriter.FRAME, icount, payloadBytes(), payload.size());
                    logged = true;
                } catch (IOException e) {
                    throw new UncheckedIOException("writing the input log", e);
                }
            }
        }
        if (logged) {
            try {
                log.flush();
            } catch (IOException e) {
                throw new UncheckedIOException("writing the input log", e);
            }
        }
    }

    static boolean anyNic(Machine m) {
        for (int s = 0; s < Machine.NIC_SLOTS; s++) if (m.nic(s).present()) return true;
        return false;
    }

    private static boolean anyNicCanReceive(Machine m) {
        for (int s = 0; s < Machine.NIC_SLOTS; s++) if (m.nic(s).canReceive()) return true;
        return false;
    }

    private byte[] payloadBytes() {
        // ByteArrayOutputStream.toByteArray copies; reach the buffer through writeTo a reusable sink instead
        return sink.capture(payload);
    }

    private final Sink sink = new Sink();

    /** Gives access to a ByteArrayOutputStream's bytes without a per-call array when possible. */
    private static final class Sink extends java.io.OutputStream {
        private byte[] buf = new byte[256];
        private int len;

        byte[] capture(ByteArrayOutputStream bo) {
            len = 0;
            if (buf.length < bo.size()) buf = new byte[Math.max(bo.size(), buf.length * 2)];
            try {
                bo.writeTo(this);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return buf;
        }

        @Override
        public void write(int b) {
            buf[len++] = (byte) b;
        }

        @Override
        public void write(byte[] b, int off, int l) {
            System.arraycopy(b, off, buf, len, l);
            len += l;
        }
    }

    /**
     * Continues a stream that another writer started (a replica promoted to leader): checkpoint
     * deltas are written relative to {@code baseline} ({@link Replayer#checkpointBaseline()})
     * instead of "all pages zero".
     */
    public void seedCheckpoints(int[] baseline) {
        this.checkpointSeed = baseline.clone();
        this.checkpoints = null;
    }

    /** Uses {@code h} for checkpoint digests (share one hasher per machine, e.g. a replayer's after promotion). */
    public void setStateHasher(IncrementalHasher h) {
        this.hasher = h;
    }

    /** The hasher for checkpoint digests of {@code m} (made on first use). */
    public IncrementalHasher stateHasher(Machine m) {
        if (hasher == null) hasher = new IncrementalHasher(m);
        return hasher;
    }

    /** Moves the next checkpoint to {@code icount} (rounded up to the interval grid from there on). */
    public void setNextCheckpoint(long icount) {
        this.nextCheckpoint = icount;
    }

    private void writeDigest(int type, Machine m, int exitOrdinal) {
        if (checkpoints == null) {
            checkpoints = new Checkpoints(m.config().ramBytes());
            if (checkpointSeed != null) checkpoints.seed(checkpointSeed);
        }
        long t0 = world.nanoTime(); // cost accounting only; never reaches the guest
        try {
            ByteArrayOutputStream bo = new ByteArrayOutputStream(4096);
            DataOutputStream d = new DataOutputStream(bo);
            d.writeLong(m.ticks());
            if (type == LogWriter.END) d.writeByte(exitOrdinal);
            lastDigest = stateHasher(m).digest(m);
            checkpoints.write(lastDigest, d);
            d.flush();
            byte[] b = bo.toByteArray();
            log.writeRecord(type, m.cpu().icount, b, b.length);
        } catch (IOException e) {
            throw new UncheckedIOException("writing the input log", e);
        }
        checkpointCount++;
        checkpointNanos += world.nanoTime() - t0;
    }

    @Override
    public long nextBoundary(Machine m) {
        long nb = log != null && checkpointInterval > 0 ? nextCheckpoint : Long.MAX_VALUE;
        if (anyNic(m)) nb = Math.min(nb, m.cpu().icount + FRAME_POLL_INSTRUCTIONS);
        return nb;
    }

    @Override
    public void idle(Machine m, long targetTicks) {
        // host-clock mode: wait in host time until the next timer is due or input arrives;
        // a timer already due (armed in the middle of the last slice) fires at the next boundary
        if (targetTicks != Scheduler.NEVER && targetTicks <= m.ticks()) return;
        long limitNs = world.nanoTime() + 20_000_000L;
        for (;;) {
            if (world.serialAvailable()) return;
            if (world.frameAvailable() && anyNicCanReceive(m)) return;
            long now = world.nanoTime();
            if (now >= limitNs) return;
            long waitNs = limitNs - now;
            if (targetTicks != Scheduler.NEVER) {
                long remainTicks = targetTicks - hostTicks(m);
                if (remainTicks <= 0) return;
                long ns = remainTicks * 1_000_000_000L / m.config().instructionsPerSecond();
                waitNs = Math.min(waitNs, ns);
            }
            world.sleep(Math.min(waitNs, 1_000_000L));
        }
    }

    /** Ends the recording: writes the END record with the exit reason and final state hash, and flushes. */
    public void finish(Machine m, Machine.Exit exit) throws IOException {
        if (log == null) return;
        writeDigest(LogWriter.END, m, exit.ordinal());
        log.flush();
    }

    private dev.tandem.core.snapshot.StateDigest lastDigest;

    /** The digest of the last checkpoint written, or null. */
    public dev.tandem.core.snapshot.StateDigest lastDigest() {
        return lastDigest;
    }

    /** Number of HASH and END digests written so far. */
    public long checkpointsWritten() {
        return checkpointCount;
    }

    /** Host time spent computing and writing those digests, in ns (the main cost of recording). */
    public long checkpointNanos() {
        return checkpointNanos;
    }

    private boolean catchUpWhenHaltedOnly;

    /**
     * Host-clock mode: with {@code true}, guest time catches up with the host clock only at
     * boundaries where the CPU is halted (waiting for an interrupt), never while it runs, and each
     * time at most to the next timer deadline. A busy guest then sees time advance at the nominal
     * speed with no jumps, so timing loops (the kernel's TSC calibration against the PIT, which a
     * jump between its last TSC read and its PIT poll fools into a far too low frequency) measure
     * correctly; when the guest idles, it runs through its timer events one by one (as in virtual
     * time) until it has caught up with the host, instead of seeing one jump of the whole lag
     * (which the kernel reports as an RCU stall). The default ({@code false}) catches up fully at
     * every boundary. Only the live source changes: the log records whichever jumps were taken,
     * and replay applies them.
     */
    public void setCatchUpWhenHaltedOnly(boolean b) {
        this.catchUpWhenHaltedOnly = b;
    }

    /** Number of received frames handed to network cards (each one a FRAME record when logging). */
    public long framesInjected() {
        return frames;
    }

    /** Number of INPUT records written. */
    public long inputEvents() {
        return events;
    }
}
