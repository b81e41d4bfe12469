package dev.tandem.core.replay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.core.machine.HostInputs;
import dev.tandem.core.machine.HostOutputs;
import dev.tandem.core.machine.Machine;
import dev.tandem.core.machine.MachineConfig;
import dev.tandem.core.snapshot.StateDigest;
import dev.tandem.core.snapshot.StateHasher;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The replay side of replication, in one process: a follower replays a live stream (MARK and NOTE
 * records included) up to where the stream stops, then continues as a recorder of a new stream
 * segment (promotion); a third machine replays old and new segments as one log and ends in the
 * same state with the same output.
 */
class FollowingReplayTest {
    private static final Map<String, String> ECHO = Map.of("guest", "echo");

    /** Output bytes with the instruction count each was produced at. */
    static final class Captured implements HostOutputs {
        final StringBuilder text = new StringBuilder();
        final List<Long> counts = new ArrayList<>();

        @Override
        public void output(int channel, long icount, byte[] data, int off, int len) {
            if (channel != COM1) return;
            for (int i = 0; i < len; i++) {
                text.append((char) (data[off + i] & 0xFF));
                counts.add(icount);
            }
        }
    }

    /** Types {@code line} once the instruction count passes {@code at} (decided by the recorder's poll). */
    static HostWorld.SerialSource typist(Machine[] m, long at, String line) {
        ArrayDeque<Integer> q = new ArrayDeque<>();
        for (char c : line.toCharArray()) q.add((int) c);
        return () -> m[0] != null && m[0].cpu().icount() >= at && !q.isEmpty() ? q.poll() : -1;
    }

    /** A recorder that also writes a NOTE (boundary number) and a MARK at every boundary where it logged something, like a leader. */
    static final class Leaderish implements HostInputs {
        final Recorder rec;
        final LogWriter w;
        long lastRecords;
        int notes;

        Leaderish(Recorder rec, LogWriter w) {
            this.rec = rec;
            this.w = w;
        }

        @Override
        public long rtcEpochMillisAtPowerOn() {
            return rec.rtcEpochMillisAtPowerOn();
        }

        @Override
        public void atBoundary(Machine m) {
            rec.atBoundary(m);
            try {
                if (w.records() != lastRecords || m.cpu().icount() % 3 == 0) {
                    byte[] p = new byte[12];
                    LogWriter.putLong(p, 0, m.ticks());
                    LogWriter.putInt(p, 8, ++notes);
                    w.writeRecord(LogWriter.NOTE, m.cpu().icount(), p, 12);
                    LogWriter.putLong(p, 0, m.ticks());
                    w.writeRecord(LogWriter.MARK, m.cpu().icount(), p, 8);
                    lastRecords = w.records();
                }
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }

        @Override
        public long nextBoundary(Machine m) {
            return Math.min(rec.nextBoundary(m), m.cpu().icount() + 250_000);
        }
    }

    static List<LogRecord> parse(byte[] bytes, LogHeader h) throws IOException {
        LogReader r = LogReader.records(new ByteArrayInputStream(bytes), h, 0);
        List<LogRecord> out = new ArrayList<>();
        for (LogRecord x; (x = r.next()) != null; ) out.add(x);
        return out;
    }

