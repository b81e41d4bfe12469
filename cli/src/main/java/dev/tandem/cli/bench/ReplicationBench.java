package dev.tandem.cli.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code bench replication}: the figures of docs/benchmarks.md ("Replication"), each measured with
 * real processes on loopback: leader speed with one follower against plain {@code run}
 * (interleaved), log bandwidth during a Linux boot, at the idle prompt and under a console
 * workload, output-commit latency, checkpoint cost, the state-transfer pause of a joining
 * follower, and failover time from SIGKILL to the first console byte from the new leader.
 */
public final class ReplicationBench {
    /** Options. {@code guestDir}: the Debian guest (vmlinuz, initrd.cpio.gz), null to skip the Linux part. */
    public record Options(int runs, int failovers, String lease, Path guestDir, double phaseSeconds, Path json, Path workDir,
            java.util.Set<String> parts) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private final Options o;
    private final PrintStream out;
    private final List<Process> live = new ArrayList<>();

    public ReplicationBench(Options o, PrintStream out) {
        this.o = o;
        this.out = out;
    }

    // ------------------------------------------------------------------ processes

    private final class Child {
        final String name;
        final Process p;
        final Path err;
        final Path outFile;

        /** Last CPU time (user + system, s) read from /proc while the process ran; -1 where /proc is missing. */
        volatile double cpuSeconds = -1;

        Child(String name, List<String> args) throws IOException {
            this.name = name;
            List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-XX:+UseParallelGC", "-cp", System.getProperty("java.class.path"), "dev.tandem.cli.Main"));
            cmd.addAll(args);
            err = o.workDir().resolve(name + ".err");
            outFile = o.workDir().resolve(name + ".out");
            p = new ProcessBuilder(cmd).redirectError(err.toFile()).redirectOutput(outFile.toFile()).start();
            live.add(p);
            Thread t = new Thread(() -> {
                Path stat = Path.of("/proc", Long.toString(p.pid()), "stat");
                while (p.isAlive()) {
                    try {
                        String st = Files.readString(stat);
                        String[] f = st.substring(st.lastIndexOf(')') + 2).split(" ");
                        cpuSeconds = (Long.parseLong(f[11]) + Long.parseLong(f[12])) / 100.0; // utime, stime in USER_HZ
                        Thread.sleep(50);
                    } catch (IOException | RuntimeException | InterruptedException e) {
                        return;
                    }
                }
            }, "cpu-" + name);
            t.setDaemon(true);
            t.start();
        }

        String stderr() {
            return read(err);
        }

        String await(String regex, double seconds) throws InterruptedException {
            Pattern pt = Pattern.compile(regex);
            long end = System.nanoTime() + (long) (seconds * 1e9);
            for (;;) {
                Matcher m = pt.matcher(stderr());
                if (m.find()) return m.groupCount() > 0 ? m.group(1) : m.group();
                if (!p.isAlive() || System.nanoTime() > end) {
                    throw new IllegalStateException(name + ": no '" + regex + "' (" + (p.isAlive() ? "timeout" : "exited") + "):\n"
                            + tail(stderr()));
                }
                Thread.sleep(20);
            }
        }

        void type(String s) throws IOException {
            OutputStream os = p.getOutputStream();
            os.write(s.getBytes(StandardCharsets.US_ASCII));
            os.flush();
        }

        int waitExit(double seconds) throws InterruptedException {
            if (!p.waitFor((long) (seconds * 1000), TimeUnit.MILLISECONDS)) throw new IllegalStateException(name + " did not exit");
            return p.exitValue();
        }

        void kill() throws InterruptedException {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }
    }

    static String read(Path p) {
        try {
            return Files.exists(p) ? Files.readString(p, StandardCharsets.ISO_8859_1) : "";
        } catch (IOException e) {
            return "";
        }
    }

    static String tail(String s) {
        return s.length() < 3000 ? s : s.substring(s.length() - 3000);
    }

    private int seq;

    /** A fresh arbiter directory; the short lease under test only for the failover runs (speed and Linux use 2 s). */
    private String arbiter(String lease) {
        return "file:" + o.workDir().resolve("arbiter-" + (seq++)) + "?lease=" + lease;
    }

