package dev.tandem.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Replication with real processes on loopback and real SIGKILL, on the built-in echo guest
 * (needs no download): the leader is killed at seeded random moments; each time exactly one
 * follower takes over, the console client's output stays gap-free and duplicate-free, typed input
 * is applied exactly once, and a new follower joins the new leader. At the end the guest halts
 * and every replica ends with the same final state hash. {@code -Dtandem.long=true}: 20 kills.
 */
class ReplicationProcessTest {
    static void assumeArbiter() {
        if (!System.getProperty("tandem.test.extraClasspath", "").isEmpty()) return;
        boolean present;
        try {
            Class.forName("dev.tandem.replication.arbiter.Arbiters");
            present = true;
        } catch (ClassNotFoundException e) {
            present = false;
        }
        dev.tandem.core.testkit.Tools.require(present, "no arbiter implementation (replication.arbiter.Arbiters) on the classpath",
                "the arbiter branch (issue 10's file arbiter)");
    }

    static final List<String> TUNING = List.of("--checkpoint-every", "2000000", "--heartbeat-every", "100ms",
            "--heartbeat-timeout", "2s", "--max-lag", "5000000");

    /** Counter lines "C n" must run 1, 2, 3, ... without a gap or repeat; returns the last. */
    static int checkCounter(String out) {
        Matcher m = Pattern.compile("C (\\d+)\r\n").matcher(out);
        int expect = 1;
        while (m.find()) {
            assertEquals(expect, Integer.parseInt(m.group(1)), "counter out of sequence at byte " + m.start());
            expect++;
        }
        return expect - 1;
    }

    @Test
    void echoGuestSurvivesLeaderKills() throws Exception {
        assumeArbiter();
        boolean longRun = Boolean.getBoolean("tandem.long");
        int kills = longRun ? 20 : 2;
        long seed = Long.getLong("tandem.seed", 20251129L);
        Path dir = Path.of("target", "replication-echo");
        deleteTree(dir);
        List<String> machine = List.of("--guest", "echo", "-m", "16M");
        List<String> typed = new ArrayList<>();
        try (ReplicationScenario s = new ReplicationScenario(dir, machine, TUNING, seed, "?lease=1500ms")) {
            s.note("seed " + seed + ", " + kills + " kills");
            TandemProcess leader = s.startLeader(List.of());
            String leaderName = "R0";
            s.startFollower(s.replicationAddress.get(leaderName), machine);
            s.startFollower(s.replicationAddress.get(leaderName), machine);
            s.awaitLive(leaderName, "R1", 60_000);
            s.awaitLive(leaderName, "R2", 60_000);
            s.startClient();
            TandemProcess.await("counter output", 60_000, () -> s.output().contains("C 5\r\n"));
            typed.add("first line");
            s.type("first line\r");
            TandemProcess.await("first echo", 60_000, () -> s.output().contains("E first line\r\n"));
            long epoch = 1;
            for (int k = 1; k <= kills; k++) {
                Thread.sleep(300 + s.rnd.nextInt(1500));
                if (s.rnd.nextBoolean()) {
                    // typed just before the kill: it may or may not be in the dead leader's log; it must appear once
                    String pre = "before kill " + k;
                    typed.add(pre);
                    s.type(pre + "\r");
                    Thread.sleep(s.rnd.nextInt(200));
                }
                s.note("kill -9 " + leaderName + " (epoch " + epoch + ")");
                s.replicas.get(leaderName).kill9();
                long t0 = System.nanoTime();
                String next = s.awaitLeader(epoch, 60_000);
                epoch = s.ledEpoch(next);
                s.note(next + " leads epoch " + epoch + " after " + (System.nanoTime() - t0) / 1_000_000 + " ms");
                leaderName = next;
                String post = "after kill " + k;
                typed.add(post);
                s.type(post + "\r");
                TandemProcess.await("echo of '" + post + "'", 60_000, () -> s.output().contains("E " + post + "\r\n"));
                // redundancy restored: a new follower joins the new leader
                TandemProcess nf = s.startFollower(s.replicationAddress.get(leaderName), machine);
                s.awaitLive(leaderName, nf.name, 60_000);
            }
            String finalLeader = leaderName;
            s.type("halt\r");
            List<String> hashes = new ArrayList<>();
            for (var e : s.replicas.entrySet()) {
                if (!e.getValue().alive() && e.getValue().process.exitValue() != 0) continue; // the killed ones
                int code = e.getValue().waitExit(120_000);
                assertEquals(0, code, e.getKey() + " exit code; stderr:\n" + TandemProcess.tail(e.getValue().stderr()));
                String h = ReplicationScenario.finalHash(e.getValue());
                assertNotNull(h, e.getKey() + " printed no final state hash");
                hashes.add(e.getKey() + "=" + h);
            }
            s.note("final hashes " + hashes + " (leader " + finalLeader + ")");
            assertTrue(hashes.size() >= 3, "the final leader and two followers ended the stream: " + hashes);
            assertEquals(1, hashes.stream().map(x -> x.substring(x.indexOf('=') + 1)).distinct().count(),
                    "every replica ends with the same state hash: " + hashes);

            TandemProcess.await("the client got everything", 30_000, () -> s.output().contains("E halt\r\n"));
            String all = s.checkClientTranscript();
            int lastCounter = checkCounter(all);
            assertTrue(lastCounter > 10, "the counter ran: " + lastCounter);
            for (String t : typed) {
                assertEquals(1, ReplicationScenario.count(all, "E " + t + "\r\n"), "'" + t + "' echoed exactly once");
            }
            s.checkOneVoice();
            s.checkNoDivergence();
            int compared = s.checkCheckpoints();
            assertTrue(compared > 0, "checkpoints were compared across replicas");
            s.note("ok: " + kills + " kills, counter to " + lastCounter + ", " + typed.size() + " lines typed, " + compared
                    + " checkpoint pairs equal");
        }
    }

    static void deleteTree(Path dir) throws java.io.IOException {
        if (!java.nio.file.Files.exists(dir)) return;
        try (var w = java.nio.file.Files.walk(dir)) {
            for (Path p : w.sorted(java.util.Comparator.reverseOrder()).toList()) java.nio.file.Files.delete(p);
        }
    }
}
