package dev.tandem.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;

/**
 * Faults against real replica processes: a paused leader (SIGSTOP: cut from followers and
 * arbiter alike) is replaced and, when it wakes, releases nothing and stops; followers cut off
 * by a proxy are fenced and cannot take over while the leader lives, then rejoin; a corrupted
 * frame and a wrong protocol version are rejected with clear errors; followers of another
 * machine are refused at the handshake.
 */
class ReplicationFaultsProcessTest {
    static final List<String> ECHO = List.of("--guest", "echo", "-m", "16M");

    static void haltAndCompare(ReplicationScenario s, TandemProcess console, List<String> names) throws Exception {
        console.type("halt\r");
        String first = null;
        for (String n : names) {
            TandemProcess p = s.replicas.get(n);
            assertEquals(0, p.waitExit(120_000), n + ":\n" + TandemProcess.tail(p.stderr()));
            String h = ReplicationScenario.finalHash(p);
            assertNotNull(h, n);
            if (first == null) first = h;
            assertEquals(first, h, n + " ends with the same state hash");
        }
    }

    @Test
    void aPausedLeaderIsReplacedAndReleasesNothingWhenItWakes() throws Exception {
        ReplicationProcessTest.assumeArbiter();
        Path dir = Path.of("target", "replication-pause");
        ReplicationProcessTest.deleteTree(dir);
        try (ReplicationScenario s = new ReplicationScenario(dir, ECHO, ReplicationProcessTest.TUNING, 7, "?lease=1500ms")) {
            TandemProcess leader = s.startLeader(List.of());
            s.startFollower(s.replicationAddress.get("R0"), List.of());
            s.startFollower(s.replicationAddress.get("R0"), List.of());
            s.awaitLive("R0", "R1", 60_000);
            s.awaitLive("R0", "R2", 60_000);
            s.startClient();
            TandemProcess.await("counter", 60_000, () -> s.output().contains("C 5\r\n"));
            s.type("one\r");
            TandemProcess.await("echo one", 60_000, () -> s.output().contains("E one\r\n"));
            leader.signal("STOP");
            s.note("SIGSTOP R0");
            String next = s.awaitLeader(1, 60_000);
            s.type("two\r");
            TandemProcess.await("echo two", 60_000, () -> s.output().contains("E two\r\n"));
            long resumed = System.currentTimeMillis();
            leader.signal("CONT");
            s.note("SIGCONT R0");
            assertEquals(3, leader.waitExit(30_000), "the woken leader finds its lease gone and stops (exit 3)");
            for (JsonNode e : s.events("R0")) {
                assertTrue(!(e.path("ev").asText().equals("release") && e.path("t").asLong() >= resumed),
                        "the woken leader released output: " + e);
            }
            assertTrue(s.events("R0").stream().anyMatch(e -> e.path("ev").asText().equals("deposed")), "R0 says it was deposed");
            s.checkOneVoice();
            String other = next.equals("R1") ? "R2" : "R1";
            haltAndCompare(s, s.client, List.of(next, other));
            TandemProcess.await("client output", 30_000, () -> s.output().contains("E halt\r\n"));
            String all = s.checkClientTranscript();
            ReplicationProcessTest.checkCounter(all);
            assertEquals(1, ReplicationScenario.count(all, "E one\r\n"));
            assertEquals(1, ReplicationScenario.count(all, "E two\r\n"));
            s.checkNoDivergence();
        }
    }

    @Test
    void followersCutOffAreFencedCannotLeadAndRejoin() throws Exception {
        ReplicationProcessTest.assumeArbiter();
        Path dir = Path.of("target", "replication-cut");
        ReplicationProcessTest.deleteTree(dir);
        try (ReplicationScenario s = new ReplicationScenario(dir, ECHO, ReplicationProcessTest.TUNING, 11, "?lease=1500ms")) {
            // the leader listens behind a proxy and publishes the proxy's address, so every path to it can be cut
            try (TcpProxy p = new TcpProxy(null)) {
                s.startLeader(List.of("--advertise", p.address()));
                p.setTarget(s.replicationAddress.get("R0"));
                s.startFollower(p.address(), List.of());
                s.startFollower(p.address(), List.of());
                s.awaitLive("R0", "R1", 60_000);
                s.awaitLive("R0", "R2", 60_000);
                s.startClient();
                TandemProcess.await("counter", 60_000, () -> s.output().contains("C 5\r\n"));
                p.cut();
                s.note("proxy cut");
                TandemProcess.await("both followers fenced", 60_000, () -> s.events("R0").stream()
                        .filter(e -> e.path("ev").asText().equals("fence")).count() >= 2);
                int before = ReplicationProcessTest.checkCounter(s.output());
                s.type("while cut\r");
                TandemProcess.await("the leader goes on alone", 60_000,
                        () -> ReplicationProcessTest.checkCounter(s.output()) > before + 5 && s.output().contains("E while cut\r\n"));
                Thread.sleep(3000); // longer than a lease: the followers keep trying the arbiter
                assertEquals(1, s.ledEpoch("R0"));
                assertEquals(-1, s.ledEpoch("R1"), "a cut-off follower must not lead while the leader lives");
                assertEquals(-1, s.ledEpoch("R2"));
                p.restore();
                s.note("proxy restored");
                TandemProcess.await("both followers back", 60_000, () -> s.events("R0").stream()
                        .filter(e -> e.path("ev").asText().equals("follower-live")).count() >= 4);
                s.type("rejoined\r");
                TandemProcess.await("echo", 60_000, () -> s.output().contains("E rejoined\r\n"));
                s.checkOneVoice();
                haltAndCompare(s, s.client, List.of("R0", "R1", "R2"));
                TandemProcess.await("client output", 30_000, () -> s.output().contains("E halt\r\n"));
                String all = s.checkClientTranscript();
                ReplicationProcessTest.checkCounter(all);
                for (String t : List.of("while cut", "rejoined")) assertEquals(1, ReplicationScenario.count(all, "E " + t + "\r\n"));
                s.checkNoDivergence();
            }
        }
    }

