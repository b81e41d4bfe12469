package dev.tandem.replication;

import dev.tandem.core.machine.Machine;
import dev.tandem.replication.stream.Batch;
import dev.tandem.replication.wire.Frame;
import dev.tandem.replication.wire.FrameCodec;
import dev.tandem.replication.wire.Message;
import dev.tandem.replication.wire.Message.Ack;
import dev.tandem.replication.wire.Message.ChannelState;
import dev.tandem.replication.wire.Message.Goodbye;
import dev.tandem.replication.wire.Message.Heartbeat;
import dev.tandem.replication.wire.Message.Hello;
import dev.tandem.replication.wire.Message.MachineIdentity;
import dev.tandem.replication.wire.Message.Refuse;
import dev.tandem.replication.wire.Message.StateChunk;
import dev.tandem.replication.wire.Message.StateEnd;
import dev.tandem.replication.wire.Message.Welcome;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.zip.CRC32C;

/**
 * The leader's half of the protocol: the replication server, one session per follower, shipping
 * batches, state transfers for joining followers, acknowledgements, output commit, the lag bound,
 * follower liveness (fencing at the arbiter before a follower leaves the live set) and the lease.
 */
final class LeaderLink {
    static final int CHUNK = 1 << 20;

    private final Replica r;
    private Channel server;
    /** Sessions by node id. */
    final Map<String, Session> sessions = new ConcurrentHashMap<>();
    /** Orders retention, broadcast and attaching sessions. */
    private final Object streamLock = new Object();
    private final ConcurrentLinkedQueue<Session> joins = new ConcurrentLinkedQueue<>();
    private volatile boolean joinPending;
    private final List<ScheduledFuture<?>> tasks = new ArrayList<>();
    private volatile boolean lagWaiting;
    long lagStallNanos;
    long joinsServed;
    long lastJoinPauseNanos = -1;
    long lastJoinBytes;

    LeaderLink(Replica r) {
        this.r = r;
    }

