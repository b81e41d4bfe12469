package dev.tandem.core.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.core.testkit.Checkout;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Runs the real-hardware 80286 real-mode vectors from ../shared (printing the per-form table) and
 * holds the result to an exact list: every vector that fails is listed in
 * {@code sst-known-failures.txt} (test resources) by form, index in its file and hash, with the
 * 286-versus-386 rule that explains it or {@code UNEXPLAINED}. A new failure, a listed vector that
 * now passes, and a vector whose explanation changed are all reported, and each fails the test:
 * after a deliberate change, review target/sst/sst-known-failures.txt (the list as measured) and
 * copy it over the resource.
 */
class SstConformanceTest {
    /** The vector set in ../shared/testdata/sst-80286-real (SingleStepTests 80286, real mode). */
    static final int FORMS = 325, EXCLUDED_FORMS = 1, VECTORS_RUN = 79_250, NORMAL_RUN = 74_300;
    static final String LIST = "sst-known-failures.txt";
    static final String UNEXPLAINED = "UNEXPLAINED";

    static Path dir;
    static SstRunner.Summary summary;
    static long files;

    /**
     * Each test asks for the vectors itself (a skip or failure per test: surefire does not report
     * tests skipped from a {@code @BeforeAll}), then shares one run.
     */
    @BeforeEach
    void runOnce() throws Exception {
        Path d = Checkout.requireSstVectors();
        synchronized (SstConformanceTest.class) {
            if (summary == null) run(d);
        }
    }

    static void run(Path d) throws Exception {
        dir = d;
        summary = new SstRunner(dir, 3).runAll(null, null);
        SstRunner.print(summary, System.out, true);
        try (var st = Files.list(dir)) {
            files = st.filter(p -> p.toString().endsWith(".jsonl.gz")).count();
        }
        Path out = Files.createDirectories(Path.of("target", "sst"));
        Files.writeString(out.resolve(LIST), format(measured()), StandardCharsets.UTF_8);
    }

    /** One line of the list: the key (form, index, hash prefix, class) and a comment for the reader. */
    record Entry(String key, String comment) {
    }

    static String key(String form, SstRunner.Failure f) {
        String h = f.hash().length() > 16 ? f.hash().substring(0, 16) : f.hash();
        return form + " " + f.index() + " " + h + " " + (f.rule() == null ? UNEXPLAINED : f.rule());
    }

    /** Every failing vector of this run, in form order. */
    static Map<String, Entry> measured() {
        Map<String, Entry> m = new LinkedHashMap<>();
        for (SstRunner.FormResult r : summary.forms()) {
            for (SstRunner.Failure f : r.failed()) {
                String k = key(r.form(), f);
                String detail = f.rule() == null ? f.name() + ": " + f.detail().strip() : f.name();
                m.put(k, new Entry(k, detail));
            }
        }
        return m;
    }

    static Map<String, Entry> listed() throws IOException {
        Map<String, Entry> m = new LinkedHashMap<>();
        try (InputStream in = SstConformanceTest.class.getResourceAsStream(LIST)) {
            if (in == null) throw new IllegalStateException(LIST + " missing from the test resources");
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                if (line.isBlank() || line.startsWith("#")) continue;
                int hash = line.indexOf(" # ");
                String k = (hash < 0 ? line : line.substring(0, hash)).strip();
                if (k.split(" ").length != 4) throw new IllegalStateException(LIST + ": malformed line: " + line);
                if (m.put(k, new Entry(k, hash < 0 ? "" : line.substring(hash + 3))) != null) {
                    throw new IllegalStateException(LIST + ": duplicate line: " + line);
                }
            }
        }
        return m;
    }

    static String format(Map<String, Entry> entries) {
        StringBuilder sb = new StringBuilder();
        sb.append("# Every SingleStepTests 80286 vector that fails on this CPU (SstConformanceTest holds the run to this list).\n");
        sb.append("# FORM INDEX HASH CLASS  # vector name[: first differences, for UNEXPLAINED]\n");
        sb.append("# INDEX: 0-based position among the vectors of FORM.jsonl.gz; HASH: the first 16 hex digits of its \"hash\";\n");
        sb.append("# CLASS: the 286/386 rule of sst-286-exclusions.txt that explains it, or UNEXPLAINED.\n");
        for (Entry e : entries.values()) sb.append(e.key()).append("  # ").append(e.comment()).append('\n');
        return sb.toString();
    }

    @Test
    void everyFormInTheDirectoryRunsCompletelyOrIsExcluded() {
        assertEquals(files, summary.forms().size(), "forms run or excluded vs files in " + dir);
        List<String> empty = new ArrayList<>();
        for (SstRunner.FormResult r : summary.forms()) {
            if (!r.excluded() && r.run() == 0) empty.add(r.form());
        }
        assertTrue(empty.isEmpty(), "forms that ran no vector: " + empty);
    }

    @Test
    void theVectorSetIsTheMeasuredOne() {
        long excluded = summary.forms().stream().filter(SstRunner.FormResult::excluded).count();
        assertEquals(FORMS, summary.forms().size(), "forms in " + dir);
        assertEquals(EXCLUDED_FORMS, excluded, "forms excluded by sst-286-exclusions.txt");
        assertEquals(VECTORS_RUN, summary.totalRun(), "vectors run");
        assertEquals(NORMAL_RUN, summary.normalRun(), "vectors of normal forms run");
    }

    @Test
    void failingVectorsAreExactlyTheListedOnes() throws Exception {
        Map<String, Entry> now = measured();
        Map<String, Entry> list = listed();
        List<String> fresh = new ArrayList<>(), gone = new ArrayList<>();
        for (Entry e : now.values()) if (!list.containsKey(e.key())) fresh.add(e.key() + "  # " + e.comment());
        for (Entry e : list.values()) if (!now.containsKey(e.key())) gone.add(e.key() + "  # " + e.comment());
        Map<String, Integer> byClass = new TreeMap<>();
        for (String k : now.keySet()) byClass.merge(k.substring(k.lastIndexOf(' ') + 1), 1, Integer::sum);
        System.out.printf("failing vectors: %d (%s); listed: %d; new: %d; listed but no longer failing so: %d%n", now.size(), byClass,
                list.size(), fresh.size(), gone.size());
        for (String f : fresh) System.out.println("NEW FAILURE " + f);
        for (String g : gone) System.out.println("NO LONGER FAILING AS LISTED " + g);
        StringBuilder msg = new StringBuilder();
        if (!fresh.isEmpty()) msg.append(fresh.size()).append(" vectors fail that are not in ").append(LIST).append(" (first: ")
                .append(fresh.get(0)).append("). ");
        if (!gone.isEmpty()) msg.append(gone.size()).append(" listed vectors no longer fail as listed (first: ").append(gone.get(0))
                .append("). ");
        msg.append("The measured list is in target/sst/").append(LIST).append("; after review, copy it to src/test/resources/dev/tandem/core/conformance/.");
        assertTrue(fresh.isEmpty() && gone.isEmpty(), msg.toString());
    }
}
