package dev.tandem.replication.arbiter;

import dev.tandem.replication.arbiter.Arbiter.ArbiterEvent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Real JVM processes racing for one arbiter directory, some holders killed with SIGKILL mid-lease.
 * Each process logs the instants it found its lease valid (see {@link Contender}); the test checks
 * that each epoch had exactly one winner and that no two epochs' valid instants interleave. The
 * timestamps are {@link System#nanoTime()} of different processes: on Linux that is
 * CLOCK_MONOTONIC, one clock for every process of the host.
 */
class FileArbiterProcessTest {
    @TempDir
    Path tmp;

    private final Map<Long, String> winners = new ConcurrentHashMap<>();
    private long killedHolders;
    private long killEvery;
    private long lastEpoch;
    private final List<String> doubleWins = java.util.Collections.synchronizedList(new ArrayList<>());

    private final class Proc {
        final String node;
        final Process p;
        final Path acts;
        volatile long toKill = -1;

        Proc(String node, Process p, Path acts) {
            this.node = node;
            this.p = p;
            this.acts = acts;
            Thread t = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String line; (line = r.readLine()) != null; ) {
                        if (line.startsWith("WON ")) {
                            long e = Long.parseLong(line.substring(4).trim());
                            String prev = winners.putIfAbsent(e, node);
                            if (prev != null) {
                                doubleWins.add("epoch " + e + " won by " + prev + " and " + node);
                            }
                            if (e % killEvery == 0 && e < lastEpoch) {
                                toKill = e; // it holds this epoch until killed
                            }
                        }
                    }
                } catch (IOException ignored) {
                    // killed
                }
            }, "out-" + node);
            t.setDaemon(true);
            t.start();
        }
    }

    @Test
    void processesRaceAndHoldersAreKilledMidLease() throws Exception {
        run(4, 16, 4, 200, 60);
    }

    @Test
    void longRun() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(Boolean.getBoolean("tandem.long"), "long suite only (-Dtandem.long=true)");
        run(5, 200, 5, 150, 40);
    }

    /**
     * {@code n} processes until epoch {@code rounds}; the holder of every {@code killEvery}-th epoch
     * keeps it (renewing, acting) until the test kills it with SIGKILL 5..holdMs/2 ms after its
     * WON line, and a new process replaces it.
     */
    private void run(int n, long rounds, int killEvery, long leaseMs, long holdMs) throws Exception {
        this.killEvery = killEvery;
        this.lastEpoch = rounds;
        Path dir = tmp.resolve("arb");
        Random rnd = new Random(42);
        List<Proc> procs = new ArrayList<>();
        List<Proc> all = new ArrayList<>();
        int next = 0;
        try {
            for (int i = 0; i < n; i++) {
                Proc p = start(dir, "p" + next++, leaseMs, holdMs, rounds);
                procs.add(p);
                all.add(p);
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30 + rounds / 2);
            long killed = 0;
            Path lastEpochFile = dir.resolve(String.format("epoch-%020d", rounds));
            while (!Files.exists(lastEpochFile)) {
                if (System.nanoTime() > deadline) {
                    fail("only reached epoch " + winners.keySet().stream().mapToLong(Long::longValue).max().orElse(0) + " of " + rounds);
                }
                for (Proc p : List.copyOf(procs)) {
                    long e = p.toKill;
                    if (e > 0) {
                        Thread.sleep(5 + rnd.nextInt((int) holdMs / 2));
                        p.p.destroyForcibly(); // SIGKILL
                        p.p.waitFor(10, TimeUnit.SECONDS);
                        killed++;
                        procs.remove(p);
                        Proc q = start(dir, "p" + next++, leaseMs, holdMs, rounds);
                        procs.add(q);
                        all.add(q);
                    }
                }
                Thread.sleep(2);
            }
            for (Proc p : procs) {
                if (!p.p.waitFor(30, TimeUnit.SECONDS)) {
                    fail(p.node + " did not finish");
                }
                assertEquals(0, p.p.exitValue(), p.node + " exit status");
            }
            killedHolders = killed;
        } finally {
            for (Proc p : all) {
                p.p.destroyForcibly();
            }
        }
        assertEquals(List.of(), doubleWins);

        // The arbiter's own transcript: one grant per epoch, 1..rounds, no gaps.
        List<ArbiterEvent> history;
        try (FileArbiter a = new FileArbiter(dir, Duration.ofMillis(leaseMs))) {
            history = a.history();
        }
        Map<Long, String> grants = new TreeMap<>();
        int expiries = 0;
        java.util.Set<Long> expired = new java.util.HashSet<>();
        for (ArbiterEvent ev : history) {
            if (ev.kind().equals(ArbiterEvent.GRANT)) {
                String prev = grants.put(ev.epoch(), ev.nodeId());
                assertEquals(null, prev, "epoch " + ev.epoch() + " granted twice");
            } else if (ev.kind().equals(ArbiterEvent.EXPIRY)) {
                expiries++;
                expired.add(ev.epoch());
            }
        }
        long maxEpoch = ((TreeMap<Long, String>) grants).lastKey();
        assertTrue(maxEpoch >= rounds, "reached epoch " + maxEpoch);
        assertEquals(maxEpoch, grants.size(), "one grant for each epoch 1.." + maxEpoch + " (a contender may win one past the last round)");
        for (Map.Entry<Long, String> w : winners.entrySet()) {
            assertEquals(grants.get(w.getKey()), w.getValue(), "the process that said WON " + w.getKey() + " is the one the arbiter granted");
        }
        for (long e = killEvery; e < rounds; e += killEvery) {
            assertTrue(expired.contains(e), "the killed holder's epoch " + e + " expired: " + expired);
        }

        // Valid instants. Each act says: the lease was valid at some instant in [before, after].
        // Per epoch: the latest 'before' and the earliest 'after' (for proven overlaps), and the
        // earliest 'before' and latest 'after' (for proven separation).
        Map<Long, long[]> per = new TreeMap<>(); // {minBefore, maxBefore, minAfter, maxAfter}
        Map<Long, String> actor = new HashMap<>();
        long acts = 0;
        for (Proc p : all) {
            if (!Files.exists(p.acts)) {
                continue;
            }
            for (String line : Files.readAllLines(p.acts)) {
                String[] f = line.split(" ");
                if (f.length != 3) {
                    continue; // the last line of a killed process may be torn
                }
                long e = Long.parseLong(f[0]);
                long before = Long.parseLong(f[1]);
                long after = Long.parseLong(f[2]);
                String prev = actor.putIfAbsent(e, p.node);
                if (prev != null && !prev.equals(p.node)) {
                    fail("two processes acted under epoch " + e + ": " + prev + " and " + p.node);
                }
                per.merge(e, new long[]{before, before, after, after}, (x, y) -> new long[]{
                        Math.min(x[0], y[0]), Math.max(x[1], y[1]), Math.min(x[2], y[2]), Math.max(x[3], y[3])});
                acts++;
            }
        }
        assertTrue(per.size() >= rounds / 2, "acts in " + per.size() + " of " + rounds + " epochs");
        long latestBefore = Long.MIN_VALUE;   // over all earlier epochs
        long latestAfter = Long.MIN_VALUE;
        long latestEpoch = -1;
        int separated = 0;
        long minGap = Long.MAX_VALUE;
        for (Map.Entry<Long, long[]> s : per.entrySet()) {
            long[] v = s.getValue();
            if (latestEpoch >= 0) {
                // proven overlap: an instant of this epoch surely before an instant of an earlier one
                assertTrue(v[2] > latestBefore, "epoch " + s.getKey() + " was valid before the last valid instant of epoch <= " + latestEpoch);
                if (v[0] > latestAfter) {
                    separated++;
                    minGap = Math.min(minGap, v[0] - latestAfter);
                }
            }
            latestBefore = Math.max(latestBefore, v[1]);
            latestAfter = Math.max(latestAfter, v[3]);
            latestEpoch = s.getKey();
        }
        assertEquals(per.size() - 1, separated, "every epoch's valid instants provably after all earlier ones");
        assertEquals((rounds - 1) / killEvery, killedHolders, "holders killed mid-lease");
        System.out.printf("arbiter process race: %d epochs, %d processes started, %d acts, %d expiries,"
                + " smallest gap between epochs' valid instants %.3f ms%n", rounds, all.size(), acts, expiries, minGap / 1e6);
        System.out.printf("  killed holders: %d%n", killedHolders);
    }

    private Proc start(Path dir, String node, long leaseMs, long holdMs, long rounds) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Path acts = tmp.resolve(node + ".acts");
        ProcessBuilder pb = new ProcessBuilder(java, "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xshare:auto",
                "-cp", System.getProperty("java.class.path"), Contender.class.getName(),
                dir.toString(), node, Long.toString(leaseMs), Long.toString(holdMs), Long.toString(rounds), acts.toString(),
                Long.toString(killEvery));
        pb.redirectError(tmp.resolve(node + ".err").toFile());
        return new Proc(node, pb.start(), acts);
    }
}
