package dev.tandem.replication.arbiter;

import dev.tandem.replication.arbiter.Arbiter.ArbiterEvent;
import dev.tandem.replication.arbiter.Arbiter.Candidate;
import dev.tandem.replication.arbiter.Arbiter.Lease;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * What every arbiter must do, run against each implementation. Each {@link #open} is a separate
 * replica (its own instance, as if in its own process) on one shared store.
 */
abstract class ArbiterContractTest {
    private final List<Arbiter> opened = new CopyOnWriteArrayList<>();

    /** A new arbiter instance on the shared store of this test, with the given lease (session) time. */
    protected abstract Arbiter newArbiter(Duration lease) throws Exception;

    /** The lease time the tests use by default (short, to keep the suite fast). */
    protected abstract Duration lease();

    /** Makes the process behind {@code a} die as if by {@code kill -9}: no release, no more renewals, no clean disconnect. */
    protected abstract void crash(Arbiter a) throws Exception;

    protected final Arbiter open() throws Exception {
        return open(lease());
    }

    protected final Arbiter open(Duration lease) throws Exception {
        Arbiter a = newArbiter(lease);
        opened.add(a);
        return a;
    }

    @AfterEach
    void closeAll() throws Exception {
        for (Arbiter a : opened) {
            try {
                a.close();
            } catch (Exception ignored) {
                // crashed ones may refuse
            }
        }
        afterClose();
    }

    /** Runs after every arbiter of a test was closed. */
    protected void afterClose() throws Exception {
    }

    static Candidate cand(String id, long applied) {
        return new Candidate(id, "127.0.0.1:" + (4000 + Math.abs(id.hashCode() % 1000)), applied);
    }

    /** Keeps renewing a lease on a thread until stopped; records whether any renewal failed. */
    static final class Renewer implements AutoCloseable {
        final AtomicBoolean stop = new AtomicBoolean();
        final AtomicBoolean failed = new AtomicBoolean();
        final Thread t;

        Renewer(Lease l, Duration every) {
            t = new Thread(() -> {
                while (!stop.get()) {
                    if (!l.renew()) {
                        failed.set(true);
                        return;
                    }
                    try {
                        Thread.sleep(Math.max(1, every.toMillis()));
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "renewer-" + l.epoch());
            t.setDaemon(true);
            t.start();
        }

        @Override
        public void close() throws InterruptedException {
            stop.set(true);
            t.join(5000);
        }
    }

    @Test
    void oneWinnerPerEpochAmongConcurrentCandidatesAndEpochsGrow() throws Exception {
        int n = 5;
        List<Arbiter> arbiters = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            arbiters.add(open());
        }
        ExecutorService pool = Executors.newFixedThreadPool(n);
        try {
            long lastEpoch = 0;
            for (int round = 0; round < 4; round++) {
                CyclicBarrier start = new CyclicBarrier(n);
                List<Future<Optional<Lease>>> results = new ArrayList<>();
                List<Renewer> renewers = new CopyOnWriteArrayList<>();
                for (int i = 0; i < n; i++) {
                    Arbiter a = arbiters.get(i);
                    Candidate c = cand("node" + i, 0);
                    results.add(pool.submit(() -> {
                        start.await();
                        Optional<Lease> r = a.tryAcquire(c);
                        // a winner keeps its lease alive, so a candidate that was scheduled late sees a live holder
                        r.ifPresent(l -> renewers.add(new Renewer(l, a.renewInterval())));
                        return r;
                    }));
                }
                List<Lease> won = new ArrayList<>();
                List<Integer> winners = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    Optional<Lease> r = results.get(i).get(30, TimeUnit.SECONDS);
                    if (r.isPresent()) {
                        won.add(r.get());
                        winners.add(i);
                    }
                }
                for (Renewer r : renewers) {
                    r.close();
                    assertFalse(r.failed.get(), "the winner kept its lease");
                }
                assertEquals(1, won.size(), "round " + round + ": exactly one winner, got " + winners);
                Lease l = won.get(0);
                assertTrue(l.epoch() > lastEpoch, "epochs grow: " + l.epoch() + " after " + lastEpoch);
                assertEquals(lastEpoch + 1, l.epoch(), "one epoch per grant");
                lastEpoch = l.epoch();
                assertTrue(l.isValid());
                assertEquals("node" + winners.get(0), arbiters.get(0).current().orElseThrow().nodeId());
                assertEquals(l.epoch(), arbiters.get(n - 1).current().orElseThrow().epoch());
                l.close();
                assertFalse(l.isValid(), "a released lease is not valid");
            }
            List<Long> grants = arbiters.get(0).history().stream().filter(e -> e.kind().equals(ArbiterEvent.GRANT))
                    .map(ArbiterEvent::epoch).toList();
            assertEquals(List.of(1L, 2L, 3L, 4L), grants);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aLiveLeaseRefusesOthers() throws Exception {
        Arbiter a = open();
        Arbiter b = open();
        Lease l = a.tryAcquire(cand("A", 0)).orElseThrow();
        try (Renewer r = new Renewer(l, a.renewInterval())) {
            for (int i = 0; i < 3; i++) {
                assertTrue(b.tryAcquire(cand("B", 1_000_000)).isEmpty(), "B must be refused while A renews");
            }
            assertTrue(l.isValid(), "A keeps its lease");
            assertFalse(r.failed.get());
        }
        assertEquals(1, b.current().orElseThrow().epoch());
        assertEquals("A", b.current().orElseThrow().nodeId());
        assertTrue(b.history().stream().anyMatch(e -> e.kind().equals(ArbiterEvent.REFUSED) && e.nodeId().equals("B")),
                "the refusal is in the history");
        l.close();
    }

    @Test
    void aLeaseNotRenewedStopsBeingValidOnItsOwn() throws Exception {
        Arbiter a = open();
        Lease l = a.tryAcquire(cand("A", 0)).orElseThrow();
        assertTrue(l.isValid());
        Thread.sleep(lease().toMillis() + 50);
        assertFalse(l.isValid(), "valid past the lease without renewal");
        assertFalse(l.renew(), "renewal after the lease ran out");
        assertFalse(l.isValid());
    }

    @Test
    void expiryAfterTheHolderDiesLetsExactlyOneCandidateWin() throws Exception {
        Arbiter h = open();
        Lease held = h.tryAcquire(cand("H", 0)).orElseThrow();
        int n = 4;
        List<Arbiter> cs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            cs.add(open());
        }
        crash(h);
        ExecutorService pool = Executors.newFixedThreadPool(n);
        List<Lease> winners = new CopyOnWriteArrayList<>();
        List<String> overlap = new CopyOnWriteArrayList<>();
        try {
            List<Future<?>> fs = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                Arbiter a = cs.get(i);
                Candidate c = cand("C" + i, 0);
                fs.add(pool.submit(() -> {
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                    while (System.nanoTime() < deadline) {
                        Optional<Lease> r = a.tryAcquire(c);
                        if (r.isPresent()) {
                            if (held.isValid()) {
                                overlap.add("old holder still valid when " + c.nodeId() + " won epoch " + r.get().epoch());
                            }
                            winners.add(r.get());
                            return null;
                        }
                        if (a.current().orElseThrow().epoch() >= 2) {
                            return null;
                        }
                        Thread.sleep(5);
                    }
                    return null;
                }));
            }
            for (Future<?> f : fs) {
                f.get(30, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(List.of(), overlap);
        assertEquals(1, winners.size(), "exactly one candidate wins after the expiry");
        assertEquals(2, winners.get(0).epoch());
        assertTrue(winners.get(0).isValid());
        assertFalse(held.isValid());
        List<ArbiterEvent> h2 = cs.get(0).history();
        assertTrue(h2.stream().anyMatch(e -> e.kind().equals(ArbiterEvent.EXPIRY) && e.epoch() == 1 && e.nodeId().equals("H")),
                "the expiry of epoch 1 is in the history: " + h2);
    }

    @Test
    void aDeposedHolderStaysInvalid() throws Exception {
        Arbiter h = open();
        Arbiter b = open();
        Lease old = h.tryAcquire(cand("H", 0)).orElseThrow();
        crash(h);
        Lease now = acquireWithin(b, cand("B", 0), Duration.ofSeconds(20));
        assertEquals(2, now.epoch());
        for (int i = 0; i < 3; i++) {
            assertTrue(now.renew(), "the new holder renews");
            assertFalse(old.renew(), "deposed renew");
            assertFalse(old.isValid(), "deposed isValid");
            assertFalse(old.fence("X", 10), "a deposed holder cannot fence");
            Thread.sleep(lease().toMillis() / 8);
        }
        assertTrue(now.renew());
        assertTrue(now.isValid());
    }

    @Test
    void fencingRefusesAFencedCandidateBelowItsCountAndAdmitsOneAtOrAbove() throws Exception {
        Arbiter a = open();
        Arbiter f = open();
        Lease l = a.tryAcquire(cand("A", 0)).orElseThrow();
        assertTrue(l.fence("F", 100));
        l.close();
        assertTrue(f.tryAcquire(cand("F", 99)).isEmpty(), "F applied 99 < fence 100");
        ArbiterEvent refusal = f.history().stream().filter(e -> e.kind().equals(ArbiterEvent.REFUSED)).reduce((x, y) -> y).orElseThrow();
        assertEquals("F", refusal.nodeId());
        assertTrue(refusal.detail().contains("fence"), refusal.detail());
        Lease lf = f.tryAcquire(cand("F", 100)).orElseThrow();
        assertEquals(2, lf.epoch());
        // fences accumulate: the highest count applies
        assertTrue(lf.fence("G", 50));
        assertTrue(lf.fence("G", 70));
        lf.close();
        Arbiter g = open();
        assertTrue(g.tryAcquire(cand("G", 60)).isEmpty(), "G applied 60 < fence 70");
        Lease lg = g.tryAcquire(cand("G", 71)).orElseThrow();
        assertEquals(3, lg.epoch());
        lg.close();
    }

    @Test
    void historyListsGrantsFencesReleasesAndExpiriesInOrder() throws Exception {
        Arbiter a = open();
        Lease la = a.tryAcquire(cand("A", 0)).orElseThrow();
        assertTrue(la.fence("X", 5));
        la.close();
        Arbiter b = open();
        Lease lb = b.tryAcquire(cand("B", 0)).orElseThrow();
        assertEquals(2, lb.epoch());
        crash(b);
        Arbiter c = open();
        Lease lc = acquireWithin(c, cand("C", 0), Duration.ofSeconds(20));
        assertEquals(3, lc.epoch());
        List<String> seen = new ArrayList<>();
        for (ArbiterEvent e : c.history()) {
            switch (e.kind()) {
                case ArbiterEvent.GRANT, ArbiterEvent.EXPIRY, ArbiterEvent.RELEASE, ArbiterEvent.FENCE ->
                        seen.add(e.kind() + " " + e.epoch() + " " + e.nodeId());
                default -> {
                }
            }
        }
        assertEquals(List.of("grant 1 A", "fence 1 X", "release 1 A", "grant 2 B", "expiry 2 B", "grant 3 C"), seen);
    }

    @Test
    void closeReleasesSoTheNextCandidateNeedNotWait() throws Exception {
        Duration longLease = lease().multipliedBy(10);
        Arbiter a = open(longLease);
        Arbiter b = open(longLease);
        Lease l = a.tryAcquire(cand("A", 0)).orElseThrow();
        assertTrue(l.renew());
        l.close();
        assertFalse(l.isValid());
        assertFalse(l.renew(), "a released lease cannot be renewed");
        long t0 = System.nanoTime();
        Lease lb = b.tryAcquire(cand("B", 0)).orElseThrow();
        long took = System.nanoTime() - t0;
        assertEquals(2, lb.epoch());
        assertTrue(took < longLease.toNanos() / 2, "took " + took / 1_000_000 + " ms with a lease of " + longLease.toMillis() + " ms");
        // closing the arbiter releases what it holds, too
        b.close();
        Arbiter c = open(longLease);
        t0 = System.nanoTime();
        Lease lc = c.tryAcquire(cand("C", 0)).orElseThrow();
        took = System.nanoTime() - t0;
        assertEquals(3, lc.epoch());
        assertTrue(took < longLease.toNanos() / 2, "took " + took / 1_000_000 + " ms after the arbiter closed");
        assertFalse(lb.isValid());
    }

    static Lease acquireWithin(Arbiter a, Candidate c, Duration limit) throws Exception {
        long deadline = System.nanoTime() + limit.toNanos();
        Arbiter.ArbiterException lastError = null;
        while (System.nanoTime() < deadline) {
            Optional<Lease> l;
            try {
                l = a.tryAcquire(c);
            } catch (Arbiter.ArbiterException e) {
                // a request that timed out on a loaded host is an arbiter failure the caller retries,
                // as a contesting follower does; the properties under test are about who wins and when
                lastError = e;
                Thread.sleep(5);
                continue;
            }
            if (l.isPresent()) {
                return l.get();
            }
            Thread.sleep(5);
        }
        fail(c.nodeId() + " did not acquire within " + limit + (lastError == null ? "" : "; last arbiter error: " + lastError), lastError);
        return null;
    }
}
