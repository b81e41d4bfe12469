package dev.tandem.cli;

import dev.tandem.cli.bench.BootBench;
import dev.tandem.cli.bench.BootBenchRunner;
import dev.tandem.cli.bench.BootTrace;
import dev.tandem.cli.bench.CpuBenchRunner;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code bench [cpu]}: guest MIPS on the built-in bench ROM, ours against QEMU TCG;
 * {@code bench boot}: host time to serial markers while Linux boots, ours against QEMU TCG.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        subcommands = {BenchCommand.Cpu.class, BenchCommand.Boot.class, ReplicationBenchCommand.class},
        description = {"Benchmarks against QEMU TCG. Without a subcommand: 'bench cpu'.",
                "cpu: guest MIPS on the built-in bench ROM (exactly known instruction count), timed on the host "
                        + "between the ROM's 'S\\n' and 'E' debug-console writes.",
                "boot: host seconds from start to serial-console markers while Linux boots."})
final class BenchCommand implements Callable<Integer> {
    @Mixin
    CpuOptions options;

    @Override
    public Integer call() throws Exception {
        return options.run();
    }

    /** Options of the CPU benchmark (shared by {@code bench} and {@code bench cpu}). */
    static final class CpuOptions {
        @Option(names = "--runs", defaultValue = "5", description = "timed runs per emulator, after one warm-up run (default: ${DEFAULT-VALUE})")
        int runs;

        @Option(names = "--iterations", defaultValue = "2000000",
                description = "outer iterations of the bench loop, 62 instructions each (default: ${DEFAULT-VALUE})")
        long iterations;

        @Option(names = "--no-qemu", description = "do not run QEMU")
        boolean noQemu;

        @Option(names = "--qemu", paramLabel = "PATH", description = "qemu-system-i386 to use (default: the one on PATH)")
        String qemu;

        @Option(names = "--timeout", defaultValue = "600", description = "seconds before a QEMU run is killed (default: ${DEFAULT-VALUE})")
        double timeout;

        @Option(names = "--json", paramLabel = "FILE", description = "also write the results as JSON to FILE")
        Path json;

        int run() throws Exception {
            return new CpuBenchRunner(new CpuBenchRunner.Options(runs, iterations, noQemu, qemu, json, timeout), System.out).run();
        }
    }

    @Command(name = "cpu", mixinStandardHelpOptions = true,
            description = "Guest MIPS on the built-in bench ROM in our emulator and in QEMU TCG (same instruction count).")
    static final class Cpu implements Callable<Integer> {
        @Mixin
        CpuOptions options;

        @Override
        public Integer call() throws Exception {
            return options.run();
        }
    }

    @Command(name = "boot", mixinStandardHelpOptions = true,
            description = {"Boots Linux in our emulator and in QEMU TCG (-cpu " + BootBench.QEMU_CPU + ") and reports the "
                    + "host time from start to each serial marker: 'MARK <name>' lines, the shell prompt (PROMPT), and "
                    + "--marker patterns. Without --kernel it uses the anchors' bench guest (vmlinuz + bench.cpio.gz, "
                    + "built by guests/build-bench-guest.sh) in --guest-dir."})
    static final class Boot implements Callable<Integer> {
        /** Where guests/build-bench-guest.sh puts the bench guest by default, relative to the checkout. */
        static final String DEFAULT_BENCH_GUEST = "guests/cache/bench";

        @Option(names = "--kernel", paramLabel = "K", description = "bzImage (default: GUEST_DIR/vmlinuz)")
        Path kernel;

        @Option(names = "--initrd", paramLabel = "I", description = "initramfs (default with the default kernel: GUEST_DIR/bench.cpio.gz)")
        Path initrd;

        @Option(names = "--guest-dir", paramLabel = "GUEST_DIR",
                description = "where guests/build-bench-guest.sh put the bench guest (default: $TANDEM_BENCH_GUEST, else "
                        + DEFAULT_BENCH_GUEST + " relative to the current directory: run ./tandem from the checkout)")
        Path guestDir;

        @Option(names = "--kernel-decompress", defaultValue = "guest",
                description = "our emulator: guest (the kernel's own decompressor, as QEMU does) or host (decompressed on "
                        + "the host before boot). Default: ${DEFAULT-VALUE}")
        String kernelDecompress;

