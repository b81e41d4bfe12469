package dev.tandem.replication;

import dev.tandem.core.machine.HostInputs;
import dev.tandem.core.machine.HostOutputs;
import dev.tandem.core.machine.Machine;
import dev.tandem.core.machine.MachineConfig;
import dev.tandem.core.machine.TimingMode;
import dev.tandem.core.replay.HostWorld;
import dev.tandem.core.replay.LogHeader;
import dev.tandem.core.replay.LogRecord;
import dev.tandem.core.replay.LogWriter;
import dev.tandem.core.replay.Recorder;
import dev.tandem.core.replay.Replayer;
import dev.tandem.core.snapshot.IncrementalHasher;
import dev.tandem.core.snapshot.Snapshot;
import dev.tandem.replication.arbiter.Arbiter;
import dev.tandem.replication.commit.OutputCommit;
import dev.tandem.replication.console.ConsoleInput;
import dev.tandem.replication.console.ConsoleOutput;
import dev.tandem.replication.console.ConsoleServer;
import dev.tandem.replication.stream.Batch;
import dev.tandem.replication.stream.BatchLog;
import dev.tandem.replication.stream.RecordQueue;
import dev.tandem.replication.wire.Message;
import dev.tandem.replication.wire.Message.EpochStart;
import dev.tandem.replication.wire.Message.MachineIdentity;
import dev.tandem.replication.wire.Message.StreamHeader;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;
import java.util.function.UnaryOperator;

/**
 * One replica of a replicated guest: it leads (runs the guest live, ships every input with its
 * instruction count, holds output until followers have the log) or follows (replays the leader's
 * stream in lock-step, ready to take over). A follower that loses its leader contests the arbiter
 * and, if it wins, replays what it received to the last MARK and goes on as the leader of a new
 * epoch. See docs/replication-protocol.md.
 *
 * <p>Threads: the machine thread (the caller of {@link #run}), Netty's event loop (connections),
 * and one control thread (arbiter calls, liveness checks, statistics).
 */
public final class Replica implements AutoCloseable {
    public enum Role { FOLLOWER, PROMOTING, LEADER, STOPPED }

    /** Exit codes of {@link #run}. */
    public static final int EXIT_OK = 0;
    public static final int EXIT_FAILURE = 1;
    public static final int EXIT_REFUSED = 2;
    public static final int EXIT_DEPOSED = 3;

