package dev.tandem.cli.bench;

import dev.tandem.core.boot.E820;
import dev.tandem.core.boot.LinuxLoader;
import dev.tandem.core.dev.SerialBackend;
import dev.tandem.core.machine.Machine;
import dev.tandem.core.machine.MachineConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** One timed Linux boot, in our emulator or in QEMU, with its serial output fed to a {@link BootTrace}. */
public final class BootBench {
    private BootBench() { }

    /** QEMU's -cpu for the boot bench: a P6 without the features our CPU does not model (as the anchors). */
    public static final String QEMU_CPU = "pentium2,-mmx,-fxsr,-apic,-pge,-pae,-mtrr,-mca,-mce,-pse36,-sep";
    /** Default kernel command line (the anchors' one). */
    public static final String DEFAULT_APPEND = "console=ttyS0 nokaslr acpi=off panic=-1 quiet";

    /**
     * @param trace   markers and results seen
     * @param seconds host time from start to the end of the run (stop marker, guest exit or timeout)
     * @param ending  how the run ended, in words
     * @param timedOut the run was ended by the timeout
     */
    public record Run(BootTrace trace, double seconds, String ending, boolean timedOut) { }

    public static List<String> qemuCommand(Path qemu, Path kernel, Path initrd, String append, long ramBytes) {
        List<String> c = new ArrayList<>(List.of(qemu.toString(), "-M", "pc", "-accel", "tcg", "-cpu", QEMU_CPU,
                "-m", Long.toString(ramBytes >> 20), "-nographic", "-no-reboot", "-kernel", kernel.toString()));
        if (initrd != null) {
            c.add("-initrd");
            c.add(initrd.toString());
        }
        c.add("-append");
        c.add(append);
        return c;
    }

    /** Our emulator as a child process ({@code java -cp <this classpath> dev.tandem.cli.Main run ...}). */
    public static List<String> tandemCommand(Path kernel, Path initrd, String append, long ramBytes,
                                             boolean hostDecompress) {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> c = new ArrayList<>(List.of(java, "-XX:+UseParallelGC", "-cp", System.getProperty("java.class.path"),
                "dev.tandem.cli.Main", "run", "--kernel", kernel.toString()));
        if (initrd != null) {
            c.add("--initrd");
            c.add(initrd.toString());
        }
        c.addAll(List.of("--append", append, "--memory", (ramBytes >> 20) + "M", "--serial", "stdio",
                "--kernel-decompress", hostDecompress ? "host" : "guest"));
        return c;
    }

    /** Runs a child process (QEMU or our emulator) and stamps its standard output. */
    public static Run runProcess(List<String> command, double timeoutSeconds, BootTraceFactory traces)
            throws IOException {
        BootTrace[] holder = new BootTrace[1];
        StampedProcess.Result r = StampedProcess.run(command, (long) (timeoutSeconds * 1e9), t0 -> {
            BootTrace trace = traces.create(t0);
            holder[0] = trace;
            return trace::accept;
        });
        holder[0].finish();
        String ending;
        if (r.timedOut()) ending = String.format("timeout after %.0f s", timeoutSeconds);
        else if (r.stopped()) ending = "stop marker reached";
        else ending = "process exited with status " + r.exitCode();
        if (!r.timedOut() && !r.stopped() && holder[0].marks().isEmpty() && !r.stderrTail().isBlank()) {
            ending += ": " + lastLine(r.stderrTail());
        }
        return new Run(holder[0], r.seconds(), ending, r.timedOut());
    }

    /** Creates the trace for a run once its time zero is known. */
    @FunctionalInterface
    public interface BootTraceFactory {
        BootTrace create(long t0);
    }

    /**
     * Boots Linux in our emulator inside this JVM. Time zero is taken before the kernel and initrd
     * files are read (QEMU reads them after its spawn too).
     */
    public static Run runInProcess(Path kernel, Path initrd, String append, long ramBytes, double timeoutSeconds,
                                   BootTraceFactory traces, boolean hostDecompress) throws IOException {
        long t0 = System.nanoTime();
        BootTrace trace = traces.create(t0);
        byte[] k = Files.readAllBytes(kernel);
        byte[] rd = initrd == null ? null : Files.readAllBytes(initrd);
        Machine m = new Machine(MachineConfig.defaults((int) ramBytes), System.currentTimeMillis());
        SerialBackend serial = b -> {
            if (trace.accept(b, System.nanoTime())) m.requestStop();
        };
        m.setSerial(0, serial);
        if (hostDecompress) {
            LinuxLoader.loadHostDecompressed(m.memory(), m.cpu(), k, rd, append, E820.standardPc(ramBytes));
        } else {
            LinuxLoader.load(m.memory(), m.cpu(), k, rd, append, E820.standardPc(ramBytes));
        }
        Machine.Exit[] exit = new Machine.Exit[1];
        Throwable[] failure = new Throwable[1];
        Thread th = new Thread(null, () -> {
            try {
                exit[0] = m.run(Long.MAX_VALUE);
            } catch (Throwable e) {
                failure[0] = e;
            }
        }, "bench-machine", 64L << 20);
        th.start();
        long deadline = t0 + (long) (timeoutSeconds * 1e9);
        boolean timedOut = false;
        try {
            for (;;) {
                long left = deadline - System.nanoTime();
                if (left <= 0) break;
                th.join(Math.max(1, left / 1_000_000));
                if (!th.isAlive()) break;
            }
            if (th.isAlive()) {
                timedOut = true;
                m.requestStop();
                th.join();
            }
        } catch (InterruptedException e) {
            m.requestStop();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted");
        }
        long end = System.nanoTime();
        trace.finish();
        String ending;
        if (failure[0] != null) ending = "emulator error: " + failure[0];
        else if (timedOut) ending = String.format("timeout after %.0f s (%,d instructions)", timeoutSeconds, m.cpu().icount());
        else if (trace.stopReached()) ending = "stop marker reached";
        else ending = "guest ended: " + exit[0];
        return new Run(trace, (end - t0) / 1e9, ending, timedOut);
    }

    private static String lastLine(String s) {
        String[] lines = s.strip().split("\n");
        return lines[lines.length - 1];
    }

    static Map<String, Long> marks(Run r) {
        return r.trace().marks();
    }
}
