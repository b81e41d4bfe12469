package dev.tandem.core.asm;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.core.testkit.Tools;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Assembles a corpus with our assembler and with {@code nasm -f bin} and requires byte-identical
 * output. Skipped (not passed) when nasm is not installed; a failure with -Dtandem.requireTools=true.
 */
class NasmComparisonTest {

    private static void check(String name, String source) throws Exception {
        Tools.requireNasm();
        NasmRunner.NasmOutput ref = NasmRunner.assemble(source);
        byte[] ours = Assembler.assemble(source, name).image();
        assertTrue(ref.image().length > 0, "nasm produced no output for " + name);
        assertNull(NasmRunner.compare(source, ours, ref), name);
    }

    @TestFactory
    Stream<DynamicTest> generatedCorpus() {
        Map<String, String> gen = CorpusGenerator.generate();
        return gen.entrySet().stream().map(e -> DynamicTest.dynamicTest(e.getKey(),
                () -> check(e.getKey(), e.getValue())));
    }

    @TestFactory
    Stream<DynamicTest> handWrittenCorpus() throws IOException, URISyntaxException {
        URL dir = NasmComparisonTest.class.getResource("corpus");
        if (dir == null) throw new IOException("corpus directory missing from test resources");
        List<Path> files;
        try (Stream<Path> s = Files.list(Path.of(dir.toURI()))) {
            files = new ArrayList<>(s.filter(p -> p.toString().endsWith(".asm")).sorted().toList());
        }
        assertTrue(files.size() >= 3, "corpus has too few files: " + files);
        return files.stream().map(p -> DynamicTest.dynamicTest(p.getFileName().toString(),
                () -> check(p.getFileName().toString(), Files.readString(p, StandardCharsets.ISO_8859_1))));
    }

    @TestFactory
    Stream<DynamicTest> builtinGuests() {
        return Stream.of("hello.asm", "bench.asm").map(n -> DynamicTest.dynamicTest(n, () -> {
            try (InputStream in = NasmComparisonTest.class.getResourceAsStream("/dev/tandem/core/guests/" + n)) {
                if (in == null) throw new IOException("missing guest resource " + n);
                check(n, new String(in.readAllBytes(), StandardCharsets.ISO_8859_1));
            }
        }));
    }
}
