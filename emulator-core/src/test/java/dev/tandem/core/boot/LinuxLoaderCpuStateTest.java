package dev.tandem.core.boot;

import dev.tandem.core.cpu.Cpu;
import dev.tandem.core.io.IoBus;
import dev.tandem.core.mem.PhysicalMemory;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/**
 * CPU state after {@link LinuxLoader#load}: the 32-bit boot protocol entry conditions. Needs the
 * real Cpu (the placeholder throws UnsupportedOperationException).
 */
class LinuxLoaderCpuStateTest {

    @Test
    void entersKernelInFlat32BitProtectedMode() {
        PhysicalMemory mem = new PhysicalMemory(32 << 20);
        Cpu cpu = new Cpu(mem, new IoBus());
        for (int r = 0; r < 8; r++) cpu.reg[r] = 0x5A5A0000 + r;
        LinuxBootInfo info = LinuxLoader.load(mem, cpu, new TestKernels.Builder().build(), null,
                "console=ttyS0", E820.standardPc(32 << 20));

        assertEquals(0x100000, cpu.eip);
        assertEquals(info.zeroPage(), cpu.reg[Cpu.ESI]);
        assertEquals(0, cpu.reg[Cpu.EBP]);
        assertEquals(0, cpu.reg[Cpu.EDI]);
        assertEquals(0, cpu.reg[Cpu.EBX]);
        assertEquals(0, cpu.getEflags() & 0x200, "interrupts disabled");
        assertEquals(0x10, cpu.getSelector(Cpu.CS));
        for (int seg : new int[] {Cpu.DS, Cpu.ES, Cpu.SS, Cpu.FS, Cpu.GS}) {
            assertEquals(0x18, cpu.getSelector(seg), "selector of segment " + seg);
            assertEquals(0, cpu.getSegBase(seg), "base of segment " + seg);
        }
        assertEquals(0, cpu.getSegBase(Cpu.CS));
    }
}
