package dev.tandem.core.testkit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The one way tests launch {@code qemu-system-i386}: a 64 KiB ROM as the BIOS, the debug console
 * (port 0xE9) to a file, {@code isa-debug-exit} on port 0xF4, nothing else attached. The binary is
 * {@code -Dtandem.qemu=PATH} when given, else {@code qemu-system-i386} on the PATH.
 */
public final class Qemu {
    private Qemu() {
    }

    /** Default time a ROM may run before QEMU is killed. */
    public static final Duration TIMEOUT = Duration.ofSeconds(120);

    public static String binary() {
        String p = System.getProperty("tandem.qemu");
        return p == null || p.isBlank() ? "qemu-system-i386" : p;
    }

    public static Tools.Probe probe() {
        return Tools.probe("qemu", List.of(binary(), "--version"), "apt-get install qemu-system-x86");
    }

    /** Skips or fails (see {@link Tools}) unless QEMU runs; returns its version (e.g. "7.2.22"). */
    public static String require() {
        Tools.Probe p = probe();
        Tools.require(p);
        String v = version(p.version());
        Tools.require(v != null, binary() + " --version printed no version number: " + p.version(), "apt-get install qemu-system-x86");
        return v;
    }

    /** The version number in a {@code --version} line ("QEMU emulator version 7.2.22 (Debian ...)"), or null. */
    static String version(String line) {
        if (line == null) return null;
        Matcher m = Pattern.compile("version (\\d+\\.\\d+(?:\\.\\d+)?)").matcher(line);
        return m.find() ? m.group(1) : null;
    }

    /** Major and minor version as two ints (QEMU must be present). */
    public static int[] majorMinor() {
        String[] v = require().split("\\.");
        return new int[] {Integer.parseInt(v[0]), Integer.parseInt(v[1])};
    }

    /**
     * What a run left: the debug-console bytes, QEMU's exit status ({@code isa-debug-exit} with the
     * value 0 gives 1), whether it was killed at the timeout, and QEMU's own messages.
     */
    public record Result(String debugcon, int exitStatus, boolean timedOut, String log) {
        /** The guest ended by writing 0 to the exit port. */
        public boolean exitedThroughPort() {
            return !timedOut && exitStatus == 1;
        }

        /** The debug-console output plus a note when the run did not end through the exit port. */
        public String transcript() {
            if (timedOut) return debugcon + "[qemu: did not exit within the timeout]\n";
            if (exitStatus != 1) return debugcon + "[qemu: exit status " + exitStatus + " (reset or crash, not the exit port)]\n";
            return debugcon;
        }
    }

    /**
     * Runs {@code rom} (mapped by QEMU below 4 GiB and at 0xF0000) with {@code ramMiB} of RAM; files
     * go to {@code dir} (rom.bin, debugcon.txt, qemu.log). {@code extra} is appended to the command.
     */
    public static Result runRom(Path dir, byte[] rom, int ramMiB, List<String> extra, Duration timeout)
            throws IOException, InterruptedException {
        require();
        Files.createDirectories(dir);
        Path bios = dir.resolve("rom.bin"), out = dir.resolve("debugcon.txt"), log = dir.resolve("qemu.log");
        Files.write(bios, rom);
        Files.deleteIfExists(out);
        List<String> cmd = new ArrayList<>(List.of(binary(), "-bios", bios.toString(), "-m", Integer.toString(ramMiB),
                "-display", "none", "-debugcon", "file:" + out, "-device", "isa-debug-exit,iobase=0xf4,iosize=1",
                "-no-reboot", "-serial", "null", "-monitor", "none", "-nodefaults"));
        cmd.addAll(extra);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        boolean exited = p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        if (!exited) {
            p.destroyForcibly();
            p.waitFor();
        }
        String s = Files.exists(out) ? Files.readString(out, StandardCharsets.ISO_8859_1) : "";
        return new Result(s, exited ? p.exitValue() : -1, !exited, Files.readString(log, StandardCharsets.UTF_8));
    }
}
