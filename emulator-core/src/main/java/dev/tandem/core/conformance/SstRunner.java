package dev.tandem.core.conformance;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tandem.core.cpu.Cpu;
import dev.tandem.core.io.IoBus;
import dev.tandem.core.mem.PhysicalMemory;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.GZIPInputStream;

/**
 * Runs SingleStepTests-format real-mode vectors ({@code <FORM>.jsonl.gz} plus {@code metadata.json})
 * against the CPU: load the initial registers and RAM, run until the HLT that follows the
 * instruction has executed, compare registers (flags masked per form) and RAM.
 */
public final class SstRunner {
    private static final String[] REGS = {"ax", "bx", "cx", "dx", "cs", "ss", "ds", "es", "sp", "bp", "si", "di", "ip",
            "flags"};

    /**
     * One failing vector: its 0-based position among the vectors of its file, its {@code hash}
     * field, its {@code name}, the listed 286/386 rule that explains it (null when none does) and
     * the first differences found.
     */
    public record Failure(int index, String hash, String name, String rule, String detail) {
    }

    /**
     * Result for one instruction form (one file); {@code failures} holds the descriptions of the
     * first unexplained failures (up to the runner's limit), {@code failed} every failing vector.
     */
    public record FormResult(String form, String status, int run, int passed, String excludedReason,
                             List<String> failures, Map<String, Integer> knownDifferences, List<Failure> failed) {
        /** Tests that failed because of a listed 286-versus-386 difference. */
        public int known() {
            return knownDifferences.values().stream().mapToInt(Integer::intValue).sum();
        }

        public boolean excluded() {
            return excludedReason != null;
        }
    }

    /** Totals over a directory. */
    public record Summary(List<FormResult> forms) {
        public int normalRun() {
            return forms.stream().filter(f -> "normal".equals(f.status) && !f.excluded()).mapToInt(FormResult::run).sum();
        }

        public int normalKnown() {
            return forms.stream().filter(f -> "normal".equals(f.status) && !f.excluded()).mapToInt(FormResult::known)
                    .sum();
        }

        /** Pass rate of normal forms over the tests not explained by a listed 286/386 difference. */
        public double normalPassRateP6() {
            int denom = normalRun() - normalKnown();
            return denom == 0 ? 0 : 100.0 * normalPassed() / denom;
        }

        public int normalPassed() {
            return forms.stream().filter(f -> "normal".equals(f.status) && !f.excluded()).mapToInt(FormResult::passed)
                    .sum();
        }

        public int totalRun() {
            return forms.stream().filter(f -> !f.excluded()).mapToInt(FormResult::run).sum();
        }

        public int totalPassed() {
            return forms.stream().filter(f -> !f.excluded()).mapToInt(FormResult::passed).sum();
        }

        public double normalPassRate() {
            return normalRun() == 0 ? 0 : 100.0 * normalPassed() / normalRun();
        }
    }

    private final Path dir;
    private final JsonNode metadata;
    private final Map<String, String> exclusions;
    private final ObjectMapper json = new ObjectMapper();
    private final PhysicalMemory mem = new PhysicalMemory(2 << 20);
    private final IoBus io = new IoBus();
    private final Cpu cpu = new Cpu(mem, io);
    private final int maxFailuresShown;
    private boolean straddled;
    private int lastException;

    public SstRunner(Path dir, int maxFailuresShown) {
        this(dir, maxFailuresShown, c -> { });
    }

    /**
     * As above; {@code configure} is applied once to the CPU that runs every vector (for example to
     * set {@link Cpu#formCounts} for opcode-table coverage; the runner single-steps, so every
     * instruction is counted).
     */
    public SstRunner(Path dir, int maxFailuresShown, java.util.function.Consumer<Cpu> configure) {
        configure.accept(cpu);
        this.dir = dir;
        this.maxFailuresShown = maxFailuresShown;
        Path meta = dir.resolve("metadata.json");
        if (!Files.isRegularFile(meta)) {
            throw new IllegalArgumentException("not a SingleStepTests directory (no metadata.json): " + dir);
        }
        try {
            this.metadata = json.readTree(meta.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + meta, e);
        }
        this.exclusions = loadExclusions();
    }

