package dev.tandem.core.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Runs the real-hardware 80286 real-mode vectors from ../shared and prints the per-form table. */
class SstConformanceTest {
    static Path dir() {
        String shared = System.getProperty("tandem.shared", "../shared");
        return Path.of(shared, "testdata", "sst-80286-real");
    }

    @Test
    void realHardwareVectors() throws Exception {
        Path d = dir();
        assumeTrue(Files.isRegularFile(d.resolve("metadata.json")), "SST vectors not found at " + d.toAbsolutePath());
        SstRunner r = new SstRunner(d, 3);
        SstRunner.Summary s = r.runAll(null, null);
        SstRunner.print(s, System.out, true);
        // every form in the directory was either run or is listed with a reason
        long files;
        try (var st = Files.list(d)) {
            files = st.filter(p -> p.toString().endsWith(".jsonl.gz")).count();
        }
        assertEquals(files, s.forms().size());
        assertTrue(s.normalRun() > 70_000, "normal tests run: " + s.normalRun());
        assertTrue(s.normalPassRateP6() >= 99.5,
                String.format("normal-form pass rate %.3f%% < 99.5%%", s.normalPassRateP6()));
    }
}
