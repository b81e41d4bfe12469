package dev.tandem.core.pmtests;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tandem.core.testkit.Qemu;
import dev.tandem.core.testkit.Tools;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Bare-metal protected-mode test programs ({@link PmPrograms}), assembled with our assembler and
 * run on our CPU. The debug-console (port 0xE9) output must equal {@code NAME.expected}: QEMU's
 * output, captured once with the QEMU version in {@code qemu-version.txt} (segchecks: an
 * expectation checked against the SDM by hand, since QEMU does not model those checks).
 *
 * <p>Separately, the installed qemu-system-i386 runs each QEMU-checked program and must print the
 * stored output: that keeps the stored files honest. When it does not and its version differs
 * from the recorded one, the report says so (a different QEMU, not an emulator failure). Outputs go
 * to target/pmtests/NAME/ for inspection.
 */
class PmTestsTest {
    static List<String> qemuChecked() {
        return PmPrograms.QEMU_CHECKED;
    }

    static Path dir(String program) throws Exception {
        return Files.createDirectories(Path.of("target", "pmtests", program));
    }

    /** Our CPU against the stored QEMU output: runs everywhere, needs no tool. */
    @ParameterizedTest
    @MethodSource("qemuChecked")
    void ourOutputMatchesTheStoredQemuOutput(String program) throws Exception {
        String ours = PmPrograms.run(program, c -> { });
        Files.writeString(dir(program).resolve("ours.txt"), ours, StandardCharsets.ISO_8859_1);
        assertEquals(PmPrograms.expected(program), ours, program + ": our output differs from the stored QEMU output ("
                + program + ".expected); see " + dir(program));
    }

    /** The installed QEMU against the stored output (checks the oracle, not the emulator). */
    @ParameterizedTest
    @MethodSource("qemuChecked")
    void installedQemuPrintsTheStoredOutput(String program) throws Exception {
        String installed = Qemu.require();
        Path d = dir(program);
        Qemu.Result r = Qemu.runRom(d, PmPrograms.rom(program), 32, List.of(), java.time.Duration.ofSeconds(60));
        String qemu = r.transcript();
        Files.writeString(d.resolve("qemu-out.txt"), qemu, StandardCharsets.ISO_8859_1);
        String expected = PmPrograms.expected(program);
        if (qemu.equals(expected)) return;
        String recorded = PmPrograms.resource("qemu-version.txt").strip();
        if (!(installed + ".").startsWith(recorded + ".")) {
            throw Tools.missing("QEMU " + recorded + ", the version " + program + ".expected was captured with: the installed "
                    + Qemu.binary() + " is " + installed + " and prints something else (see " + d.resolve("qemu-out.txt")
                    + "). This is a different QEMU, not an emulator failure; our CPU is checked against the stored output by "
                    + "ourOutputMatchesTheStoredQemuOutput", "install QEMU " + recorded + " (Debian 12's qemu-system-x86), or "
                    + "review the differences and re-capture the .expected files and qemu-version.txt with the new QEMU");
        }
        assertEquals(expected, qemu, program + ".expected is stale: QEMU " + installed + ", the recorded version, now prints "
                + "something else (see " + d + ")");
    }

    /**
     * Programs that exercise behaviour QEMU does not model (TCG skips the limit and type checks
     * of ordinary data accesses, and QEMU 7.2 dies on IDIV INT64_MIN / -1). Their expected
     * output was checked against the SDM by hand; QEMU is not consulted.
     */
    @ParameterizedTest
    @ValueSource(strings = {"segchecks"})
    void matchesSdmExpectation(String program) throws Exception {
        String ours = PmPrograms.run(program, c -> { });
        Files.writeString(dir(program).resolve("ours.txt"), ours, StandardCharsets.ISO_8859_1);
        assertEquals(PmPrograms.expected(program), ours, program + ": our output differs from the SDM-derived expectation");
    }
}