    /** The exclusion list: form -> reason (see sst-286-exclusions.txt). */
    public static Map<String, String> loadExclusions() {
        Map<String, String> m = new LinkedHashMap<>();
        try (InputStream in = SstRunner.class.getResourceAsStream("sst-286-exclusions.txt")) {
            if (in == null) throw new IllegalStateException("sst-286-exclusions.txt missing from the classpath");
            BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            String line;
            while ((line = r.readLine()) != null) {
                line = line.strip();
                if (line.isEmpty() || line.startsWith("#")) continue;
                int sp = line.indexOf(' ');
                m.put(line.substring(0, sp), line.substring(sp + 1).strip());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return m;
    }

    /** Status and flags mask for a form from metadata.json. */
    private JsonNode formMeta(String form) {
        String op = form;
        String reg = null;
        int dot = form.indexOf('.');
        if (dot >= 0) {
            op = form.substring(0, dot);
            reg = form.substring(dot + 1);
        }
        JsonNode n = metadata.path("opcodes").path(op);
        if (reg != null && n.has("reg")) n = n.path("reg").path(reg);
        return n;
    }

    public Summary runAll(String only, PrintStream progress) throws IOException {
        List<Path> files = new ArrayList<>();
        try (var s = Files.list(dir)) {
            s.filter(p -> p.getFileName().toString().endsWith(".jsonl.gz")).sorted().forEach(files::add);
        }
        if (files.isEmpty()) throw new IllegalArgumentException("no *.jsonl.gz test files in " + dir);
        List<FormResult> results = new ArrayList<>();
        for (Path f : files) {
            String form = f.getFileName().toString().replace(".jsonl.gz", "");
            if (only != null && !form.equalsIgnoreCase(only)) continue;
            results.add(runForm(form, f));
            if (progress != null) progress.print("");
        }
        return new Summary(results);
    }

    public FormResult runForm(String form, Path file) throws IOException {
        JsonNode meta = formMeta(form);
        String status = meta.path("status").asText("unknown");
        String reason = exclusions.get(form);
        int flagsMask = meta.has("flags-mask") ? meta.path("flags-mask").asInt() : 0xFFFF;
        int run = 0, passed = 0;
        List<String> failures = new ArrayList<>();
        Map<String, Integer> known = new TreeMap<>();
        List<Failure> failed = new ArrayList<>();
        if (reason != null) return new FormResult(form, status, 0, 0, reason, failures, known, failed);
        try (BufferedReader r = new BufferedReader(new InputStreamReader(
                new GZIPInputStream(Files.newInputStream(file), 1 << 16), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                if (line.isBlank()) continue;
                JsonNode t;
                try {
                    t = json.readTree(line);
                } catch (IOException e) {
                    throw new IOException(file + ": malformed test line " + (run + 1) + ": " + e.getMessage(), e);
                }
                run++;
                String err = runOne(t, flagsMask);
                if (err == null) {
                    passed++;
                    continue;
                }
                String diff = knownDifference(form, t);
                failed.add(new Failure(run - 1, t.path("hash").asText(), t.path("name").asText(), diff, err));
                if (diff != null) known.merge(diff, 1, Integer::sum);
                else if (failures.size() < maxFailuresShown) failures.add(t.path("name").asText() + ": " + err);
            }
        }
        return new FormResult(form, status, run, passed, null, failures, known, failed);
    }

    /**
     * Decides whether a failed test is explained by a documented difference between the 80286 the
     * vectors were captured on and this P6-class CPU, and that this CPU did what a 386+ does. The
     * rules are listed, with their reasons, in sst-286-exclusions.txt (lines starting with RULE).
     */
    private String knownDifference(String form, JsonNode t) {
        JsonNode bytes = t.path("bytes");
        int n = bytes.size();
        int prefixLock = 0;
        int i = 0;
        for (; i < n; i++) {
            int b = bytes.get(i).asInt();
            if (b == 0xF0) prefixLock++;
            else if (!(b == 0x26 || b == 0x2E || b == 0x36 || b == 0x3E || b == 0xF2 || b == 0xF3)) break;
        }
        int length = n - 1; // without the trailing HLT
        boolean expectException = t.has("exception");
        int expVector = t.path("exception").path("number").asInt(-1);
        if (length > 10 && expectException && expVector == 13 && lastException != 13) {
            return "RULE-LENGTH10";
        }
        if (prefixLock > 0 && lastException == 6 && !(expectException && expVector == 6)) {
            return "RULE-LOCK-UD";
        }
        if (straddled && (lastException == 12 || lastException == 13)) {
            return "RULE-WRAP-FFFF";
        }
        if ((form.equals("8C") || form.equals("8E")) && i + 1 < n) {
            int modrm = bytes.get(i + 1).asInt();
            int reg = (modrm >>> 3) & 7;
            if ((reg == 4 || reg == 5) && expectException && expVector == 6 && lastException != 6) {
                return "RULE-FSGS";
            }
        }
        return null;
    }

    /** Runs one test; returns null on pass or a description of the first difference. */
    String runOne(JsonNode t, int flagsMask) {
        JsonNode init = t.path("initial");
        JsonNode iregs = init.path("regs");
        cpu.reset();
        cpu.eip = 0;
        int[] initial = new int[REGS.length];
        for (int i = 0; i < REGS.length; i++) initial[i] = iregs.path(REGS[i]).asInt();
        cpu.reg[Cpu.EAX] = initial[0];
        cpu.reg[Cpu.EBX] = initial[1];
        cpu.reg[Cpu.ECX] = initial[2];
        cpu.reg[Cpu.EDX] = initial[3];
        cpu.setSegmentCache(Cpu.CS, initial[4], initial[4] << 4, 0xFFFF, 0x93);
        cpu.setSegmentCache(Cpu.SS, initial[5], initial[5] << 4, 0xFFFF, 0x93);
        cpu.setSegmentCache(Cpu.DS, initial[6], initial[6] << 4, 0xFFFF, 0x93);
        cpu.setSegmentCache(Cpu.ES, initial[7], initial[7] << 4, 0xFFFF, 0x93);
        cpu.reg[Cpu.ESP] = initial[8];
        cpu.reg[Cpu.EBP] = initial[9];
        cpu.reg[Cpu.ESI] = initial[10];
        cpu.reg[Cpu.EDI] = initial[11];
        cpu.eip = initial[12];
        cpu.setEflags(initial[13] & 0x0FFF);
        JsonNode ram = init.path("ram");
        for (JsonNode p : ram) mem.write8(p.get(0).asInt(), p.get(1).asInt());
        String result;
        long straddle0 = cpu.straddleFaults;
        cpu.lastException = -1;
        try {
            // step at most a bounded number of times: a fault loop retires no instructions
            for (int i = 0; i < 5_000 && !cpu.halted() && !cpu.shutdown; i++) cpu.step();
            if (!cpu.halted()) {
                result = cpu.shutdown ? "triple fault" : "did not reach HLT";
            } else {
                result = compare(t, initial, flagsMask);
            }
        } catch (RuntimeException e) {
            result = "emulator exception " + e;
        }
        straddled = cpu.straddleFaults != straddle0;
        lastException = cpu.lastException;
        // restore memory touched by this test to zero so tests stay independent
        for (JsonNode p : ram) mem.write8(p.get(0).asInt(), 0);
        for (JsonNode p : t.path("final").path("ram")) mem.write8(p.get(0).asInt(), 0);
        return result;
    }

    private String compare(JsonNode t, int[] initial, int flagsMask) {
        JsonNode fin = t.path("final");
        JsonNode fregs = fin.path("regs");
        int[] actual = {
            cpu.reg[Cpu.EAX] & 0xFFFF, cpu.reg[Cpu.EBX] & 0xFFFF, cpu.reg[Cpu.ECX] & 0xFFFF, cpu.reg[Cpu.EDX] & 0xFFFF,
            cpu.getSelector(Cpu.CS), cpu.getSelector(Cpu.SS), cpu.getSelector(Cpu.DS), cpu.getSelector(Cpu.ES),
            cpu.reg[Cpu.ESP] & 0xFFFF, cpu.reg[Cpu.EBP] & 0xFFFF, cpu.reg[Cpu.ESI] & 0xFFFF, cpu.reg[Cpu.EDI] & 0xFFFF,
            cpu.eip & 0xFFFF, cpu.getEflags() & 0xFFFF
        };
        StringBuilder diff = new StringBuilder();
        for (int i = 0; i < REGS.length; i++) {
            int expected = fregs.has(REGS[i]) ? fregs.get(REGS[i]).asInt() : initial[i];
            int got = actual[i];
            if (i == 13) {
                expected &= flagsMask & 0x0FFF | 0x0002;
                got &= flagsMask & 0x0FFF | 0x0002;
                if ((expected & ~0x0002) != (got & ~0x0002)) {
                    diff.append(String.format("flags exp %04X got %04X; ", expected, got));
                }
                continue;
            }
            if (expected != got) diff.append(String.format("%s exp %04X got %04X; ", REGS[i], expected, got));
        }
        int flagAddr = t.path("exception").path("flag_address").asInt(-1);
        for (JsonNode p : fin.path("ram")) {
            int a = p.get(0).asInt();
            int exp = p.get(1).asInt();
            int got = mem.read8(a);
            if (flagAddr >= 0 && (a == flagAddr || a == flagAddr + 1)) {
                int m = a == flagAddr ? flagsMask & 0xFF : (flagsMask >>> 8) & 0x0F;
                exp &= m;
                got &= m;
            }
            if (exp != got) diff.append(String.format("ram[%05X] exp %02X got %02X; ", a, exp, got));
        }
        return diff.isEmpty() ? null : diff.toString();
    }

    /** Prints the per-form table and totals. */
    public static void print(Summary s, PrintStream out, boolean showFailures) {
        out.printf("%-8s %-12s %7s %7s %8s  %s%n", "form", "status", "run", "passed", "rate", "note");
        Map<String, int[]> byStatus = new TreeMap<>();
        for (FormResult f : s.forms()) {
            if (f.excluded()) {
                out.printf("%-8s %-12s %7s %7s %8s  excluded: %s%n", f.form(), f.status(), "-", "-", "-",
                        f.excludedReason());
                continue;
            }
            double rate = f.run() == 0 ? 0 : 100.0 * f.passed() / f.run();
            out.printf("%-8s %-12s %7d %7d %7.2f%%%n", f.form(), f.status(), f.run(), f.passed(), rate);
            int[] acc = byStatus.computeIfAbsent(f.status(), k -> new int[2]);
            acc[0] += f.run();
            acc[1] += f.passed();
            if (f.known() > 0) out.printf("    (%d failed by a listed 286/386 difference: %s)%n", f.known(), f.knownDifferences());
            if (showFailures) for (String fl : f.failures()) out.println("    FAIL " + fl);
        }
        Map<String, Integer> known = new TreeMap<>();
        for (FormResult f : s.forms()) f.knownDifferences().forEach((k, v) -> known.merge(k, v, Integer::sum));
        Map<String, String> rules = loadExclusions();
        for (var e : known.entrySet()) {
            out.printf("known 286/386 difference %-16s %6d tests  (%s)%n", e.getKey(), e.getValue(),
                    rules.getOrDefault(e.getKey(), "?"));
        }
        for (var e : byStatus.entrySet()) {
            out.printf("status %-12s %7d run %7d passed %7.3f%%%n", e.getKey(), e.getValue()[0], e.getValue()[1],
                    e.getValue()[0] == 0 ? 0 : 100.0 * e.getValue()[1] / e.getValue()[0]);
        }
        long excluded = s.forms().stream().filter(FormResult::excluded).count();
        out.printf("TOTAL normal forms: %d/%d passed (%.3f%% raw); %d explained by listed 286/386 differences;"
                        + " pass rate over the rest %.3f%%%n", s.normalPassed(), s.normalRun(), s.normalPassRate(),
                s.normalKnown(), s.normalPassRateP6());
        out.printf("TOTAL all run forms: %d/%d passed (%.3f%% raw); %d forms excluded%n", s.totalPassed(), s.totalRun(),
                s.totalRun() == 0 ? 0 : 100.0 * s.totalPassed() / s.totalRun(), excluded);
    }

    /** {@code SstRunner DIR [FORM] [-v]}: quick command-line entry (the CLI has the full command). */
    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args[0]);
        String only = null;
        boolean verbose = false;
        for (int i = 1; i < args.length; i++) {
            if (args[i].equals("-v")) verbose = true;
            else only = args[i];
        }
        SstRunner r = new SstRunner(dir, verbose ? 5 : 0);
        print(r.runAll(only, null), System.out, verbose);
    }
}