    @Test
    void followerStopsAtTheStreamsEndAndContinuesAsRecorder() throws Exception {
        // --- the leader: 12M instructions of the echo guest, one typed line
        Machine[] lm = new Machine[1];
        ByteArrayOutputStream leaderBytes = new ByteArrayOutputStream();
        LogWriter lw = new LogWriter(leaderBytes);
        Recorder lrec = new Recorder(HostWorld.system(typist(lm, 3_000_000, "first line\r")), lw, 2_000_000);
        Leaderish leader = new Leaderish(lrec, lw);
        lm[0] = new Machine(MachineConfig.defaults(8 << 20), leader);
        Captured lout = new Captured();
        lm[0].setHostOutputs(lout);
        GuestSpec.load(lm[0], ECHO);
        LogHeader header = lrec.header(lm[0], ECHO);
        lm[0].run(12_000_000);
        lw.flush();
        List<LogRecord> stream = parse(leaderBytes.toByteArray(), header);
        assertTrue(lout.text.toString().contains("E first line\r\n"), lout.text.toString());

        // cut the stream after a MARK in the middle (as if the leader died there)
        int cut = -1;
        for (int i = stream.size() / 2; i < stream.size(); i++) {
            if (stream.get(i).type() == LogWriter.MARK) {
                cut = i + 1;
                break;
            }
        }
        assertTrue(cut > 0);
        LogRecord lastMark = stream.get(cut - 1);
        ArrayDeque<LogRecord> received = new ArrayDeque<>(stream.subList(0, cut));

        // --- the follower replays what it received and stops at the last MARK
        RecordSource src = new RecordSource() {
            long idx;

            @Override
            public LogRecord next() {
                idx++;
                return received.poll();
            }

            @Override
            public long nextIndex() {
                return idx;
            }
        };
        Replayer fr = Replayer.following(src, header, null);
        List<Integer> notesSeen = new ArrayList<>();
        fr.setRecordListener(r -> {
            if (r.type() == LogWriter.NOTE) notesSeen.add(LogReader.getInt(r.payload(), 8));
        });
        Machine fm = new Machine(header.config(), fr);
        Captured fout = new Captured();
        fm.setHostOutputs(fout);
        GuestSpec.load(fm, header.guest());
        Machine.Exit exit = fm.run(Long.MAX_VALUE);
        assertEquals(Machine.Exit.STOPPED, exit);
        assertTrue(fr.streamEnded());
        assertNull(fr.divergence());
        assertEquals(lastMark.icount(), fm.cpu().icount(), "stopped exactly at the last mark");
        assertEquals(LogReader.getLong(lastMark.payload(), 0), fm.ticks());
        int notesSent = 0;
        for (LogRecord r : stream.subList(0, cut)) if (r.type() == LogWriter.NOTE) notesSent++;
        assertEquals(notesSent, notesSeen.size(), "every NOTE was passed to the listener");
        // same output, produced at the same counts, as the leader's up to the cut
        String fo = fout.text.toString();
        assertEquals(lout.text.substring(0, fo.length()), fo);
        assertEquals(lout.counts.subList(0, fo.length()), fout.counts);
        assertTrue(fo.contains("E first line"), "the typed line was before the cut");

        // --- promotion: the follower records a new segment of the same stream
        ByteArrayOutputStream newBytes = new ByteArrayOutputStream();
        LogWriter nw = new LogWriter(newBytes);
        Machine[] fmh = {fm};
        Recorder nrec = new Recorder(HostWorld.system(typist(fmh, fm.cpu().icount() + 1_000_000, "second\r")), nw, 2_000_000);
        nrec.seedCheckpoints(fr.checkpointBaseline());
        nrec.setStateHasher(fr.stateHasher(fm));
        nrec.setNextCheckpoint(fm.cpu().icount() + 1); // not at the takeover boundary itself
        fm.setHostInputs(new Leaderish(nrec, nw));
        exit = fm.run(fm.cpu().icount() + 5_000_000);
        assertEquals(Machine.Exit.LIMIT, exit);
        nrec.finish(fm, exit);
        nw.flush();
        assertTrue(fout.text.toString().contains("E second\r\n"));
        StateDigest promoted = StateHasher.digest(fm);

        // --- a third machine replays both segments as one log
        ByteArrayOutputStream whole = new ByteArrayOutputStream();
        LogWriter ww = new LogWriter(whole);
        ww.writeHeader(header);
        for (LogRecord r : stream.subList(0, cut)) ww.writeRecord(r.type(), r.icount(), r.payload(), r.payload().length);
        for (LogRecord r : parse(newBytes.toByteArray(), header)) {
            ww.writeRecord(r.type(), r.icount(), r.payload(), r.payload().length);
        }
        ww.close();
        Harness.Run rep = Harness.replay(whole.toByteArray(), Long.MAX_VALUE);
        assertNull(rep.divergence());
        assertTrue(rep.checkpoints() >= 4, "checkpoints of both segments were checked: " + rep.checkpoints());
        assertEquals(promoted.total(), rep.digest().total());
        assertEquals(fout.text.toString(), rep.output());
    }
}
