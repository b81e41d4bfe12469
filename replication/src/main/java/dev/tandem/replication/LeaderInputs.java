package dev.tandem.replication;

import dev.tandem.core.machine.HostInputs;
import dev.tandem.core.machine.Machine;
import dev.tandem.core.replay.HostWorld;
import dev.tandem.core.replay.LogWriter;
import dev.tandem.core.replay.Recorder;
import dev.tandem.core.replay.Replayer;
import dev.tandem.core.snapshot.StateDigest;
import dev.tandem.replication.stream.Batch;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;

/**
 * The leader's side of the nondeterminism boundary: a {@link Recorder} (console input, host clock,
 * checkpoints) writing into the stream, plus what replication adds at each slice boundary —
 * NOTEs for applied console input, a MARK closing each shipped batch, state snapshots for joining
 * followers, and the bounded-lag wait. Machine thread only.
 */
final class LeaderInputs implements HostInputs {
    private final Replica r;
    final Recorder recorder;
    private final LogWriter writer;
    private final ByteArrayOutputStream sink = new ByteArrayOutputStream(1 << 16);
    private long nextLsn;
    private long shippedRecords;
    private long lastIcount = -1;
    private long lastTicks = -1;
    private long lastMarkTicks = Long.MIN_VALUE / 2;
    private long lastMarkIcount = Long.MIN_VALUE / 2;
    private long seenCheckpoints;
    private boolean epochNotePending;
    long bytesShipped;
    long batchesShipped;

    LeaderInputs(Replica r, Replayer previous, long firstLsn) {
        this.r = r;
        this.writer = new LogWriter(sink);
        this.nextLsn = firstLsn;
        HostWorld world = new HostWorld() {
            @Override
            public long epochMillis() {
                return System.currentTimeMillis();
            }

            @Override
            public long nanoTime() {
                return System.nanoTime();
            }

            @Override
            public int pollSerial() {
                return r.consoleIn.poll();
            }

            @Override
            public boolean serialAvailable() {
                return r.consoleIn.available();
            }
        };
        this.recorder = new Recorder(world, writer, r.opt.checkpointInterval());
    }

    /** A new stream: wires the machine's output. */
    void start(Machine m) {
        m.setHostOutputs(r.outputs);
        m.setHostInputs(this);
        epochNotePending = true;
    }

    /**
     * Continues the stream a replayer followed: same checkpoint baseline and hasher; nothing is
     * injected at the boundary where the replay stopped (its records are already there).
     */
    void takeOver(Machine m, Replayer rp) {
        recorder.seedCheckpoints(rp.checkpointBaseline());
        recorder.setStateHasher(rp.stateHasher(m));
        long iv = r.opt.checkpointInterval();
        if (iv > 0) recorder.setNextCheckpoint((m.cpu().icount() / iv + 1) * iv);
        lastIcount = m.cpu().icount();
        lastTicks = m.ticks();
        lastMarkTicks = m.ticks();
        lastMarkIcount = m.cpu().icount();
        epochNotePending = true;
    }

    @Override
    public long rtcEpochMillisAtPowerOn() {
        return recorder.rtcEpochMillisAtPowerOn();
    }

    @Override
    public void atBoundary(Machine m) {
        long ic = m.cpu().icount();
        long tk = m.ticks();
        boolean sameTag = ic == lastIcount && tk == lastTicks;
        lastIcount = ic;
        lastTicks = tk;
        try {
            if (epochNotePending) {
                Notes.writeEpoch(writer, ic, tk, r.leaderEpoch, nextLsn, r.opt.nodeId());
                epochNotePending = false;
            }
            if (!sameTag) {
                // a boundary visited again (run() re-entered at a takeover or after a stop) takes no input:
                // the replay applies at most one INPUT per boundary
                recorder.atBoundary(m);
                for (Map.Entry<Long, Long> e : r.consoleIn.drainConsumed().entrySet()) {
                    Notes.writeConsoleSeq(writer, ic, tk, e.getKey(), e.getValue());
                }
            }
            if (recorder.checkpointsWritten() != seenCheckpoints) {
                seenCheckpoints = recorder.checkpointsWritten();
                StateDigest d = recorder.lastDigest();
                r.tx.event("checkpoint", "icount", ic, "hash", String.format("%016x", d.total()));
            }
            boolean pending = writer.records() != shippedRecords;
            boolean output = r.consoleOut.produced() != shippedOutput;
            // by instructions, not guest time: an idle guest in virtual time skips ahead without executing, and a
            // follower that stays at the last mark meanwhile lags in nothing that matters (no input, no output)
            if (pending || output || ic - lastMarkIcount >= r.opt.markEveryTicks() || r.leaderLink.joinPending()) {
                ship(ic, tk);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (r.leaderLink.joinPending()) r.leaderLink.serveJoins(m, nextLsn);
        r.leaderLink.waitForLag(ic);
        if (r.stopping || !r.leaseValid()) {
            if (!r.stopping) r.leaderLink.leaseLost();
            m.requestStop();
        }
    }

    private long shippedOutput;

    /** Closes the current batch with a MARK and sends it. */
    private void ship(long ic, long tk) throws IOException {
        Notes.writeMark(writer, ic, tk);
        writer.flush();
        byte[] bytes = sink.toByteArray();
        sink.reset();
        int count = (int) (writer.records() - shippedRecords);
        shippedRecords = writer.records();
        Batch b = new Batch(r.leaderEpoch, nextLsn, count, ic, tk, bytes);
        nextLsn += count;
        lastMarkTicks = tk;
        lastMarkIcount = ic;
        shippedOutput = r.consoleOut.produced();
        bytesShipped += bytes.length;
        batchesShipped++;
        r.leaderLink.ship(b, r.consoleOut.takeFirstUnmarkedNanos());
    }

    long nextLsn() {
        return nextLsn;
    }

    @Override
    public long nextBoundary(Machine m) {
        return Math.min(recorder.nextBoundary(m), m.cpu().icount() + r.opt.markEveryTicks());
    }

    @Override
    public void idle(Machine m, long targetTicks) {
        recorder.idle(m, targetTicks);
    }

    /** The guest ended: END record, last batch, wait for the followers to have it, release. */
    void finishGuest(Machine m, Machine.Exit exit) {
        try {
            recorder.finish(m, exit);
            ship(m.cpu().icount(), m.ticks());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        r.leaderLink.drain(5_000);
        r.leaderLink.goodbyeAll(dev.tandem.replication.wire.Message.Goodbye.END, "guest ended: " + exit);
    }

    /** Stopping on request: ship what is pending, let the followers ack it, hand over the lease. */
    void finishOnStop(Machine m) {
        if (r.exitCode == Replica.EXIT_DEPOSED || r.commit.frozen()) return;
        try {
            if (writer.records() != shippedRecords || r.consoleOut.produced() != shippedOutput) ship(m.cpu().icount(), m.ticks());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        r.leaderLink.drain(2_000);
        r.leaderLink.handOver();
    }
}