    @Test
    void damagedFramesWrongVersionsAndOtherMachinesAreRefused() throws Exception {
        ReplicationProcessTest.assumeArbiter();
        Path dir = Path.of("target", "replication-frames");
        ReplicationProcessTest.deleteTree(dir);
        try (ReplicationScenario s = new ReplicationScenario(dir, ECHO, ReplicationProcessTest.TUNING, 3, "?lease=1500ms");
                TcpProxy p = new TcpProxy(awaitLeaderAddress(s))) {
            // a follower behind a proxy that flips one bit of the leader's stream
            s.startFollower(p.address(), ECHO);
            s.awaitLive("R0", "R1", 60_000);
            p.corruptAt(p.downstreamBytes() + 20_000);
            TandemProcess.await("the corrupted frame rejected", 60_000, () -> s.events("R1").stream()
                    .anyMatch(e -> e.path("ev").asText().equals("protocol-error") && e.path("error").asText().contains("CRC32C")));
            assertEquals(1, p.corruptions);
            TandemProcess.await("the follower resumed", 60_000, () -> s.events("R1").stream()
                    .filter(e -> e.path("ev").asText().equals("welcome")).count() >= 2);
            assertTrue(s.replicas.get("R1").stderr().contains("is corrupted: CRC32C"), "a clear error on stderr");

            // a peer speaking protocol version 2
            String leader = s.replicationAddress.get("R0");
            try (Socket raw = new Socket(leader.substring(0, leader.lastIndexOf(':')),
                    Integer.parseInt(leader.substring(leader.lastIndexOf(':') + 1)))) {
                OutputStream o = raw.getOutputStream();
                ByteBuffer f = ByteBuffer.allocate(4 + 18 + 4);
                f.putInt(22).put((byte) 2).put((byte) 8).putLong(1).putLong(0);
                CRC32C c = new CRC32C();
                c.update(f.array(), 4, 18);
                f.putInt((int) c.getValue());
                o.write(f.array());
                o.flush();
                raw.setSoTimeout(10_000);
                assertEquals(-1, new DataInputStream(raw.getInputStream()).read(), "the leader closes the connection");
            }
            TandemProcess.await("the leader names the bad version", 30_000, () -> s.events("R0").stream()
                    .anyMatch(e -> e.path("ev").asText().equals("protocol-error")
                            && e.path("error").asText().contains("unsupported protocol version 2")));

            // followers of another machine
            TandemProcess bigger = s.startFollower(leader, List.of("--guest", "echo", "-m", "32M"));
            assertEquals(2, bigger.waitExit(60_000));
            assertTrue(bigger.stderr().contains("memory size 32 MiB here, 16 MiB at the leader"), bigger.stderr());
            TandemProcess other = s.startFollower(leader, List.of("--guest", "hello", "-m", "16M"));
            assertEquals(2, other.waitExit(60_000));
            assertTrue(other.stderr().contains("guest is 'hello' here, 'echo' at the leader"), other.stderr());

            // the damaged stream left no trace: the follower ends in the leader's state
            try (Socket con = consoleOf(s, "R0")) {
                con.getOutputStream().write("halt\r".getBytes(StandardCharsets.US_ASCII));
                con.getOutputStream().flush();
                String first = null;
                for (String n : List.of("R0", "R1")) {
                    assertEquals(0, s.replicas.get(n).waitExit(120_000), n);
                    String h = ReplicationScenario.finalHash(s.replicas.get(n));
                    if (first == null) first = h;
                    assertEquals(first, h);
                }
            }
            s.checkNoDivergence();
        }
    }

    private static String awaitLeaderAddress(ReplicationScenario s) throws Exception {
        s.startLeader(List.of());
        return s.replicationAddress.get("R0");
    }

    /** A plain (nc-like) connection to a replica's console. */
    private static Socket consoleOf(ReplicationScenario s, String name) throws IOException {
        String a = s.consoleAddress.get(name);
        return new Socket(a.substring(0, a.lastIndexOf(':')), Integer.parseInt(a.substring(a.lastIndexOf(':') + 1)));
    }
}
