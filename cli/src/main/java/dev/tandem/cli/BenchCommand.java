package dev.tandem.cli;

import dev.tandem.core.guests.BuiltinGuests;
import dev.tandem.core.machine.Machine;
import dev.tandem.core.machine.MachineConfig;
import java.util.Arrays;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code bench}: guest MIPS on the built-in CPU-bound loop. */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Measures guest MIPS on the built-in CPU-bound bench guest (known instruction count).")
final class BenchCommand implements Callable<Integer> {
    @Option(names = "--runs", defaultValue = "5", description = "timed runs (default: ${DEFAULT-VALUE})")
    int runs;

    @Option(names = "--iterations", defaultValue = "2000000", description = "bench loop iterations (default: ${DEFAULT-VALUE})")
    int iterations;

    @Override
    public Integer call() {
        if (runs < 1) throw new IllegalArgumentException("--runs must be >= 1");
        byte[] rom = BuiltinGuests.benchRom(iterations);
        long loop = BuiltinGuests.benchLoopInstructions(iterations);
        double[] mips = new double[runs];
        // one untimed warm-up run for the JIT
        runOnce(rom, new StringBuilder());
        for (int i = 0; i < runs; i++) {
            StringBuilder out = new StringBuilder();
            long[] r = runOnce(rom, out);
            mips[i] = r[0] / (r[1] / 1e9) / 1e6;
            System.out.printf("run %d: %,d instructions in %.3f s = %.1f MIPS%n", i + 1, r[0], r[1] / 1e9, mips[i]);
        }
        Arrays.sort(mips);
        System.out.printf("tandem interpreter: min %.1f / median %.1f / max %.1f MIPS over %d runs (loop of %,d instructions)%n",
                mips[0], mips[runs / 2], mips[runs - 1], runs, loop);
        return Main.EXIT_OK;
    }

    private static long[] runOnce(byte[] rom, StringBuilder out) {
        Machine m = new Machine(MachineConfig.defaults(32 << 20), 0);
        m.setDebugConsole(b -> out.append((char) b));
        m.loadFirmware(rom);
        long t0 = System.nanoTime();
        m.run(Long.MAX_VALUE);
        long t1 = System.nanoTime();
        return new long[] {m.cpu().icount(), t1 - t0};
    }
}
