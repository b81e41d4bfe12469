package dev.tandem.replication;

import dev.tandem.core.machine.Machine;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Live figures of a replica: a JSON object per interval to {@code --stats-json FILE|-} and a
 * one-line status on stderr for interactive use.
 */
public final class Stats {
    private final Replica r;
    private OutputStream json;
    private boolean statusLine;
    private boolean statusOnTerminal;
    private long intervalMillis = 1000;
    private ScheduledFuture<?> task;
    private long lastNanos;
    private long lastBytes;
    private long lastIcount;

    Stats(Replica r) {
        this.r = r;
    }

    /**
     * @param statsJson  file, "-" for stdout, or null
     * @param status     "auto" (stderr is a terminal), "on" or "off"
     */
    public void configure(String statsJson, String status, long intervalMillis) throws IOException {
        if (statsJson != null) json = statsJson.equals("-") ? System.out : new FileOutputStream(Path.of(statsJson).toFile(), true);
        boolean tty = System.console() != null;
        statusLine = status.equals("on") || (status.equals("auto") && tty);
        statusOnTerminal = tty;
        this.intervalMillis = intervalMillis;
    }

    void start() {
        if (json == null && !statusLine) return;
        lastNanos = System.nanoTime();
        task = r.control.scheduleAtFixedRate(this::tick, intervalMillis, intervalMillis, TimeUnit.MILLISECONDS);
    }

    void finish() {
        if (task != null) task.cancel(false);
        if (json != null || statusLine) tick();
        if (statusLine && statusOnTerminal) System.err.println();
        if (json != null && json != System.out) {
            try {
                json.close();
            } catch (IOException e) {
                // closing anyway
            }
        }
    }

    /** The current figures. */
    public Map<String, Object> snapshot() {
        Map<String, Object> m = new LinkedHashMap<>();
        long now = System.nanoTime();
        Machine mc = r.machine;
        long icount = mc == null ? -1 : mc.cpu().icount();
        m.put("t", System.currentTimeMillis());
        m.put("node", r.opt.nodeId());
        m.put("role", String.valueOf(r.role));
        m.put("epoch", r.leaderEpoch >= 0 ? r.leaderEpoch : r.epoch);
        m.put("icount", icount);
        double secs = Math.max(1e-9, (now - lastNanos) / 1e9);
        m.put("mips", lastIcount > 0 && icount >= lastIcount ? (icount - lastIcount) / secs / 1e6 : 0.0);
        if (r.leaderInputs != null && r.role != Replica.Role.FOLLOWER && r.role != Replica.Role.PROMOTING) {
            LeaderInputs li = r.leaderInputs;
            m.put("lsn", li.nextLsn());
            m.put("logBytes", li.bytesShipped);
            m.put("logBytesPerSec", (li.bytesShipped - lastBytes) / secs);
            lastBytes = li.bytesShipped;
            m.put("batches", li.batchesShipped);
            List<Map<String, Object>> fs = new ArrayList<>();
            long acked = Long.MAX_VALUE;
            for (LeaderLink.Session s : r.leaderLink.sessions.values()) {
                Map<String, Object> f = new LinkedHashMap<>();
                f.put("node", s.nodeId);
                f.put("live", s.live);
                f.put("receivedIcount", s.receivedIcount);
                f.put("appliedIcount", s.appliedIcount);
                long lag = icount - s.appliedIcount;
                f.put("lagInstructions", lag);
                f.put("lagGuestMs", mc == null ? 0 : lag * 1000.0 / mc.config().instructionsPerSecond());
                fs.add(f);
                if (s.live) acked = Math.min(acked, s.receivedIcount);
            }
            m.put("followers", fs);
            m.put("ackedIcount", acked == Long.MAX_VALUE ? icount : acked);
            m.put("lagStallMs", r.leaderLink.lagStallNanos / 1e6);
            m.put("joins", r.leaderLink.joinsServed);
            m.put("lastJoinPauseMs", r.leaderLink.lastJoinPauseNanos / 1e6);
            m.put("checkpoints", li.recorder.checkpointsWritten());
            m.put("checkpointMs", li.recorder.checkpointNanos() / 1e6);
        } else {
            m.put("receivedLsn", r.queue == null ? -1 : r.queue.lastLsn());
            m.put("receivedIcount", r.receivedIcount);
            m.put("appliedIcount", r.appliedIcount);
            m.put("queued", r.queue == null ? 0 : r.queue.queued());
            m.put("lagInstructions", r.receivedIcount >= 0 ? r.receivedIcount - icount : 0);
        }
        m.put("outputProduced", r.consoleOut.produced());
        m.put("outputReleased", r.consoleOut.released());
        m.put("outputHeld", r.consoleOut.produced() - r.consoleOut.released());
        var lat = r.commit.latency();
        m.put("commitSamples", lat.count());
        m.put("commitLatencyP50Ms", lat.percentile(50) / 1e6);
        m.put("commitLatencyP99Ms", lat.percentile(99) / 1e6);
        m.put("consoleClients", r.consoleServer.clients());
        lastNanos = now;
        lastIcount = icount;
        return m;
    }

    private synchronized void tick() {
        Map<String, Object> m = snapshot();
        if (json != null) {
            try {
                json.write((Transcript.json(m) + "\n").getBytes(StandardCharsets.UTF_8));
                json.flush();
            } catch (IOException e) {
                // stats are best effort
            }
        }
        if (statusLine) {
            PrintStream err = System.err;
            String line = String.format("[%s %s e%s] icount %,d  %.1f MIPS  %s  out %d held %d  commit p50 %.2f ms",
                    m.get("node"), m.get("role"), m.get("epoch"), (Long) m.get("icount"), (Double) m.get("mips"),
                    m.containsKey("followers") ? "followers " + ((List<?>) m.get("followers")).size() + " log "
                            + String.format("%.1f KB/s", (Double) m.get("logBytesPerSec") / 1e3)
                            : "lag " + m.get("lagInstructions"),
                    (Long) m.get("outputProduced"), (Long) m.get("outputHeld"), (Double) m.get("commitLatencyP50Ms"));
            if (statusOnTerminal) err.print("\r" + line + "\u001b[K");
            else err.println(line);
        }
    }
}
