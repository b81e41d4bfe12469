package dev.tandem.core.machine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tandem.core.guests.BuiltinGuests;
import org.junit.jupiter.api.Test;

class MachineTest {
    private static Machine helloMachine(StringBuilder out) {
        Machine m = new Machine(MachineConfig.defaults(32 << 20), 0);
        m.setDebugConsole(b -> out.append((char) b));
        m.loadFirmware(BuiltinGuests.helloRom());
        return m;
    }

    @Test
    void builtInGuestPrintsExpectedOutputAndHalts() {
        StringBuilder out = new StringBuilder();
        Machine m = helloMachine(out);
        assertEquals(Machine.Exit.HALTED, m.run(Long.MAX_VALUE));
        assertEquals(BuiltinGuests.expectedHelloOutput(), out.toString());
    }

    @Test
    void runStopsExactlyAtTheRequestedInstructionCount() {
        StringBuilder out = new StringBuilder();
        Machine full = helloMachine(out);
        full.run(Long.MAX_VALUE);
        long total = full.cpu().icount();
        for (long n : new long[] {1, 2, 17, 1000, 123_457, total - 1}) {
            Machine m = helloMachine(new StringBuilder());
            assertEquals(Machine.Exit.LIMIT, m.run(n));
            assertEquals(n, m.cpu().icount(), "stopped at the wrong count for limit " + n);
            // continuing gives the same end state as an uninterrupted run
            assertEquals(Machine.Exit.HALTED, m.run(Long.MAX_VALUE));
            assertEquals(total, m.cpu().icount());
            assertEquals(full.cpu().eip, m.cpu().eip);
        }
    }

    @Test
    void runIsDeterministic() {
        Machine a = helloMachine(new StringBuilder());
        Machine b = helloMachine(new StringBuilder());
        a.run(Long.MAX_VALUE);
        b.run(Long.MAX_VALUE);
        assertEquals(a.cpu().icount(), b.cpu().icount());
        assertEquals(java.util.Arrays.hashCode(a.memory().ram), java.util.Arrays.hashCode(b.memory().ram));
    }
}
