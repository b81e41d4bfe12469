package dev.tandem.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.core.machine.Machine;
import dev.tandem.core.machine.MachineConfig;
import dev.tandem.core.replay.GuestSpec;
import dev.tandem.core.snapshot.Snapshot;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The Debian guest replicated by real processes: the leader starts from a snapshot of a booted
 * guest at its shell prompt, two followers join, and a console workload runs (a background loop
 * printing a counter, a foreground loop echoing typed lines). The leader is killed with SIGKILL at
 * seeded random moments (2 by default, 20 with -Dtandem.long=true); each time exactly one follower
 * takes over, the client's output stays gap-free and duplicate-free, typed lines are echoed once,
 * a new follower joins. Finally the guest halts and every replica ends with the same state hash.
 * Needs the Debian guest (testkit LinuxGuest: skipped without it, a failure in CI's require mode).
 */
class LinuxReplicationProcessTest {
    static final String PROMPT = "/ # ";
    static final String APPEND = "console=ttyS0 nokaslr cryptomgr.notests";

    /** A snapshot of the Debian guest booted to its shell prompt (made once, kept in target/). */
    static synchronized Path bootedSnapshot(Path guest) throws Exception {
        Path snap = Path.of("target", "linux-booted-128M.snap");
        if (Files.exists(snap)) return snap;
        Machine m = new Machine(MachineConfig.defaults(128 << 20).withPorts(-1, -1), 1_800_000_000_000L);
        StringBuilder out = new StringBuilder();
        m.setSerial(0, b -> out.append((char) (b & 0xFF)));
        GuestSpec.load(m, Map.of("kernel", guest.resolve("vmlinuz").toString(), "initrd", guest.resolve("initrd.cpio.gz").toString(),
                "append", APPEND, "kernel-decompress", "host"));
        long t0 = System.nanoTime();
        while (!out.toString().contains(PROMPT)) {
            Machine.Exit e = m.run(m.cpu().icount() + 50_000_000L);
            if (e != Machine.Exit.LIMIT || m.cpu().icount() > 6_000_000_000L) {
                throw new IllegalStateException("no shell prompt (" + e + " at " + m.cpu().icount() + "):\n" + out);
            }
        }
        m.run(m.cpu().icount() + 20_000_000L); // let the shell settle at its read
        Path tmp = Path.of("target", "linux-booted-128M.snap.tmp");
        Snapshot.write(m, tmp);
        Files.move(tmp, snap, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        System.err.printf("[linux] booted to the prompt in %,d instructions (%.1f s), snapshot %,d bytes%n", m.cpu().icount(),
                (System.nanoTime() - t0) / 1e9, Files.size(snap));
        return snap;
    }

    static int checkCounter(String out) {
        Matcher m = Pattern.compile("(?m)^C (\\d+)(?=\r\n)").matcher(out);
        int expect = 1;
        while (m.find()) {
            assertEquals(expect, Integer.parseInt(m.group(1)), "counter out of sequence at byte " + m.start());
            expect++;
        }
        return expect - 1;
    }

    @Test
    void debianGuestConsoleSurvivesLeaderKills() throws Exception {
        ReplicationProcessTest.assumeArbiter();
        Path guest = dev.tandem.core.testkit.LinuxGuest.require();
        Path snap = bootedSnapshot(guest).toAbsolutePath();
        boolean longRun = Boolean.getBoolean("tandem.long");
        int kills = longRun ? 20 : 2;
        long seed = Long.getLong("tandem.seed", 4242L);
        Path dir = Path.of("target", "replication-linux");
        ReplicationProcessTest.deleteTree(dir);
        List<String> tuning = List.of("--checkpoint-every", "10000000", "--heartbeat-every", "100ms", "--heartbeat-timeout", "2s",
                "--max-lag", "10000000");
        List<String> typed = new ArrayList<>();
        try (ReplicationScenario s = new ReplicationScenario(dir, List.of("--restore", snap.toString()), tuning, seed, "?lease=1500ms")) {
            s.note("seed " + seed + ", " + kills + " kills");
            s.startLeader(List.of());
            String leaderName = "R0";
            s.startFollower(s.replicationAddress.get(leaderName), List.of("--restore", snap.toString()));
            s.startFollower(s.replicationAddress.get(leaderName), List.of());
            s.awaitLive(leaderName, "R1", 120_000);
            s.awaitLive(leaderName, "R2", 120_000);
            s.startClient();
            // the shell waits at its prompt (printed before the snapshot, so not in this stream's output)
            s.type("stty -echo; (i=0; while true; do i=$((i+1)); echo \"C $i\"; sleep 0.2; done) & "
                    + "while read l; do [ \"$l\" = stop ] && halt -f; echo \"E $l\"; done\n");
            TandemProcess.await("counter output", 120_000, () -> s.output().contains("C 3\r\n"));
            typed.add("first line");
            s.type("first line\n");
            TandemProcess.await("first echo", 120_000, () -> s.output().contains("E first line\r\n"));
            long epoch = 1;
            for (int k = 1; k <= kills; k++) {
                Thread.sleep(500 + s.rnd.nextInt(2500));
                if (s.rnd.nextBoolean()) {
                    String pre = "before kill " + k;
                    typed.add(pre);
                    s.type(pre + "\n");
                    Thread.sleep(s.rnd.nextInt(300));
                }
                s.note("kill -9 " + leaderName + " (epoch " + epoch + ")");
                s.replicas.get(leaderName).kill9();
                long t0 = System.nanoTime();
                String next = s.awaitLeader(epoch, 120_000);
                epoch = s.ledEpoch(next);
                s.note(next + " leads epoch " + epoch + " after " + (System.nanoTime() - t0) / 1_000_000 + " ms");
                leaderName = next;
                String post = "after kill " + k;
                typed.add(post);
                s.type(post + "\n");
                TandemProcess.await("echo of '" + post + "'", 120_000, () -> s.output().contains("E " + post + "\r\n"));
                TandemProcess nf = s.startFollower(s.replicationAddress.get(leaderName), List.of());
                s.awaitLive(leaderName, nf.name, 120_000);
            }
            s.type("stop\n");
            List<String> hashes = new ArrayList<>();
            for (var e : s.replicas.entrySet()) {
                if (!e.getValue().alive() && e.getValue().process.exitValue() != 0) continue; // killed
                int code = e.getValue().waitExit(180_000);
                assertEquals(0, code, e.getKey() + ":\n" + TandemProcess.tail(e.getValue().stderr()));
                String h = ReplicationScenario.finalHash(e.getValue());
                assertNotNull(h, e.getKey());
                hashes.add(e.getKey() + "=" + h);
            }
            s.note("final hashes " + hashes);
            assertTrue(hashes.size() >= 3, hashes.toString());
            assertEquals(1, hashes.stream().map(x -> x.substring(x.indexOf('=') + 1)).distinct().count(),
                    "leader and followers end with the same state hash: " + hashes);
            String all = s.checkClientTranscript();
            int last = checkCounter(all);
            assertTrue(last > 5, "the counter ran: " + last);
            for (String t : typed) assertEquals(1, ReplicationScenario.count(all, "E " + t + "\r\n"), "'" + t + "' echoed once");
            s.checkOneVoice();
            s.checkNoDivergence();
            int compared = s.checkCheckpoints();
            assertTrue(compared > 0);
            s.note("ok: counter to " + last + ", " + typed.size() + " lines, " + compared + " checkpoint pairs equal");
        }
    }
}