        @Option(names = "--append", defaultValue = BootBench.DEFAULT_APPEND, description = "kernel command line (default: ${DEFAULT-VALUE})")
        String append;

        @Option(names = {"-m", "--memory"}, defaultValue = "128M", description = "guest RAM for both emulators (default: ${DEFAULT-VALUE})")
        String memory;

        @Option(names = "--runs", defaultValue = "3", description = "boots per emulator (default: ${DEFAULT-VALUE})")
        int runs;

        @Option(names = "--timeout", defaultValue = "300", description = "seconds per boot before it is stopped (default: ${DEFAULT-VALUE})")
        double timeout;

        @Option(names = "--no-qemu", description = "do not run QEMU")
        boolean noQemu;

        @Option(names = "--no-tandem", description = "do not run our emulator (QEMU reference only)")
        boolean noTandem;

        @Option(names = "--qemu", paramLabel = "PATH", description = "qemu-system-i386 to use (default: the one on PATH)")
        String qemu;

        @Option(names = "--prompt", defaultValue = "^(\\S+@\\S+:)?[~/]\\S*\\s?[#$] $",
                description = "regex for the shell prompt, matched against the current line even before its newline; "
                        + "the marker is called PROMPT (default: ${DEFAULT-VALUE})")
        String prompt;

        @Option(names = "--marker", paramLabel = "NAME=REGEX", description = "extra marker: first line containing a match (repeatable)")
        List<String> markers = List.of();

        @Option(names = "--stop-at", paramLabel = "NAME", split = ",",
                description = "end a run when one of these markers is reached (default: END,PROMPT)")
        List<String> stopAt = List.of("END", BootTrace.PROMPT);

        @Option(names = "--tandem-mode", defaultValue = "in-process",
                description = "in-process (a Machine in this JVM) or subprocess (java ... tandem run, like QEMU) (default: ${DEFAULT-VALUE})")
        String tandemMode;

        @Option(names = "--json", paramLabel = "FILE", description = "also write the results as JSON to FILE")
        Path json;

        @Override
        public Integer call() throws Exception {
            Path k = kernel;
            Path rd = initrd;
            if (k == null) {
                if (rd != null) throw new IllegalArgumentException("--initrd needs --kernel");
                Path dir = guestDir;
                if (dir == null) {
                    String env = System.getenv("TANDEM_BENCH_GUEST");
                    dir = Path.of(env != null && !env.isEmpty() ? env : DEFAULT_BENCH_GUEST);
                }
                k = dir.resolve("vmlinuz");
                rd = dir.resolve("bench.cpio.gz");
                if (!Files.isRegularFile(k) || !Files.isRegularFile(rd)) {
                    throw new IllegalArgumentException("no --kernel given and no bench guest in " + dir
                            + " (build it with: guests/build-bench-guest.sh " + dir + ", or pass --guest-dir or --kernel/--initrd)");
                }
            }
            Pattern p;
            Map<String, Pattern> extra = new LinkedHashMap<>();
            try {
                p = prompt.isEmpty() ? null : Pattern.compile(prompt);
                for (String m : markers) {
                    int eq = m.indexOf('=');
                    if (eq <= 0) throw new IllegalArgumentException("--marker wants NAME=REGEX, got '" + m + "'");
                    extra.put(m.substring(0, eq), Pattern.compile(m.substring(eq + 1)));
                }
            } catch (PatternSyntaxException e) {
                throw new IllegalArgumentException("bad regex: " + e.getMessage());
            }
            BootBenchRunner.Mode mode = switch (tandemMode) {
                case "in-process" -> BootBenchRunner.Mode.IN_PROCESS;
                case "subprocess" -> BootBenchRunner.Mode.SUBPROCESS;
                default -> throw new IllegalArgumentException("--tandem-mode: in-process or subprocess, got '" + tandemMode + "'");
            };
            long ram = Sizes.parse(memory);
            return new BootBenchRunner(new BootBenchRunner.Options(k, rd, append, ram, runs, timeout, noQemu, noTandem, qemu,
                    json, p, extra, new LinkedHashSet<>(stopAt), mode, "host".equals(kernelDecompress)), System.out).run();
        }
    }
}
