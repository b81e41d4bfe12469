package dev.tandem.core.cpu;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.core.conformance.SstRunner;
import dev.tandem.core.difftest.DiffTester;
import dev.tandem.core.pmtests.PmPrograms;
import dev.tandem.core.testkit.Checkout;
import dev.tandem.core.testkit.NativeBuild;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * Opcode-table coverage: runs the SST real-hardware vectors, the differential tester's quick run
 * (ordinary and fault-layout cases) and the pmtests programs with {@link Cpu#formCounts} set (block
 * cache off, so every instruction goes through the counting single-step path), and prints, per
 * suite and in total, how many of the {@link OpTable#forms()} were executed, plus the forms no
 * suite executed. The table is also written to target/coverage/opcode-coverage.txt; the figures in
 * docs/verification.md come from it.
 *
 * <p>Every suite must run: without the SST vectors or the 32-bit native toolchain the test is
 * skipped (a failure with -Dtandem.requireTools=true), and a suite that throws fails it. The floors
 * are the measured figures: the counts are deterministic (fixed seeds, fixed vectors), so a lower
 * count means a suite stopped reaching forms it reached before.
 */
class OpcodeCoverageTest {
    private static final int SLOTS = 512 * 9;
    /** Forms each suite executed when last measured (docs/verification.md); raise them when coverage grows. */
    static final Map<String, Integer> FLOORS = Map.of("SST (real hw)", 329, "difftest quick", 308, "pmtests", 114);
    /** Forms executed by any suite when last measured. */
    static final int UNION_FLOOR = 406;

    private static Consumer<Cpu> counting(long[] counts) {
        return c -> {
            c.blockCacheEnabled = false;
            c.formCounts = counts;
        };
    }

    static int slot(OpTable.Form f) {
        return Cpu.formIndex(f.opcode(), OpTable.IS_GROUP[f.opcode()] ? f.regField() : -1);
    }

    @Test
    void coverageTable() throws Exception {
        Path sst = Checkout.requireSstVectors();
        NativeBuild.requireToolchain();
        Map<String, long[]> suites = new LinkedHashMap<>();

        // 1. SST real-hardware vectors (real mode, 80286 captures)
        long[] c = new long[SLOTS];
        new SstRunner(sst, 0, counting(c)).runAll(null, null);
        suites.put("SST (real hw)", c);

        // 2. differential quick run (host CPU); an exception here is a failure, not "not run"
        long[] d = new long[SLOTS];
        DiffTester.runConfigured(counting(d), DiffTester.QUICK_CASES, DiffTester.QUICK_FAULT_CASES);
        suites.put("difftest quick", d);

        // 3. pmtests programs (vs QEMU / SDM)
        long[] p = new long[SLOTS];
        for (String prog : PmPrograms.ALL) PmPrograms.run(prog, counting(p));
        suites.put("pmtests", p);

        List<OpTable.Form> forms = OpTable.forms();
        boolean[] known = new boolean[SLOTS];
        for (OpTable.Form f : forms) known[slot(f)] = true;
        StringBuilder sb = new StringBuilder();
        sb.append(String.format("opcode-table coverage: %d forms in OpTable%n", forms.size()));
        sb.append(String.format("%-18s %8s %8s%n", "suite", "forms", "share"));
        long[] any = new long[SLOTS];
        Map<String, Integer> executed = new LinkedHashMap<>();
        for (Map.Entry<String, long[]> e : suites.entrySet()) {
            int n = 0;
            for (OpTable.Form f : forms) {
                if (e.getValue()[slot(f)] > 0) n++;
            }
            for (int i = 0; i < SLOTS; i++) any[i] += e.getValue()[i];
            executed.put(e.getKey(), n);
            sb.append(String.format("%-18s %8d %7.1f%%  (floor %d)%n", e.getKey(), n, 100.0 * n / forms.size(), FLOORS.get(e.getKey())));
        }
        List<OpTable.Form> none = new ArrayList<>();
        for (OpTable.Form f : forms) {
            if (any[slot(f)] == 0) none.add(f);
        }
        int union = forms.size() - none.size();
        sb.append(String.format("%-18s %8d %7.1f%%  (floor %d)%n", "any suite", union, 100.0 * union / forms.size(), UNION_FLOOR));
        sb.append(String.format("forms executed by no suite (%d):%n", none.size()));
        for (OpTable.Form f : none) sb.append("  ").append(f).append('\n');
        // Undefined members of a ModRM group (e.g. 8F /1, C6 /1) decode, are counted and then raise
        // #UD: listed, not an error. Any other count outside the table would mean the decoder and
        // OpTable.forms() disagree.
        boolean[] groupOpcode = new boolean[512];
        for (OpTable.Form f : forms) {
            if (f.regField() >= 0) groupOpcode[f.opcode()] = true;
        }
        List<String> undefinedGroupMembers = new ArrayList<>();
        List<String> stray = new ArrayList<>();
        for (int i = 0; i < SLOTS; i++) {
            if (any[i] == 0 || known[i]) continue;
            int op = i / 9, reg = i % 9 - 1;
            String key = (op >= 0x100 ? String.format("0F%02X", op & 0xFF) : String.format("%02X", op)) + (reg >= 0 ? "/" + reg : "");
            if (reg >= 0 && groupOpcode[op]) undefinedGroupMembers.add(key);
            else stray.add(key);
        }
        if (!undefinedGroupMembers.isEmpty()) {
            sb.append("undefined group members executed (raise #UD, not table forms): ").append(undefinedGroupMembers).append('\n');
        }
        if (!stray.isEmpty()) sb.append("executed but not in OpTable.forms(): ").append(stray).append('\n');

        String table = sb.toString();
        System.out.print(table);
        Path out = Path.of("target", "coverage");
        Files.createDirectories(out);
        Files.writeString(out.resolve("opcode-coverage.txt"), table, StandardCharsets.UTF_8);

        for (Map.Entry<String, long[]> e : suites.entrySet()) {
            long total = 0;
            for (long v : e.getValue()) total += v;
            assertTrue(total > 0, e.getKey() + " executed no counted instruction: the counting hook is not reached");
        }
        assertTrue(stray.isEmpty(), "instructions counted outside OpTable.forms(): " + stray);
        for (Map.Entry<String, Integer> e : executed.entrySet()) {
            assertTrue(e.getValue() >= FLOORS.get(e.getKey()), String.format("%s executed %d forms, fewer than the %d measured before",
                    e.getKey(), e.getValue(), FLOORS.get(e.getKey())));
        }
        assertTrue(union >= UNION_FLOOR, String.format("the suites together executed %d of %d forms, fewer than the %d measured before",
                union, forms.size(), UNION_FLOOR));
    }
}
