package dev.tandem.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Drives a replicated guest made of real processes on loopback: a leader, followers, and a
 * resumable console client, each with its transcript; kills the leader with SIGKILL at seeded
 * random moments and checks the safety properties from the transcripts (docs/replication-protocol.md).
 */
final class ReplicationScenario implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    final Path dir;
    final String arbiter;
    final List<String> machineArgs;
    final List<String> tuning;
    final Random rnd;
    final long seed;
    final Map<String, TandemProcess> replicas = new LinkedHashMap<>();
    final Map<String, String> replicationAddress = new LinkedHashMap<>();
    final Map<String, String> consoleAddress = new LinkedHashMap<>();
    TandemProcess client;
    private int next;
    final List<String> log = new ArrayList<>();

    ReplicationScenario(Path dir, List<String> machineArgs, List<String> tuning, long seed, String leaseSpec) throws IOException {
        this.dir = dir;
        this.machineArgs = machineArgs;
        this.tuning = tuning;
        this.seed = seed;
        this.rnd = new Random(seed);
        Files.createDirectories(dir);
        this.arbiter = "file:" + dir.resolve("arbiter") + leaseSpec;
    }

    void note(String s) {
        log.add(String.format("%tT.%<tL %s", System.currentTimeMillis(), s));
        System.err.println("[scenario] " + s);
    }

    private List<String> common(String name) {
        List<String> a = new ArrayList<>(tuning);
        a.addAll(List.of("--node-id", name, "--transcript", dir.resolve(name + ".jsonl").toString(), "--status", "off",
                "--arbiter", arbiter));
        return a;
    }

    private void register(String name, TandemProcess p, String role) throws InterruptedException {
        String line = p.awaitStderr("\\[tandem\\] " + role + " " + Pattern.quote(name) + ": .*", 60_000);
        Matcher m = Pattern.compile("replication (\\S+), console (\\S+),?").matcher(line);
        assertTrue(m.find(), line);
        replicationAddress.put(name, m.group(1).replaceAll(",$", ""));
        consoleAddress.put(name, m.group(2).replaceAll(",$", ""));
        replicas.put(name, p);
    }

    TandemProcess startLeader(List<String> extra) throws Exception {
        String name = "R" + (next++);
        List<String> a = new ArrayList<>(List.of("leader"));
        a.addAll(machineArgs);
        a.addAll(extra);
        a.addAll(common(name));
        TandemProcess p = TandemProcess.start(dir, name, a);
        register(name, p, "leader");
        note("started leader " + name + " at " + replicationAddress.get(name));
        return p;
    }

    TandemProcess startFollower(String connectTo, List<String> extra) throws Exception {
        String name = "R" + (next++);
        List<String> a = new ArrayList<>(List.of("follower", "--connect", connectTo));
        a.addAll(extra);
        a.addAll(common(name));
        TandemProcess p = TandemProcess.start(dir, name, a);
        register(name, p, "follower");
        note("started follower " + name + " -> " + connectTo);
        return p;
    }

    void startClient() throws Exception {
        client = TandemProcess.start(dir, "client", List.of("console", String.join(",", consoleAddress.values()),
                "--transcript", dir.resolve("client.jsonl").toString()));
    }

    String output() {
        return client.stdout();
    }

    void type(String line) throws IOException {
        note("type '" + line.trim() + "'");
        client.type(line);
    }

    // ------------------------------------------------------------------ transcripts

    static List<JsonNode> events(Path transcript) {
        List<JsonNode> out = new ArrayList<>();
        for (String line : TandemProcess.read(transcript).split("\n")) {
            if (line.isBlank()) continue;
            try {
                out.add(JSON.readTree(line));
            } catch (IOException e) {
                // a line cut by SIGKILL at the very end
            }
        }
        return out;
    }

    List<JsonNode> events(String name) {
        return events(dir.resolve(name + ".jsonl"));
    }

    /** The highest epoch this replica led, or -1. */
    long ledEpoch(String name) {
        long e = -1;
        for (JsonNode n : events(name)) {
            if (n.path("ev").asText().equals("role") && n.path("role").asText().equals("LEADER")) e = Math.max(e, n.path("epoch").asLong());
        }
        return e;
    }

    /** Waits for a replica other than the dead ones to lead an epoch above {@code above}; checks it is the only one. */
    String awaitLeader(long above, long millis) throws InterruptedException {
        long end = System.currentTimeMillis() + millis;
        for (;;) {
            List<String> leaders = new ArrayList<>();
            for (String n : replicas.keySet()) if (ledEpoch(n) > above) leaders.add(n);
            if (!leaders.isEmpty()) {
                assertEquals(1, leaders.size(), "more than one replica leads an epoch above " + above + ": " + leaders);
                return leaders.get(0);
            }
            if (System.currentTimeMillis() > end) {
                throw new AssertionError("no new leader above epoch " + above + " within " + millis + " ms; " + status());
            }
            Thread.sleep(20);
        }
    }

    String status() {
        StringBuilder sb = new StringBuilder();
        for (Map.Entry<String, TandemProcess> e : replicas.entrySet()) {
            sb.append("\n--- ").append(e.getKey()).append(e.getValue().alive() ? " (alive)" : " (exited)").append('\n')
                    .append(TandemProcess.tail(e.getValue().stderr()));
        }
        return sb.toString();
    }

    /** Waits until the leader's transcript shows {@code follower} live. */
    void awaitLive(String leader, String follower, long millis) throws InterruptedException {
        TandemProcess.await(follower + " live at " + leader, millis, () -> events(leader).stream()
                .anyMatch(n -> n.path("ev").asText().equals("follower-live") && n.path("follower").asText().equals(follower)));
    }

    // ------------------------------------------------------------------ checks

    /** What the client received, from its transcript: offsets must be contiguous, epochs must not go down. */
    String checkClientTranscript() {
        StringBuilder all = new StringBuilder();
        long expect = 0;
        long maxEpoch = 0;
        int chunks = 0;
        for (JsonNode n : events(dir.resolve("client.jsonl"))) {
            if (!n.path("ev").asText().equals("output")) continue;
            long off = n.path("offset").asLong();
            long epoch = n.path("epoch").asLong();
            assertEquals(expect, off, "client transcript: output chunk at offset " + off + " but " + expect + " bytes were received");
            assertTrue(epoch >= maxEpoch, "client accepted output of epoch " + epoch + " after epoch " + maxEpoch);
            maxEpoch = epoch;
            byte[] d = Base64.getDecoder().decode(n.path("data").asText());
            all.append(new String(d, java.nio.charset.StandardCharsets.ISO_8859_1));
            expect += d.length;
            chunks++;
        }
        assertTrue(chunks > 0, "the client received output");
        assertEquals(all.toString(), output(), "stdout equals the transcript's bytes");
        return all.toString();
    }

    /**
     * No two replicas released different bytes for one offset: releases of an epoch never overlap
     * an offset range released by a later epoch before that epoch began (they may resend the same
     * bytes; the client checks equality by receiving each offset once), and every release range of
     * an epoch lies within what that epoch's leader produced — checked here as: no replica
     * released anything after a later epoch was granted.
     */
    void checkOneVoice() {
        Map<Long, Long> epochStart = new LinkedHashMap<>();
        for (String n : replicas.keySet()) {
            for (JsonNode e : events(n)) {
                if (e.path("ev").asText().equals("role") && e.path("role").asText().equals("LEADER")) {
                    epochStart.merge(e.path("epoch").asLong(), e.path("t").asLong(), Math::min);
                }
            }
        }
        for (String n : replicas.keySet()) {
            for (JsonNode e : events(n)) {
                if (!e.path("ev").asText().equals("release")) continue;
                long epoch = e.path("epoch").asLong();
                long t = e.path("t").asLong();
                Long nextStart = epochStart.get(epoch + 1);
                assertTrue(nextStart == null || t <= nextStart, n + " released output of epoch " + epoch + " at " + t
                        + ", after epoch " + (epoch + 1) + " began at " + nextStart);
            }
        }
    }

    /** Every pair of checkpoints at the same instruction count (any replicas, any epochs) has the same hash. */
    int checkCheckpoints() {
        Map<Long, String> byCount = new LinkedHashMap<>();
        int compared = 0;
        for (String n : replicas.keySet()) {
            for (JsonNode e : events(n)) {
                if (!e.path("ev").asText().equals("checkpoint")) continue;
                long c = e.path("icount").asLong();
                String h = e.path("hash").asText();
                String prev = byCount.putIfAbsent(c, h);
                if (prev != null) {
                    assertEquals(prev, h, "checkpoint at instruction " + c + " differs (" + n + ")");
                    compared++;
                }
            }
        }
        return compared;
    }

    /** No replica reported a divergence. */
    void checkNoDivergence() {
        for (String n : replicas.keySet()) {
            for (JsonNode e : events(n)) {
                assertTrue(!e.path("ev").asText().equals("divergence"), n + " diverged: " + e);
            }
        }
    }

    static int count(String s, String what) {
        int n = 0;
        for (int i = s.indexOf(what); i >= 0; i = s.indexOf(what, i + 1)) n++;
        return n;
    }

    /** The final state hash a replica printed when it stopped. */
    static String finalHash(TandemProcess p) {
        Matcher m = Pattern.compile("final state hash ([0-9a-f]{16})").matcher(p.stderr());
        String h = null;
        while (m.find()) h = m.group(1);
        return h;
    }

    @Override
    public void close() {
        if (client != null) client.close();
        for (TandemProcess p : replicas.values()) p.close();
    }
}
