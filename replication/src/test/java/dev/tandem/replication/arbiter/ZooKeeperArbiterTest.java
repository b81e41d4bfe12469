package dev.tandem.replication.arbiter;

import dev.tandem.replication.arbiter.Arbiter.ArbiterEvent;
import dev.tandem.replication.arbiter.Arbiter.ArbiterException;
import dev.tandem.replication.arbiter.Arbiter.Lease;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.KillSession;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The contract against Curator's in-process ZooKeeper, plus session loss, server stop and a partitioned holder. */
class ZooKeeperArbiterTest extends ArbiterContractTest {
    private static final AtomicInteger PATHS = new AtomicInteger();
    static TestingServer server;
    private String path;

    @BeforeAll
    static void startServer() throws Exception {
        // tickTime 100 ms: sessions may be 200 ms .. 2 s, expiry checked every tick
        InstanceSpec spec = new InstanceSpec(null, -1, -1, -1, true, -1, 100, -1,
                Map.of("clientPortAddress", "127.0.0.1"), "127.0.0.1");
        server = new TestingServer(spec, true);
    }

    @AfterAll
    static void stopServer() throws IOException {
        server.close();
    }

    @BeforeEach
    void freshPath() {
        path = "/tandem/test-" + PATHS.incrementAndGet();
    }

    private final Map<Arbiter, Blackhole> proxies = new java.util.concurrent.ConcurrentHashMap<>();

    /** Each replica reaches the server through its own loopback proxy, so that {@link #crash} can cut it like a dying process. */
    @Override
    protected Arbiter newArbiter(Duration lease) throws Exception {
        Blackhole proxy = new Blackhole(server.getPort());
        try {
            Arbiter a = new ZooKeeperArbiter("127.0.0.1:" + proxy.port(), path, lease);
            proxies.put(a, proxy);
            return a;
        } catch (Exception e) {
            proxy.close();
            throw e;
        }
    }

    @Override
    protected Duration lease() {
        return Duration.ofMillis(1000);
    }

    /**
     * Like kill -9: the connection is closed under the client without a closeSession, and the
     * client cannot reconnect; the server expires the session after its timeout.
     */
    @Override
    protected void crash(Arbiter a) throws Exception {
        proxies.get(a).close();
    }

    @Test
    void theSessionTimeoutIsTheNegotiatedOne() throws Exception {
        ZooKeeperArbiter a = (ZooKeeperArbiter) open(Duration.ofMillis(60_000));
        assertEquals(Duration.ofMillis(2000), a.sessionTimeout(), "bounded by the server to 20 ticks");
        assertEquals(Duration.ofMillis(500), a.renewInterval());
    }

    /**
     * The holder is cut off (its traffic dropped, no reset) while the others still reach the
     * server. It must stop being valid on its own before its session can expire and anyone else
     * can win: checked against the last instant a prober still saw its leader znode.
     */
    @Test
    void aPartitionedHolderIsInvalidBeforeAnyoneElseWins() throws Exception {
        try (Blackhole proxy = new Blackhole(server.getPort())) {
            Arbiter h = register(new ZooKeeperArbiter("127.0.0.1:" + proxy.port(), path, lease()));
            Arbiter b = open();
            Lease held = h.tryAcquire(cand("H", 0)).orElseThrow();
            AtomicLong invalidAt = new AtomicLong();
            AtomicLong lastSeenAt = new AtomicLong();
            try (Renewer r = new Renewer(held, h.renewInterval());
                 CuratorFramework probe = CuratorFrameworkFactory.newClient(server.getConnectString(), new RetryOneTime(10))) {
                probe.start();
                probe.blockUntilConnected();
                Thread watcher = new Thread(() -> {
                    while (held.isValid()) {
                        Thread.onSpinWait();
                    }
                    invalidAt.set(System.nanoTime());
                });
                watcher.start();
                Thread prober = new Thread(() -> {
                    try {
                        while (true) {
                            long before = System.nanoTime();
                            if (probe.checkExists().forPath(path + "/leader") == null) {
                                return;
                            }
                            lastSeenAt.set(before);
                            Thread.sleep(2);
                        }
                    } catch (Exception e) {
                        // leave lastSeenAt as it is
                    }
                });
                Thread.sleep(300);
                assertTrue(held.isValid());
                proxy.blackhole = true;
                long cutAt = System.nanoTime();
                prober.start();
                Lease won = acquireWithin(b, cand("B", 0), Duration.ofSeconds(20));
                long wonAt = System.nanoTime();
                System.out.printf("partition: holder invalid %.0f ms after the cut, its znode last seen %.0f ms, B won %.0f ms%n",
                        (invalidAt.get() - cutAt) / 1e6, (lastSeenAt.get() - cutAt) / 1e6, (wonAt - cutAt) / 1e6);
                watcher.join(5000);
                prober.join(5000);
                assertEquals(2, won.epoch());
                assertTrue(invalidAt.get() != 0, "the holder noticed");
                assertTrue(invalidAt.get() < lastSeenAt.get(), "the holder was invalid "
                        + (lastSeenAt.get() - invalidAt.get()) / 1_000_000 + " ms before its znode could have gone");
                assertTrue(invalidAt.get() < wonAt);
                assertTrue(r.failed.get() || !held.renew(), "the holder's renewals fail");
                assertFalse(held.isValid());
            }
        }
    }

