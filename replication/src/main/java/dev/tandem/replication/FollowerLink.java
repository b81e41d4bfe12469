package dev.tandem.replication;

import dev.tandem.core.machine.Machine;
import dev.tandem.core.replay.LogReader;
import dev.tandem.core.replay.LogRecord;
import dev.tandem.core.replay.LogWriter;
import dev.tandem.core.replay.Replayer;
import dev.tandem.core.snapshot.IncrementalHasher;
import dev.tandem.core.snapshot.Snapshot;
import dev.tandem.replication.arbiter.Arbiter;
import dev.tandem.replication.stream.Batch;
import dev.tandem.replication.stream.RecordQueue;
import dev.tandem.replication.wire.Frame;
import dev.tandem.replication.wire.FrameCodec;
import dev.tandem.replication.wire.Message;
import dev.tandem.replication.wire.Message.Ack;
import dev.tandem.replication.wire.Message.Goodbye;
import dev.tandem.replication.wire.Message.Heartbeat;
import dev.tandem.replication.wire.Message.Hello;
import dev.tandem.replication.wire.Message.Log;
import dev.tandem.replication.wire.Message.Refuse;
import dev.tandem.replication.wire.Message.StateChunk;
import dev.tandem.replication.wire.Message.StateEnd;
import dev.tandem.replication.wire.Message.Welcome;
import dev.tandem.replication.wire.ProtocolException;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;

/**
 * The follower's half of the protocol: connects to the leader, receives a state or resumes its
 * stream, queues batches for the replayer, acknowledges what it received and applied, notices
 * when the leader is gone, and then contests the arbiter or finds the new leader.
 */
final class FollowerLink {
    private final Replica r;
    private final Object lock = new Object();
    private Handler current;
    private volatile String connectAddress;
    /** The leader's arbiter address (replication|console) when known. */
    private volatile String knownLeader = "";
    private volatile boolean contesting;
    private volatile boolean closed;
    private boolean everLive;
    /** The epoch of the leader that last welcomed us: only a follower of the latest epoch may contest. */
    private volatile long followedEpoch = -1;

    FollowerLink(Replica r) {
        this.r = r;
    }

    void start(String leaderAddress) {
        connectAddress = leaderAddress;
        knownLeader = leaderAddress;
        r.control.execute(() -> connectLoop(false));
        r.control.scheduleAtFixedRate(this::periodic, 5, 5, TimeUnit.MILLISECONDS);
    }

    String knownLeader() {
        return knownLeader;
    }

    /** Something went wrong with the stream; connect again (asking for a state if {@code wantsState}). */
    void reconnect(String why, boolean wantsState) {
        r.tx.event("reconnect", "reason", why, "wantsState", wantsState);
        Handler h;
        synchronized (lock) {
            h = current;
            current = null;
        }
        if (h != null) h.channel.close();
        forceState = wantsState;
        r.control.execute(() -> connectLoop(wantsState));
    }

    private volatile boolean forceState;

