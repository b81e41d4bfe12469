package dev.tandem.core.testkit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.opentest4j.AssertionFailedError;

/**
 * Builds the freestanding 32-bit C harnesses of the host differential testers
 * ({@code emulator-core/src/test/native/NAME}) with {@code gcc -m32 -nostdlib -static}, the one way
 * every tester builds its harness ({@code -Dtandem.gcc=PATH} picks another compiler).
 *
 * <p>Two kinds of trouble are told apart. When this machine cannot build or run a 32-bit static
 * program at all (not x86 Linux, no gcc, a gcc without 32-bit support, a kernel without IA-32
 * emulation), the harness's tool is missing: {@link Tools#require} skips, or fails in require
 * mode. A harness that fails to compile on a machine where a trivial program builds and runs is a
 * broken test, and always fails with the compiler's output.
 *
 * <p>The harnesses include no libc header and link no libc or libgcc, so {@code gcc} alone is
 * enough (no {@code gcc-multilib}).
 */
public final class NativeBuild {
    private NativeBuild() {
    }

    /** Flags every harness is built with. */
    public static final List<String> FLAGS = List.of("-m32", "-nostdlib", "-static", "-O2", "-fno-pie", "-no-pie");

    private static final String INSTALL = "apt-get install gcc (on x86-64 Linux; a gcc without -m32 support also needs gcc-multilib)";
    private static String unavailable;
    private static boolean probed;

    /** The sources of harness {@code name}: emulator-core/src/test/native/NAME. */
    public static Path sourceDir(String name) {
        return Checkout.resolve("emulator-core/src/test/native").resolve(name);
    }

    /** Where harness binaries go: emulator-core/target/native. */
    public static Path outputDir() {
        return Checkout.resolve("emulator-core/target/native");
    }

    /**
     * Builds {@code output} from {@code sources} (file names in {@link #sourceDir sourceDir(name)})
     * unless a binary newer than every file of that directory exists; returns the binary.
     * Skips or fails (see {@link Tools}) when this machine cannot build and run 32-bit static
     * programs; fails with gcc's output when the harness itself does not compile.
     */
    public static Path build(String name, String output, List<String> sources, List<String> extraFlags)
            throws IOException, InterruptedException {
        requireToolchain();
        Path src = sourceDir(name);
        List<Path> files = new ArrayList<>();
        for (String s : sources) {
            Path f = src.resolve(s);
            if (!Files.isRegularFile(f)) throw new AssertionFailedError("harness source missing: " + f);
            files.add(f);
        }
        Path outDir = outputDir();
        Files.createDirectories(outDir);
        Path bin = outDir.resolve(output);
        if (upToDate(bin, src)) return bin;
        List<String> cmd = new ArrayList<>(List.of(Tools.binary("gcc")));
        cmd.addAll(FLAGS);
        cmd.addAll(extraFlags);
        cmd.add("-o");
        cmd.add(bin.toString());
        for (Path f : files) cmd.add(f.toString());
        Run r = run(cmd, src);
        if (r.status != 0) {
            Files.deleteIfExists(bin);
            throw new AssertionFailedError("the C harness " + name + "/" + output + " does not build (a trivial 32-bit program "
                    + "builds and runs here, so this is an error in the harness, not a missing tool):\n$ "
                    + String.join(" ", cmd) + "\n" + r.output);
        }
        return bin;
    }

    /** Skips or fails unless this machine can build and run a 32-bit static program with gcc. */
    public static void requireToolchain() throws IOException, InterruptedException {
        Tools.require(toolchainProblem() == null, toolchainProblem(), INSTALL);
    }

    /** Why 32-bit harnesses cannot be built or run here, or null. Probed once per JVM. */
    public static synchronized String toolchainProblem() throws IOException, InterruptedException {
        if (probed) return unavailable;
        probed = true;
        String os = System.getProperty("os.name", "") + "/" + System.getProperty("os.arch", "");
        if (!os.startsWith("Linux/") || !(os.endsWith("amd64") || os.endsWith("x86_64") || os.endsWith("x86"))) {
            return unavailable = "the native harnesses need x86 Linux, this is " + os;
        }
        Path dir = outputDir().resolve("probe");
        Files.createDirectories(dir);
        Path c = dir.resolve("probe.c");
        // exit(42) through int 0x80, no libc
        Files.writeString(c, "void _start(void) { __asm__ volatile(\"int $0x80\" :: \"a\"(1), \"b\"(42)); for (;;) ; }\n");
        Path bin = dir.resolve("probe");
        List<String> cmd = new ArrayList<>(List.of(Tools.binary("gcc")));
        cmd.addAll(FLAGS);
        cmd.addAll(List.of("-o", bin.toString(), c.toString()));
        Run r;
        try {
            r = run(cmd, dir);
        } catch (IOException e) {
            return unavailable = "gcc is not installed (" + e.getMessage() + ")";
        }
        if (r.status != 0) return unavailable = "gcc cannot build a 32-bit static program:\n$ " + String.join(" ", cmd) + "\n" + r.output;
        try {
            r = run(List.of(bin.toString()), dir);
        } catch (IOException e) {
            return unavailable = "a 32-bit static program does not start here (kernel without IA-32 emulation?): " + e.getMessage();
        }
        if (r.status != 42) {
            return unavailable = "a 32-bit static program does not run here (exit status " + r.status + ", expected 42; kernel "
                    + "without IA-32 emulation?)";
        }
        return unavailable = null;
    }

    private static boolean upToDate(Path bin, Path srcDir) throws IOException {
        if (!Files.isExecutable(bin)) return false;
        FileTime built = Files.getLastModifiedTime(bin);
        try (Stream<Path> s = Files.list(srcDir)) {
            for (Path f : s.toList()) {
                if (Files.getLastModifiedTime(f).compareTo(built) > 0) return false;
            }
        }
        return true;
    }

    private record Run(int status, String output) {
    }

    private static Run run(List<String> cmd, Path dir) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return new Run(-1, out + "\n[timed out after 120 s]");
        }
        return new Run(p.exitValue(), out);
    }
}