    @Test
    void aStoppedServerMakesTheHolderInvalidAndARestartLetsTheNextOneWin() throws Exception {
        Arbiter h = open();
        Arbiter b = open();
        Lease held = h.tryAcquire(cand("H", 0)).orElseThrow();
        assertTrue(held.renew());
        server.stop();
        try {
            long deadline = System.nanoTime() + lease().toNanos();
            while (held.isValid() && System.nanoTime() < deadline) {
                Thread.sleep(1);
            }
            assertFalse(held.isValid(), "invalid within a session timeout of losing the server");
            assertFalse(held.renew());
        } finally {
            server.restart();
        }
        Lease won = acquireWithin(b, cand("B", 0), Duration.ofSeconds(20));
        assertEquals(2, won.epoch());
        assertFalse(held.isValid());
        assertFalse(held.renew());
        assertTrue(won.renew());
        List<ArbiterEvent> ev = b.history();
        assertTrue(ev.stream().anyMatch(e -> e.kind().equals(ArbiterEvent.GRANT) && e.epoch() == 2), ev.toString());
    }

    /**
     * Curator's KillSession expires the session from the client side; Curator then closes the
     * session itself, so the server drops the leader znode within milliseconds. The holder must
     * be invalid before a candidate that is already waiting can win.
     */
    @Test
    void aKilledSessionMakesTheHolderInvalidBeforeAWaitingCandidateWins() throws Exception {
        for (int round = 0; round < 3; round++) {
            path = "/tandem/killed-" + PATHS.incrementAndGet();
            Arbiter h = open();
            Arbiter b = open();
            Lease held = h.tryAcquire(cand("H", 0)).orElseThrow();
            java.util.concurrent.CompletableFuture<Lease> bWins = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try {
                    Lease l = acquireWithin(b, cand("B", 0), Duration.ofSeconds(20));
                    if (held.isValid()) {
                        throw new AssertionError("the old holder was still valid when B won");
                    }
                    return l;
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            Thread.sleep(100);
            KillSession.kill(((ZooKeeperArbiter) h).curator().getZookeeperClient().getZooKeeper());
            Lease won = bWins.get(30, TimeUnit.SECONDS);
            assertEquals(2, won.epoch());
            assertFalse(held.isValid());
            assertFalse(held.renew());
        }
    }

    @Test
    void anUnreachableEnsembleIsAClearError() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        ArbiterException e = assertThrows(ArbiterException.class,
                () -> new ZooKeeperArbiter("127.0.0.1:" + port, "/tandem/x", Duration.ofMillis(300)));
        assertTrue(e.getMessage().contains("cannot reach ZooKeeper"), e.getMessage());
    }

    @Test
    void aGarbageEpochZnodeIsAClearError() throws Exception {
        try (CuratorFramework c = CuratorFrameworkFactory.newClient(server.getConnectString(), new RetryOneTime(10))) {
            c.start();
            c.blockUntilConnected();
            c.create().creatingParentsIfNeeded().forPath(path + "/epoch", "garbage".getBytes(StandardCharsets.UTF_8));
        }
        ArbiterException e = assertThrows(ArbiterException.class, this::open);
        assertTrue(e.getMessage().contains(path + "/epoch"), e.getMessage());
    }

    @Test
    void openedFromASpec() throws Exception {
        try (Arbiter a = Arbiters.open("zk:" + server.getConnectString() + path + "?lease=800ms")) {
            assertTrue(a instanceof ZooKeeperArbiter);
            assertEquals(Duration.ofMillis(800), ((ZooKeeperArbiter) a).sessionTimeout());
            Optional<Lease> l = a.tryAcquire(cand("A", 0));
            assertEquals(1, l.orElseThrow().epoch());
        }
    }

    private final List<Arbiter> extra = new CopyOnWriteArrayList<>();

    private Arbiter register(Arbiter a) {
        extra.add(a);
        return a;
    }

    @Override
    protected void afterClose() throws IOException {
        for (Arbiter a : extra) {
            try {
                a.close();
            } catch (Exception ignored) {
                // best effort
            }
        }
        for (Blackhole b : proxies.values()) {
            b.close();
        }
    }

    /** A loopback TCP proxy that can silently drop everything (a partition without resets). */
    static final class Blackhole implements AutoCloseable {
        final ServerSocket ss;
        volatile boolean blackhole;
        private final List<Socket> sockets = new CopyOnWriteArrayList<>();

        Blackhole(int targetPort) throws IOException {
            ss = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            Thread acceptor = new Thread(() -> {
                try {
                    while (true) {
                        Socket in = ss.accept();
                        Socket out = new Socket(InetAddress.getLoopbackAddress(), targetPort);
                        sockets.add(in);
                        sockets.add(out);
                        pump(in, out);
                        pump(out, in);
                    }
                } catch (IOException closed) {
                    // proxy closed
                }
            }, "blackhole-accept");
            acceptor.setDaemon(true);
            acceptor.start();
        }

        int port() {
            return ss.getLocalPort();
        }

        private void pump(Socket from, Socket to) {
            Thread t = new Thread(() -> {
                byte[] buf = new byte[8192];
                try (InputStream i = from.getInputStream(); OutputStream o = to.getOutputStream()) {
                    for (int n; (n = i.read(buf)) >= 0; ) {
                        if (!blackhole) {
                            o.write(buf, 0, n);
                            o.flush();
                        }
                    }
                } catch (IOException ignored) {
                    // one side closed
                }
            }, "blackhole-pump");
            t.setDaemon(true);
            t.start();
        }

        @Override
        public void close() throws IOException {
            ss.close();
            for (Socket s : sockets) {
                s.close();
            }
        }
    }
}
