package dev.tandem.cli.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/** The {@code bench boot} flow: N boots in our emulator, N in QEMU, a table of the markers. */
public final class BootBenchRunner {
    /** How our emulator is started for each boot. */
    public enum Mode { IN_PROCESS, SUBPROCESS }

    /** Options of the boot benchmark. */
    public record Options(Path kernel, Path initrd, String append, long ramBytes, int runs, double timeoutSeconds,
                          boolean noQemu, boolean noTandem, String qemu, Path json, Pattern prompt,
                          Map<String, Pattern> extraMarkers, Set<String> stopAt, Mode mode, boolean hostDecompress) {
        public Options {
            if (runs < 1) throw new IllegalArgumentException("--runs must be >= 1, got " + runs);
            if (!(timeoutSeconds > 0)) throw new IllegalArgumentException("--timeout must be > 0");
            if (!Files.isReadable(kernel)) throw new IllegalArgumentException("kernel not readable: " + kernel);
            if (initrd != null && !Files.isReadable(initrd)) throw new IllegalArgumentException("initrd not readable: " + initrd);
            if (ramBytes < (16L << 20) || ramBytes > (1536L << 20) || (ramBytes & 0xFFFFF) != 0) {
                throw new IllegalArgumentException("--memory must be a whole number of MiB from 16M to 1536M");
            }
            if (noQemu && noTandem) throw new IllegalArgumentException("--no-qemu and --no-tandem together leave nothing to run");
        }
    }

    private final Options o;
    private final PrintStream out;

    public BootBenchRunner(Options o, PrintStream out) {
        this.o = o;
        this.out = out;
    }

    private BootTrace newTrace(long t0) {
        return new BootTrace(t0, o.prompt(), o.extraMarkers(), o.stopAt());
    }

    public int run() throws IOException {
        HostInfo host = HostInfo.current();
        out.printf(Locale.ROOT, "bench boot: kernel %s, initrd %s, %d MiB, %d run(s) each, timeout %.0f s per run%n",
                o.kernel(), o.initrd(), o.ramBytes() >> 20, o.runs(), o.timeoutSeconds());
        out.println("append: " + o.append());
        out.println("stop at: " + String.join(", ", o.stopAt()) + "; time zero: just before the emulator is started"
                + " (spawn of the process), a line's time: arrival of its first byte on the host");
        out.println(host.describe());

        Path qemu = null;
        String qemuNote = null;
        String qemuVersion = null;
        if (o.noQemu()) {
            qemuNote = "skipped (--no-qemu)";
        } else {
            qemu = Qemu.locate(o.qemu());
            if (qemu == null) qemuNote = "not run: qemu-system-i386 not found on PATH (install QEMU or pass --qemu PATH)";
        }

        List<BootBench.Run> ours = new ArrayList<>();
        if (!o.noTandem()) {
            out.println("tandem mode: " + (o.mode() == Mode.IN_PROCESS ? "in-process (this JVM, no warm-up)"
                    : "subprocess: " + Shell.join(BootBench.tandemCommand(o.kernel(), o.initrd(), o.append(), o.ramBytes(), o.hostDecompress()))));
            for (int i = 0; i < o.runs(); i++) {
                BootBench.Run r = o.mode() == Mode.IN_PROCESS
                        ? BootBench.runInProcess(o.kernel(), o.initrd(), o.append(), o.ramBytes(), o.timeoutSeconds(), this::newTrace,
                                o.hostDecompress())
                        : BootBench.runProcess(BootBench.tandemCommand(o.kernel(), o.initrd(), o.append(), o.ramBytes(), o.hostDecompress()),
                                o.timeoutSeconds(), this::newTrace);
                ours.add(r);
                printRun("tandem", i + 1, r);
            }
        }
        List<BootBench.Run> theirs = new ArrayList<>();
        List<String> qemuCmd = null;
        if (qemu != null) {
            qemuVersion = Qemu.version(qemu);
            qemuCmd = BootBench.qemuCommand(qemu, o.kernel(), o.initrd(), o.append(), o.ramBytes());
            out.println("qemu: " + qemuVersion);
            out.println("qemu command: " + Shell.join(qemuCmd));
            for (int i = 0; i < o.runs(); i++) {
                BootBench.Run r = BootBench.runProcess(qemuCmd, o.timeoutSeconds(), this::newTrace);
                theirs.add(r);
                printRun("qemu", i + 1, r);
            }
        }

        // rows: markers in the order first seen (QEMU first: it is the one expected to get furthest)
        Set<String> names = new LinkedHashSet<>();
        for (BootBench.Run r : theirs) names.addAll(r.trace().marks().keySet());
        for (BootBench.Run r : ours) names.addAll(r.trace().marks().keySet());

        out.println();
        String fmt = "%-10s %-36s %-36s %7s %9s%n";
        out.printf(Locale.ROOT, fmt, "marker", "tandem s  median [min..max]", "qemu s  median [min..max]", "ratio", "seg.ratio");
        Map<String, Object> rowsJson = new LinkedHashMap<>();
        String prev = null;
        for (String name : names) {
            Stats a = stats(ours, name);
            Stats b = stats(theirs, name);
            Stats sa = prev == null ? null : segment(ours, prev, name);
            Stats sb = prev == null ? null : segment(theirs, prev, name);
            out.printf(Locale.ROOT, fmt, name, cell(a, ours, o.noTandem()), cell(b, theirs, qemu == null),
                    a != null && b != null ? String.format(Locale.ROOT, "%.2f", a.median() / b.median()) : "-",
                    sa != null && sb != null ? String.format(Locale.ROOT, "%.2f", sa.median() / sb.median()) : "-");
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("tandemSeconds", secondsList(ours, name));
            row.put("qemuSeconds", secondsList(theirs, name));
            row.put("ratioMedian", a != null && b != null ? a.median() / b.median() : null);
            row.put("segmentRatioMedian", sa != null && sb != null ? sa.median() / sb.median() : null);
            rowsJson.put(name, row);
            prev = name;
        }
        if (names.isEmpty()) out.println("(no marker reached by either emulator)");
        out.println("ratio = tandem/qemu of the median time to the marker; seg.ratio = the same for the time since the "
                + "previous row's marker (runs that reached both)");
        if (qemu == null) out.println("qemu: " + qemuNote);

        // results computed by the guest: both emulators must agree
        Set<String> resNames = new LinkedHashSet<>();
        for (BootBench.Run r : theirs) resNames.addAll(r.trace().results().keySet());
        for (BootBench.Run r : ours) resNames.addAll(r.trace().results().keySet());
        boolean resOk = true;
        for (String n : resNames) {
            Set<String> va = values(ours, n);
            Set<String> vb = values(theirs, n);
            boolean agree = va.size() <= 1 && vb.size() <= 1 && (va.isEmpty() || vb.isEmpty() || va.equals(vb));
            if (!agree) resOk = false;
            out.printf(Locale.ROOT, "RES %-8s tandem %s  qemu %s  %s%n", n, va.isEmpty() ? "-" : String.join(" | ", va),
                    vb.isEmpty() ? "-" : String.join(" | ", vb), agree ? (va.isEmpty() || vb.isEmpty() ? "" : "same") : "DIFFERENT");
        }

        if (o.json() != null) {
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("benchmark", "boot");
            j.put("host", host.toJson());
            j.put("kernel", o.kernel().toString());
            j.put("initrd", o.initrd() == null ? null : o.initrd().toString());
            j.put("append", o.append());
            j.put("memoryMiB", o.ramBytes() >> 20);
            j.put("runs", o.runs());
            j.put("timeoutSeconds", o.timeoutSeconds());
            j.put("tandemMode", o.mode().toString());
            j.put("qemuVersion", qemuVersion);
            j.put("qemuCommand", qemuCmd);
            j.put("qemuNote", qemuNote);
            j.put("markers", rowsJson);
            j.put("tandemRuns", runsJson(ours));
            j.put("qemuRuns", runsJson(theirs));
            Files.writeString(o.json(), Json.write(j));
            out.println("json: " + o.json());
        }
        if (!resOk) {
            out.println("error: the guest computed different results in the two emulators (or across runs)");
            return 1;
        }
        return 0;
    }

