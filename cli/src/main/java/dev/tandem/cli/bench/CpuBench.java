package dev.tandem.cli.bench;

import dev.tandem.core.guests.BuiltinGuests;
import dev.tandem.core.machine.Machine;
import dev.tandem.core.machine.MachineConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * One run of the built-in bench ROM, timed on the host between the debug-console write of the
 * '\n' that follows 'S' and the write of 'E'.
 */
public final class CpuBench {
    private CpuBench() { }

    /** The QEMU command line for the bench ROM (debugcon on stdio, isa-debug-exit at 0xF4). */
    public static List<String> qemuCommand(Path qemu, Path rom) {
        return List.of(qemu.toString(), "-accel", "tcg", "-bios", rom.toString(), "-display", "none",
                "-nodefaults", "-no-reboot", "-m", "32",
                "-chardev", "stdio,id=dbg,signal=off", "-device", "isa-debugcon,iobase=0xe9,chardev=dbg",
                "-device", "isa-debug-exit,iobase=0xf4,iosize=1");
    }

    /**
     * @param instructions instructions retired between the two marks as counted by the emulator,
     *                     or -1 when the emulator cannot tell (QEMU)
     * @param nanos        host time between the marks
     * @param output       everything written to the debug console
     */
    public record Run(long instructions, long nanos, String output) {
        public double seconds() {
            return nanos / 1e9;
        }

        public double mips(long knownInstructions) {
            return knownInstructions / (nanos / 1e3);
        }
    }

    /** Watches debug-console bytes for the first "S\n" and the first 'E' after it. */
    private static final class Marks {
        final StringBuilder out = new StringBuilder();
        long startNs = -1, endNs = -1, startIcount = -1, endIcount = -1;

        /** Returns true when the end mark has just been seen. */
        boolean accept(int b, long now, long icount) {
            int prev = out.isEmpty() ? -1 : out.charAt(out.length() - 1);
            out.append((char) b);
            if (startNs < 0) {
                if (b == '\n' && prev == 'S') {
                    startNs = now;
                    startIcount = icount;
                }
            } else if (endNs < 0 && b == 'E') {
                endNs = now;
                endIcount = icount;
                return true;
            }
            return false;
        }

        boolean complete() {
            return startNs >= 0 && endNs >= 0;
        }
    }

    /** Runs the ROM in our emulator (in this JVM). */
    public static Run runTandem(byte[] rom, long knownInstructions) {
        Machine m = new Machine(MachineConfig.defaults(32 << 20), 0);
        Marks marks = new Marks();
        m.setDebugConsole(b -> marks.accept(b, System.nanoTime(), m.cpu().icount()));
        m.loadFirmware(rom);
        // generous budget: the ROM halts long before this unless the CPU misbehaves
        long budget = 2 * knownInstructions + 10_000_000L;
        Machine.Exit exit = m.run(budget);
        if (!marks.complete()) {
            throw new IllegalStateException("bench ROM did not print the S/E marks (exit " + exit + " after "
                    + m.cpu().icount() + " instructions; output so far: " + printable(marks.out) + ")");
        }
        if (exit != Machine.Exit.HALTED) {
            throw new IllegalStateException("bench ROM ended with " + exit + " instead of halting");
        }
        // icount is incremented after an instruction executes, so the value seen during an OUT
        // excludes that OUT: the counted region is everything after the '\n' OUT up to the 'E' OUT
        long counted = marks.endIcount - marks.startIcount - 1;
        return new Run(counted, marks.endNs - marks.startNs, marks.out.toString());
    }

    /** Runs the ROM under QEMU, stamping the marks as they arrive on QEMU's standard output. */
    public static Run runQemu(Path qemu, Path romFile, long timeoutNanos) throws IOException {
        Marks marks = new Marks();
        StampedProcess.Result r = StampedProcess.run(qemuCommand(qemu, romFile), timeoutNanos,
                (b, t) -> {
                    marks.accept(b, t, -1);
                    return false; // read to the end: the output is checked too
                });
        if (!marks.complete()) {
            throw new IllegalStateException("QEMU did not print the S/E marks" + (r.timedOut() ? " (timed out)" : "")
                    + ", exit status " + r.exitCode() + "; output: " + printable(marks.out)
                    + (r.stderrTail().isBlank() ? "" : "; stderr: " + r.stderrTail().strip()));
        }
        return new Run(-1, marks.endNs - marks.startNs, marks.out.toString());
    }

    /** Checks the debug-console output against the reference computed in Java. */
    public static void checkOutput(String who, Run run, long iterations) {
        String expected = BuiltinGuests.expectedBenchOutput(iterations);
        if (!expected.equals(run.output())) {
            throw new IllegalStateException(who + " printed " + printable(run.output()) + " but the bench ROM should print "
                    + printable(expected));
        }
    }

    static String printable(CharSequence s) {
        StringBuilder b = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\n') b.append("\\n");
            else if (c < 0x20 || c > 0x7E) b.append(String.format("\\x%02x", (int) c));
            else b.append(c);
        }
        return b.append('"').toString();
    }
}
