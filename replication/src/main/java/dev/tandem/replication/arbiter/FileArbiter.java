package dev.tandem.replication.arbiter;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.CRC32C;

/**
 * The arbiter as a directory shared by the replicas of one guest stream (one host, or a shared
 * filesystem with the consistency stated in docs/arbiter.md).
 *
 * <p>Layout: {@code epoch-NNNNNNNNNNNNNNNNNNNN} (20 digits) is created once per epoch by its
 * winner, atomically and with its content (written to a temp file, then hard-linked: {@code link}
 * fails if the name exists); {@code lease-N} is the holder's lease record, replaced atomically
 * (temp file + {@code ATOMIC_MOVE}) on every renewal with a growing sequence number, or with
 * state {@code released} on close; {@code fence-N-ID} records one fence; {@code history.log} is
 * the append-only transcript (one line per event, each with a CRC32C). Temp files start with a dot
 * and are ignored, so a writer killed mid-write leaves nothing that counts.
 *
 * <p>Time: each process measures only its own {@link System#nanoTime()}. A candidate judges a
 * lease expired when it has seen the lease record stay byte-for-byte unchanged for a full lease
 * time; the holder stops being valid a safety margin before a full lease time after it started
 * its last successful renewal. No wall clock is compared across processes; the only assumption is
 * that the processes' clocks run at nearly the same rate (the margin absorbs the difference).
 * Wall-clock times in records are informational.
 *
 * <p>The safety argument (why at most one lease is valid at any instant, including a renewal
 * racing a new grant, and why a fence is never missed) is in docs/arbiter.md.
 */
public final class FileArbiter implements Arbiter {
    private static final Logger LOG = LoggerFactory.getLogger(FileArbiter.class);

    static final String HISTORY = "history.log";
    private static final Pattern EPOCH_FILE = Pattern.compile("epoch-(\\d{20})");
    private static final Pattern LEASE_FILE = Pattern.compile("lease-(\\d{20})");
    private static final Pattern FENCE_FILE = Pattern.compile("fence-(\\d{20})-[0-9a-f]+-\\d+");
    private static final String LIVE = "live";
    private static final String RELEASED = "released";

    private final Path dir;
    private final long leaseNanos;
    private final long marginNanos;
    private final long pollNanos;
    private final String instance;
    private final AtomicLong counter = new AtomicLong();
    private final Set<FileLease> held = ConcurrentHashMap.newKeySet();
    private long observedEpoch = -1;          // guarded by this
    private Observation observed;             // guarded by this
    private volatile boolean closed;

    /** Test seam: runs after a candidate has judged the old lease expired, before it creates the next epoch. */
    volatile Runnable beforeCreateEpoch;
    /** Test seam: runs inside {@link Lease#renew()} after the deadline check, before the lease record is written. */
    volatile Runnable beforeLeaseWrite;

    private record Observation(byte[] bytes, long firstSeenNanos) {
    }

    /** What a candidate sees of epoch {@code epoch}'s lease: the raw record (lease file, or the epoch file before the first renewal). */
    private record LeaseView(long epoch, byte[] bytes, boolean released, String holder, long seq) {
    }