    private List<String> replicaArgs(String name, String arbiter) {
        return new ArrayList<>(List.of("--node-id", name, "--arbiter", arbiter, "--status", "off",
                "--transcript", o.workDir().resolve(name + ".jsonl").toString()));
    }

    static List<JsonNode> jsonLines(Path p) {
        List<JsonNode> l = new ArrayList<>();
        for (String line : read(p).split("\n")) {
            if (line.isBlank()) continue;
            try {
                l.add(JSON.readTree(line));
            } catch (IOException e) {
                // cut line
            }
        }
        return l;
    }

    private static double mips(String stderr, String regex) {
        Matcher m = Pattern.compile(regex).matcher(stderr);
        double v = Double.NaN;
        while (m.find()) v = Double.parseDouble(m.group(1));
        return v;
    }

    // ------------------------------------------------------------------ the figures

    public int run() throws Exception {
        Files.createDirectories(o.workDir());
        HostInfo host = HostInfo.current();
        out.println("[bench replication] " + host.describe());
        out.println("[bench replication] work directory " + o.workDir());
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("host", host.toJson());
        try {
            if (o.parts().contains("speed")) report.put("speed", speed());
            if (o.parts().contains("failover")) report.put("failover", failover());
            if (!o.parts().contains("linux")) return finish(report);
            if (o.guestDir() != null) report.put("linux", linux());
            else out.println("[bench replication] no Debian guest: the Linux figures (bandwidth, commit latency, join pause) are skipped");
        } finally {
            for (Process p : live) p.destroyForcibly();
        }
        return finish(report);
    }

    private int finish(Map<String, Object> report) throws IOException {
        report.put("loadAverageAfter", HostInfo.current().loadAverage());
        out.println("[bench replication] load average after: " + HostInfo.current().loadAverage());
        if (o.json() != null) Files.writeString(o.json(), Json.write(report));
        return 0;
    }

