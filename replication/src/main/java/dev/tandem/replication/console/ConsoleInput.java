package dev.tandem.replication.console;

import dev.tandem.replication.commit.OutputCommit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.BiConsumer;

/**
 * Console input on its way into the guest, exactly once: bytes from resumable clients carry
 * (client id, sequence number); a byte is queued only if its number is the next one for its
 * client, and the highest number the guest consumed is written into the replicated log (a NOTE),
 * so a new leader knows what was applied and asks clients to resend the rest. Plain clients
 * (client id 0) have no numbers and no guarantee.
 *
 * <p>It is also the output-commit channel of input acknowledgements: a client hears that its
 * bytes up to s are safe only when the NOTE saying so is committed.
 */
public final class ConsoleInput implements OutputCommit.Channel {
    private record Entry(long client, long seq, byte b) {
    }

    private record Applied(long client, long seq) {
    }

    private final ConcurrentLinkedQueue<Entry> queue = new ConcurrentLinkedQueue<>();
    /** Highest number queued or applied per client (network threads). */
    private final Map<Long, Long> accepted = new ConcurrentHashMap<>();
    /** Highest number applied in the stream, per client (machine thread writes). */
    private final Map<Long, Long> applied = new ConcurrentHashMap<>();
    /** Consumed by the guest since the last boundary (machine thread). */
    private final Map<Long, Long> consumedNow = new LinkedHashMap<>();
    /** NOTEs written, waiting for commit (guarded by this). */
    private final List<Applied> pendingAcks = new ArrayList<>();
    private long notesWritten;
    private long acksReleased;
    private volatile BiConsumer<Long, Long> onAck = (c, s) -> { };
    private volatile Runnable onInput = () -> { };

    public void setOnAck(BiConsumer<Long, Long> l) {
        this.onAck = l;
    }

    /** Called when bytes were queued (wakes an idle machine). */
    public void setOnInput(Runnable r) {
        this.onInput = r;
    }

    /**
     * Bytes {@code data} numbered from {@code firstSeq} from {@code client}: the ones already
     * queued or applied are dropped, the next ones queued; a gap is an error. Returns the highest
     * number now accepted.
     */
    public long offer(long client, long firstSeq, byte[] data) {
        if (client == 0) throw new IllegalArgumentException("client id 0 is reserved for plain connections");
        synchronized (accepted) {
            long have = accepted.getOrDefault(client, applied.getOrDefault(client, 0L));
            if (firstSeq > have + 1) {
                throw new IllegalArgumentException("input gap: byte #" + firstSeq + " after #" + have);
            }
            for (int i = 0; i < data.length; i++) {
                long seq = firstSeq + i;
                if (seq <= have) continue;
                queue.add(new Entry(client, seq, data[i]));
                have = seq;
            }
            accepted.put(client, have);
            if (data.length > 0) onInput.run();
            return have;
        }
    }

    /** Bytes from a plain connection (no numbers, no guarantee). */
    public void offerRaw(byte[] data, int off, int len) {
        for (int i = 0; i < len; i++) queue.add(new Entry(0, 0, data[off + i]));
        if (len > 0) onInput.run();
    }

    /** Highest number accepted (queued or applied) for {@code client}. */
    public long accepted(long client) {
        synchronized (accepted) {
            return accepted.getOrDefault(client, applied.getOrDefault(client, 0L));
        }
    }

    // ---------------------------------------------------------------- machine thread

    public boolean available() {
        return !queue.isEmpty();
    }

    /** The next byte for the guest, or -1 (machine thread; the byte is consumed now). */
    public int poll() {
        Entry e = queue.poll();
        if (e == null) return -1;
        if (e.client() != 0) consumedNow.put(e.client(), e.seq());
        return e.b() & 0xFF;
    }

    /**
     * The (client, highest number) pairs consumed since the last call; they become applied and
     * wait for commit to be acknowledged. The caller writes them into the log.
     */
    public Map<Long, Long> drainConsumed() {
        if (consumedNow.isEmpty()) return Map.of();
        Map<Long, Long> out = new LinkedHashMap<>(consumedNow);
        consumedNow.clear();
        synchronized (this) {
            for (Map.Entry<Long, Long> e : out.entrySet()) {
                applied.put(e.getKey(), e.getValue());
                pendingAcks.add(new Applied(e.getKey(), e.getValue()));
                notesWritten++;
            }
        }
        return out;
    }

    /** A replica applying the stream saw a NOTE: {@code client}'s bytes through {@code seq} are in the guest. */
    public void noteApplied(long client, long seq) {
        applied.merge(client, seq, Math::max);
    }

    /** What the stream says was applied (for a state transfer). */
    public Map<Long, Long> appliedSnapshot() {
        return Map.copyOf(applied);
    }

    /** Starts from a transferred state. */
    public void restoreApplied(Map<Long, Long> seqs) {
        applied.clear();
        applied.putAll(seqs);
    }

    /**
     * Becoming leader: forget bytes queued under an earlier leadership (none: a replica never
     * queued any) and accept from what the stream applied.
     */
    public void resetToApplied() {
        synchronized (accepted) {
            queue.clear();
            accepted.clear();
            accepted.putAll(applied);
        }
    }

    // ---------------------------------------------------------------- commit channel

    @Override
    public synchronized long produced() {
        return notesWritten;
    }

    @Override
    public void release(long upTo) {
        List<Applied> acks = new ArrayList<>();
        synchronized (this) {
            while (acksReleased < upTo && !pendingAcks.isEmpty()) {
                acks.add(pendingAcks.remove(0));
                acksReleased++;
            }
        }
        for (Applied a : acks) onAck.accept(a.client(), a.seq());
    }
}
