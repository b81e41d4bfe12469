package dev.tandem.core.guests;

import dev.tandem.core.asm.Assembler;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.CRC32;

/**
 * The built-in guest programs: 64 KiB firmware-style ROM images assembled at run time from the
 * sources in this package's resources by our own {@link Assembler}.
 *
 * <p>Both images are meant to be mapped at physical 0xF0000 and aliased at 0xFFFF0000; the CPU
 * starts at F000:FFF0 (CS base 0xFFFF0000). Both stop with {@code cli; hlt} after writing 0 to
 * port 0xF4.
 */
public final class BuiltinGuests {
    private BuiltinGuests() {}

    /** Size of each ROM image. */
    public static final int ROM_SIZE = 0x10000;
    /** Physical address the ROM image is mapped at (and aliased at 0xFFFF0000). */
    public static final int ROM_BASE = 0xF0000;

    /** Outer iterations of the bench loop, as set by the {@code ITERATIONS equ} in bench.asm. */
    public static final long BENCH_ITERATIONS = 8_000_000L;
    /** Instructions before the bench loop proper (inside the counted region). */
    public static final long BENCH_SETUP_INSTRUCTIONS = 4;
    /** Instructions per outer iteration of the bench loop. */
    public static final long BENCH_PER_ITERATION = 62;
    /** Instructions after the loop, before the out of 'E'. */
    public static final long BENCH_TAIL_INSTRUCTIONS = 1;

    /**
     * Instructions retired between the {@code out} of the '\n' after 'S' and the {@code out} of 'E'
     * (both outs excluded) in {@link #benchRom()}.
     */
    public static final long BENCH_LOOP_INSTRUCTIONS = benchLoopInstructions(BENCH_ITERATIONS);

    /** The instruction count of the counted bench region for a given number of outer iterations. */
    public static long benchLoopInstructions(long iterations) {
        if (iterations < 1) throw new IllegalArgumentException("iterations must be >= 1: " + iterations);
        return BENCH_SETUP_INSTRUCTIONS + iterations * BENCH_PER_ITERATION + BENCH_TAIL_INSTRUCTIONS;
    }

    private static final String RES = "/dev/tandem/core/guests/";

    private static byte[] helloRom;
    private static byte[] benchRom;
    private static String helloOutput;
    private static String benchOutput;

    /** Source text of a built-in guest ("hello.asm" or "bench.asm"). */
    public static String source(String name) {
        try (InputStream in = BuiltinGuests.class.getResourceAsStream(RES + name)) {
            if (in == null) throw new IllegalArgumentException("no built-in guest source named '" + name + "'");
            return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read built-in guest " + name, e);
        }
    }

    /** The hello ROM image (a fresh copy). */
    public static synchronized byte[] helloRom() {
        if (helloRom == null) helloRom = assembleRom("hello.asm", source("hello.asm"));
        return helloRom.clone();
    }

    private static byte[] echoRom;

    /** The echo ROM image (a fresh copy): counter lines and echoed input on COM1, forever (echo.asm). */
    public static synchronized byte[] echoRom() {
        if (echoRom == null) echoRom = assembleRom("echo.asm", source("echo.asm"));
        return echoRom.clone();
    }

    /** The bench ROM image (a fresh copy). */
    public static synchronized byte[] benchRom() {
        if (benchRom == null) benchRom = assembleRom("bench.asm", source("bench.asm"));
        return benchRom.clone();
    }

    private static final Pattern ITER_EQU = Pattern.compile("(?m)^(ITERATIONS\\s+equ\\s+)(\\d+)");

    /** The bench ROM with a different outer iteration count (not cached). */
    public static byte[] benchRom(long iterations) {
        if (iterations < 1 || iterations > 0xFFFFFFFFL) throw new IllegalArgumentException("bad iteration count " + iterations);
        Matcher m = ITER_EQU.matcher(source("bench.asm"));
        if (!m.find()) throw new IllegalStateException("bench.asm has no ITERATIONS equ");
        return assembleRom("bench.asm", m.replaceFirst("$1" + iterations));
    }

    private static byte[] assembleRom(String name, String src) {
        byte[] img = Assembler.assemble(src, name).image();
        if (img.length != ROM_SIZE) {
            throw new IllegalStateException(name + " assembled to " + img.length + " bytes, expected " + ROM_SIZE);
        }
        return img;
    }

    /**
     * The exact debug-console (port 0xE9) output of {@link #helloRom()}, computed here
     * independently of the guest (CRC via java.util.zip, primes by a Java sieve).
     */
    public static synchronized String expectedHelloOutput() {
        if (helloOutput != null) return helloOutput;
        byte[] buf = new byte[0x10000];
        int x = 12345678;
        for (int i = 0; i < buf.length; i++) {
            x = x * 1103515245 + 12345;
            buf[i] = (byte) (x >>> 16);
        }
        CRC32 crc = new CRC32();
        crc.update(buf);
        boolean[] composite = new boolean[65536];
        int count = 0, nth = 0, largest = 0;
        long sum = 0;
        for (int i = 2; i < 65536; i++) {
            if (composite[i]) continue;
            for (long j = (long) i * i; j < 65536; j += i) composite[(int) j] = true;
            count++;
            sum += i;
            largest = i;
            if (count == 1000) nth = i;
        }
        StringBuilder sb = new StringBuilder();
        sb.append("Tandem built-in guest: hello\n");
        sb.append("Real mode: OK\n");
        sb.append("Protected mode: OK\n");
        sb.append(String.format("CRC-32 of 64 KiB at 0x10000: 0x%08X\n", crc.getValue()));
        sb.append("Primes below 65536: ").append(count).append('\n');
        sb.append("Prime number 1000: ").append(nth).append('\n');
        sb.append("Largest prime below 65536: ").append(largest).append('\n');
        sb.append("Sum of primes below 65536: ").append(sum & 0xFFFFFFFFL)
                .append(String.format(" (0x%08X)\n", sum & 0xFFFFFFFFL));
        sb.append("Done.\n");
        helloOutput = sb.toString();
        return helloOutput;
    }

    /** The exact debug-console output of {@link #benchRom()}. */
    public static synchronized String expectedBenchOutput() {
        if (benchOutput == null) benchOutput = expectedBenchOutput(BENCH_ITERATIONS);
        return benchOutput;
    }

    /**
     * The debug-console output of the bench ROM for a given iteration count, computed by a Java
     * model of the loop.
     */
    public static String expectedBenchOutput(long iterations) {
        int[] buf = new int[257];
        for (int i = 0; i < 256; i++) buf[i] = i * 0x9E3779B9;
        int ebx = 0, edi = 0x12345678, ecx = (int) iterations;
        do {
            for (int k = 0; k < 4; k++) {
                int eax = (edi >>> 7) & 255;
                edi += buf[eax];
                edi = Integer.rotateLeft(edi, 5);
                edi ^= ecx;
                buf[eax] = edi;
                if ((edi & 0x100) != 0) ebx += edi;
                else ebx -= eax;
            }
            buf[256] = (ebx << 3) - ebx + ecx;
            ecx--;
        } while (ecx != 0);
        return String.format("S\nE\n%08X\n", ebx);
    }
}
