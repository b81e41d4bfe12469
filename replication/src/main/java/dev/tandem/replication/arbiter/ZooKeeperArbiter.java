package dev.tandem.replication.arbiter;

import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.api.transaction.CuratorOp;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.retry.RetryNTimes;
import org.apache.curator.utils.ZookeeperFactory;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.client.ZKClientConfig;
import org.apache.zookeeper.data.Stat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * The arbiter in ZooKeeper, through Apache Curator: for replicas on several machines.
 *
 * <p>Layout under the stream's path P: {@code P/epoch} (persistent) holds the current epoch record
 * and is only ever changed by compare-and-set on its version; {@code P/leader} (ephemeral, owned by
 * the holder's session) exists while the holder's session lives: the session is the lease;
 * {@code P/fences/f-N} and {@code P/history/ev-N} are persistent sequential records. A grant is
 * one multi-op: set {@code P/epoch} at the version read (fails if anything changed it), create
 * {@code P/leader} (fails if a holder's session still lives), and log the grant (and the previous
 * holder's expiry). A fence is one multi-op that also bumps {@code P/epoch}'s version, so a grant
 * racing a fence fails and retries, seeing the fence.
 *
 * <p>Validity in the holder: false at once, and for good, when the ZooKeeper client reports the
 * connection Disconnected or the session Expired (seen before Curator acts on it) or Curator
 * reports SUSPENDED, LOST or READ_ONLY; and false once the negotiated session timeout minus a fifth has passed
 * since the start of the last successful renewal (a version-checked write of {@code P/leader}):
 * the server cannot expire the session, and so cannot let anyone else win, before a full session
 * timeout after it received that write. See docs/arbiter.md.
 */
public final class ZooKeeperArbiter implements Arbiter {
    private static final Logger LOG = LoggerFactory.getLogger(ZooKeeperArbiter.class);

    private final CuratorFramework client;
    private final String base;
    private final String epochPath;
    private final String leaderPath;
    private final String fencesPath;
    private final String historyPath;
    private final String connect;
    private final long sessionNanos;
    private final long marginNanos;
    private final Set<ZkLease> held = ConcurrentHashMap.newKeySet();
    private final ExecutorService cleanup;
    private volatile boolean connected;
    private volatile boolean closed;

    /**
     * Connects to the ensemble {@code connect} ({@code host:port[,host:port]}) and uses znode
     * {@code path} for one guest stream; {@code session} is the session timeout asked for (the
     * server bounds it to 2..20 ticks; the negotiated one is used for every decision).
     */
    public ZooKeeperArbiter(String connect, String path, Duration session) throws ArbiterException {
        if (!path.startsWith("/") || path.length() < 2 || path.endsWith("/")) {
            throw new IllegalArgumentException("bad znode path '" + path + "' (like /tandem/guest1)");
        }
        this.connect = connect;
        this.base = path;
        this.epochPath = path + "/epoch";
        this.leaderPath = path + "/leader";
        this.fencesPath = path + "/fences";
        this.historyPath = path + "/history";
        int ms = (int) Math.min(Integer.MAX_VALUE, session.toMillis());
        this.client = CuratorFrameworkFactory.builder()
                .connectString(connect)
                .sessionTimeoutMs(ms)
                .connectionTimeoutMs(ms)
                .retryPolicy(new RetryNTimes(2, Math.max(10, ms / 20)))
                .zookeeperFactory(new RawWatcherFactory())
                .zkClientConfig(clientConfig(ms))
                .build();
        this.cleanup = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "zk-arbiter-cleanup");
            t.setDaemon(true);
            return t;
        });
        client.getConnectionStateListenable().addListener((c, state) -> stateChanged(state));
        client.start();
        try {
            int connectMs = Math.max(2 * ms, 1000);
            if (!client.blockUntilConnected(connectMs, TimeUnit.MILLISECONDS)) {
                throw new ArbiterException("cannot reach ZooKeeper at " + connect + " within " + connectMs + " ms");
            }
            connected = true;
            this.sessionNanos = TimeUnit.MILLISECONDS.toNanos(client.getZookeeperClient().getZooKeeper().getSessionTimeout());
            this.marginNanos = sessionNanos / 5;
            ensure(epochPath, encodeEpoch(0, "", "", 0, 0, true));
            ensure(fencesPath, new byte[0]);
            ensure(historyPath, new byte[0]);
            decodeEpoch(client.getData().forPath(epochPath), epochPath);
        } catch (ArbiterException e) {
            shutdown();
            throw e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            shutdown();
            throw new ArbiterException("interrupted while connecting to ZooKeeper at " + connect, e);
        } catch (Exception e) {
            shutdown();
            throw new ArbiterException("ZooKeeper at " + connect + base + ": " + e, e);
        }
    }

    /** No request (a renewal, a release, the close of the session) waits longer than a session timeout. */
    private static ZKClientConfig clientConfig(int sessionMs) {
        ZKClientConfig c = new ZKClientConfig();
        c.setProperty(ZKClientConfig.ZOOKEEPER_REQUEST_TIMEOUT, Integer.toString(sessionMs));
        return c;
    }

    /** The session timeout the server granted (every validity decision uses it). */
    public Duration sessionTimeout() {
        return Duration.ofNanos(sessionNanos);
    }

    @Override
    public Duration renewInterval() {
        return Duration.ofNanos(sessionNanos / 4);
    }

    /** The Curator client (tests use it to kill the session). */
    CuratorFramework curator() {
        return client;
    }

    @Override
    public String toString() {
        return "zk:" + connect + base + " (session " + sessionNanos / 1_000_000 + " ms)";
    }

    private void ensure(String path, byte[] data) throws Exception {
        try {
            client.create().creatingParentsIfNeeded().withMode(CreateMode.PERSISTENT).forPath(path, data);
        } catch (KeeperException.NodeExistsException ignored) {
            // created by another replica
        }
    }

    /**
     * Hands the ZooKeeper client a watcher that sees the raw connection events before Curator
     * does: a holder stops being valid on Disconnected or Expired before Curator reacts (Curator
     * closes an expired session's handle itself before telling its own listeners).
     */
    private final class RawWatcherFactory implements ZookeeperFactory {
        @Override
        public ZooKeeper newZooKeeper(String connectString, int sessionTimeout, Watcher watcher, boolean canBeReadOnly) throws Exception {
            return new ZooKeeper(connectString, sessionTimeout, wrap(watcher), canBeReadOnly);
        }

        @Override
        public ZooKeeper newZooKeeper(String connectString, int sessionTimeout, Watcher watcher, boolean canBeReadOnly,
                                      ZKClientConfig config) throws Exception {
            return config == null ? newZooKeeper(connectString, sessionTimeout, watcher, canBeReadOnly)
                    : new ZooKeeper(connectString, sessionTimeout, wrap(watcher), canBeReadOnly, config);
        }

        private Watcher wrap(Watcher curators) {
            return event -> {
                if (event.getType() == Watcher.Event.EventType.None) {
                    switch (event.getState()) {
                        case Disconnected, Expired, AuthFailed, Closed, ConnectedReadOnly -> {
                            connected = false;
                            for (ZkLease l : held) {
                                l.markLost("ZooKeeper session event " + event.getState());
                            }
                        }
                        default -> {
                        }
                    }
                }
                curators.process(event);
            };
        }
    }

    private void stateChanged(ConnectionState state) {
        switch (state) {
            case SUSPENDED, LOST, READ_ONLY -> {
                connected = false;
                for (ZkLease l : held) {
                    l.markLost("ZooKeeper connection " + state);
                }
            }
            case CONNECTED, RECONNECTED -> {
                connected = true;
                for (ZkLease l : held) {
                    if (l.lost) {
                        cleanup.execute(l::cleanUpAfterLoss);
                    }
                }
            }
            default -> {
            }
        }
    }

    // ---------------------------------------------------------------- Arbiter

    @Override
    public Optional<LeaderRecord> current() throws ArbiterException {
        ensureOpen();
        try {
            Map<String, String> f = decodeEpoch(client.getData().forPath(epochPath), epochPath);
            long e = Records.needLong(f, "epoch", epochPath);
            if (e == 0) {
                return Optional.empty();
            }
            return Optional.of(new LeaderRecord(e, f.get("node"), f.get("address"), Records.needLong(f, "grantedAtMillis", epochPath)));
        } catch (ArbiterException e) {
            throw e;
        } catch (Exception e) {
            throw failure("read " + epochPath, e);
        }
    }

    @Override
    public Optional<Lease> tryAcquire(Candidate c) throws ArbiterException {
        Records.checkCandidate(c);
        ensureOpen();
        long waitUntil = System.nanoTime() + sessionNanos + sessionNanos / 2;
        long watchedEpoch = -1;
        Stat watchedLeader = null;
        try {
            while (true) {
                Stat es = new Stat();
                Map<String, String> cur = decodeEpoch(client.getData().storingStatIn(es).forPath(epochPath), epochPath);
                long m = Records.needLong(cur, "epoch", epochPath);
                if (watchedEpoch >= 0 && m != watchedEpoch) {
                    return refuse(c, m, "epoch " + m + " was granted to " + cur.get("node") + " meanwhile");
                }
                watchedEpoch = m;
                Stat ls = client.checkExists().forPath(leaderPath);
                if (ls != null) {
                    // A holder's session lives. Wait (up to ~1.5 session timeouts) for it to expire,
                    // but refuse at once if the holder renews meanwhile: it is alive.
                    if (watchedLeader != null && (ls.getVersion() != watchedLeader.getVersion()
                            || ls.getEphemeralOwner() != watchedLeader.getEphemeralOwner())) {
                        return refuse(c, m, "the lease of epoch " + m + " held by " + cur.get("node") + " is live (renewed)");
                    }
                    watchedLeader = ls;
                    if (System.nanoTime() - waitUntil > 0) {
                        return refuse(c, m, "the lease of epoch " + m + " held by " + cur.get("node") + " is live (session open)");
                    }
                    FileArbiter.sleepNanos(Math.max(1_000_000L, sessionNanos / 10));
                    continue;
                }
                long fence = maxFence(c.nodeId());
                if (fence > c.appliedCount()) {
                    return refuse(c, m, "fenced: applied count " + c.appliedCount() + " is below the fence at " + fence);
                }
                long e = m + 1;
                long start = System.nanoTime();
                long sid = client.getZookeeperClient().getZooKeeper().getSessionId();
                byte[] epochRec = encodeEpoch(e, c.nodeId(), c.address(), c.appliedCount(), System.currentTimeMillis(), false);
                List<CuratorOp> ops = new ArrayList<>();
                ops.add(client.transactionOp().setData().withVersion(es.getVersion()).forPath(epochPath, epochRec));
                ops.add(client.transactionOp().create().withMode(CreateMode.EPHEMERAL).forPath(leaderPath, encodeLeader(e, c.nodeId(), sid, 0)));
                if (m > 0 && !Boolean.parseBoolean(cur.get("released"))) {
                    ops.add(eventOp(ArbiterEvent.EXPIRY, m, cur.get("node"), "session ended without release"));
                }
                ops.add(eventOp(ArbiterEvent.GRANT, e, c.nodeId(), "address=" + c.address() + " applied=" + c.appliedCount()));
                try {
                    client.transaction().forOperations(ops);
                } catch (KeeperException.BadVersionException raced) {
                    // someone granted an epoch or a holder fenced: look again
                    watchedEpoch = -1;
                    watchedLeader = null;
                    Map<String, String> now = decodeEpoch(client.getData().forPath(epochPath), epochPath);
                    if (Records.needLong(now, "epoch", epochPath) != m) {
                        return refuse(c, e, "lost the race for epoch " + e);
                    }
                    continue;
                } catch (KeeperException.NodeExistsException raced) {
                    return refuse(c, e, "lost the race for epoch " + e);
                }
                ZkLease l = new ZkLease(e, c, sid, es.getVersion() + 1, epochRec, start + sessionNanos - marginNanos);
                held.add(l);
                if (!connected) {
                    l.markLost("ZooKeeper connection lost during the grant");
                }
                return Optional.of(l);
            }
        } catch (ArbiterException e) {
            throw e;
        } catch (Exception e) {
            throw failure("acquire epoch under " + base, e);
        }
    }

    @Override
    public List<ArbiterEvent> history() throws ArbiterException {
        ensureOpen();
        try {
            List<String> names = new ArrayList<>(client.getChildren().forPath(historyPath));
            Collections.sort(names); // ev-NNNNNNNNNN: zero-padded sequence numbers, one counter per parent
            List<ArbiterEvent> out = new ArrayList<>(names.size());
            for (String n : names) {
                String p = historyPath + "/" + n;
                Map<String, String> f = Records.decode(client.getData().forPath(p), "event", p);
                out.add(new ArbiterEvent(Records.needLong(f, "atMillis", p), Records.need(f, "kind", p),
                        Records.needLong(f, "epoch", p), Records.need(f, "node", p), Records.need(f, "detail", p)));
            }
            return out;
        } catch (ArbiterException e) {
            throw e;
        } catch (Exception e) {
            throw failure("read " + historyPath, e);
        }
    }

    /** Releases every lease still held, then closes the session (its ephemeral znodes go with it). */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        for (ZkLease l : List.copyOf(held)) {
            l.close();
        }
        closed = true;
        shutdown();
    }

    private void shutdown() {
        cleanup.shutdownNow();
        client.close();
    }

    // ---------------------------------------------------------------- the lease

    private final class ZkLease implements Lease {
        private final long epoch;
        private final Candidate holder;
        private final long sessionId;
        private final byte[] epochRecord;
        private int epochVersion;      // guarded by this
        private int leaderVersion;     // guarded by this
        private long seq;              // guarded by this
        private volatile long validUntil;
        volatile boolean lost;
        private volatile String lostReason;
        private final java.util.concurrent.atomic.AtomicBoolean lostLogged = new java.util.concurrent.atomic.AtomicBoolean();
        private boolean closedLease;   // guarded by this

        ZkLease(long epoch, Candidate holder, long sessionId, int epochVersion, byte[] epochRecord, long validUntil) {
            this.epoch = epoch;
            this.holder = holder;
            this.sessionId = sessionId;
            this.epochVersion = epochVersion;
            this.epochRecord = epochRecord;
            this.validUntil = validUntil;
        }

        @Override
        public long epoch() {
            return epoch;
        }

        @Override
        public boolean isValid() {
            if (lost) {
                return false;
            }
            if (!connected || System.nanoTime() - validUntil >= 0) {
                markLost(connected ? "not renewed within the lease" : "ZooKeeper connection lost");
                return false;
            }
            return true;
        }

        void markLost(String why) {
            if (!lost) {
                lostReason = why;
                lost = true;
            }
        }

        @Override
        public synchronized boolean renew() {
            if (!isValid()) {
                logLost();
                return false;
            }
            if (closed) {
                lose("arbiter closed");
                return false;
            }
            long start = System.nanoTime();
            try {
                client.transaction().forOperations(
                        client.transactionOp().check().withVersion(epochVersion).forPath(epochPath),
                        client.transactionOp().setData().withVersion(leaderVersion).forPath(leaderPath,
                                encodeLeader(epoch, holder.nodeId(), sessionId, seq + 1)));
                seq++;
                leaderVersion++;
                long until = start + sessionNanos - marginNanos;
                if (until - validUntil > 0) {
                    validUntil = until;
                }
                return isValid();
            } catch (KeeperException.BadVersionException | KeeperException.NoNodeException
                     | KeeperException.SessionExpiredException | KeeperException.SessionMovedException e) {
                lose(explain(e));
                return false;
            } catch (Exception e) {
                LOG.warn("arbiter {}: renewal of epoch {} failed (lease stands until its deadline): {}", base, epoch, e.toString());
                boolean v = isValid();
                if (!v) {
                    logLost();
                }
                return v;
            }
        }

        private String explain(KeeperException e) {
            try {
                Map<String, String> f = decodeEpoch(client.getData().forPath(epochPath), epochPath);
                long now = Records.needLong(f, "epoch", epochPath);
                if (now > epoch) {
                    return "deposed by epoch " + now;
                }
            } catch (Exception ignored) {
                // fall through to the plain reason
            }
            return "lease record gone or changed (" + e.code() + ")";
        }

        @Override
        public synchronized boolean fence(String nodeId, long ackedCount) {
            if (nodeId == null || nodeId.isBlank()) {
                throw new IllegalArgumentException("fence needs a node id");
            }
            if (!isValid()) {
                logLost();
                return false;
            }
            Map<String, String> f = new LinkedHashMap<>();
            f.put("epoch", Long.toString(epoch));
            f.put("node", nodeId);
            f.put("count", Long.toString(ackedCount));
            f.put("by", holder.nodeId());
            f.put("writtenAtMillis", Long.toString(System.currentTimeMillis()));
            try {
                client.transaction().forOperations(
                        client.transactionOp().setData().withVersion(leaderVersion).forPath(leaderPath,
                                encodeLeader(epoch, holder.nodeId(), sessionId, seq + 1)),
                        client.transactionOp().setData().withVersion(epochVersion).forPath(epochPath, epochRecord),
                        client.transactionOp().create().withMode(CreateMode.PERSISTENT_SEQUENTIAL)
                                .forPath(fencesPath + "/f-", Records.encode("fence", f)),
                        eventOp(ArbiterEvent.FENCE, epoch, nodeId, "count=" + ackedCount + " by=" + holder.nodeId()));
                seq++;
                leaderVersion++;
                epochVersion++;
                return true;
            } catch (KeeperException e) {
                lose("fence of " + nodeId + " not written: " + explain(e));
                return false;
            } catch (Exception e) {
                lose("fence of " + nodeId + " not written: " + e);
                return false;
            }
        }

        @Override
        public synchronized void close() {
            if (closedLease) {
                return;
            }
            closedLease = true;
            boolean wasLost = lost;
            markLost("released");
            if (wasLost) {
                logLost();
            }
            if (!connected) {
                // Cannot reach ZooKeeper: the reconnect handler gives the leader znode up if the
                // session survived; otherwise the session's expiry removes it.
                return;
            }
            try {
                client.transaction().forOperations(
                        client.transactionOp().delete().withVersion(leaderVersion).forPath(leaderPath),
                        client.transactionOp().setData().withVersion(epochVersion).forPath(epochPath,
                                encodeEpochReleased(epochRecord)),
                        eventOp(ArbiterEvent.RELEASE, epoch, holder.nodeId(), wasLost ? "after losing it" : ""));
            } catch (Exception e) {
                if (!(e instanceof KeeperException.NoNodeException || e instanceof KeeperException.BadVersionException)) {
                    LOG.warn("arbiter {}: release of epoch {} not recorded (others take over when the session ends): {}", base, epoch, e.toString());
                }
                deleteIfStillOurs();
            }
            held.remove(this);
        }

        /** After a connection loss: the lease is lost for good; if our session survived, give the leader znode up. */
        void cleanUpAfterLoss() {
            logLost();
            deleteIfStillOurs();
            synchronized (this) {
                if (closedLease) {
                    held.remove(this);
                }
            }
        }

        private void deleteIfStillOurs() {
            try {
                Stat s = client.checkExists().forPath(leaderPath);
                if (s != null && s.getEphemeralOwner() == sessionId) {
                    client.delete().withVersion(s.getVersion()).forPath(leaderPath);
                }
            } catch (Exception ignored) {
                // the session's end removes it anyway
            }
        }

        private void lose(String why) {
            markLost(why);
            logLost();
        }

        /** Logs the loss once, off the caller's thread and only while connected (else after reconnecting). */
        private void logLost() {
            if ("released".equals(lostReason) || !connected || closed || lostLogged.get()) {
                return;
            }
            try {
                cleanup.execute(() -> {
                    if (!connected || !lostLogged.compareAndSet(false, true)) {
                        return;
                    }
                    try {
                        client.transaction().forOperations(eventOp(ArbiterEvent.LOST, epoch, holder.nodeId(), lostReason));
                    } catch (Exception e) {
                        lostLogged.set(false); // again after reconnecting
                    }
                });
            } catch (java.util.concurrent.RejectedExecutionException closing) {
                // the arbiter is closing
            }
        }

        @Override
        public String toString() {
            return "epoch " + epoch + " held by " + holder.nodeId() + (lost ? " (lost: " + lostReason + ")" : "");
        }
    }

    // ---------------------------------------------------------------- records

    private Optional<Lease> refuse(Candidate c, long epoch, String why) throws Exception {
        client.transaction().forOperations(eventOp(ArbiterEvent.REFUSED, epoch, c.nodeId(), why));
        return Optional.empty();
    }

    private CuratorOp eventOp(String kind, long epoch, String node, String detail) throws Exception {
        Map<String, String> f = new LinkedHashMap<>();
        f.put("atMillis", Long.toString(System.currentTimeMillis()));
        f.put("kind", kind);
        f.put("epoch", Long.toString(epoch));
        f.put("node", node == null ? "" : node);
        f.put("detail", detail == null ? "" : detail);
        return client.transactionOp().create().withMode(CreateMode.PERSISTENT_SEQUENTIAL)
                .forPath(historyPath + "/ev-", Records.encode("event", f));
    }

    private long maxFence(String node) throws Exception {
        long max = -1;
        for (String n : client.getChildren().forPath(fencesPath)) {
            String p = fencesPath + "/" + n;
            Map<String, String> f = Records.decode(client.getData().forPath(p), "fence", p);
            if (Records.need(f, "node", p).equals(node)) {
                max = Math.max(max, Records.needLong(f, "count", p));
            }
        }
        return max;
    }

    private static byte[] encodeEpoch(long e, String node, String address, long applied, long atMillis, boolean released) {
        Map<String, String> f = new LinkedHashMap<>();
        f.put("epoch", Long.toString(e));
        f.put("node", node);
        f.put("address", address);
        f.put("applied", Long.toString(applied));
        f.put("grantedAtMillis", Long.toString(atMillis));
        f.put("released", Boolean.toString(released));
        return Records.encode("epoch", f);
    }

    private static byte[] encodeEpochReleased(byte[] rec) throws ArbiterException {
        Map<String, String> f = Records.decode(rec, "epoch", "own epoch record");
        f.put("released", "true");
        return Records.encode("epoch", f);
    }

    private static byte[] encodeLeader(long e, String node, long sid, long seq) {
        Map<String, String> f = new LinkedHashMap<>();
        f.put("epoch", Long.toString(e));
        f.put("node", node);
        f.put("session", Long.toHexString(sid));
        f.put("seq", Long.toString(seq));
        f.put("writtenAtMillis", Long.toString(System.currentTimeMillis()));
        return Records.encode("leader", f);
    }

    private static Map<String, String> decodeEpoch(byte[] data, String where) throws ArbiterException {
        Map<String, String> f = Records.decode(data, "epoch", where);
        Records.needLong(f, "epoch", where);
        Records.need(f, "node", where);
        Records.need(f, "address", where);
        Records.need(f, "released", where);
        return f;
    }

    private void ensureOpen() throws ArbiterException {
        if (closed) {
            throw new ArbiterException("arbiter " + this + " is closed");
        }
    }

    private ArbiterException failure(String what, Exception e) {
        if (e instanceof InterruptedException) {
            Thread.currentThread().interrupt();
        }
        return new ArbiterException("ZooKeeper arbiter " + connect + base + ": cannot " + what + ": " + e, e);
    }
}