    /**
     * Opens (creating it if needed) the arbiter directory. {@code lease} is the lease time: a holder
     * that has not renewed for that long (minus a fifth as safety margin) stops being valid, and a
     * candidate takes over after seeing its lease unchanged for that long.
     */
    public FileArbiter(Path dir, Duration lease) throws ArbiterException {
        if (lease.toMillis() < 10) {
            throw new IllegalArgumentException("lease time " + lease.toMillis() + " ms is too short (at least 10 ms)");
        }
        this.dir = dir.toAbsolutePath();
        this.leaseNanos = lease.toNanos();
        this.marginNanos = leaseNanos / 5;
        this.pollNanos = Math.max(leaseNanos / 10, 1_000_000L);
        this.instance = Long.toHexString(ProcessHandle.current().pid()) + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 16);
        try {
            Files.createDirectories(this.dir);
        } catch (IOException e) {
            throw new ArbiterException("cannot create arbiter directory " + this.dir + ": " + e, e);
        }
        if (!Files.isDirectory(this.dir)) {
            throw new ArbiterException("arbiter path " + this.dir + " is not a directory");
        }
        Path probe = this.dir.resolve(".probe-" + instance + ".tmp");
        Path probeLink = this.dir.resolve(".probe-" + instance + ".link.tmp");
        try {
            Files.write(probe, new byte[0]);
            Files.createLink(probeLink, probe);
        } catch (UnsupportedOperationException | IOException e) {
            throw new ArbiterException("arbiter directory " + this.dir + " is not usable (needs write access and hard links"
                    + " for atomic create-with-content): " + e, e instanceof IOException io ? io : null);
        } finally {
            try {
                Files.deleteIfExists(probeLink);
                Files.deleteIfExists(probe);
            } catch (IOException ignored) {
                // a leftover dot file is ignored by every reader
            }
        }
    }

    public Path directory() {
        return dir;
    }

    public Duration leaseTime() {
        return Duration.ofNanos(leaseNanos);
    }

    @Override
    public Duration renewInterval() {
        return Duration.ofNanos(leaseNanos / 4);
    }

    @Override
    public String toString() {
        return "file:" + dir + " (lease " + leaseNanos / 1_000_000 + " ms)";
    }

    // ---------------------------------------------------------------- Arbiter

    @Override
    public Optional<LeaderRecord> current() throws ArbiterException {
        ensureOpen();
        long m = maxEpoch();
        if (m == 0) {
            return Optional.empty();
        }
        Map<String, String> f = readEpoch(m);
        String where = epochPath(m).toString();
        return Optional.of(new LeaderRecord(m, Records.need(f, "node", where), Records.need(f, "address", where),
                Records.needLong(f, "grantedAtMillis", where)));
    }

    @Override
    public Optional<Lease> tryAcquire(Candidate c) throws ArbiterException {
        Records.checkCandidate(c);
        ensureOpen();
        long watchedEpoch = -1;
        byte[] watched = null;
        while (true) {
            long m = maxEpoch();
            LeaseView v = m == 0 ? null : readLeaseView(m);
            long observedFor = 0;
            if (v != null && !v.released()) {
                if (watchedEpoch >= 0 && m != watchedEpoch) {
                    return refuse(c, m, "epoch " + m + " was granted to " + v.holder() + " meanwhile");
                }
                if (watched != null && !Arrays.equals(watched, v.bytes())) {
                    return refuse(c, m, "the lease of epoch " + m + " held by " + v.holder() + " is live (renewed to seq " + v.seq() + ")");
                }
                watchedEpoch = m;
                watched = v.bytes();
                long first = observe(m, v.bytes());
                long now = System.nanoTime();
                observedFor = now - first;
                if (observedFor < leaseNanos) {
                    sleepNanos(Math.min(pollNanos, leaseNanos - observedFor));
                    continue;
                }
            }
            // No epoch yet, or m was released, or m's lease stayed unchanged for a full lease time as seen from here.
            long fence = maxFence(c.nodeId());
            if (fence > c.appliedCount()) {
                return refuse(c, m, "fenced: applied count " + c.appliedCount() + " is below the fence at " + fence);
            }
            Runnable hook = beforeCreateEpoch;
            if (hook != null) {
                hook.run();
            }
            long e = m + 1;
            if (!createEpoch(e, c)) {
                return refuse(c, e, "lost the race for epoch " + e);
            }
            long validFrom = System.nanoTime();
            try {
                if (v != null && !v.released()) {
                    LeaseView again = readLeaseView(m);
                    if (!Arrays.equals(again.bytes(), v.bytes())) {
                        // The holder of m wrote its lease after we last looked; that renewal may have
                        // passed its check for epoch e before we created it. Its validity ends within
                        // one lease time of its write, which is before now: wait a full lease time.
                        validFrom = System.nanoTime() + leaseNanos;
                    }
                }
                long fence2 = maxFence(c.nodeId());
                if (fence2 > c.appliedCount()) {
                    // A fence landed between our first check and our grant: give the epoch back. A
                    // released record tells the next candidate it need not wait, so it may only be
                    // written once this epoch could have become valid (older holders are done by then).
                    sleepNanos(validFrom - System.nanoTime());
                    writeLease(e, c.nodeId(), 1, RELEASED);
                    return refuse(c, e, "fenced: applied count " + c.appliedCount() + " is below the fence at " + fence2
                            + " (fence written while epoch " + e + " was being granted; epoch released)");
                }
            } catch (IOException ex) {
                // Epoch e stays unrenewed: others take over after observing it for a lease time.
                throw new ArbiterException("arbiter directory " + dir + ": " + ex, ex);
            }
            if (v != null && !v.released()) {
                append(ArbiterEvent.EXPIRY, m, v.holder(), "lease unchanged for " + observedFor / 1_000_000 + " ms at seq " + v.seq()
                        + (validFrom > System.nanoTime() ? "; renewed during the grant, waiting a lease time" : ""));
            }
            append(ArbiterEvent.GRANT, e, c.nodeId(), "address=" + c.address() + " applied=" + c.appliedCount());
            FileLease lease = new FileLease(e, c, validFrom);
            held.add(lease);
            boolean ok = false;
            try {
                ok = lease.establish();
            } finally {
                if (!ok) {
                    held.remove(lease);
                }
            }
            return ok ? Optional.of(lease) : Optional.empty();
        }
    }

    @Override
    public List<ArbiterEvent> history() throws ArbiterException {
        ensureOpen();
        List<ArbiterEvent> events = new ArrayList<>();
        Path h = dir.resolve(HISTORY);
        byte[] all;
        try {
            all = Files.readAllBytes(h);
        } catch (NoSuchFileException e) {
            all = new byte[0];
        } catch (IOException e) {
            throw new ArbiterException("cannot read " + h + ": " + e, e);
        }
        String text = new String(all, StandardCharsets.UTF_8);
        int start = 0;
        int lineNo = 0;
        Set<Long> granted = new HashSet<>();
        while (start < text.length()) {
            int nl = text.indexOf('\n', start);
            if (nl < 0) {
                break; // an append still in progress (one write call each, so never a torn line in the middle)
            }
            lineNo++;
            ArbiterEvent ev = parseHistoryLine(text.substring(start, nl), h + ":" + lineNo);
            events.add(ev);
            if (ev.kind().equals(ArbiterEvent.GRANT)) {
                granted.add(ev.epoch());
            }
            start = nl + 1;
        }
        // A winner killed between creating its epoch file and logging the grant: recover the grant from the file.
        long m = maxEpoch();
        for (long e = 1; e <= m; e++) {
            if (granted.contains(e)) {
                continue;
            }
            Map<String, String> f = readEpoch(e);
            String where = epochPath(e).toString();
            ArbiterEvent ev = new ArbiterEvent(Records.needLong(f, "grantedAtMillis", where), ArbiterEvent.GRANT, e,
                    Records.need(f, "node", where), "address=" + Records.need(f, "address", where) + " applied="
                    + Records.need(f, "applied", where) + " (from the epoch file; the grant was not logged)");
            int at = events.size();
            for (int i = 0; i < events.size(); i++) {
                if (events.get(i).epoch() >= e) {
                    at = i;
                    break;
                }
            }
            events.add(at, ev);
        }
        return events;
    }

    /** Releases every lease this instance still holds. */
    @Override
    public void close() {
        for (FileLease l : List.copyOf(held)) {
            l.close();
        }
        closed = true;
    }

    // ---------------------------------------------------------------- the lease

    private final class FileLease implements Lease {
        private final long epoch;
        private final Candidate holder;
        private final long validFrom;
        private volatile long validUntil;
        private volatile boolean established;
        private volatile boolean lost;
        private volatile String lostReason;
        private boolean lostLogged;   // guarded by this
        private boolean closedLease;  // guarded by this
        private long seq;             // guarded by this

        FileLease(long epoch, Candidate holder, long validFrom) {
            this.epoch = epoch;
            this.holder = holder;
            this.validFrom = validFrom;
        }

        @Override
        public long epoch() {
            return epoch;
        }

        /** Renews until {@code validFrom} has passed (keeping candidates off), then once more to start the validity window. */
        synchronized boolean establish() throws ArbiterException {
            try {
                while (true) {
                    long start = System.nanoTime();
                    if (epochExists(epoch + 1)) {
                        lose("deposed by epoch " + (epoch + 1) + " before the lease became valid");
                        return false;
                    }
                    writeLease(epoch, holder.nodeId(), ++seq, LIVE);
                    if (epochExists(epoch + 1)) {
                        lose("deposed by epoch " + (epoch + 1) + " before the lease became valid");
                        return false;
                    }
                    if (start - validFrom >= 0) {
                        validUntil = start + leaseNanos - marginNanos;
                        established = true;
                        return true;
                    }
                    sleepNanos(Math.min(leaseNanos / 4, validFrom - System.nanoTime()));
                }
            } catch (IOException e) {
                lose("cannot write the first lease record: " + e);
                throw new ArbiterException("arbiter directory " + dir + ": cannot write lease of epoch " + epoch + ": " + e, e);
            }
        }

        @Override
        public synchronized boolean renew() {
            if (lost) {
                logLost();
                return false;
            }
            long start = System.nanoTime();
            if (start - validUntil >= 0) {
                lose("not renewed within the lease (" + (start - validUntil + leaseNanos - marginNanos) / 1_000_000 + " ms since the last renewal)");
                return false;
            }
            try {
                if (epochExists(epoch + 1)) {
                    lose("deposed by epoch " + (epoch + 1));
                    return false;
                }
                Runnable hook = beforeLeaseWrite;
                if (hook != null) {
                    hook.run();
                }
                writeLease(epoch, holder.nodeId(), ++seq, LIVE);
                if (epochExists(epoch + 1)) {
                    lose("deposed by epoch " + (epoch + 1) + " during renewal");
                    return false;
                }
                long until = start + leaseNanos - marginNanos;
                if (until - validUntil > 0) {
                    validUntil = until;
                }
                return !lost;
            } catch (IOException e) {
                LOG.warn("arbiter {}: renewal of epoch {} failed (lease stands until its deadline): {}", dir, epoch, e.toString());
                return isValid();
            }
        }

        @Override
        public boolean isValid() {
            if (lost || !established) {
                return false;
            }
            if (System.nanoTime() - validUntil >= 0) {
                lostReason = "not renewed within the lease";
                lost = true;
                return false;
            }
            return true;
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
            try {
                writeFence(epoch, holder.nodeId(), nodeId, ackedCount);
                if (epochExists(epoch + 1)) {
                    lose("deposed by epoch " + (epoch + 1) + " while fencing " + nodeId);
                    return false;
                }
            } catch (IOException e) {
                lose("cannot write fence for " + nodeId + ": " + e);
                return false;
            }
            try {
                append(ArbiterEvent.FENCE, epoch, nodeId, "count=" + ackedCount + " by=" + holder.nodeId());
            } catch (ArbiterException e) {
                LOG.warn("arbiter {}: fence of {} written but not logged: {}", dir, nodeId, e.getMessage());
            }
            return true;
        }

        @Override
        public synchronized void close() {
            if (closedLease) {
                return;
            }
            closedLease = true;
            held.remove(this);
            boolean wasLost = lost;
            lostReason = lost ? lostReason : "released";
            lost = true;
            try {
                if (wasLost) {
                    logLost();
                }
                // A released record lets the next candidate skip the wait, so only a lease that
                // became valid (whose start already proved older holders done) may write one.
                if (established && !epochExists(epoch + 1)) {
                    writeLease(epoch, holder.nodeId(), ++seq, RELEASED);
                    append(ArbiterEvent.RELEASE, epoch, holder.nodeId(), wasLost ? "after losing it" : "");
                }
            } catch (IOException | ArbiterException e) {
                LOG.warn("arbiter {}: release of epoch {} not recorded (others take over after a lease time): {}", dir, epoch, e.toString());
            }
        }

        private void lose(String why) {
            if (!lost) {
                lostReason = why;
                lost = true;
            }
            logLost();
        }

        private void logLost() {
            if (lostLogged || closedLease && "released".equals(lostReason)) {
                return;
            }
            lostLogged = true;
            try {
                append(ArbiterEvent.LOST, epoch, holder.nodeId(), lostReason == null ? "" : lostReason);
            } catch (ArbiterException e) {
                LOG.warn("arbiter {}: loss of epoch {} not logged: {}", dir, epoch, e.getMessage());
            }
        }

        @Override
        public String toString() {
            return "epoch " + epoch + " held by " + holder.nodeId() + (lost ? " (lost: " + lostReason + ")" : "");
        }
    }

    // ---------------------------------------------------------------- files

    private Path epochPath(long e) {
        return dir.resolve(String.format("epoch-%020d", e));
    }

    private Path leasePath(long e) {
        return dir.resolve(String.format("lease-%020d", e));
    }

    private void ensureOpen() throws ArbiterException {
        if (closed) {
            throw new ArbiterException("arbiter " + dir + " is closed");
        }
    }

    /** The highest epoch granted so far (0: none). Epochs are dense: e+1 is only ever created after e. */
    private long maxEpoch() throws ArbiterException {
        long max = 0;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "epoch-*")) {
            for (Path p : ds) {
                String name = p.getFileName().toString();
                Matcher mm = EPOCH_FILE.matcher(name);
                if (!mm.matches()) {
                    throw new ArbiterException("unexpected file " + p + " in the arbiter directory (not an epoch record)");
                }
                max = Math.max(max, Long.parseLong(mm.group(1)));
            }
        } catch (IOException e) {
            throw new ArbiterException("cannot list arbiter directory " + dir + ": " + e, e);
        } catch (NumberFormatException e) {
            throw new ArbiterException("arbiter directory " + dir + ": epoch number out of range", e);
        }
        return max;
    }

    private boolean epochExists(long e) throws IOException {
        try {
            Files.readAttributes(epochPath(e), BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            return true;
        } catch (NoSuchFileException ex) {
            return false;
        }
    }

    private Map<String, String> readEpoch(long e) throws ArbiterException {
        Path p = epochPath(e);
        byte[] b;
        try {
            b = Files.readAllBytes(p);
        } catch (IOException ex) {
            throw new ArbiterException("cannot read " + p + ": " + ex, ex);
        }
        Map<String, String> f = Records.decode(b, "epoch", p.toString());
        if (Records.needLong(f, "epoch", p.toString()) != e) {
            throw new ArbiterException("corrupt arbiter record " + p + ": it names epoch " + f.get("epoch"));
        }
        return f;
    }

    private LeaseView readLeaseView(long e) throws ArbiterException {
        Path p = leasePath(e);
        byte[] b;
        try {
            b = Files.readAllBytes(p);
        } catch (NoSuchFileException ex) {
            b = null;
        } catch (IOException ex) {
            throw new ArbiterException("cannot read " + p + ": " + ex, ex);
        }
        if (b == null) {
            // No renewal yet: the epoch file itself is the first lease record.
            Map<String, String> f = readEpoch(e);
            Path ep = epochPath(e);
            try {
                b = Files.readAllBytes(ep);
            } catch (IOException ex) {
                throw new ArbiterException("cannot read " + ep + ": " + ex, ex);
            }
            return new LeaseView(e, b, false, Records.need(f, "node", ep.toString()), 0);
        }
        String where = p.toString();
        Map<String, String> f = Records.decode(b, "lease", where);
        if (Records.needLong(f, "epoch", where) != e) {
            throw new ArbiterException("corrupt arbiter record " + p + ": it names epoch " + f.get("epoch"));
        }
        String state = Records.need(f, "state", where);
        if (!state.equals(LIVE) && !state.equals(RELEASED)) {
            throw new ArbiterException("corrupt arbiter record " + p + ": unknown state '" + Records.abbreviate(state) + "'");
        }
        return new LeaseView(e, b, state.equals(RELEASED), Records.need(f, "node", where), Records.needLong(f, "seq", where));
    }

    /** Remembers since when this process has seen {@code bytes} as epoch {@code e}'s lease record; returns that time. */
    private synchronized long observe(long e, byte[] bytes) {
        if (observedEpoch != e || observed == null || !Arrays.equals(observed.bytes(), bytes)) {
            observedEpoch = e;
            observed = new Observation(bytes, System.nanoTime());
        }
        return observed.firstSeenNanos();
    }

    /** Creates epoch {@code e}'s file with its content in one step; false if it already exists. */
    private boolean createEpoch(long e, Candidate c) throws ArbiterException {
        Map<String, String> f = new LinkedHashMap<>();
        f.put("epoch", Long.toString(e));
        f.put("node", c.nodeId());
        f.put("address", c.address());
        f.put("applied", Long.toString(c.appliedCount()));
        f.put("grantedAtMillis", Long.toString(System.currentTimeMillis()));
        f.put("instance", instance);
        byte[] rec = Records.encode("epoch", f);
        Path target = epochPath(e);
        Path tmp = dir.resolve("." + target.getFileName() + "." + instance + "-" + counter.incrementAndGet() + ".tmp");
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                writeFully(ch, rec);
                ch.force(true);
            }
            try {
                Files.createLink(target, tmp);
            } catch (FileAlreadyExistsException lostRace) {
                return false;
            }
            syncDirectory();
            return true;
        } catch (IOException ex) {
            throw new ArbiterException("cannot create " + target + ": " + ex, ex);
        } finally {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // a leftover dot file is ignored by every reader
            }
        }
    }

    private void writeLease(long e, String node, long seq, String state) throws IOException {
        Map<String, String> f = new LinkedHashMap<>();
        f.put("epoch", Long.toString(e));
        f.put("node", node);
        f.put("instance", instance);
        f.put("seq", Long.toString(seq));
        f.put("state", state);
        f.put("writtenAtMillis", Long.toString(System.currentTimeMillis()));
        f.put("leaseMillis", Long.toString(leaseNanos / 1_000_000));
        Path target = leasePath(e);
        Path tmp = dir.resolve("." + target.getFileName() + "." + instance + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            writeFully(ch, Records.encode("lease", f));
        }
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
    }

    private void writeFence(long e, String by, String node, long count) throws IOException {
        Map<String, String> f = new LinkedHashMap<>();
        f.put("epoch", Long.toString(e));
        f.put("node", node);
        f.put("count", Long.toString(count));
        f.put("by", by);
        f.put("writtenAtMillis", Long.toString(System.currentTimeMillis()));
        String name = String.format("fence-%020d-%s-%d", e, instance, counter.incrementAndGet());
        Path tmp = dir.resolve("." + name + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            writeFully(ch, Records.encode("fence", f));
            ch.force(true);
        }
        Files.move(tmp, dir.resolve(name), StandardCopyOption.ATOMIC_MOVE);
        syncDirectory();
    }

    /** The highest fence count recorded for {@code node} (-1: never fenced). */
    private long maxFence(String node) throws ArbiterException {
        long max = -1;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "fence-*")) {
            for (Path p : ds) {
                if (!FENCE_FILE.matcher(p.getFileName().toString()).matches()) {
                    throw new ArbiterException("unexpected file " + p + " in the arbiter directory (not a fence record)");
                }
                byte[] b = Files.readAllBytes(p);
                Map<String, String> f = Records.decode(b, "fence", p.toString());
                if (Records.need(f, "node", p.toString()).equals(node)) {
                    max = Math.max(max, Records.needLong(f, "count", p.toString()));
                }
            }
        } catch (IOException e) {
            throw new ArbiterException("cannot read fences in " + dir + ": " + e, e);
        }
        return max;
    }

    private void syncDirectory() {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | UnsupportedOperationException ignored) {
            // not every platform can sync a directory; the data files themselves were forced
        }
    }

    private static void writeFully(FileChannel ch, byte[] b) throws IOException {
        ByteBuffer buf = ByteBuffer.wrap(b);
        while (buf.hasRemaining()) {
            ch.write(buf);
        }
    }

    // ---------------------------------------------------------------- history

    private Optional<Lease> refuse(Candidate c, long epoch, String why) throws ArbiterException {
        append(ArbiterEvent.REFUSED, epoch, c.nodeId(), why);
        return Optional.empty();
    }

    /** Appends one line with one write call on an O_APPEND channel, so concurrent writers on one host never interleave. */
    private void append(String kind, long epoch, String node, String detail) throws ArbiterException {
        String body = System.currentTimeMillis() + " " + kind + " " + epoch + " " + Records.enc(node) + " "
                + (detail.isEmpty() ? "-" : Records.enc(detail));
        CRC32C crc = new CRC32C();
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        crc.update(b);
        byte[] line = (body + String.format(" %08x\n", crc.getValue())).getBytes(StandardCharsets.UTF_8);
        Path h = dir.resolve(HISTORY);
        try (FileChannel ch = FileChannel.open(h, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
            int n = ch.write(ByteBuffer.wrap(line));
            if (n != line.length) {
                throw new IOException("short append (" + n + " of " + line.length + " bytes)");
            }
        } catch (IOException e) {
            throw new ArbiterException("cannot append to " + h + ": " + e, e);
        }
    }

    private static ArbiterEvent parseHistoryLine(String line, String where) throws ArbiterException {
        String[] p = line.split(" ", -1);
        if (p.length != 6) {
            throw new ArbiterException("corrupt history line " + where + ": '" + Records.abbreviate(line) + "'");
        }
        int lastSpace = line.lastIndexOf(' ');
        CRC32C crc = new CRC32C();
        crc.update(line.substring(0, lastSpace).getBytes(StandardCharsets.UTF_8));
        if (!p[5].equals(String.format("%08x", crc.getValue()))) {
            throw new ArbiterException("corrupt history line " + where + ": checksum mismatch");
        }
        try {
            return new ArbiterEvent(Long.parseLong(p[0]), p[1], Long.parseLong(p[2]), Records.dec(p[3], where),
                    p[4].equals("-") ? "" : Records.dec(p[4], where));
        } catch (NumberFormatException e) {
            throw new ArbiterException("corrupt history line " + where + ": '" + Records.abbreviate(line) + "'");
        }
    }

    static void sleepNanos(long nanos) throws ArbiterException {
        long end = System.nanoTime() + nanos;
        long left = nanos;
        while (left > 0) {
            LockSupport.parkNanos(left);
            if (Thread.interrupted()) {
                Thread.currentThread().interrupt();
                throw new ArbiterException("interrupted while waiting on the arbiter");
            }
            left = end - System.nanoTime();
        }
    }
}