    final ReplicaOptions opt;
    final Transcript tx;
    final EventLoopGroup group = new NioEventLoopGroup(1, (java.util.concurrent.ThreadFactory) r -> daemon(r, "tandem-net"));
    final ScheduledExecutorService control = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "tandem-control"));
    /** Lease renewal has a thread of its own: nothing else may delay it. */
    final ScheduledExecutorService renewer = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "tandem-lease"));
    final Function<String, Arbiter> arbiterFactory;
    volatile Arbiter arbiter;
    volatile String arbiterSpec;

    volatile Role role;
    /** Highest epoch seen anywhere. */
    volatile long epoch;
    /** The epoch this replica leads, when it leads. */
    volatile long leaderEpoch = -1;
    volatile Arbiter.Lease lease;
    volatile boolean stopping;
    volatile String stopReason;
    volatile int exitCode = EXIT_OK;

    /** Epoch starts of the stream this replica holds. */
    final List<EpochStart> history = new ArrayList<>();
    final BatchLog retention;
    final ConsoleOutput consoleOut;
    final ConsoleInput consoleIn = new ConsoleInput();
    final OutputCommit commit;
    final ConsoleServer consoleServer;
    final LeaderLink leaderLink;
    final FollowerLink followerLink;
    final Stats stats;

    InetSocketAddress replicationAddress;
    InetSocketAddress consoleAddress;
    volatile String leaderConsoleHint = "";

    volatile StreamHeader header;
    volatile MachineIdentity identity;
    /** The machine thread's machine (null on a follower that has not received a state yet). */
    volatile Machine machine;
    Thread machineThread;

    // ---- follower stream state
    volatile RecordQueue queue;
    volatile Replayer replayer;
    volatile long lastBatchEpoch = -1;
    volatile long receivedIcount = -1;
    volatile long appliedLsn = -1;
    volatile long appliedIcount = -1;
    final BlockingQueue<FollowerLink.Install> installs = new ArrayBlockingQueue<>(4);

    // ---- leader stream state (machine thread)
    LeaderInputs leaderInputs;
    /** The leader ends the stream (END record) when the instruction count reaches this. */
    volatile long instructionLimit = Long.MAX_VALUE;
    /** Set by {@link #crash()}: no hand-over, no last words (tests of abrupt failure in one process). */
    volatile boolean crashed;

    Replica(ReplicaOptions opt, Function<String, Arbiter> arbiterFactory) throws IOException {
        this.opt = opt;
        this.tx = Transcript.open(opt.transcript(), opt.nodeId());
        this.arbiterFactory = arbiterFactory;
        this.retention = new BatchLog(opt.retentionBytes(), 0);
        this.consoleOut = new ConsoleOutput(opt.consoleHistoryBytes());
        this.commit = new OutputCommit(List.of(consoleOut, consoleIn));
        this.consoleServer = new ConsoleServer(consoleOut, consoleIn, new ConsoleServer.Replica() {
            @Override
            public boolean serving() {
                return role == Role.LEADER && !stopping && !commit.frozen();
            }

            @Override
            public long epoch() {
                return leaderEpoch >= 0 ? leaderEpoch : epoch;
            }

            @Override
            public String leaderHint() {
                return leaderConsoleHint;
            }

            @Override
            public void higherEpochSeen(long e, String from) {
                Replica.this.higherEpochSeen(e, from);
            }

            @Override
            public List<String> peers() {
                List<String> out = new ArrayList<>();
                for (LeaderLink.Session s : leaderLink.sessions.values()) {
                    String c = consolePart(s.address);
                    if (s.live && !c.isEmpty()) out.add(c);
                }
                return out;
            }
        });
        this.leaderLink = new LeaderLink(this);
        this.followerLink = new FollowerLink(this);
        this.stats = new Stats(this);
        consoleIn.setOnInput(() -> {
            Thread t = machineThread;
            if (t != null) LockSupport.unpark(t);
        });
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    // ------------------------------------------------------------------ starting

    /** Binds the replication and console ports. */
    void bind() throws InterruptedException {
        replicationAddress = leaderLink.bind(opt.listenHost(), opt.listenPort());
        if (opt.consolePort() >= 0) consoleAddress = consoleServer.bind(group, opt.consoleHost(), opt.consolePort());
    }

    /** The replication address peers and the arbiter are told. */
    public String address() {
        if (opt.advertise() != null) return opt.advertise();
        return replicationAddress.getHostString() + ":" + replicationAddress.getPort();
    }

    public InetSocketAddress replicationAddress() {
        return replicationAddress;
    }

    public InetSocketAddress consoleAddress() {
        return consoleAddress;
    }

    /** The address published in the arbiter: replication address, then the console address after '|' if any. */
    String arbiterAddress() {
        return consoleAddress == null ? address() : address() + "|" + consoleAddress.getHostString() + ":" + consoleAddress.getPort();
    }

    static String replicationPart(String arbiterAddress) {
        int i = arbiterAddress.indexOf('|');
        return i < 0 ? arbiterAddress : arbiterAddress.substring(0, i);
    }

    static String consolePart(String arbiterAddress) {
        int i = arbiterAddress.indexOf('|');
        return i < 0 ? "" : arbiterAddress.substring(i + 1);
    }

    /**
     * A leader of a new stream. {@code build} makes the machine with the given inputs as its
     * nondeterminism boundary (it reads the RTC's power-on time from them) and loads the guest.
     */
    public static Replica leader(ReplicaOptions opt, String arbiterSpec, Function<String, Arbiter> arbiters,
            Function<HostInputs, Machine> build, Map<String, String> guestIdentity) throws Exception {
        Replica r = new Replica(opt, arbiters);
        r.bind();
        r.arbiterSpec = arbiterSpec != null ? arbiterSpec
                : ArbiterSpecs.defaultFor(r.replicationAddress.getHostString(), r.replicationAddress.getPort());
        r.arbiter = arbiters.apply(r.arbiterSpec);
        r.leaderInputs = new LeaderInputs(r, null, 0);
        Machine m = build.apply(r.leaderInputs);
        if (m.hostInputs() != r.leaderInputs) m.setHostInputs(r.leaderInputs);
        MachineConfig c = m.config();
        r.identity = new MachineIdentity(c.ramBytes(), c.instructionsPerSecond(), c.postPort(), c.debugPort(),
                m.timingMode().ordinal(), guestIdentity);
        r.header = new StreamHeader(r.identity, r.leaderInputs.recorder.rtcEpochMillisAtPowerOn(), opt.checkpointInterval());
        r.machine = m;
        Optional<Arbiter.Lease> l = r.arbiter.tryAcquire(new Arbiter.Candidate(opt.nodeId(), r.arbiterAddress(), 0));
        if (l.isEmpty()) {
            String cur = r.arbiter.current().map(x -> "epoch " + x.epoch() + " held by " + x.nodeId() + " at " + x.address())
                    .orElse("no record");
            r.close();
            throw new IllegalStateException("the arbiter refused leadership (" + cur + "): is another leader running?");
        }
        r.lease = l.get();
        r.epoch = r.leaderEpoch = r.lease.epoch();
        r.leaderLink.startLeading();
        r.history.add(new EpochStart(r.leaderEpoch, 0));
        r.leaderInputs.start(m);
        r.role = Role.LEADER;
        r.tx.event("start", "role", "leader", "epoch", r.leaderEpoch, "listen", r.address(), "console",
                r.consoleAddress == null ? "" : r.consoleAddress.toString(), "arbiter", r.arbiterSpec);
        r.tx.event("role", "role", "LEADER", "epoch", r.leaderEpoch, "icount", m.cpu().icount(), "ticks", m.ticks(), "lsn", 0L);
        return r;
    }

    /**
     * A follower that joins the leader at {@code leaderAddress}. {@code wanted}: the machine it
     * must be (null: whatever the leader runs). {@code arbiterSpec} null: the leader's.
     */
    public static Replica follower(ReplicaOptions opt, String leaderAddress, MachineIdentity wanted, String arbiterSpec,
            Function<String, Arbiter> arbiters) throws Exception {
        Replica r = new Replica(opt, arbiters);
        r.identity = wanted;
        if (arbiterSpec != null) {
            r.arbiterSpec = arbiterSpec;
            r.arbiter = arbiters.apply(arbiterSpec);
        }
        r.bind();
        r.role = Role.FOLLOWER;
        r.tx.event("start", "role", "follower", "listen", r.address(), "console",
                r.consoleAddress == null ? "" : r.consoleAddress.toString(), "leader", leaderAddress);
        r.followerLink.start(leaderAddress);
        return r;
    }

    // ------------------------------------------------------------------ running

    /** Runs the machine thread until the replica stops; returns the exit code. */
    public int run() {
        machineThread = Thread.currentThread();
        stats.start();
        long runStart = System.nanoTime();
        long startIcount = machine == null ? 0 : machine.cpu().icount();
        try {
            while (!stopping) {
                Role r = role;
                if (r == Role.LEADER) {
                    leadLoop();
                } else if (r == Role.FOLLOWER || r == Role.PROMOTING) {
                    FollowerLink.Install in = installs.poll(50, TimeUnit.MILLISECONDS);
                    if (in != null) followLoop(in);
                } else {
                    break;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException | Error e) {
            stop(EXIT_FAILURE, "internal error: " + e);
            throw e;
        } finally {
            if (role != Role.LEADER && role != Role.STOPPED) followerLink.close(); // a stopped follower leaves the live set
            Machine m = machine;
            String hash = "";
            if (m != null && !crashed) {
                hash = String.format("%016x", dev.tandem.core.snapshot.StateHasher.digest(m).total());
                double secs = (System.nanoTime() - runStart) / 1e9;
                System.err.printf("[tandem] %s stopped (%s) at instruction %,d, final state hash %s; %,d instructions in %.3f s "
                        + "(%.1f MIPS)%n", opt.nodeId(), stopReason, m.cpu().icount(), hash, m.cpu().icount() - startIcount, secs,
                        (m.cpu().icount() - startIcount) / secs / 1e6);
            }
            tx.event("stop", "reason", stopReason == null ? "" : stopReason, "exit", exitCode, "role", String.valueOf(role),
                    "icount", m == null ? -1 : m.cpu().icount(), "hash", hash);
            stats.finish();
        }
        return exitCode;
    }

    /** Asks the replica to stop with {@code code}; the first reason wins. */
    void stop(int code, String reason) {
        synchronized (this) {
            if (stopReason == null) {
                stopReason = reason;
                exitCode = code;
            }
            stopping = true;
        }
        Machine m = machine;
        if (m != null) m.requestStop();
        RecordQueue q = queue;
        if (q != null) q.abort();
        Thread t = machineThread;
        if (t != null) LockSupport.unpark(t);
    }

    /** Stops the leader at this instruction count: it writes the END record there and the followers end with it. */
    public void setInstructionLimit(long n) {
        this.instructionLimit = n;
        Machine m = machine;
        if (m != null && role == Role.LEADER) m.requestStop(); // run() starts again with the new limit
    }

    /**
     * Stops at once as if the process died: no hand-over, no goodbye, the lease is left to expire,
     * connections are dropped. For tests that cannot kill a process.
     */
    public void crash() {
        crashed = true;
        stopping = true;
        commit.freeze();
        stop(EXIT_FAILURE, "crashed (test)");
        leaderLink.close();
        followerLink.close();
        consoleServer.close();
        control.shutdownNow();
        renewer.shutdownNow();
    }

    /** Clean shutdown (SIGTERM): a leader hands over (ships what it has, releases its lease); a follower just goes. */
    public void shutdown() {
        stop(EXIT_OK, "shutdown requested");
    }

    /** We learned of an epoch above ours. A leader stops releasing output at once and stops. */
    void higherEpochSeen(long e, String from) {
        if (e <= epoch) return;
        epoch = e;
        if (role == Role.LEADER || role == Role.PROMOTING) {
            commit.freeze();
            tx.event("deposed", "epoch", leaderEpoch, "higherEpoch", e, "from", from);
            stop(EXIT_DEPOSED, "deposed: epoch " + e + " seen from " + from + " (ours is " + leaderEpoch + ")");
        }
    }

    /** True while this replica may release output. */
    boolean leaseValid() {
        Arbiter.Lease l = lease;
        return l != null && role == Role.LEADER && !commit.frozen() && l.isValid();
    }

    // ------------------------------------------------------------------ leader

    private void leadLoop() {
        Machine m = machine;
        LeaderInputs li = leaderInputs;
        leaderLink.startLeading();
        for (;;) {
            Machine.Exit exit = m.run(instructionLimit);
            if (stopping) {
                if (!crashed) li.finishOnStop(m);
                role = Role.STOPPED;
                return;
            }
            if (exit == Machine.Exit.LIMIT && m.cpu().icount() < instructionLimit) continue;
            switch (exit) {
                case STOPPED -> {
                    // a stop request that was not ours to keep
                }
                case IDLE_FOREVER -> LockSupport.parkNanos(20_000_000L);
                default -> {
                    li.finishGuest(m, exit);
                    stop(exit == Machine.Exit.TRIPLE_FAULT ? EXIT_FAILURE : EXIT_OK, "guest ended: " + exit);
                    role = Role.STOPPED;
                    return;
                }
            }
        }
    }

    // ------------------------------------------------------------------ follower

    /** Follows the stream from an installed state until it ends (promotion, new state, stop). */
    private void followLoop(FollowerLink.Install in) {
        Machine m;
        try {
            m = in.build(this);
        } catch (IOException e) {
            tx.event("state-rejected", "reason", e.getMessage());
            System.err.println("[tandem] state transfer rejected: " + e.getMessage());
            followerLink.reconnect("state rejected: " + e.getMessage(), true);
            return;
        }
        machine = m;
        Replayer rp = replayer;
        tx.event("following", "icount", m.cpu().icount(), "ticks", m.ticks(), "lsn", appliedLsn + 1, "epoch", lastBatchEpoch);
        for (;;) {
            Machine.Exit exit = m.run(Long.MAX_VALUE);
            if (rp.divergence() != null) {
                String d = rp.divergence();
                tx.event("divergence", "report", d, "icount", m.cpu().icount());
                System.err.println("[tandem] REPLICA DIVERGED: " + d);
                stop(EXIT_FAILURE, "divergence: " + d); // first: a stopping replica never reconnects
                followerLink.goodbye(Message.Goodbye.DIVERGED, d);
                followerLink.close();
                return;
            }
            if (rp.streamEnded() || stopping) break;
            try {
                rp.throwIfLogDamaged();
                if (exit == Machine.Exit.STOPPED) continue;
                if (exit == Machine.Exit.IDLE_FOREVER && !rp.finishIfEnded(m, exit)) continue;
                if (rp.finishIfEnded(m, exit)) {
                    if (rp.divergence() != null) continue;
                    tx.event("guest-ended", "exit", exit.toString(), "icount", m.cpu().icount());
                    stop(exit == Machine.Exit.TRIPLE_FAULT ? EXIT_FAILURE : EXIT_OK, "guest ended: " + exit);
                    return;
                }
            } catch (IOException e) {
                stop(EXIT_FAILURE, "stream damaged: " + e.getMessage());
                return;
            }
        }
        if (stopping) return;
        if (role == Role.PROMOTING) {
            becomeLeader(m, rp);
        }
        // otherwise: a new state is on its way (installs)
    }

    /** Record listener of a follower's replayer (machine thread). */
    void applied(LogRecord r) {
        switch (r.type()) {
            case LogWriter.MARK -> {
                appliedLsn = r.index();
                appliedIcount = r.icount();
            }
            case LogWriter.NOTE -> {
                if (Notes.kind(r) == Notes.CONSOLE_SEQ) consoleIn.noteApplied(Notes.long1(r), Notes.long2(r));
            }
            case LogWriter.HASH -> tx.event("checkpoint", "icount", r.icount(),
                    "hash", String.format("%016x", dev.tandem.core.replay.LogReader.getLong(r.payload(), 8)));
            default -> {
            }
        }
    }

    /** Guest output (both roles): console bytes get their deterministic offsets. */
    final HostOutputs outputs = new HostOutputs() {
        @Override
        public void output(int channel, long icount, byte[] data, int off, int len) {
            if (channel != COM1) return;
            for (int i = 0; i < len; i++) consoleOut.put(data[off + i] & 0xFF);
        }

        @Override
        public void outputByte(int channel, long icount, int b) {
            if (channel == COM1) consoleOut.put(b);
        }
    };

    /** Won the arbiter: finish replaying what was received, then lead. Called on the control thread. */
    void promote(Arbiter.Lease l) {
        synchronized (this) {
            if (role != Role.FOLLOWER || stopping) {
                l.close();
                return;
            }
            lease = l;
            leaderEpoch = l.epoch();
            epoch = Math.max(epoch, l.epoch());
            role = Role.PROMOTING;
        }
        leaderLink.startLeading();
        tx.event("role", "role", "PROMOTING", "epoch", leaderEpoch, "receivedLsn", queue.lastLsn(), "receivedIcount", receivedIcount);
        queue.endAfterQueued();
    }

    private void becomeLeader(Machine m, Replayer rp) {
        long takeoverLsn = queue.takenLsn() + 1;
        if (retention.nextLsn() != takeoverLsn) {
            throw new IllegalStateException("retained stream ends at " + retention.nextLsn() + ", replay at " + takeoverLsn);
        }
        synchronized (history) {
            history.add(new EpochStart(leaderEpoch, takeoverLsn));
        }
        consoleIn.resetToApplied();
        leaderInputs = new LeaderInputs(this, rp, takeoverLsn);
        leaderInputs.takeOver(m, rp);
        m.setHostInputs(leaderInputs);
        role = Role.LEADER;
        leaderConsoleHint = "";
        tx.event("role", "role", "LEADER", "epoch", leaderEpoch, "icount", m.cpu().icount(), "ticks", m.ticks(), "lsn", takeoverLsn);
        System.err.printf("[tandem] %s leads epoch %d from instruction %,d (lsn %d)%n", opt.nodeId(), leaderEpoch,
                m.cpu().icount(), takeoverLsn);
        // no follower is live yet: everything the stream produced so far may go out
        leaderLink.releaseCommitted("takeover");
        consoleServer.pumpAll();
    }

    // ------------------------------------------------------------------ shared helpers

    LogHeader logHeader() {
        StreamHeader h = header;
        MachineIdentity id = h.identity();
        return new LogHeader(new MachineConfig(id.ramBytes(), id.ips(), id.postPort(), id.debugPort()),
                TimingMode.values()[id.timing()], h.rtcEpochMillis(), h.checkpointInterval(), id.guest());
    }

    List<EpochStart> historyCopy() {
        synchronized (history) {
            return List.copyOf(history);
        }
    }

    /** End (exclusive) of epoch {@code e}'s records in our history, or -1 if e is not in it. */
    long epochEnd(long e) {
        synchronized (history) {
            for (int i = 0; i < history.size(); i++) {
                if (history.get(i).epoch() == e) {
                    return i + 1 < history.size() ? history.get(i + 1).startLsn() : Long.MAX_VALUE;
                }
            }
        }
        return -1;
    }

    /** Records a batch this replica received (follower) or shipped (leader). */
    void retain(Batch b) {
        retention.add(b);
    }

    public Role role() {
        return role;
    }

    public long leaderEpoch() {
        return leaderEpoch;
    }

    public Stats stats() {
        return stats;
    }

    /** A hasher for the machine (shared by recorder and replayer). */
    static IncrementalHasher hasherOf(Recorder rec, Machine m) {
        return rec.stateHasher(m);
    }

    public UnaryOperator<String> describe() {
        return s -> s;
    }

    @Override
    public void close() {
        stop(exitCode, stopReason == null ? "closed" : stopReason);
        leaderLink.close();
        followerLink.close();
        consoleServer.close();
        control.shutdownNow();
        renewer.shutdownNow();
        group.shutdownGracefully(0, 200, TimeUnit.MILLISECONDS).syncUninterruptibly();
        Arbiter a = arbiter;
        if (a != null) {
            try {
                a.close();
            } catch (Arbiter.ArbiterException e) {
                // closing anyway
            }
        }
        try {
            tx.close();
        } catch (IOException e) {
            // closing anyway
        }
    }
}
