package dev.tandem.core.guests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tandem.core.cpu.Cpu;
import dev.tandem.core.io.IoBus;
import dev.tandem.core.io.IoDevice;
import dev.tandem.core.mem.PhysicalMemory;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Runs the built-in ROMs on our own CPU with a minimal machine (RAM, the ROM at 0xF0000 and
 * 0xFFFF0000, a debug console on port 0xE9) and checks the output and the bench instruction
 * count.
 */
class GuestEmulatorTest {

    /** Minimal machine: records debug-console bytes and the retired-instruction count at each. */
    private static final class Rig {
        final PhysicalMemory mem = new PhysicalMemory(2 << 20);
        final IoBus io = new IoBus();
        final Cpu cpu;
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final List<Long> icountAtOut = new ArrayList<>();
        boolean exitWritten;

        Rig(byte[] rom) {
            cpu = new Cpu(mem, io);
            mem.mapRom(BuiltinGuests.ROM_BASE, rom);
            mem.mapRom(0xFFFF0000, rom);
            io.register(0xE9, 0xE9, new IoDevice() {
                @Override public int ioRead(int port, int size) { return 0xE9; }
                @Override public void ioWrite(int port, int size, int value) {
                    out.write(value & 0xFF);
                    icountAtOut.add(cpu.icount());
                }
            });
            io.register(0xF4, 0xF4, new IoDevice() {
                @Override public int ioRead(int port, int size) { return 0xFF; }
                @Override public void ioWrite(int port, int size, int value) { exitWritten = true; }
            });
            cpu.reset();
        }

        void runToHalt(long budget) {
            while (!cpu.halted() && cpu.icount() < budget) {
                cpu.run(Math.min(budget, cpu.icount() + 50_000_000L));
            }
            assertTrue(cpu.halted(), "guest did not halt within " + budget + " instructions (eip="
                    + Integer.toHexString(cpu.eip) + ")");
            assertEquals(0, cpu.getEflags() & 0x200, "halted with interrupts disabled");
            assertTrue(exitWritten, "guest wrote the exit port before halting");
        }

        String output() {
            return out.toString(StandardCharsets.ISO_8859_1);
        }
    }

    @Test
    void helloRunsToTheExpectedOutput() {
        Rig r = new Rig(BuiltinGuests.helloRom());
        r.runToHalt(200_000_000L);
        assertEquals(BuiltinGuests.expectedHelloOutput(), r.output());
    }

    private static void checkBench(long iterations, long budget) {
        Rig r = new Rig(iterations == BuiltinGuests.BENCH_ITERATIONS ? BuiltinGuests.benchRom()
                : BuiltinGuests.benchRom(iterations));
        r.runToHalt(budget);
        assertEquals(BuiltinGuests.expectedBenchOutput(iterations), r.output());
        // outs: 'S', '\n', 'E', ... ; the icount seen by the device differs from the retired
        // count by the same constant at both outs, so the difference is exact.
        long between = r.icountAtOut.get(2) - r.icountAtOut.get(1) - 1;
        assertEquals(BuiltinGuests.benchLoopInstructions(iterations), between);
    }

    @Test
    void benchWithFewIterationsCountsExactly() {
        checkBench(1000, 10_000_000L);
    }

    @Test
    void fullBench() {
        assumeTrue(Boolean.getBoolean("tandem.long"), "full bench runs only with -Dtandem.long=true");
        checkBench(BuiltinGuests.BENCH_ITERATIONS, BuiltinGuests.BENCH_LOOP_INSTRUCTIONS + 10_000_000L);
    }
}
