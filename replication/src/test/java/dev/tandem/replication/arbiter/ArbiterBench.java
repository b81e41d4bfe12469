package dev.tandem.replication.arbiter;

import dev.tandem.replication.arbiter.Arbiter.Candidate;
import dev.tandem.replication.arbiter.Arbiter.Lease;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingServer;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Figures for docs/arbiter.md (a main, not a test): acquire latency after a release, renewal cost,
 * isValid cost, and the time from a holder's death to the next grant, for both arbiters.
 *
 * <p>Run: {@code mvn -q -pl replication -am test-compile} then
 * {@code java -cp replication/target/test-classes:replication/target/classes:$(cat cp.txt)
 * dev.tandem.replication.arbiter.ArbiterBench [DIR]} with the test classpath in cp.txt
 * ({@code mvn -q -pl replication dependency:build-classpath -Dmdep.outputFile=cp.txt}).
 * DIR (default: a temp directory) is where the file arbiter lives.
 */
public final class ArbiterBench {
    public static void main(String[] args) throws Exception {
        Path base = args.length > 0 ? Path.of(args[0]) : Files.createTempDirectory("arbiter-bench");
        System.out.println("file arbiter in " + base);
        for (long leaseMs : new long[]{200, 500}) {
            Duration lease = Duration.ofMillis(leaseMs);
            Path dir = base.resolve("file-" + leaseMs + "-" + System.nanoTime());
            try (FileArbiter a = new FileArbiter(dir, lease); FileArbiter b = new FileArbiter(dir, lease)) {
                report("file lease " + leaseMs + " ms", a, b, 10);
            }
        }
        InstanceSpec spec = new InstanceSpec(null, -1, -1, -1, true, -1, 100, -1,
                Map.of("clientPortAddress", "127.0.0.1"), "127.0.0.1");
        try (TestingServer server = new TestingServer(spec, true)) {
            for (long sessionMs : new long[]{500, 1000}) {
                String path = "/bench/s" + sessionMs;
                ZooKeeperArbiterTest.Blackhole proxy = new ZooKeeperArbiterTest.Blackhole(server.getPort());
                try (ZooKeeperArbiter a = new ZooKeeperArbiter("127.0.0.1:" + proxy.port(), path, Duration.ofMillis(sessionMs));
                     ZooKeeperArbiter b = new ZooKeeperArbiter(server.getConnectString(), path, Duration.ofMillis(sessionMs))) {
                    report("zk session " + sessionMs + " ms (TestingServer, tick 100 ms)", a, b, 0);
                    // death to grant: a's connection is cut (kill -9 as the server sees it), b waits for the grant
                    double[] d = new double[8];
                    for (int i = 0; i < d.length; i++) {
                        ZooKeeperArbiterTest.Blackhole px = new ZooKeeperArbiterTest.Blackhole(server.getPort());
                        try (ZooKeeperArbiter h = new ZooKeeperArbiter("127.0.0.1:" + px.port(), path, Duration.ofMillis(sessionMs))) {
                            Lease l = h.tryAcquire(new Candidate("H", "", 0)).orElseThrow();
                            long renewEvery = h.renewInterval().toNanos();
                            long until = System.nanoTime() + ThreadLocalRandom.current().nextLong(renewEvery, 3 * renewEvery);
                            while (System.nanoTime() < until) {
                                l.renew();
                                Thread.sleep(renewEvery / 1_000_000);
                            }
                            px.close();
                            long dead = System.nanoTime();
                            Lease won = acquire(b, "B");
                            d[i] = (System.nanoTime() - dead) / 1e6;
                            won.close();
                        }
                    }
                    System.out.printf("  death (connection cut) to next grant: %s%n", stats(d));
                } finally {
                    proxy.close();
                }
            }
        }
    }

    /** Acquire latency after a release, renew cost, isValid cost; for file arbiters also death to grant over {@code deaths} rounds. */
    private static void report(String name, Arbiter a, Arbiter b, int deaths) throws Exception {
        System.out.println(name + ":");
        int n = 100;
        double[] acq = new double[n];
        Arbiter[] pair = {a, b};
        for (int i = 0; i < n; i++) {
            Arbiter x = pair[i % 2];
            long t0 = System.nanoTime();
            Lease l = x.tryAcquire(new Candidate("n" + (i % 2), "", 0)).orElseThrow();
            acq[i] = (System.nanoTime() - t0) / 1e6;
            l.close();
        }
        System.out.printf("  acquire after a release: %s%n", stats(acq));
        Lease l = a.tryAcquire(new Candidate("r", "", 0)).orElseThrow();
        int m = 300;
        int lost = 0;
        double[] ren = new double[m];
        for (int i = 0; i < m; i++) {
            long t0 = System.nanoTime();
            boolean ok = l.renew();
            ren[i] = (System.nanoTime() - t0) / 1e6;
            if (!ok) {
                lost++; // a renewal came later than the lease allows (the process was not scheduled): take a new lease
                l.close();
                l = acquire(a, "r");
            }
        }
        System.out.printf("  renew: %s; leases lost to late renewals: %d%n", stats(ren), lost);
        long calls = 5_000_000;
        long t0 = System.nanoTime();
        for (long i = 0; i < calls; i++) {
            l.isValid();
        }
        System.out.printf("  isValid: %.1f ns per call%n", (System.nanoTime() - t0) / (double) calls);
        l.close();
        if (deaths == 0) {
            return;
        }
        double[] d = new double[deaths];
        for (int i = 0; i < deaths; i++) {
            Lease h = a.tryAcquire(new Candidate("H", "", 0)).orElseThrow();
            AtomicBoolean stop = new AtomicBoolean();
            long renewEvery = a.renewInterval().toNanos();
            Thread renewer = new Thread(() -> {
                while (!stop.get() && h.renew()) {
                    try {
                        Thread.sleep(renewEvery / 1_000_000);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
            renewer.start();
            Thread.sleep(ThreadLocalRandom.current().nextLong(renewEvery / 1_000_000, 3 * renewEvery / 1_000_000));
            stop.set(true); // from the arbiter's view the holder is dead: no more renewals
            renewer.join();
            long dead = System.nanoTime();
            Lease won = acquire(b, "B");
            d[i] = (System.nanoTime() - dead) / 1e6;
            won.close();
        }
        System.out.printf("  death (renewals stop) to next grant, candidate starting at the death: %s%n", stats(d));
    }

    private static Lease acquire(Arbiter b, String id) throws Exception {
        while (true) {
            Optional<Lease> l = b.tryAcquire(new Candidate(id, "", 0));
            if (l.isPresent()) {
                return l.get();
            }
        }
    }

    private static String stats(double[] ms) {
        double[] s = ms.clone();
        Arrays.sort(s);
        return String.format("p50 %.2f ms, p90 %.2f ms, max %.2f ms (n=%d)", s[s.length / 2], s[(int) (s.length * 0.9)], s[s.length - 1], s.length);
    }
}