    /**
     * Plain run, a leader alone and a leader with one follower, on the bench ROM (a fixed instruction
     * count), in rotating order: MIPS from each process's own report, CPU seconds from /proc.
     */
    private Map<String, Object> speed() throws Exception {
        out.println("[bench replication] speed: run vs leader alone vs leader + 1 follower, built-in bench guest (16 MiB), "
                + o.runs() + " rounds in rotating order");
        int n = o.runs();
        double[] plain = new double[n], alone = new double[n], repl = new double[n];
        double[] plainCpu = new double[n], aloneCpu = new double[n], replCpu = new double[n], followerCpu = new double[n];
        double[] stall = new double[n];
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < 3; k++) {
                int which = (i + k) % 3;
                if (which == 0) {
                    Child r = new Child("speed-run-" + i, List.of("run", "--guest", "bench", "-m", "16M"));
                    r.waitExit(600);
                    plain[i] = mips(r.stderr(), "\\(([0-9.]+) MIPS host speed\\)");
                    plainCpu[i] = r.cpuSeconds;
                } else {
                    boolean withFollower = which == 2;
                    String name = (withFollower ? "speed-LF" : "speed-L") + i;
                    String arb = arbiter("2s");
                    List<String> la = new ArrayList<>(List.of("leader", "--guest", "bench", "-m", "16M", "--console", "none",
                            "--stats-json", o.workDir().resolve(name + ".stats").toString()));
                    la.addAll(replicaArgs(name, arb));
                    Child l = new Child(name, la);
                    Child f = null;
                    if (withFollower) {
                        String addr = l.await("replication (\\S+),", 60);
                        List<String> fa = new ArrayList<>(List.of("follower", "--connect", addr, "--console", "none"));
                        fa.addAll(replicaArgs(name + "-F", arb));
                        f = new Child(name + "-F", fa);
                    }
                    l.waitExit(600);
                    double m = mips(l.stderr(), "\\(([0-9.]+) MIPS\\)");
                    if (withFollower) {
                        f.waitExit(120);
                        repl[i] = m;
                        replCpu[i] = l.cpuSeconds;
                        followerCpu[i] = f.cpuSeconds;
                        stall[i] = lastStats(o.workDir().resolve(name + ".stats")).path("lagStallMs").asDouble();
                    } else {
                        alone[i] = m;
                        aloneCpu[i] = l.cpuSeconds;
                    }
                }
            }
            out.printf("  round %d: run %.1f MIPS (%.1f cpu s), leader alone %.1f (%.1f), leader + follower %.1f (%.1f; follower %.1f "
                    + "cpu s; lag waits %.0f ms)%n", i + 1, plain[i], plainCpu[i], alone[i], aloneCpu[i], repl[i], replCpu[i],
                    followerCpu[i], stall[i]);
        }
        double[] rAlone = new double[n], rRepl = new double[n], rCpu = new double[n];
        for (int i = 0; i < n; i++) {
            rAlone[i] = alone[i] / plain[i];
            rRepl[i] = repl[i] / plain[i];
            rCpu[i] = plainCpu[i] / replCpu[i];
        }
        out.printf("  leader alone / run: %s; leader with follower / run: %s (goal >= 0.95); run cpu / leader cpu: %s%n",
                Stats.of(rAlone).format(3), Stats.of(rRepl).format(3), Stats.of(rCpu).format(3));
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("runMips", plain);
        m.put("leaderAloneMips", alone);
        m.put("leaderWithFollowerMips", repl);
        m.put("runCpuSeconds", plainCpu);
        m.put("leaderAloneCpuSeconds", aloneCpu);
        m.put("leaderWithFollowerCpuSeconds", replCpu);
        m.put("followerCpuSeconds", followerCpu);
        m.put("lagWaitMs", stall);
        m.put("ratioAloneMedian", Stats.of(rAlone).median());
        m.put("ratioWithFollowerMedian", Stats.of(rRepl).median());
        m.put("cpuRatioMedian", Stats.of(rCpu).median());
        return m;
    }

    /** SIGKILL of the leader to the first console byte from the new leader, echo guest, repeated. */
    private Map<String, Object> failover() throws Exception {
        out.println("[bench replication] failover: echo guest, leader + 2 followers + console client, lease " + o.lease() + ", "
                + o.failovers() + " kills");
        String arb = arbiter(o.lease());
        List<String> tune = List.of("--heartbeat-every", "50ms", "--heartbeat-timeout", "1s");
        List<Child> reps = new ArrayList<>();
        List<String> consoles = new ArrayList<>();
        List<String> la = new ArrayList<>(List.of("leader", "--guest", "echo", "-m", "16M"));
        la.addAll(replicaArgs("fo-R0", arb));
        la.addAll(tune);
        Child leader = new Child("fo-R0", la);
        String laddr = leader.await("replication (\\S+),", 60);
        consoles.add(leader.await("console (\\S+)\\s*$|console (\\S+)", 60));
        reps.add(leader);
        for (int i = 1; i <= 2; i++) reps.add(follower("fo-R" + i, laddr, arb, tune, consoles));
        Path ct = o.workDir().resolve("fo-client.jsonl");
        Child client = new Child("fo-client", List.of("console", String.join(",", consoles), "--transcript", ct.toString()));
        waitFor(() -> countOutput(ct) > 20, 60);
        double[] ms = new double[o.failovers()];
        int next = 3;
        Child cur = leader;
        long epoch = 1;
        for (int k = 0; k < o.failovers(); k++) {
            Thread.sleep(1000);
            long t0 = System.currentTimeMillis();
            cur.kill();
            long e = epoch;
            waitFor(() -> firstOutputOfEpochAbove(ct, e) > 0, 60);
            long first = firstOutputOfEpochAbove(ct, e);
            ms[k] = first - t0;
            long lost = -1, elected = -1, leads = -1;
            for (Child c : reps) {
                for (JsonNode n : jsonLines(o.workDir().resolve(c.name + ".jsonl"))) {
                    String ev = n.path("ev").asText();
                    long t = n.path("t").asLong();
                    if (t < t0) continue;
                    if (ev.equals("leader-lost") && (lost < 0 || t < lost)) lost = t;
                    if (ev.equals("elected") && n.path("epoch").asLong() == e + 1) elected = t;
                    if (ev.equals("role") && n.path("role").asText().equals("LEADER") && n.path("epoch").asLong() == e + 1) leads = t;
                }
            }
            out.printf("    detected %d ms, elected %d ms, leading %d ms, first console byte %d ms after SIGKILL%n", lost - t0,
                    elected - t0, leads - t0, first - t0);
            // the new leader
            Child nl = null;
            for (Child c : reps) {
                if (c.p.isAlive() && c.stderr().matches("(?s).*leads epoch " + (epoch + 1) + " .*")) nl = c;
            }
            if (nl == null) throw new IllegalStateException("no process says it leads epoch " + (epoch + 1));
            epoch++;
            out.printf("  kill %d: first byte from %s (epoch %d) %d ms after SIGKILL%n", k + 1, nl.name, epoch, (long) ms[k]);
            cur = nl;
            String addr = nl.await("replication (\\S+),", 5);
            reps.add(follower("fo-R" + (next++), addr, arb, tune, new ArrayList<>()));
            waitFor(() -> countOutput(ct) > 0, 5);
        }
        client.kill();
        for (Child c : reps) c.kill();
        Stats s = Stats.of(ms);
        out.printf("  failover (SIGKILL to the first byte from the new leader): median %s ms (goal <= 300)%n", s.format(0));
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("lease", o.lease());
        m.put("millis", ms);
        m.put("median", s.median());
        return m;
    }

    private Child follower(String name, String leader, String arb, List<String> extra, List<String> consoles) throws Exception {
        List<String> fa = new ArrayList<>(List.of("follower", "--connect", leader));
        fa.addAll(replicaArgs(name, arb));
        fa.addAll(extra);
        Child f = new Child(name, fa);
        String line = f.await("(\\[tandem\\] follower .*)", 60);
        Matcher m = Pattern.compile("console (\\S+),").matcher(line);
        if (m.find()) consoles.add(m.group(1));
        return f;
    }

    private static long firstOutputOfEpochAbove(Path transcript, long epoch) {
        for (JsonNode n : jsonLines(transcript)) {
            if (n.path("ev").asText().equals("output") && n.path("epoch").asLong() > epoch) return n.path("t").asLong();
        }
        return -1;
    }

    private static int countOutput(Path transcript) {
        int c = 0;
        for (JsonNode n : jsonLines(transcript)) if (n.path("ev").asText().equals("output")) c++;
        return c;
    }

    interface Cond {
        boolean ok() throws Exception;
    }

    private static void waitFor(Cond c, double seconds) throws Exception {
        long end = System.nanoTime() + (long) (seconds * 1e9);
        while (!c.ok()) {
            if (System.nanoTime() > end) throw new IllegalStateException("timed out");
            Thread.sleep(10);
        }
    }

    /** The Linux figures: boot, idle and console-workload bandwidth, commit latency, checkpoints, join pause. */
    private Map<String, Object> linux() throws Exception {
        out.println("[bench replication] Linux: leader + 1 follower, Debian guest (128 MiB, host-decompressed kernel), "
                + o.phaseSeconds() + " s per phase");
        String arb = arbiter("2s");
        Path stats = o.workDir().resolve("lx-L.stats");
        List<String> la = new ArrayList<>(List.of("leader", "--kernel", o.guestDir().resolve("vmlinuz").toString(),
                "--initrd", o.guestDir().resolve("initrd.cpio.gz").toString(), "--append", "console=ttyS0 nokaslr cryptomgr.notests",
                "--kernel-decompress", "host", "--stats-json", stats.toString(), "--stats-every", "500ms"));
        la.addAll(replicaArgs("lx-L", arb));
        Child l = new Child("lx-L", la);
        String addr = l.await("replication (\\S+),", 60);
        String console = l.await("console (\\S+)\\s*$|console (\\S+)", 60);
        Child f = follower("lx-F1", addr, arb, List.of(), new ArrayList<>());
        Path ct = o.workDir().resolve("lx-client.jsonl");
        Child client = new Child("lx-client", List.of("console", console, "--transcript", ct.toString()));
        long t0 = System.nanoTime();
        waitFor(() -> read(o.workDir().resolve("lx-client.out")).contains("/ # "), 900);
        double bootSecs = (System.nanoTime() - t0) / 1e9;
        JsonNode boot = lastStats(stats);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("boot", phase("boot to the shell prompt", null, boot, bootSecs));
        JsonNode idle0 = lastStats(stats);
        Thread.sleep((long) (o.phaseSeconds() * 1000));
        JsonNode idle1 = lastStats(stats);
        m.put("idle", phase("idle at the prompt", idle0, idle1, o.phaseSeconds()));
        client.type("stty -echo; (i=0; while true; do i=$((i+1)); echo \"C $i\"; sleep 0.1; done) & "
                + "while read l; do echo \"E $l\"; done\n");
        Thread.sleep(2000);
        JsonNode w0 = lastStats(stats);
        long end = System.nanoTime() + (long) (o.phaseSeconds() * 1e9);
        int lines = 0;
        while (System.nanoTime() < end) {
            client.type("typed line " + (lines++) + "\n");
            Thread.sleep(250);
        }
        JsonNode w1 = lastStats(stats);
        Map<String, Object> work = phase("console workload (counter every 0.1 s guest time, a typed line every 250 ms)", w0, w1,
                o.phaseSeconds());
        work.put("commitLatencyP50Ms", w1.path("commitLatencyP50Ms").asDouble());
        work.put("commitLatencyP99Ms", w1.path("commitLatencyP99Ms").asDouble());
        work.put("commitSamples", w1.path("commitSamples").asLong());
        out.printf("  output commit adds p50 %.2f ms, p99 %.2f ms (%d segments)%n", w1.path("commitLatencyP50Ms").asDouble(),
                w1.path("commitLatencyP99Ms").asDouble(), w1.path("commitSamples").asLong());
        m.put("workload", work);
        long cps = w1.path("checkpoints").asLong();
        double cpMs = w1.path("checkpointMs").asDouble();
        double runMs = (System.nanoTime() - t0) / 1e6;
        out.printf("  checkpoints: %d in %.1f ms (%.2f ms each, %.2f %% of the leader's run; every 1e7 instructions)%n", cps, cpMs,
                cpMs / Math.max(1, cps), 100 * cpMs / runMs);
        m.put("checkpoints", cps);
        m.put("checkpointMs", cpMs);
        m.put("checkpointShare", cpMs / runMs);
        // a follower joining the running guest
        Child f2 = follower("lx-F2", addr, arb, List.of(), new ArrayList<>());
        waitFor(() -> jsonLines(o.workDir().resolve("lx-L.jsonl")).stream()
                .anyMatch(n -> n.path("ev").asText().equals("join") && n.path("follower").asText().equals("lx-F2")), 300);
        for (JsonNode n : jsonLines(o.workDir().resolve("lx-L.jsonl"))) {
            if (n.path("ev").asText().equals("join") && n.path("follower").asText().equals("lx-F2")) {
                out.printf("  join: state of %,d bytes; the leader paused %.1f ms (state copy), compression took %.0f ms beside it%n",
                        n.path("snapshotBytes").asLong(), n.path("pauseMs").asDouble(), n.path("compressMs").asDouble());
                m.put("joinPauseMs", n.path("pauseMs").asDouble());
                m.put("joinCompressMs", n.path("compressMs").asDouble());
                m.put("joinBytes", n.path("snapshotBytes").asLong());
            }
        }
        client.kill();
        f2.kill();
        f.kill();
        l.kill();
        return m;
    }

    private JsonNode lastStats(Path stats) {
        List<JsonNode> l = jsonLines(stats);
        return l.isEmpty() ? JSON.createObjectNode() : l.get(l.size() - 1);
    }

    private Map<String, Object> phase(String what, JsonNode a, JsonNode b, double secs) {
        long bytes = b.path("logBytes").asLong() - (a == null ? 0 : a.path("logBytes").asLong());
        long instr = b.path("icount").asLong() - (a == null ? 0 : a.path("icount").asLong());
        double s = a == null ? secs : (b.path("t").asLong() - a.path("t").asLong()) / 1000.0;
        out.printf("  %s: %,d log bytes in %.1f s (%.1f KB/s), %,d instructions (%.1f bytes per million)%n", what, bytes, s,
                bytes / s / 1e3, instr, bytes / Math.max(1e-9, instr / 1e6));
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("bytes", bytes);
        m.put("seconds", s);
        m.put("instructions", instr);
        m.put("bytesPerSecond", bytes / s);
        m.put("bytesPerMillionInstructions", bytes / Math.max(1e-9, instr / 1e6));
        return m;
    }

    static String classpathSeparator() {
        return File.pathSeparator;
    }
}
