package dev.tandem.replication;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.core.machine.Machine;
import dev.tandem.core.machine.MachineConfig;
import dev.tandem.core.replay.GuestSpec;
import dev.tandem.replication.arbiter.Arbiter;
import dev.tandem.replication.console.ConsoleClient;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Leader and followers in one JVM (real Netty on loopback, an in-memory arbiter): the console
 * continues exactly once across an abrupt leader failure, a new follower joins the new leader,
 * and all replicas end the stream with the same final state hash.
 */
class ReplicaInProcessTest {
    static final Map<String, String> ECHO = Map.of("guest", "echo");

    static ReplicaOptions opts(String name, Path dir) {
        // generous timeouts: the test machine is shared and often overloaded
        return ReplicaOptions.defaults(name).withConsole("127.0.0.1", 0).withCheckpointInterval(3_000_000)
                .withTiming(5_000_000L, 250_000L, 100, 2000, 100).withTranscript(dir.resolve(name + ".jsonl"));
    }

    static Thread start(Replica r, AtomicInteger exit) {
        Thread t = new Thread(() -> exit.set(r.run()), "machine-" + r.opt.nodeId());
        t.setDaemon(true);
        t.start();
        return t;
    }

    static void await(String what, long millis, BooleanSupplier cond) throws InterruptedException {
        long end = System.currentTimeMillis() + millis;
        while (!cond.getAsBoolean()) {
            if (System.currentTimeMillis() > end) throw new AssertionError("timed out waiting for " + what);
            Thread.sleep(10);
        }
    }

    /** Checks counter lines are 1..n without gaps or repeats; returns n. */
    static int checkCounter(String out) {
        Matcher m = Pattern.compile("C (\\d+)\r\n").matcher(out);
        int expect = 1;
        while (m.find()) {
            int c = Integer.parseInt(m.group(1));
            assertEquals(expect, c, "counter line out of sequence near offset " + m.start());
            expect++;
        }
        return expect - 1;
    }

    static int count(String out, String s) {
        int n = 0;
        for (int i = out.indexOf(s); i >= 0; i = out.indexOf(s, i + 1)) n++;
        return n;
    }

