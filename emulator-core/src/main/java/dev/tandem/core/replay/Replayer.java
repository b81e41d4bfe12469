package dev.tandem.core.replay;

import dev.tandem.core.machine.HostInputs;
import dev.tandem.core.machine.Machine;
import dev.tandem.core.snapshot.StateHasher;
import dev.tandem.core.time.Scheduler;
import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.util.List;

/**
 * The replaying side of the nondeterminism boundary: feeds the machine the inputs of a log at
 * exactly the recorded instruction and tick counts (bounding slices so execution stops there),
 * never consulting the host, and checks every state-hash checkpoint. The first divergence stops
 * the machine; {@link #divergence()} then holds the report.
 *
 * <p>Records are matched to slice boundaries by their tag (instruction count, tick count): at a
 * boundary, HASH records with the current tag are checked, then at most one INPUT record with the
 * current tag is applied (the recorder writes at most one per boundary), followed by the FRAME
 * records with the current tag (a FRAME's tag has the ticks after the INPUT's time jump, which is
 * when the recorder injected it). A record whose tag lies in the past is a divergence.
 */
public final class Replayer implements HostInputs {
    private final LogReader reader;
    private final LogHeader header;
    private final Checkpoints checkpoints;
    private LogRecord next;
    private long nextTicks;
    private String divergence;
    private boolean atEnd;
    private long checked;
    private long applied;
    private final java.util.function.Consumer<String> progress;

    public Replayer(LogReader reader, LogHeader header, java.util.function.Consumer<String> progress) throws IOException {
        this.reader = reader;
        this.header = header;
        this.checkpoints = new Checkpoints(header.config().ramBytes());
        this.progress = progress == null ? s -> { } : progress;
        advance();
    }

    public LogHeader header() {
        return header;
    }

    @Override
    public long rtcEpochMillisAtPowerOn() {
        return header.rtcEpochMillis();
    }

    private void advance() throws IOException {
        long idx = reader.nextIndex();
        long off = reader.offset();
        next = reader.next();
        if (next == null) {
            throw new LogFormatException("log ends at record #" + idx + " (byte offset " + off
                    + ") without an END record: the log is truncated");
        }
        if (next.payload().length < 8) throw new LogFormatException("log corrupted: " + next.describe() + " is too short");
        nextTicks = LogReader.getLong(next.payload(), 0);
    }

    private void diverge(Machine m, String why) {
        if (divergence == null) {
            divergence = "divergence at icount " + m.cpu().icount + " (ticks " + m.ticks() + "): " + why;
        }
        m.requestStop();
    }

    @Override
    public void atBoundary(Machine m) {
        if (divergence != null) {
            m.requestStop();
            return;
        }
        try {
            boolean inputDone = false;
            for (;;) {
                long icount = m.cpu().icount;
                long ticks = m.ticks();
                if (next.icount() < icount || (next.icount() == icount && nextTicks < ticks)) {
                    diverge(m, next.describe() + " at ticks " + nextTicks + " was never reached");
                    return;
                }
                if (next.icount() != icount || nextTicks != ticks) return;
                switch (next.type()) {
                    case LogWriter.HASH -> {
                        if (inputDone) return;
                        check(m, next);
                        if (divergence != null) return;
                        advance();
                    }
                    case LogWriter.INPUT, LogWriter.FRAME -> {
                        if (next.type() == LogWriter.INPUT) {
                            if (inputDone) return;
                            apply(m, next);
                        } else {
                            applyFrame(m, next);
                        }
                        if (divergence != null) return;
                        inputDone = true;
                        advance();
                        // a recording stopped from another thread right after this input's boundary
                        // ended before the boundary's timers: stop here as it did
                        if (next.type() == LogWriter.END && next.icount() == icount && nextTicks == m.ticks()
                                && endExit() == Machine.Exit.STOPPED) {
                            atEnd = true;
                            m.requestStop();
                            return;
                        }
                        // further FRAME records of this boundary follow in the loop
                        if (next.type() != LogWriter.FRAME) return;
                    }
                    default -> {
                        // END: a recording stopped at a boundary ends here; other ends are reached by the machine itself
                        atEnd = true;
                        if (endExit() == Machine.Exit.STOPPED) m.requestStop();
                        return;
                    }
                }
            }
        } catch (LogFormatException e) {
            formatError = e;
            m.requestStop();
        } catch (IOException e) {
            diverge(m, e.getMessage());
        }
    }

    private LogFormatException formatError;

    /** Throws the log damage found while replaying, if any (call after {@link Machine#run} returns). */
    public void throwIfLogDamaged() throws LogFormatException {
        if (formatError != null) throw formatError;
    }