    private void printRun(String who, int i, BootBench.Run r) {
        StringBuilder sb = new StringBuilder();
        for (Map.Entry<String, Long> e : r.trace().marks().entrySet()) {
            sb.append(String.format(Locale.ROOT, " %s=%.3f", e.getKey(), e.getValue() / 1e9));
        }
        out.printf(Locale.ROOT, "%s run %d: %.3f s, %s;%s%n", who, i, r.seconds(), r.ending(),
                sb.length() == 0 ? " no marker reached" : sb.toString());
        if (r.trace().marks().isEmpty()) {
            List<String> last = r.trace().lastLines();
            out.printf("  (%d serial bytes; last lines:%s)%n", r.trace().bytes(),
                    last.isEmpty() ? " none" : "");
            for (String l : last.subList(Math.max(0, last.size() - 5), last.size())) out.println("  | " + l);
        }
    }

    private static Stats stats(List<BootBench.Run> runs, String name) {
        double[] v = runs.stream().filter(r -> r.trace().marks().containsKey(name))
                .mapToDouble(r -> r.trace().marks().get(name) / 1e9).toArray();
        return v.length == 0 ? null : Stats.of(v);
    }

    private static Stats segment(List<BootBench.Run> runs, String from, String to) {
        double[] v = runs.stream().filter(r -> r.trace().marks().containsKey(from) && r.trace().marks().containsKey(to))
                .mapToDouble(r -> (r.trace().marks().get(to) - r.trace().marks().get(from)) / 1e9).toArray();
        return v.length == 0 ? null : Stats.of(v);
    }

    private static String cell(Stats s, List<BootBench.Run> runs, boolean skipped) {
        if (skipped) return "not run";
        if (s == null) return "not reached (0/" + runs.size() + ")";
        String c = s.format(3);
        return s.n() < runs.size() ? c + " (" + s.n() + "/" + runs.size() + ")" : c;
    }

    private static List<Object> secondsList(List<BootBench.Run> runs, String name) {
        List<Object> l = new ArrayList<>();
        for (BootBench.Run r : runs) {
            Long v = r.trace().marks().get(name);
            l.add(v == null ? null : v / 1e9);
        }
        return l;
    }

    private static Set<String> values(List<BootBench.Run> runs, String res) {
        Set<String> s = new LinkedHashSet<>();
        for (BootBench.Run r : runs) {
            String v = r.trace().results().get(res);
            if (v != null) s.add(v);
        }
        return s;
    }

    private static List<Object> runsJson(List<BootBench.Run> runs) {
        List<Object> l = new ArrayList<>();
        for (BootBench.Run r : runs) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("seconds", r.seconds());
            m.put("ending", r.ending());
            m.put("timedOut", r.timedOut());
            Map<String, Object> marks = new LinkedHashMap<>();
            r.trace().marks().forEach((k, v) -> marks.put(k, v / 1e9));
            m.put("marks", marks);
            m.put("results", new LinkedHashMap<>(r.trace().results()));
            l.add(m);
        }
        return l;
    }
}