    @Test
    void failoverKeepsTheConsoleExactlyOnce() throws Exception {
        Path tmp = Path.of("target", "replica-inprocess");
        java.nio.file.Files.createDirectories(tmp);
        for (String n : List.of("L", "F1", "F2", "F3")) java.nio.file.Files.deleteIfExists(tmp.resolve(n + ".jsonl"));
        MemoryArbiter.Board board = new MemoryArbiter.Board(2000);
        Function<String, Arbiter> arbiters = spec -> new MemoryArbiter(board);
        Replica leader = Replica.leader(opts("L", tmp), "mem:test", arbiters, in -> {
            Machine m = new Machine(MachineConfig.defaults(8 << 20), in);
            try {
                GuestSpec.load(m, ECHO);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            return m;
        }, ECHO);
        AtomicInteger exitL = new AtomicInteger(-1), exitF1 = new AtomicInteger(-1), exitF2 = new AtomicInteger(-1),
                exitF3 = new AtomicInteger(-1);
        start(leader, exitL);
        Replica f1 = Replica.follower(opts("F1", tmp), leader.address(), null, null, arbiters);
        Replica f2 = Replica.follower(opts("F2", tmp), leader.address(), null, null, arbiters);
        start(f1, exitF1);
        start(f2, exitF2);

        ByteArrayOutputStream out = new ByteArrayOutputStream();
        List<String> events = new ArrayList<>();
        String addrs = List.of(leader, f1, f2).stream().map(r -> "127.0.0.1:" + r.consoleAddress().getPort())
                .reduce((a, b) -> a + "," + b).get();
        ConsoleClient client = new ConsoleClient(List.of(addrs.split(",")), out, new ConsoleClient.Listener() {
            @Override
            public void output(long epoch, long offset, byte[] d, int off, int len, String server) {
            }

            @Override
            public void event(String what) {
                synchronized (events) {
                    events.add(what);
                }
            }
        });
        Thread ct = new Thread(client::run, "console-client");
        ct.setDaemon(true);
        ct.start();
        java.util.function.Supplier<String> text = () -> {
            synchronized (out) {
                return out.toString(StandardCharsets.ISO_8859_1);
            }
        };
        try {
            await("counter line 15", 60_000, () -> text.get().contains("C 15\r\n"));
            await("both followers live", 30_000, () -> leader.leaderLink.sessions.values().stream().filter(s -> s.live).count() == 2);
            client.type("hello one\r".getBytes(StandardCharsets.US_ASCII), 0, 10);
            await("echo of the first line", 30_000, () -> text.get().contains("E hello one\r\n"));
            await("input acknowledged", 30_000, () -> client.unackedInput() == 0);
            int before = checkCounter(text.get());

            leader.crash();
            await("a new leader", 30_000, () -> f1.role() == Replica.Role.LEADER || f2.role() == Replica.Role.LEADER);
            Replica nl = f1.role() == Replica.Role.LEADER ? f1 : f2;
            Replica other = nl == f1 ? f2 : f1;
            assertEquals(2, nl.leaderEpoch());
            assertTrue(other.role() == Replica.Role.FOLLOWER, "exactly one new leader");
            client.type("after failover\n".getBytes(StandardCharsets.US_ASCII), 0, 15);
            await("echo after failover", 60_000, () -> text.get().contains("E after failover\r\n"));
            await("the counter goes on", 60_000, () -> checkCounter(text.get()) > before + 10);
            await("the other follower follows the new leader", 30_000,
                    () -> nl.leaderLink.sessions.values().stream().filter(s -> s.live).count() == 1);

            // redundancy restored: a new follower joins the new leader
            Replica f3 = Replica.follower(opts("F3", tmp), nl.address(), null, null, arbiters);
            start(f3, exitF3);
            await("the new follower is live", 60_000, () -> nl.leaderLink.sessions.values().stream().filter(s -> s.live).count() == 2);

            // end the stream: every replica must reach the END record with the same final state hash
            long endAt = nl.machine.cpu().icount() + 4_000_000;
            nl.setInstructionLimit(endAt);
            await("everyone ended", 120_000, () -> exitF3.get() >= 0 && (other == f1 ? exitF1 : exitF2).get() >= 0
                    && (nl == f1 ? exitF1 : exitF2).get() >= 0);
            assertEquals(0, (nl == f1 ? exitF1 : exitF2).get(), "new leader");
            assertEquals(0, (other == f1 ? exitF1 : exitF2).get(), "the other follower ended with an equal state hash");
            assertEquals(0, exitF3.get(), "the joined follower ended with an equal state hash");
            assertEquals(nl.machine.cpu().icount(), f3.machine.cpu().icount());
            assertEquals(nl.machine.cpu().icount(), other.machine.cpu().icount());
            assertEquals(dev.tandem.core.snapshot.StateHasher.digest(nl.machine).total(),
                    dev.tandem.core.snapshot.StateHasher.digest(f3.machine).total());

            await("all output delivered", 30_000, () -> client.received() == nl.consoleOut.produced());
            String all = text.get();
            checkCounter(all);
            assertEquals(1, count(all, "E hello one\r\n"), "typed before the failover: applied once");
            assertEquals(1, count(all, "E after failover\r\n"), "typed after the failover: applied once");
        } finally {
            client.close();
            for (Replica r : List.of(leader, f1, f2)) r.close();
        }
    }

    /** A follower whose memory differs from the leader's stops at the next checkpoint with the replay's divergence report. */
    @Test
    void aDivergedFollowerStopsWithAReportAndTheLeaderGoesOn() throws Exception {
        Path tmp = Path.of("target", "replica-diverge");
        java.nio.file.Files.createDirectories(tmp);
        for (String n : List.of("L", "F1", "F2")) java.nio.file.Files.deleteIfExists(tmp.resolve(n + ".jsonl"));
        MemoryArbiter.Board board = new MemoryArbiter.Board(2000);
        Function<String, Arbiter> arbiters = spec -> new MemoryArbiter(board);
        Replica leader = Replica.leader(opts("L", tmp), "mem:test", arbiters, in -> {
            Machine m = new Machine(MachineConfig.defaults(8 << 20), in);
            try {
                GuestSpec.load(m, ECHO);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            return m;
        }, ECHO);
        AtomicInteger exitL = new AtomicInteger(-1), exitF1 = new AtomicInteger(-1), exitF2 = new AtomicInteger(-1);
        start(leader, exitL);
        Replica f1 = Replica.follower(opts("F1", tmp), leader.address(), null, null, arbiters);
        Replica f2 = Replica.follower(opts("F2", tmp), leader.address(), null, null, arbiters);
        start(f1, exitF1);
        start(f2, exitF2);
        try {
            await("both followers live", 60_000, () -> leader.leaderLink.sessions.values().stream().filter(s -> s.live).count() == 2);
            await("F1 replays", 60_000, () -> f1.machine != null && f1.appliedIcount > 0);
            // one byte of F1's RAM changes, on its machine thread at a slice boundary
            boolean[] done = {false};
            f1.machine.setSliceHook(m -> {
                if (!done[0]) {
                    m.memory().write8(0x2345, m.memory().read8(0x2345) ^ 0x40);
                    done[0] = true;
                }
            });
            await("F1 stops", 60_000, () -> exitF1.get() >= 0);
            assertEquals(Replica.EXIT_FAILURE, exitF1.get());
            String t = java.nio.file.Files.readString(tmp.resolve("F1.jsonl"));
            assertTrue(t.contains("\"ev\":\"divergence\"") && t.contains("state hash mismatch") && t.contains("0x00002000"),
                    "the report names the page: " + t.lines().filter(l -> l.contains("divergence")).toList());
            await("the leader drops F1", 30_000, () -> leader.leaderLink.sessions.values().stream().filter(s -> s.live).count() == 1);
            long at = leader.machine.cpu().icount();
            await("the leader goes on with F2", 60_000, () -> leader.machine.cpu().icount() > at + 10_000_000 && f2.appliedIcount > at);
            assertEquals(-1, exitF2.get(), "F2 still follows");
        } finally {
            for (Replica r : List.of(leader, f1, f2)) r.close();
        }
    }
}