    private void apply(Machine m, LogRecord r) throws IOException {
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(r.payload(), 8, r.payload().length - 8));
        long delta = in.readLong();
        int n = in.readUnsignedShort();
        if (delta < 0 || n > r.payload().length) throw new LogFormatException("log corrupted: " + r.describe() + " has bad contents");
        if (delta > 0) m.advanceTime(delta);
        for (int i = 0; i < n; i++) {
            if (!m.com1().canReceive()) {
                diverge(m, r.describe() + ": COM1 cannot take the recorded byte " + i);
                return;
            }
            m.com1().receive(in.readUnsignedByte());
        }
        applied++;
    }

    private void applyFrame(Machine m, LogRecord r) throws IOException {
        byte[] p = r.payload();
        if (p.length < 11) throw new LogFormatException("log corrupted: " + r.describe() + " is too short");
        int nic = p[8] & 0xFF;
        int len = (p[9] & 0xFF) << 8 | (p[10] & 0xFF);
        if (len != p.length - 11 || nic >= Machine.NIC_SLOTS) {
            throw new LogFormatException("log corrupted: " + r.describe() + " has bad contents");
        }
        if (!m.nic(nic).present() || !m.nic(nic).canReceive()) {
            diverge(m, r.describe() + ": network card " + nic + " cannot take the recorded frame");
            return;
        }
        m.nic(nic).receive(p, 11, len);
        frames++;
    }

    private long frames;

    /** FRAME records applied so far. */
    public long framesApplied() {
        return frames;
    }

    private void check(Machine m, LogRecord r) throws IOException {
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(r.payload(), 8, r.payload().length - 8));
        if (r.type() == LogWriter.END) in.readUnsignedByte();
        Checkpoints.Expected e = checkpoints.read(in);
        var actual = StateHasher.digest(m);
        checked++;
        if (actual.total() != e.total()) {
            List<String> d = Checkpoints.differences(e, actual);
            diverge(m, "state hash mismatch at " + r.describe() + ": "
                    + (d.isEmpty() ? "total hash differs" : String.join("; ", d)));
        } else {
            progress.accept(String.format("checkpoint ok at icount %,d: %016x", r.icount(), e.total()));
        }
    }

    /** How the recording ended, when the END record is next. */
    public Machine.Exit endExit() {
        if (next.type() != LogWriter.END) return null;
        int o = next.payload()[8] & 0xFF;
        Machine.Exit[] all = Machine.Exit.values();
        return o < all.length ? all[o] : null;
    }

    /** The END record's instruction count if it is next, else -1. */
    public long endIcount() {
        return next.type() == LogWriter.END ? next.icount() : -1;
    }

    @Override
    public long nextBoundary(Machine m) {
        long nb = next.icount();
        // The recorder ends a slice at least every FRAME_POLL_INSTRUCTIONS while a network card is
        // plugged; the replay must cut its slices at the same counts, because a timer the guest arms
        // in the middle of a slice fires at the next slice boundary.
        if (Recorder.anyNic(m)) {
            long poll = m.cpu().icount + Recorder.FRAME_POLL_INSTRUCTIONS;
            if (nb <= m.cpu().icount || nb > poll) nb = poll;
        }
        return nb;
    }

    @Override
    public long runLimit() {
        return next.type() == LogWriter.END && endExit() == Machine.Exit.LIMIT ? next.icount() : Long.MAX_VALUE;
    }

    @Override
    public void idle(Machine m, long targetTicks) {
        // host-clock replay: time only moves through logged INPUT records at this instruction count.
        // A timer that fell due in the middle of the last slice (armed there) fires at the next
        // boundary and wakes the guest without any input; the recording logged nothing for it either.
        boolean timerDue = targetTicks != Scheduler.NEVER && targetTicks <= m.ticks();
        if (next.icount() != m.cpu().icount && !timerDue) {
            diverge(m, "guest halted, but the log's next event is " + next.describe());
        }
    }

    /**
     * After {@link Machine#run} returned {@code exit}: true if the replay is complete (the END
     * record is reached with the same exit and a matching final state hash); false if the log goes
     * on (the recording resumed the machine, e.g. after an idle wait for input).
     */
    public boolean finishIfEnded(Machine m, Machine.Exit exit) throws LogFormatException {
        throwIfLogDamaged();
        if (divergence != null) return true;
        boolean endHere = next.type() == LogWriter.END && next.icount() == m.cpu().icount && nextTicks == m.ticks();
        if (!endHere) {
            if (exit == Machine.Exit.IDLE_FOREVER && next.icount() == m.cpu().icount) return false;
            if (exit == Machine.Exit.STOPPED) {
                return true; // stopped from outside (--stop-at handled by the caller)
            }
            diverge(m, "the machine ended with " + exit + " but the log continues with " + next.describe());
            return true;
        }
        if (endExit() != exit) {
            diverge(m, "the recording ended with " + endExit() + " here, the replay with " + exit);
            return true;
        }
        try {
            check(m, next);
        } catch (IOException e) {
            diverge(m, e.getMessage());
        }
        atEnd = true;
        return true;
    }

    /** The divergence report, or null while replay matches the recording. */
    public String divergence() {
        return divergence;
    }

    public boolean reachedEnd() {
        return atEnd && divergence == null;
    }

    public long checkpointsChecked() {
        return checked;
    }

    public long inputsApplied() {
        return applied;
    }
}
