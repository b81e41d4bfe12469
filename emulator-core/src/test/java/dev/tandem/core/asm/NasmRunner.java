package dev.tandem.core.asm;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Test helper: runs the system's nasm ({@link dev.tandem.core.testkit.Tools#nasm}) and compares its output with ours. */
final class NasmRunner {
    private NasmRunner() {}

    /** Output of nasm -f bin plus its listing. */
    record NasmOutput(byte[] image, List<String> listing) {}

    static NasmOutput assemble(String source) throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory("tandem-nasm");
        try {
            Path src = dir.resolve("in.asm"), bin = dir.resolve("out.bin"), lst = dir.resolve("out.lst");
            Files.writeString(src, source, StandardCharsets.ISO_8859_1);
            Process p = new ProcessBuilder(dev.tandem.core.testkit.Tools.binary("nasm"), "-f", "bin", "-o", bin.toString(), "-l", lst.toString(),
                    src.toString()).redirectErrorStream(true).start();
            String msg = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("nasm timed out");
            }
            if (p.exitValue() != 0) throw new IOException("nasm failed: " + msg);
            return new NasmOutput(Files.readAllBytes(bin), Files.readAllLines(lst, StandardCharsets.ISO_8859_1));
        } finally {
            try (var s = Files.list(dir)) {
                for (Path f : s.toList()) Files.deleteIfExists(f);
            }
            Files.deleteIfExists(dir);
        }
    }

    /**
     * Returns null if identical, else a description of the first difference including the source
     * line that nasm's listing maps to the differing offset.
     */
    static String compare(String source, byte[] ours, NasmOutput nasm) {
        byte[] ref = nasm.image();
        int n = Math.min(ours.length, ref.length);
        int diff = -1;
        for (int i = 0; i < n; i++) {
            if (ours[i] != ref[i]) { diff = i; break; }
        }
        if (diff < 0 && ours.length == ref.length) return null;
        if (diff < 0) diff = n;
        // find listing line whose offset range covers diff
        String where = "?";
        long bestOff = -1;
        String[] srcLines = source.split("\n", -1);
        for (String l : nasm.listing()) {
            // format: "<lineno> <offset8> <hexbytes> <source>"
            String[] f = l.trim().split("\\s+", 4);
            if (f.length < 3 || !f[1].matches("[0-9A-F]{8}")) continue;
            long off = Long.parseLong(f[1], 16);
            if (off <= diff && off >= bestOff) {
                bestOff = off;
                int ln = Integer.parseInt(f[0]);
                where = "line " + ln + ": " + (ln - 1 < srcLines.length ? srcLines[ln - 1].trim() : "") + "  nasm="
                        + f[2];
            }
        }
        int from = (int) Math.max(0, bestOff);
        String oursHex = HexFormat.of().withUpperCase().formatHex(ours, Math.min(from, ours.length),
                Math.min(ours.length, from + 16));
        return "first difference at offset 0x" + Integer.toHexString(diff) + " (sizes ours=" + ours.length
                + " nasm=" + ref.length + "), " + where + "  ours(from 0x" + Integer.toHexString(from) + ")="
                + oursHex;
    }

    static List<String> lines(String s) {
        return new ArrayList<>(List.of(s.split("\n")));
    }
}
