package dev.tandem.cli.bench;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** Finds qemu-system-i386 and asks it for its version. */
public final class Qemu {
    private Qemu() { }

    /**
     * The executable: {@code explicit} if given (it must exist), else the first
     * {@code qemu-system-i386} on PATH, else null.
     */
    public static Path locate(String explicit) {
        if (explicit != null) {
            Path p = Path.of(explicit);
            if (!Files.isExecutable(p)) throw new IllegalArgumentException("--qemu: not an executable file: " + explicit);
            return p;
        }
        String path = System.getenv("PATH");
        if (path == null) return null;
        for (String dir : path.split(File.pathSeparator)) {
            if (dir.isEmpty()) continue;
            Path p = Path.of(dir, "qemu-system-i386");
            if (Files.isExecutable(p)) return p;
        }
        return null;
    }

    /** First line of {@code qemu --version}, or "unknown". */
    public static String version(Path qemu) {
        try {
            Process p = new ProcessBuilder(qemu.toString(), "--version").redirectErrorStream(true).start();
            p.getOutputStream().close();
            String out;
            try (InputStream in = p.getInputStream()) {
                out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            if (!p.waitFor(10, TimeUnit.SECONDS)) p.destroyForcibly();
            String first = out.lines().findFirst().orElse("").trim();
            return first.isEmpty() ? "unknown" : first;
        } catch (IOException e) {
            return "unknown (" + e.getMessage() + ")";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "unknown";
        }
    }
}