    void goodbye(int reason, String text) {
        Handler h = current;
        if (h != null) {
            try {
                h.channel.writeAndFlush(Frame.of(r.epoch, new Goodbye(reason, text))).await(500);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    void close() {
        closed = true;
        Handler h = current;
        if (h != null) h.channel.close();
    }

    // ------------------------------------------------------------------ connecting

    /** Connects to the known leader until it works (control thread). */
    private void connectLoop(boolean wantsState) {
        while (!closed && !r.stopping && r.role == Replica.Role.FOLLOWER) {
            synchronized (lock) {
                if (current != null) return;
            }
            if (tryConnect(Replica.replicationPart(knownLeader.isEmpty() ? connectAddress : knownLeader), wantsState)) return;
            sleep(50);
        }
    }

    private boolean tryConnect(String address, boolean wantsState) {
        int colon = address.lastIndexOf(':');
        if (colon < 0) return false;
        String host = address.substring(0, colon);
        int port;
        try {
            port = Integer.parseInt(address.substring(colon + 1));
        } catch (NumberFormatException e) {
            return false;
        }
        Handler h = new Handler(wantsState || forceState);
        ChannelFuture f = new Bootstrap().group(r.group).channel(NioSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 300)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        FrameCodec.install(ch.pipeline());
                        ch.pipeline().addLast("idle", new IdleStateHandler(r.opt.heartbeatTimeoutMillis(), 0, 0, TimeUnit.MILLISECONDS));
                        ch.pipeline().addLast("follower", h);
                    }
                }).connect(host, port);
        try {
            if (!f.await(1000) || !f.isSuccess()) {
                f.channel().close();
                return false;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
        synchronized (lock) {
            if (current != null || closed) {
                f.channel().close();
                return current != null;
            }
            current = h;
            h.channel = f.channel();
        }
        if (!f.channel().isActive()) {
            // closed before it was ours (its close event found another handler current)
            synchronized (lock) {
                if (current == h) current = null;
            }
            return false;
        }
        forceState = false;
        h.hello();
        return true;
    }

    /** The leader is gone (connection closed, silent too long, refused us, said goodbye). */
    private void lost(Handler h, String why) {
        synchronized (lock) {
            if (current != h) return;
            current = null;
        }
        h.channel.close();
        if (closed || r.stopping || r.role != Replica.Role.FOLLOWER) return;
        r.tx.event("leader-lost", "reason", why, "epoch", r.epoch, "receivedLsn", r.queue == null ? -1 : r.queue.lastLsn(),
                "receivedIcount", r.receivedIcount, "appliedIcount", r.appliedIcount);
        System.err.println("[tandem] lost the leader: " + why);
        if (why.startsWith("refused")) r.control.schedule(this::contest, 50, TimeUnit.MILLISECONDS); // e.g. a leader still promoting
        else r.control.execute(this::contest);
    }

    /**
     * After losing the leader: if a newer leader is known, follow it; if we hold the stream, try
     * to lead (test-and-set at the arbiter); otherwise, or while the old lease is still valid,
     * keep trying to reach the old leader (it may only have dropped our connection).
     */
    private void contest() {
        if (contesting) return;
        contesting = true;
        long lostEpoch = r.epoch;
        try {
            while (!closed && !r.stopping && r.role == Replica.Role.FOLLOWER) {
                synchronized (lock) {
                    if (current != null) return;
                }
                Arbiter a = r.arbiter;
                Optional<Arbiter.LeaderRecord> cur = Optional.empty();
                if (a != null) {
                    try {
                        cur = a.current();
                    } catch (Arbiter.ArbiterException e) {
                        r.tx.event("arbiter-error", "error", e.getMessage());
                    }
                }
                if (cur.isPresent() && cur.get().epoch() > lostEpoch && !cur.get().nodeId().equals(r.opt.nodeId())) {
                    // someone else already leads a newer epoch: follow it
                    knownLeader = cur.get().address();
                    r.leaderConsoleHint = Replica.consolePart(knownLeader);
                    if (tryConnect(Replica.replicationPart(knownLeader), false)) return;
                } else if (a != null && everLive && r.queue != null && cur.isPresent() && cur.get().epoch() == followedEpoch) {
                    // we followed the holder of the latest epoch: we may have all it released (fences say)
                    long count = r.receivedIcount;
                    Optional<Arbiter.Lease> l = Optional.empty();
                    try {
                        l = a.tryAcquire(new Arbiter.Candidate(r.opt.nodeId(), r.arbiterAddress(), count));
                    } catch (Arbiter.ArbiterException e) {
                        r.tx.event("arbiter-error", "error", e.getMessage());
                    }
                    if (l.isPresent()) {
                        r.tx.event("elected", "epoch", l.get().epoch(), "receivedIcount", count);
                        r.promote(l.get());
                        return;
                    }
                    if (cur.isPresent() && tryConnect(Replica.replicationPart(cur.get().address()), false)) return;
                } else if (cur.isPresent()) {
                    if (tryConnect(Replica.replicationPart(cur.get().address()), false)) return;
                } else if (tryConnect(Replica.replicationPart(knownLeader.isEmpty() ? connectAddress : knownLeader), false)) {
                    return;
                }
                sleep(10);
            }
        } finally {
            contesting = false;
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ------------------------------------------------------------------ periodic (control thread)

    private long lastAppliedSent = -2;
    private long lastHeartbeat;
    private long lastAckLog;

    private void periodic() {
        Handler h = current;
        if (h == null || h.channel == null) return;
        long now = System.nanoTime();
        long applied = r.appliedLsn;
        if (!h.streaming) {
            // waiting for a state: still say we are here
            if (now - lastHeartbeat > r.opt.heartbeatMillis() * 1_000_000L) {
                lastHeartbeat = now;
                h.channel.writeAndFlush(Frame.of(r.epoch, new Heartbeat(now, 0, List.of())));
            }
            return;
        }
        if (applied != lastAppliedSent) {
            lastAppliedSent = applied;
            h.channel.eventLoop().execute(h::ack);
        } else if (now - lastHeartbeat > r.opt.heartbeatMillis() * 1_000_000L) {
            lastHeartbeat = now;
            h.channel.writeAndFlush(Frame.of(r.epoch, new Heartbeat(now, 0, List.of())));
        }
        if (now - lastAckLog > 100_000_000L) {
            lastAckLog = now;
            r.tx.event("ack-sent", "receivedLsn", r.queue == null ? -1 : r.queue.lastLsn(), "receivedIcount", r.receivedIcount,
                    "appliedLsn", r.appliedLsn, "appliedIcount", r.appliedIcount);
        }
    }

    // ------------------------------------------------------------------ the connection

    /** A state received from the leader, built into a machine on the machine thread. */
    record Install(byte[] snapshot, StateEnd end, Welcome welcome, RecordQueue queue) {
        Machine build(Replica r) throws IOException {
            Machine m = Snapshot.read(snapshot, "state from the leader");
            IncrementalHasher hasher = new IncrementalHasher(m);
            long hash = hasher.digest(m).total();
            if (hash != end.stateHash() || m.cpu().icount() != end.icount() || m.ticks() != end.ticks()) {
                throw new IOException(String.format("state hash %016x at instruction %d, the leader said %016x at %d", hash,
                        m.cpu().icount(), end.stateHash(), end.icount()));
            }
            Replayer rp = Replayer.following(queue, r.logHeader(), null);
            rp.setStateHasher(hasher);
            rp.seedCheckpointsFrom(m);
            rp.setRecordListener(r::applied);
            m.setHostInputs(rp);
            m.setHostOutputs(r.outputs);
            for (Message.ChannelState c : end.channels()) {
                if (c.channel() == 0) r.consoleOut.restore(c.produced(), c.tailOffset(), c.tail());
            }
            r.consoleIn.restoreApplied(end.appliedSeqs());
            r.replayer = rp;
            r.appliedIcount = end.icount();
            r.appliedLsn = end.nextLsn() - 1;
            return m;
        }
    }

    private final class Handler extends SimpleChannelInboundHandler<Frame> {
        Channel channel;
        final boolean wantsState;
        Welcome welcome;
        boolean streaming;
        ByteArrayOutputStream state;
        int chunks;
        long expectedLsn;
        long leaderEpoch;

        Handler(boolean wantsState) {
            this.wantsState = wantsState;
        }

        void hello() {
            RecordQueue q = r.queue;
            Hello h = new Hello(FrameCodec.VERSION, r.opt.nodeId(), r.arbiterAddress(), wantsState || q == null, r.identity,
                    q == null ? -1 : r.lastBatchEpoch, q == null ? -1 : q.lastLsn(), r.appliedLsn, Math.max(0, r.appliedIcount), 0);
            channel.writeAndFlush(Frame.of(r.epoch, h));
        }

        void ack() {
            RecordQueue q = r.queue;
            if (q == null) return;
            channel.writeAndFlush(Frame.of(r.epoch, new Ack(q.lastLsn(), r.receivedIcount, r.appliedLsn, r.appliedIcount)));
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, Frame f) {
            if (f.epoch() < r.epoch) {
                throw new ProtocolException("frame from epoch " + f.epoch() + " after epoch " + r.epoch + " was seen: a stale leader");
            }
            r.epoch = f.epoch();
            switch (f.message()) {
                case Welcome w -> welcome(f, w);
                case StateChunk c -> {
                    if (state == null || c.index() != chunks) throw new ProtocolException("unexpected state chunk #" + c.index());
                    state.write(c.data(), 0, c.data().length);
                    chunks++;
                }
                case StateEnd e -> stateEnd(e);
                case Log l -> log(l);
                case Heartbeat hb -> { }
                case Refuse rf -> refused(rf);
                case Goodbye g -> {
                    r.tx.event("leader-goodbye", "reason", g.reason(), "text", g.text());
                    if (g.reason() == Goodbye.END) return; // the END record ends the replay
                    lost(this, "the leader said goodbye: " + g.text());
                }
                default -> throw new ProtocolException("unexpected " + Message.class.getSimpleName() + " type "
                        + f.message().type() + " from the leader");
            }
        }

        private void welcome(Frame f, Welcome w) {
            if (welcome != null) throw new ProtocolException("a second WELCOME");
            welcome = w;
            leaderEpoch = f.epoch();
            followedEpoch = f.epoch();
            r.header = w.header();
            if (r.arbiter == null && !w.arbiterSpec().isEmpty()) {
                r.arbiterSpec = w.arbiterSpec();
                r.arbiter = r.arbiterFactory.apply(w.arbiterSpec());
            }
            synchronized (r.history) {
                r.history.clear();
                r.history.addAll(w.history());
            }
            knownLeader = channel.remoteAddress().toString().replaceFirst("^.*/", "");
            r.control.execute(() -> {
                // the leader's console address, for clients that ask a follower (from the arbiter's record)
                try {
                    Arbiter a = r.arbiter;
                    if (a != null) a.current().ifPresent(x -> {
                        if (x.epoch() == leaderEpoch) r.leaderConsoleHint = Replica.consolePart(x.address());
                    });
                } catch (Arbiter.ArbiterException | RuntimeException e) {
                    // only a hint
                }
            });
            r.tx.event("welcome", "leader", w.leaderId(), "epoch", f.epoch(), "state", w.stateFollows(), "resumeLsn", w.resumeLsn(),
                    "truncateAfter", w.truncateAfterLsn());
            if (w.stateFollows()) {
                state = new ByteArrayOutputStream(16 << 20);
                RecordQueue old = r.queue;
                if (old != null) old.abort(); // the machine stops following the old stream
                return;
            }
            RecordQueue q = r.queue;
            if (w.truncateAfterLsn() >= 0) {
                if (q == null || !q.truncateAfter(w.truncateAfterLsn())) {
                    r.tx.event("truncate-failed", "truncateAfter", w.truncateAfterLsn(), "taken", q == null ? -1 : q.takenLsn());
                    reconnect("log beyond the new leader's takeover point was already applied", true);
                    return;
                }
                r.retention.truncateAfter(w.truncateAfterLsn());
            }
            if (q == null || q.lastLsn() + 1 != w.resumeLsn()) {
                throw new ProtocolException("the leader resumes at lsn " + w.resumeLsn() + " but this replica has up to "
                        + (q == null ? "nothing" : q.lastLsn()));
            }
            expectedLsn = w.resumeLsn();
            streaming = true;
            everLive = true;
            ack();
        }

        private void stateEnd(StateEnd e) {
            if (state == null) throw new ProtocolException("STATE_END without a state transfer");
            byte[] snap = state.toByteArray();
            state = null;
            CRC32C crc = new CRC32C();
            crc.update(snap);
            if (chunks != e.chunks() || snap.length != e.totalBytes() || (int) crc.getValue() != e.crc32c()) {
                throw new ProtocolException("state transfer damaged: " + chunks + " chunks, " + snap.length + " bytes, CRC "
                        + Integer.toHexString((int) crc.getValue()) + "; the leader sent " + e.chunks() + ", " + e.totalBytes()
                        + ", " + Integer.toHexString(e.crc32c()));
            }
            RecordQueue q = new RecordQueue(e.nextLsn());
            r.retention.reset(e.nextLsn());
            r.queue = q;
            r.lastBatchEpoch = e.lastEpoch();
            r.receivedIcount = e.icount();
            expectedLsn = e.nextLsn();
            streaming = true;
            everLive = true;
            r.tx.event("state-received", "bytes", snap.length, "icount", e.icount(), "lsn", e.nextLsn(),
                    "leaderPauseMs", e.pauseNanos() / 1e6);
            System.err.printf("[tandem] state received: %,d bytes at instruction %,d (the leader paused %.1f ms)%n", snap.length,
                    e.icount(), e.pauseNanos() / 1e6);
            if (!r.installs.offer(new Install(snap, e, welcome, q))) throw new ProtocolException("too many pending states");
            ack();
        }

        private void log(Log l) {
            if (!streaming) throw new ProtocolException("LOG before the stream started");
            if (l.firstLsn() != expectedLsn) {
                throw new ProtocolException("log gap: expected lsn " + expectedLsn + ", got " + l.firstLsn());
            }
            List<LogRecord> recs = new ArrayList<>(l.count());
            try (LogReader rd = LogReader.records(new ByteArrayInputStream(l.records()), r.logHeader(), l.firstLsn())) {
                for (LogRecord x; (x = rd.next()) != null; ) recs.add(x);
            } catch (IOException e) {
                throw new ProtocolException("batch at lsn " + l.firstLsn() + ": " + e.getMessage());
            }
            LogRecord last = recs.isEmpty() ? null : recs.get(recs.size() - 1);
            if (recs.size() != l.count() || last == null || last.type() != LogWriter.MARK || last.icount() != l.markIcount()) {
                throw new ProtocolException("batch at lsn " + l.firstLsn() + " has " + recs.size() + " records (header says "
                        + l.count() + ") and must end with its MARK");
            }
            r.retain(Batch.of(l));
            r.queue.append(recs);
            expectedLsn = l.firstLsn() + l.count();
            r.lastBatchEpoch = l.batchEpoch();
            r.receivedIcount = l.markIcount();
            ack();
        }

        private void refused(Refuse rf) {
            r.tx.event("refused", "reason", rf.reason(), "hint", rf.leaderHint());
            System.err.println("[tandem] the leader refused this follower: " + rf.reason());
            if (rf.reason().startsWith("machine mismatch") || rf.reason().startsWith("protocol version")
                    || rf.reason().startsWith("node id")) {
                r.stop(Replica.EXIT_REFUSED, "refused: " + rf.reason());
                return;
            }
            if (!rf.leaderHint().isEmpty()) knownLeader = rf.leaderHint();
            lost(this, "refused: " + rf.reason());
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof IdleStateEvent) lost(this, "no message from the leader for " + r.opt.heartbeatTimeoutMillis() + " ms");
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            lost(this, "connection closed");
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            Throwable c = cause.getCause() instanceof ProtocolException ? cause.getCause() : cause;
            r.tx.event("protocol-error", "peer", "leader", "error", String.valueOf(c.getMessage()));
            System.err.println("[tandem] connection to the leader closed: " + c.getMessage());
            lost(this, "protocol error: " + c.getMessage());
        }
    }
}
