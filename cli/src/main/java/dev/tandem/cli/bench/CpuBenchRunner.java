package dev.tandem.cli.bench;

import dev.tandem.core.guests.BuiltinGuests;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The {@code bench cpu} flow: warm-up + N runs in our emulator, then the same under QEMU, one table. */
public final class CpuBenchRunner {
    /** Options of the CPU benchmark. */
    public record Options(int runs, long iterations, boolean noQemu, String qemu, Path json, double timeoutSeconds) {
        public Options {
            if (runs < 1) throw new IllegalArgumentException("--runs must be >= 1, got " + runs);
            if (iterations < 1) throw new IllegalArgumentException("--iterations must be >= 1, got " + iterations);
            if (iterations > 1_000_000_000L) throw new IllegalArgumentException("--iterations at most 1000000000");
            if (!(timeoutSeconds > 0)) throw new IllegalArgumentException("--timeout must be > 0");
        }
    }

    private final Options o;
    private final PrintStream out;

    public CpuBenchRunner(Options o, PrintStream out) {
        this.o = o;
        this.out = out;
    }

    /** Runs everything and prints the report; returns 0, or 1 when a check failed. */
    public int run() throws IOException {
        long known = BuiltinGuests.benchLoopInstructions(o.iterations());
        byte[] rom = BuiltinGuests.benchRom(o.iterations());
        HostInfo host = HostInfo.current();
        out.printf(Locale.ROOT, "bench cpu: built-in bench ROM, %,d iterations = %,d instructions between 'S\\n' and 'E', "
                + "%d timed runs after 1 warm-up run%n", o.iterations(), known, o.runs());
        out.println(host.describe());

        // ---- ours
        boolean countOk = true;
        CpuBench.Run warm = CpuBench.runTandem(rom, known);
        CpuBench.checkOutput("tandem", warm, o.iterations());
        out.printf(Locale.ROOT, "tandem warm-up: %.3f s%n", warm.seconds());
        List<CpuBench.Run> ours = new ArrayList<>();
        for (int i = 0; i < o.runs(); i++) {
            CpuBench.Run r = CpuBench.runTandem(rom, known);
            CpuBench.checkOutput("tandem", r, o.iterations());
            ours.add(r);
            out.printf(Locale.ROOT, "tandem run %d: %,d instructions in %.3f s = %.2f MIPS%n",
                    i + 1, r.instructions(), r.seconds(), r.mips(known));
            if (r.instructions() != known) countOk = false;
        }
        long measured = ours.get(0).instructions();
        out.printf(Locale.ROOT, "tandem instruction count: measured %,d, known %,d: %s%n", measured, known,
                countOk ? "match" : "MISMATCH");

        // ---- QEMU
        List<CpuBench.Run> qemuRuns = new ArrayList<>();
        String qemuNote = null;
        String qemuVersion = null;
        Path qemu = null;
        if (o.noQemu()) {
            qemuNote = "skipped (--no-qemu)";
        } else {
            qemu = Qemu.locate(o.qemu());
            if (qemu == null) qemuNote = "not run: qemu-system-i386 not found on PATH (install QEMU or pass --qemu PATH)";
        }
        if (qemu != null) {
            qemuVersion = Qemu.version(qemu);
            out.println("qemu: " + qemu + " (" + qemuVersion + ")");
            out.println("qemu command: " + Shell.join(CpuBench.qemuCommand(qemu, Path.of("ROM"))));
            Path romFile = Files.createTempFile("tandem-bench-", ".rom");
            try {
                Files.write(romFile, rom);
                long timeout = (long) (o.timeoutSeconds() * 1e9);
                CpuBench.Run w = CpuBench.runQemu(qemu, romFile, timeout);
                CpuBench.checkOutput("qemu", w, o.iterations());
                out.printf(Locale.ROOT, "qemu warm-up: %.3f s%n", w.seconds());
                for (int i = 0; i < o.runs(); i++) {
                    CpuBench.Run r = CpuBench.runQemu(qemu, romFile, timeout);
                    CpuBench.checkOutput("qemu", r, o.iterations());
                    qemuRuns.add(r);
                    out.printf(Locale.ROOT, "qemu run %d: %,d instructions (known) in %.3f s = %.2f MIPS%n",
                            i + 1, known, r.seconds(), r.mips(known));
                }
            } finally {
                Files.deleteIfExists(romFile);
            }
        }

        // ---- table
        Stats oursMips = mips(ours, known);
        Stats oursSec = secs(ours);
        out.println();
        out.printf(Locale.ROOT, "%-10s %15s %6s %26s %28s%n", "emulator", "instructions", "runs", "seconds median [min..max]",
                "MIPS median [min..max]");
        out.printf(Locale.ROOT, "%-10s %15s %6d %26s %28s%n", "tandem", String.format(Locale.ROOT, "%,d", measured),
                ours.size(), oursSec.format(3), oursMips.format(2));
        Stats qMips = null;
        if (!qemuRuns.isEmpty()) {
            qMips = mips(qemuRuns, known);
            out.printf(Locale.ROOT, "%-10s %15s %6d %26s %28s%n", "qemu-tcg", String.format(Locale.ROOT, "%,d", known),
                    qemuRuns.size(), secs(qemuRuns).format(3), qMips.format(2));
            double ratio = oursMips.median() / qMips.median();
            out.printf(Locale.ROOT, "ratio tandem/qemu (median MIPS): %.4f (qemu is %.1fx faster)%n", ratio, 1 / ratio);
            double window = secs(qemuRuns).median();
            if (window < 0.5) {
                long suggest = (long) Math.ceil(o.iterations() * (1.0 / Math.max(window, 1e-4)) / 1e6) * 1_000_000L;
                out.printf(Locale.ROOT, "note: QEMU's timed window is only %.3f s, so the host's pipe and scheduling latency "
                        + "(milliseconds on a busy host) makes its MIPS figure noisy; --iterations %d would give ~1 s%n",
                        window, suggest);
            }
        } else {
            out.println("qemu: " + qemuNote);
        }

        if (o.json() != null) {
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("benchmark", "cpu");
            j.put("host", host.toJson());
            j.put("iterations", o.iterations());
            j.put("knownInstructions", known);
            j.put("runs", o.runs());
            Map<String, Object> t = runsJson(ours, known);
            t.put("measuredInstructions", measured);
            t.put("instructionCountMatches", countOk);
            j.put("tandem", t);
            if (!qemuRuns.isEmpty()) {
                Map<String, Object> q = runsJson(qemuRuns, known);
                q.put("version", qemuVersion);
                q.put("command", CpuBench.qemuCommand(qemu, Path.of("ROM")));
                j.put("qemu", q);
                j.put("ratioMedianMips", oursMips.median() / qMips.median());
            } else {
                j.put("qemu", null);
                j.put("qemuNote", qemuNote);
            }
            Files.writeString(o.json(), Json.write(j));
            out.println("json: " + o.json());
        }
        if (!countOk) {
            out.println("error: tandem's instruction count differs from the known count of the bench loop");
            return 1;
        }
        return 0;
    }

    private static Stats mips(List<CpuBench.Run> runs, long known) {
        return Stats.of(runs.stream().mapToDouble(r -> r.mips(known)).toArray());
    }

    private static Stats secs(List<CpuBench.Run> runs) {
        return Stats.of(runs.stream().mapToDouble(CpuBench.Run::seconds).toArray());
    }

    private static Map<String, Object> runsJson(List<CpuBench.Run> runs, long known) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("seconds", runs.stream().mapToDouble(CpuBench.Run::seconds).toArray());
        m.put("mips", runs.stream().mapToDouble(r -> r.mips(known)).toArray());
        Stats s = mips(runs, known);
        m.put("mipsMedian", s.median());
        m.put("mipsMin", s.min());
        m.put("mipsMax", s.max());
        return m;
    }
}
