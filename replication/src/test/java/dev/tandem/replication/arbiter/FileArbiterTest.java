package dev.tandem.replication.arbiter;

import dev.tandem.replication.arbiter.Arbiter.ArbiterEvent;
import dev.tandem.replication.arbiter.Arbiter.ArbiterException;
import dev.tandem.replication.arbiter.Arbiter.Lease;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FileArbiterTest extends ArbiterContractTest {
    @TempDir
    Path dir;

    @Override
    protected Arbiter newArbiter(Duration lease) throws Exception {
        return new FileArbiter(dir.resolve("arb"), lease);
    }

    @Override
    protected Duration lease() {
        return Duration.ofMillis(400);
    }

    /** A file-arbiter holder that dies simply stops renewing; its lease record stays as it was. */
    @Override
    protected void crash(Arbiter a) {
    }

    private FileArbiter file(Duration lease) throws Exception {
        return (FileArbiter) open(lease);
    }

    /**
     * The race of the safety argument: the old holder's renewal passes its "no higher epoch" check
     * after a candidate judged the lease expired but before the candidate creates the next epoch.
     * That renewal succeeds, so the new holder must not be valid until a full lease time after it
     * saw the renewed record.
     */
    @Test
    void aRenewalThatSlipsInBeforeTheGrantMakesTheNewHolderWait() throws Exception {
        Duration lease = Duration.ofMillis(1000); // slack for a loaded machine: the renewal must start between 0.2 and 0.8 lease times
        FileArbiter a = file(lease);
        FileArbiter b = file(lease);
        Lease old = a.tryAcquire(cand("A", 0)).orElseThrow();
        CountDownLatch bDecided = new CountDownLatch(1);
        CountDownLatch aRenewed = new CountDownLatch(1);
        AtomicBoolean oldValidAtLink = new AtomicBoolean();
        AtomicLong linkAt = new AtomicLong();
        a.beforeLeaseWrite = () -> await(bDecided);
        b.beforeCreateEpoch = () -> {
            bDecided.countDown();
            await(aRenewed);
            oldValidAtLink.set(old.isValid());
            linkAt.set(System.nanoTime());
        };
        CompletableFuture<Lease> bWins = CompletableFuture.supplyAsync(() -> {
            try {
                return b.tryAcquire(cand("B", 0)).orElseThrow();
            } catch (ArbiterException e) {
                throw new RuntimeException(e);
            }
        });
        Thread.sleep(lease.toMillis() / 2);
        assertTrue(old.renew(), "the slipped-in renewal succeeds (no epoch 2 yet)");
        aRenewed.countDown();
        a.beforeLeaseWrite = null;
        Lease now = bWins.get(20, TimeUnit.SECONDS);
        long waited = System.nanoTime() - linkAt.get();
        assertTrue(oldValidAtLink.get(), "the old holder was valid when epoch 2 was created");
        assertTrue(waited >= lease.toNanos(), "the new holder waited " + waited / 1_000_000 + " ms after creating epoch 2");
        assertTrue(now.isValid());
        assertFalse(old.isValid(), "old and new valid at once");
        assertFalse(old.renew(), "deposed");
        assertTrue(b.history().stream().anyMatch(e -> e.kind().equals(ArbiterEvent.EXPIRY) && e.detail().contains("renewed during the grant")));
    }

    /**
     * The same race, but the winner of epoch 2 finds itself fenced and gives the epoch back. Its
     * released record would let the next candidate in at once, so it must not be written while
     * the old holder's slipped-in renewal still makes it valid.
     */
    @Test
    void aGivenBackEpochIsNotReleasedWhileTheOldHolderMayStillBeValid() throws Exception {
        Duration lease = Duration.ofMillis(1000); // slack for a loaded machine: the renewal must start between 0.2 and 0.8 lease times
        FileArbiter a = file(lease);
        FileArbiter b = file(lease);
        Lease old = a.tryAcquire(cand("A", 0)).orElseThrow();
        CountDownLatch bDecided = new CountDownLatch(1);
        CountDownLatch aRenewed = new CountDownLatch(1);
        a.beforeLeaseWrite = () -> await(bDecided);
        b.beforeCreateEpoch = () -> {
            bDecided.countDown();
            await(aRenewed);
            try {
                Files.write(b.directory().resolve("fence-00000000000000000001-abc-1"),
                        Records.encode("fence", new java.util.LinkedHashMap<>(java.util.Map.of("epoch", "1", "node", "B", "count", "50", "by", "A"))));
            } catch (java.io.IOException e) {
                throw new RuntimeException(e);
            }
        };
        CompletableFuture<Boolean> bRefused = CompletableFuture.supplyAsync(() -> {
            try {
                return b.tryAcquire(cand("B", 10)).isEmpty();
            } catch (ArbiterException e) {
                throw new RuntimeException(e);
            }
        });
        Thread.sleep(lease.toMillis() / 2);
        assertTrue(old.renew(), "the slipped-in renewal succeeds");
        aRenewed.countDown();
        a.beforeLeaseWrite = null;
        assertTrue(bRefused.get(20, TimeUnit.SECONDS), "B is fenced");
        Lease c = file(lease).tryAcquire(cand("C", 0)).orElseThrow();
        assertEquals(3, c.epoch());
        assertFalse(old.isValid(), "old and new valid at once");
    }

    /** A renewal whose write lands after the next epoch was created sees it on its second check and fails. */
    @Test
    void aRenewalWrittenAfterTheGrantFailsOnItsSecondCheck() throws Exception {
        Duration lease = Duration.ofMillis(1000); // slack for a loaded machine: the renewal must start between 0.2 and 0.8 lease times
        FileArbiter a = file(lease);
        FileArbiter b = file(lease);
        Lease old = a.tryAcquire(cand("A", 0)).orElseThrow();
        Path epoch2 = a.directory().resolve(String.format("epoch-%020d", 2));
        a.beforeLeaseWrite = () -> {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (!Files.exists(epoch2) && System.nanoTime() < deadline) {
                sleep(1);
            }
        };
        CompletableFuture<Lease> bWins = CompletableFuture.supplyAsync(() -> {
            try {
                return b.tryAcquire(cand("B", 0)).orElseThrow();
            } catch (ArbiterException e) {
                throw new RuntimeException(e);
            }
        });
        Thread.sleep(lease.toMillis() / 2);
        assertFalse(old.renew(), "the renewal saw epoch 2 after writing");
        assertFalse(old.isValid());
        Lease now = bWins.get(20, TimeUnit.SECONDS);
        assertTrue(now.isValid());
        assertTrue(a.history().stream().anyMatch(e -> e.kind().equals(ArbiterEvent.LOST) && e.epoch() == 1
                && e.detail().contains("during renewal")), "history: " + a.history());
    }

    @Test
    void tornTempFilesAreIgnored() throws Exception {
        FileArbiter a = file(lease());
        Path d = a.directory();
        Files.write(d.resolve(".epoch-00000000000000000001.deadbeef-1.tmp"), "tandem-arbiter/1 ep".getBytes(StandardCharsets.UTF_8));
        Files.write(d.resolve(".lease-00000000000000000001.deadbeef.tmp"), new byte[]{1, 2, 3});
        Files.write(d.resolve(".fence-00000000000000000001-deadbeef-7.tmp"), new byte[0]);
        Lease l = a.tryAcquire(cand("A", 0)).orElseThrow();
        assertEquals(1, l.epoch());
        assertTrue(l.renew());
        l.close();
        assertEquals(2, file(lease()).tryAcquire(cand("B", 0)).orElseThrow().epoch());
    }

    @Test
    void aGarbageEpochFileIsAClearErrorNotAGrant() throws Exception {
        FileArbiter a = file(lease());
        Files.write(a.directory().resolve("epoch-00000000000000000001"), "garbage".getBytes(StandardCharsets.UTF_8));
        ArbiterException e = assertThrows(ArbiterException.class, () -> a.tryAcquire(cand("A", 0)));
        assertTrue(e.getMessage().contains("epoch-00000000000000000001"), e.getMessage());
        assertThrows(ArbiterException.class, a::current);
    }

    @Test
    void anEmptyEpochFileIsAClearError() throws Exception {
        FileArbiter a = file(lease());
        Files.write(a.directory().resolve("epoch-00000000000000000001"), new byte[0]);
        ArbiterException e = assertThrows(ArbiterException.class, () -> a.tryAcquire(cand("A", 0)));
        assertTrue(e.getMessage().contains("empty"), e.getMessage());
    }

    @Test
    void aMisnamedEpochFileIsAClearError() throws Exception {
        FileArbiter a = file(lease());
        Files.write(a.directory().resolve("epoch-7"), new byte[0]);
        ArbiterException e = assertThrows(ArbiterException.class, a::current);
        assertTrue(e.getMessage().contains("epoch-7"), e.getMessage());
    }

    @Test
    void aGarbageLeaseFileIsAClearErrorNotAGrant() throws Exception {
        FileArbiter a = file(lease());
        Lease l = a.tryAcquire(cand("A", 0)).orElseThrow();
        assertTrue(l.renew());
        Path lf = a.directory().resolve("lease-00000000000000000001");
        byte[] rec = Files.readAllBytes(lf);
        rec[rec.length / 2] ^= 0x20; // one flipped bit: the checksum catches it
        Files.write(lf, rec);
        FileArbiter b = file(lease());
        ArbiterException e = assertThrows(ArbiterException.class, () -> b.tryAcquire(cand("B", 0)));
        assertTrue(e.getMessage().contains("lease-00000000000000000001") && e.getMessage().contains("checksum"), e.getMessage());
        assertEquals(1, b.current().orElseThrow().epoch(), "nothing was granted");
    }

    @Test
    void aGarbageFenceFileIsAClearError() throws Exception {
        FileArbiter a = file(lease());
        Files.write(a.directory().resolve("fence-00000000000000000001-abc-1"), "x".getBytes(StandardCharsets.UTF_8));
        assertThrows(ArbiterException.class, () -> a.tryAcquire(cand("A", 0)));
    }

    @Test
    void historySurvivesAGrantThatWasNotLoggedAndRejectsACorruptLine() throws Exception {
        FileArbiter a = file(lease());
        Lease l = a.tryAcquire(cand("A", 0)).orElseThrow();
        l.close();
        Path h = a.directory().resolve(FileArbiter.HISTORY);
        // a winner killed after creating its epoch file but before logging its grant
        Files.delete(h);
        List<ArbiterEvent> ev = a.history();
        assertEquals(1, ev.size());
        assertEquals(ArbiterEvent.GRANT, ev.get(0).kind());
        assertEquals("A", ev.get(0).nodeId());
        // a torn last line (an append in progress) is not an event; a bad line in the middle is corruption
        Files.write(h, "123 grant 1 A".getBytes(StandardCharsets.UTF_8), StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        assertEquals(1, a.history().size());
        Files.write(h, "\n".getBytes(StandardCharsets.UTF_8), StandardOpenOption.APPEND);
        assertThrows(ArbiterException.class, a::history);
    }

    @Test
    void aCandidateFencedWhileItsGrantIsInFlightGivesTheEpochBack() throws Exception {
        FileArbiter a = file(lease());
        FileArbiter f = file(lease());
        Lease l = a.tryAcquire(cand("A", 0)).orElseThrow();
        l.close();
        // the fence lands between F's first fence check and its grant (written by hand: A no longer leads)
        f.beforeCreateEpoch = () -> {
            try {
                Files.write(f.directory().resolve("fence-00000000000000000001-abc-1"),
                        Records.encode("fence", new java.util.LinkedHashMap<>(java.util.Map.of("epoch", "1", "node", "F", "count", "50", "by", "A"))));
            } catch (java.io.IOException e) {
                throw new RuntimeException(e);
            }
        };
        assertTrue(f.tryAcquire(cand("F", 10)).isEmpty());
        f.beforeCreateEpoch = null;
        // epoch 2 was created and released at once: the next candidate need not wait
        long t0 = System.nanoTime();
        Lease g = file(Duration.ofSeconds(5)).tryAcquire(cand("G", 0)).orElseThrow();
        assertEquals(3, g.epoch());
        assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(2));
    }

    @Test
    void specStrings() throws Exception {
        Arbiters.Spec s = Arbiters.parse("file:some/dir?lease=250ms", null);
        assertEquals("file", s.kind());
        assertEquals("some/dir", s.target());
        assertEquals(Duration.ofMillis(250), s.lease());
        assertEquals(Arbiters.DEFAULT_FILE_LEASE, Arbiters.parse("file:x", null).lease());
        assertEquals(Duration.ofSeconds(3), Arbiters.parse("file:x", Duration.ofSeconds(3)).lease());
        Arbiters.Spec z = Arbiters.parse("zk:127.0.0.1:2181,10.0.0.2:2182/tandem/g1?lease=2s", null);
        assertEquals("zk", z.kind());
        assertEquals("127.0.0.1:2181,10.0.0.2:2182", z.target());
        assertEquals("/tandem/g1", z.path());
        assertEquals(Duration.ofSeconds(2), z.lease());
        for (String bad : List.of("", "dir", "nfs:/x", "file:", "file:x?lease=", "file:x?lease=-3s", "file:x?ttl=3",
                "zk:host/p", "zk:host:99999/p", "zk:host:1", "zk:host:1/", "zk:host:1/a//b", "zk::1/p")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Arbiters.parse(bad, null), bad);
            assertTrue(e.getMessage().contains("arbiter spec") || e.getMessage().contains("empty arbiter spec"), e.getMessage());
        }
        try (Arbiter a = Arbiters.open("file:" + dir.resolve("spec") + "?lease=150ms")) {
            assertTrue(a instanceof FileArbiter);
            assertEquals(Duration.ofMillis(150), ((FileArbiter) a).leaseTime());
        }
    }

    static void await(CountDownLatch l) {
        try {
            if (!l.await(20, TimeUnit.SECONDS)) {
                throw new IllegalStateException("latch timed out");
            }
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }
}