    InetSocketAddress bind(String host, int port) throws InterruptedException {
        server = new ServerBootstrap().group(r.group).channel(NioServerSocketChannel.class)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        FrameCodec.install(ch.pipeline());
                        ch.pipeline().addLast("session", new Session(ch));
                    }
                }).bind(host, port).sync().channel();
        return (InetSocketAddress) server.localAddress();
    }

    /** Starts heartbeats, liveness checks and lease renewal (when this replica starts leading). */
    synchronized void startLeading() {
        if (!tasks.isEmpty()) return;
        long hb = r.opt.heartbeatMillis();
        tasks.add(r.group.scheduleAtFixedRate(this::heartbeat, hb, hb, TimeUnit.MILLISECONDS));
        tasks.add(r.control.scheduleAtFixedRate(this::livenessCheck, hb, Math.max(5, hb / 4), TimeUnit.MILLISECONDS));
        long renew = r.opt.renewMillis() > 0 ? r.opt.renewMillis() : 50;
        tasks.add(r.renewer.scheduleAtFixedRate(this::renew, renew, renew, TimeUnit.MILLISECONDS));
    }

    // ------------------------------------------------------------------ machine thread

    boolean joinPending() {
        return joinPending;
    }

    /** Sends a batch to every attached follower and holds the output it covers. */
    void ship(Batch b, long firstOutputNanos) {
        lastMark = b.markIcount();
        synchronized (streamLock) {
            r.retain(b);
            Message.Log msg = b.toMessage();
            for (Session s : sessions.values()) {
                if (!s.attached) continue;
                if (s.backlog != null) s.backlog.add(msg); // its state is still being compressed
                else s.send(msg);
            }
        }
        r.commit.mark(b.markIcount(), firstOutputNanos);
        releaseCommitted("ship");
    }

    private final java.util.concurrent.ExecutorService stateWriter = java.util.concurrent.Executors.newSingleThreadExecutor(t -> {
        Thread th = new Thread(t, "tandem-state");
        th.setDaemon(true);
        return th;
    });

    /**
     * Serves the followers waiting for a state: the machine's state is copied at this boundary
     * (the leader's only pause), then compressed and sent from another thread; batches shipped
     * meanwhile wait in each joiner's backlog, so they follow the state.
     */
    void serveJoins(Machine m, long nextLsn) {
        List<Session> waiting = new ArrayList<>();
        for (Session s; (s = joins.poll()) != null; ) if (s.channel.isActive()) waiting.add(s);
        joinPending = false;
        if (waiting.isEmpty()) return;
        long t0 = System.nanoTime();
        dev.tandem.core.snapshot.Snapshot.Capture cap;
        try {
            cap = dev.tandem.core.snapshot.Snapshot.capture(m);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        long hash = r.leaderInputs.recorder.stateHasher(m).digest(m).total();
        long produced = r.consoleOut.produced();
        long tailFrom = Math.max(0, produced - r.consoleOut.capacity());
        byte[] tail = r.consoleOut.tail(tailFrom);
        Map<Long, Long> seqs = r.consoleIn.appliedSnapshot();
        long icount = m.cpu().icount(), ticks = m.ticks();
        long pause = System.nanoTime() - t0;
        synchronized (streamLock) {
            for (Session s : waiting) {
                s.backlog = new ArrayList<>();
                s.receivedLsn = nextLsn - 1;
                s.receivedIcount = icount;
                s.appliedIcount = icount;
                s.attach();
            }
        }
        stateWriter.execute(() -> {
            long c0 = System.nanoTime();
            byte[] snap;
            try {
                snap = cap.toBytes();
            } catch (java.io.IOException e) {
                for (Session s : waiting) s.channel.close();
                return;
            }
            long compress = System.nanoTime() - c0;
            CRC32C crc = new CRC32C();
            crc.update(snap);
            int chunks = (snap.length + CHUNK - 1) / CHUNK;
            StateEnd end = new StateEnd(nextLsn, r.leaderEpoch, icount, ticks, hash, chunks, snap.length, (int) crc.getValue(),
                    pause, List.of(new ChannelState(0, produced, tailFrom, tail)), seqs);
            synchronized (streamLock) {
                for (Session s : waiting) {
                    s.send(welcome(true, nextLsn, -1));
                    for (int i = 0; i < chunks; i++) {
                        int off = i * CHUNK;
                        s.send(new StateChunk(i, java.util.Arrays.copyOfRange(snap, off, Math.min(snap.length, off + CHUNK))));
                    }
                    s.send(end);
                    for (Message.Log b : s.backlog) s.send(b);
                    s.backlog = null;
                }
            }
            joinsServed += waiting.size();
            lastJoinPauseNanos = pause;
            lastJoinBytes = snap.length;
            for (Session s : waiting) {
                r.tx.event("join", "follower", s.nodeId, "mode", "state", "icount", icount, "lsn", nextLsn, "snapshotBytes",
                        snap.length, "pauseMs", pause / 1e6, "compressMs", compress / 1e6);
                System.err.printf("[tandem] follower %s joined at instruction %,d: state of %,d bytes; the leader paused %.1f ms "
                        + "(copy), compression took %.1f ms beside it%n", s.nodeId, icount, snap.length, pause / 1e6, compress / 1e6);
            }
        });
    }

    /** Blocks while a live follower has applied more than the allowed lag behind {@code icount}. */
    void waitForLag(long icount) {
        long limit = r.opt.maxLagInstructions();
        long t0 = 0;
        for (;;) {
            long worst = 0;
            for (Session s : sessions.values()) {
                if (s.live && s.attached && !s.catchingUp) worst = Math.max(worst, icount - s.appliedIcount);
            }
            if (worst <= limit || r.stopping || !r.leaseValid()) break;
            if (t0 == 0) t0 = System.nanoTime();
            lagWaiting = true;
            LockSupport.parkNanos(2_000_000L);
            lagWaiting = false;
        }
        if (t0 != 0) lagStallNanos += System.nanoTime() - t0;
    }

    /** Waits up to {@code millis} for every live follower to acknowledge everything shipped, then releases. */
    void drain(long millis) {
        long end = System.nanoTime() + millis * 1_000_000L;
        long want = r.leaderInputs.nextLsn() - 1;
        while (System.nanoTime() < end) {
            boolean all = true;
            for (Session s : sessions.values()) if (s.live && s.receivedLsn < want) all = false;
            if (all) break;
            LockSupport.parkNanos(2_000_000L);
        }
        releaseCommitted("drain");
    }

    // ------------------------------------------------------------------ commit

    private long lastCommitLog;

    /** Releases what every live follower acknowledged (call after acks, ships, membership changes). */
    synchronized void releaseCommitted(String why) {
        long min = Long.MAX_VALUE;
        Map<String, Long> acks = new LinkedHashMap<>();
        for (Session s : sessions.values()) {
            if (s.live) {
                min = Math.min(min, s.receivedIcount);
                acks.put(s.nodeId, s.receivedIcount);
            }
        }
        long beforeOut = r.consoleOut.released();
        boolean allowed = r.leaseValid();
        if ("takeover".equals(why)) r.commit.releaseAll(allowed);
        else r.commit.commit(min, allowed);
        long afterOut = r.consoleOut.released();
        if (afterOut != beforeOut) {
            r.tx.event("release", "channel", "console", "epoch", r.leaderEpoch, "from", beforeOut, "to", afterOut,
                    "ackedIcount", min == Long.MAX_VALUE ? -1 : min, "acks", acks, "why", why);
        }
    }

    // ------------------------------------------------------------------ periodic

    private void heartbeat() {
        if (r.role != Replica.Role.LEADER) return;
        List<String> live = new ArrayList<>();
        for (Session s : sessions.values()) if (s.live) live.add(s.nodeId);
        Machine m = r.machine;
        Heartbeat hb = new Heartbeat(System.nanoTime(), m == null ? 0 : m.cpu().icount(), live);
        for (Session s : sessions.values()) if (s.helloed) s.send(hb);
    }

    private void livenessCheck() {
        long now = System.nanoTime();
        long timeout = r.opt.heartbeatTimeoutMillis() * 1_000_000L;
        for (Session s : sessions.values()) {
            if (s.live && now - s.lastHeard > timeout) dead(s, "no message for " + (now - s.lastHeard) / 1_000_000 + " ms");
        }
    }

    private void renew() {
        dev.tandem.replication.arbiter.Arbiter.Lease l = r.lease;
        if (l == null || r.stopping) return;
        boolean ok;
        long t0 = System.nanoTime();
        try {
            ok = l.renew();
        } catch (RuntimeException e) {
            ok = false;
        }
        long t1 = System.nanoTime();
        if (lastRenew != 0 && (t0 - lastRenew > 200_000_000L || t1 - t0 > 100_000_000L)) {
            r.tx.event("slow-renewal", "sinceLastMs", (t0 - lastRenew) / 1e6, "renewMs", (t1 - t0) / 1e6, "ok", ok);
        }
        lastRenew = t1;
        if (!ok) leaseLost();
    }

    private long lastRenew;

    /** The lease is gone: stop releasing output and stop (machine thread or control thread). */
    void leaseLost() {
        if (r.stopping) return;
        r.commit.freeze();
        r.tx.event("deposed", "epoch", r.leaderEpoch, "reason", "lease no longer valid");
        r.stop(Replica.EXIT_DEPOSED, "the lease of epoch " + r.leaderEpoch + " is no longer valid");
    }

    /**
     * A follower leaves the live set: first fenced at the arbiter (it may not lead unless it
     * applied past our current position), then removed, so commits no longer wait for it.
     */
    void dead(Session s, String reason) {
        synchronized (s) {
            if (s.dying) return;
            s.dying = true;
        }
        if (r.stopping) {
            // a leader that is going away neither fences nor releases anything more
            s.attached = false;
            s.channel.close();
            return;
        }
        r.control.execute(() -> {
            if (s.live) {
                // a fence at c admits candidates that applied at least c: require more than anything we shipped,
                // since output beyond what this follower has may be released from now on
                long fenceAt = Math.max(lastShippedMark(), s.receivedIcount) + 1;
                boolean ok;
                try {
                    ok = r.lease != null && r.lease.fence(s.nodeId, fenceAt);
                } catch (RuntimeException e) {
                    ok = false;
                }
                if (!ok) {
                    leaseLost();
                    return;
                }
                s.live = false;
                r.tx.event("fence", "follower", s.nodeId, "count", fenceAt, "reason", reason);
                r.tx.event("follower-dead", "follower", s.nodeId, "reason", reason, "receivedIcount", s.receivedIcount);
                System.err.printf("[tandem] follower %s left the live set (%s); fenced at %,d%n", s.nodeId, reason, fenceAt);
            }
            s.attached = false;
            sessions.remove(s.nodeId, s);
            s.channel.close();
            releaseCommitted("follower-dead");
            r.consoleServer.peersChanged();
            Thread t = r.machineThread;
            if (t != null) LockSupport.unpark(t);
        });
    }

    private volatile long lastMark;

    long lastShippedMark() {
        return lastMark;
    }

    void goodbyeAll(int reason, String text) {
        for (Session s : sessions.values()) {
            s.channel.writeAndFlush(Frame.of(r.leaderEpoch, new Goodbye(reason, text)));
        }
    }

    /** Clean shutdown: tell the followers, give up the lease so one of them takes over at once. */
    void handOver() {
        goodbyeAll(Goodbye.SHUTDOWN, "leader shutting down");
        r.commit.freeze();
        dev.tandem.replication.arbiter.Arbiter.Lease l = r.lease;
        if (l != null) {
            try {
                l.close();
            } catch (RuntimeException e) {
                // it expires on its own
            }
        }
        r.tx.event("handover", "epoch", r.leaderEpoch);
    }

    synchronized void close() {
        stateWriter.shutdownNow();
        for (ScheduledFuture<?> f : tasks) f.cancel(false);
        for (Session s : sessions.values()) s.channel.close();
        if (server != null) server.close();
    }

    private Welcome welcome(boolean state, long resume, long truncate) {
        return new Welcome(r.opt.nodeId(), r.header, state, resume, truncate, r.historyCopy(),
                r.arbiterSpec == null ? "" : r.arbiterSpec, r.opt.heartbeatMillis());
    }

    // ------------------------------------------------------------------ sessions

    /** One follower's connection. */
    final class Session extends SimpleChannelInboundHandler<Frame> {
        final Channel channel;
        String nodeId = "?";
        /** The follower's address as it gave it (replication|console). */
        String address = "";
        volatile boolean attached;
        volatile boolean live;
        volatile boolean dying;
        volatile boolean helloed;
        /** Joined, state not loaded yet: the leader does not wait for it (output commit does). */
        volatile boolean catchingUp;
        /** Where it joined (its applied count then). */
        volatile long joinIcount;
        /** Batches shipped while this follower's state is being compressed (guarded by streamLock), or null. */
        List<Message.Log> backlog;
        volatile long receivedLsn = -1;
        volatile long receivedIcount = -1;
        volatile long appliedLsn = -1;
        volatile long appliedIcount = -1;
        volatile long lastHeard = System.nanoTime();
        private long lastAckLog;

        Session(Channel channel) {
            this.channel = channel;
        }

        void send(Message m) {
            channel.writeAndFlush(Frame.of(r.leaderEpoch, m));
        }

        void attach() {
            catchingUp = true;
            joinIcount = appliedIcount;
            attached = true;
            live = true;
            lastHeard = System.nanoTime();
            r.tx.event("follower-live", "follower", nodeId, "receivedLsn", receivedLsn, "receivedIcount", receivedIcount);
            r.consoleServer.peersChanged();
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, Frame f) {
            lastHeard = System.nanoTime();
            if (f.epoch() > r.epoch) {
                r.higherEpochSeen(f.epoch(), "follower " + nodeId);
                ctx.close();
                return;
            }
            switch (f.message()) {
                case Hello h -> hello(ctx, h);
                case Ack a -> ack(a);
                case Heartbeat hb -> { }
                case Goodbye g -> {
                    r.tx.event("follower-goodbye", "follower", nodeId, "reason", g.reason(), "text", g.text());
                    if (g.reason() == Goodbye.DIVERGED) {
                        System.err.println("[tandem] follower " + nodeId + " diverged: " + g.text());
                    }
                    dead(this, "goodbye: " + g.text());
                }
                default -> throw new dev.tandem.replication.wire.ProtocolException(
                        "unexpected " + f.message().getClass().getSimpleName() + " from a follower");
            }
        }

        private void ack(Ack a) {
            receivedLsn = Math.max(receivedLsn, a.receivedLsn());
            receivedIcount = Math.max(receivedIcount, a.receivedIcount());
            appliedLsn = a.appliedLsn();
            appliedIcount = Math.max(appliedIcount, a.appliedIcount());
            if (catchingUp && a.appliedIcount() > joinIcount) {
                // it loaded its state and replays: from now on the lag bound holds the leader back for it
                catchingUp = false;
                r.tx.event("replaying", "follower", nodeId, "appliedIcount", appliedIcount);
            }
            long now = System.nanoTime();
            if (now - lastAckLog > 100_000_000L) {
                lastAckLog = now;
                r.tx.event("ack-received", "follower", nodeId, "receivedLsn", receivedLsn, "receivedIcount", receivedIcount,
                        "appliedIcount", appliedIcount);
            }
            if (live) releaseCommitted("ack");
            if (lagWaiting) {
                Thread t = r.machineThread;
                if (t != null) LockSupport.unpark(t);
            }
        }

        private void refuse(ChannelHandlerContext ctx, String reason) {
            r.tx.event("refused", "follower", nodeId, "reason", reason);
            String hint = r.role == Replica.Role.LEADER ? "" : Replica.replicationPart(r.followerLink.knownLeader());
            ctx.writeAndFlush(Frame.of(r.epoch, new Refuse(reason, hint))).addListener(ChannelFutureListener.CLOSE);
        }

        private void hello(ChannelHandlerContext ctx, Hello h) {
            if (helloed) throw new dev.tandem.replication.wire.ProtocolException("a second HELLO on one connection");
            nodeId = h.nodeId();
            address = h.address();
            if (h.protocolVersion() != FrameCodec.VERSION) {
                refuse(ctx, "protocol version " + h.protocolVersion() + " is not " + FrameCodec.VERSION);
                return;
            }
            if (r.role != Replica.Role.LEADER || r.stopping) {
                refuse(ctx, "not the leader");
                return;
            }
            if (nodeId.equals(r.opt.nodeId())) {
                refuse(ctx, "node id " + nodeId + " is this leader's own");
                return;
            }
            if (h.identity() != null) {
                String diff = differences(h.identity(), r.header.identity());
                if (diff != null) {
                    refuse(ctx, "machine mismatch: " + diff);
                    return;
                }
            }
            Session old = sessions.put(nodeId, this);
            if (old != null && old != this) {
                // the same replica reconnecting: it stays in the live set (commits keep waiting for it)
                // with what the old connection acknowledged, until the new one is attached
                if (old.live) {
                    receivedLsn = old.receivedLsn;
                    receivedIcount = old.receivedIcount;
                    appliedIcount = old.appliedIcount;
                    live = true;
                }
                old.attached = false;
                old.live = false;
                old.channel.close();
            }
            helloed = true;
            // Live from now on: no output is released beyond what this follower acknowledges. And fenced
            // at our current position: output released while it was away (before this moment) may be
            // missing from its log, so it may not lead before it has caught up past that point.
            if (!live) {
                receivedLsn = -1;
                receivedIcount = -1;
                appliedIcount = -1;
                live = true;
            }
            long fenceAt = lastShippedMark() + 1;
            r.control.execute(() -> {
                boolean ok;
                try {
                    ok = r.lease != null && r.lease.fence(nodeId, fenceAt);
                } catch (RuntimeException e) {
                    ok = false;
                }
                if (!ok) {
                    leaseLost();
                    return;
                }
                r.tx.event("fence", "follower", nodeId, "count", fenceAt, "reason", "joining");
                channel.eventLoop().execute(() -> {
                    if (channel.isActive()) decide(h);
                });
            });
        }

        /** Resume from retained batches, or a state transfer. */
        private void decide(Hello h) {
            long resume = -1;
            long truncate = -1;
            if (!h.wantsState() && h.streamEpoch() >= 0) {
                long end = r.epochEnd(h.streamEpoch());
                if (end >= 0) {
                    if (h.receivedLsn() + 1 <= end) {
                        resume = h.receivedLsn() + 1;
                    } else if (h.appliedLsn() + 1 <= end) {
                        truncate = end - 1;
                        resume = end;
                    }
                }
            }
            if (resume >= 0) {
                synchronized (streamLock) {
                    List<Batch> rest = r.retention.from(resume);
                    if (rest != null) {
                        send(welcome(false, resume, truncate));
                        for (Batch b : rest) send(b.toMessage());
                        receivedLsn = resume - 1;
                        receivedIcount = Math.max(receivedIcount, h.appliedIcount());
                        appliedIcount = Math.max(appliedIcount, h.appliedIcount());
                        attach();
                        r.tx.event("join", "follower", nodeId, "mode", "resume", "lsn", resume, "truncateAfter", truncate,
                                "batches", rest.size());
                        return;
                    }
                }
            }
            joins.add(this);
            joinPending = true;
            Thread t = r.machineThread;
            if (t != null) LockSupport.unpark(t);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (sessions.get(nodeId) == this) dead(this, "connection closed");
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            Throwable c = cause.getCause() instanceof dev.tandem.replication.wire.ProtocolException ? cause.getCause() : cause;
            r.tx.event("protocol-error", "peer", nodeId, "error", String.valueOf(c.getMessage()));
            System.err.println("[tandem] connection from follower " + nodeId + " closed: " + c.getMessage());
            ctx.close();
        }
    }

    /** Why two machines differ, or null. */
    static String differences(MachineIdentity want, MachineIdentity have) {
        List<String> d = new ArrayList<>();
        if (want.ramBytes() != have.ramBytes()) {
            d.add("memory size " + (want.ramBytes() >> 20) + " MiB here, " + (have.ramBytes() >> 20) + " MiB at the leader");
        }
        if (want.ips() != have.ips()) d.add("--ips " + want.ips() + " here, " + have.ips() + " at the leader");
        if (want.postPort() != have.postPort() || want.debugPort() != have.debugPort()) d.add("POST/debug ports differ");
        if (want.timing() != have.timing()) d.add("timing mode differs");
        if (!want.guest().equals(have.guest())) {
            for (String k : new java.util.TreeSet<>(union(want.guest().keySet(), have.guest().keySet()))) {
                String a = want.guest().get(k), b = have.guest().get(k);
                if (!java.util.Objects.equals(a, b)) d.add(k + " is " + (a == null ? "unset" : "'" + a + "'") + " here, "
                        + (b == null ? "unset" : "'" + b + "'") + " at the leader");
            }
        }
        return d.isEmpty() ? null : String.join("; ", d);
    }

    private static java.util.Set<String> union(java.util.Set<String> a, java.util.Set<String> b) {
        java.util.Set<String> u = new java.util.HashSet<>(a);
        u.addAll(b);
        return u;
    }

}
