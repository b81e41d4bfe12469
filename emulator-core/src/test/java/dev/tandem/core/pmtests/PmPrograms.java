package dev.tandem.core.pmtests;

import dev.tandem.core.asm.Assembler;
import dev.tandem.core.cpu.Cpu;
import dev.tandem.core.io.IoBus;
import dev.tandem.core.io.IoDevice;
import dev.tandem.core.mem.PhysicalMemory;
import dev.tandem.core.testkit.AsmIncludes;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.Consumer;

/**
 * The bare-metal protected-mode programs (test resources {@code dev/tandem/core/pmtests/*.asm})
 * and their stored outputs, for every test that runs them: {@link PmTestsTest}, the opcode
 * coverage count, and the CLI's {@code run --rom} test (through the emulator-core test-jar).
 */
public final class PmPrograms {
    private PmPrograms() {
    }

    /** Every program of the suite. */
    public static final List<String> ALL = List.of("segfaults", "privilege", "tasks", "paging", "v86", "segchecks");
    /** The programs whose {@code .expected} is QEMU's output (the others were checked against the SDM by hand). */
    public static final List<String> QEMU_CHECKED = List.of("segfaults", "privilege", "tasks", "paging", "v86");

    static final int RAM = 32 << 20;
    static final long BUDGET = 50_000_000L;

    /** A resource of the pmtests folder as text. */
    public static String resource(String name) {
        try (InputStream in = PmPrograms.class.getResourceAsStream(name)) {
            if (in == null) throw new IllegalArgumentException("no pmtests resource " + name);
            return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The program's source with its {@code %include}s expanded. */
    public static String source(String program) {
        return AsmIncludes.expand(resource(program + ".asm"), PmPrograms::resource);
    }

    /** The stored expected output ({@code NAME.expected}); a complete run ends with "DONE\n". */
    public static String expected(String program) {
        String e = resource(program + ".expected");
        if (!e.endsWith("DONE\n")) throw new IllegalStateException(program + ".expected is not a complete run (no final DONE)");
        return e;
    }

    /** The assembled 64 KiB ROM. */
    public static byte[] rom(String program) {
        byte[] img = Assembler.assemble(source(program), program + ".asm").image();
        if (img.length != 0x10000) throw new IllegalStateException("ROM image of " + program + " is " + img.length + " bytes, not 64 KiB");
        return img;
    }

    /** Assembles and runs a program on our CPU, {@code configure} applied after reset; returns the 0xE9 output. */
    public static String run(String program, Consumer<Cpu> configure) {
        return runRom(rom(program), configure);
    }

    /** Runs a ROM on our CPU until HLT; returns the 0xE9 output plus a note when it did not end properly. */
    public static String runRom(byte[] rom, Consumer<Cpu> configure) {
        PhysicalMemory mem = new PhysicalMemory(RAM);
        IoBus io = new IoBus();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        boolean[] exit = new boolean[1];
        io.register(0xE9, 0xE9, new IoDevice() {
            @Override public int ioRead(int p, int s) { return 0xE9; }
            @Override public void ioWrite(int p, int s, int v) { out.write(v & 0xFF); }
        });
        io.register(0xF4, 0xF4, new IoDevice() {
            @Override public int ioRead(int p, int s) { return 0xFF; }
            @Override public void ioWrite(int p, int s, int v) { exit[0] = true; }
        });
        mem.mapRom(0xF0000, rom);
        mem.mapRom(0xFFFF0000, rom);
        Cpu cpu = new Cpu(mem, io);
        cpu.reset();
        configure.accept(cpu);
        cpu.run(BUDGET);
        String s = out.toString(StandardCharsets.ISO_8859_1);
        if (cpu.shutdown) s += "[our CPU: triple fault / shutdown]\n";
        else if (!cpu.halted()) s += "[our CPU: did not halt within " + BUDGET + " instructions, eip=" + Integer.toHexString(cpu.eip) + "]\n";
        else if (!exit[0]) s += "[our CPU: halted without writing the exit port, eip=" + Integer.toHexString(cpu.eip) + "]\n";
        return s;
    }
}
