package dev.tandem.cli;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A shell command run on a real pseudo-terminal by util-linux {@code script}: the command is a
 * session leader with the pty as its controlling terminal, so line discipline, echo and Ctrl-C
 * behave as in a terminal window. The test types into the pty (script's standard input) and reads
 * everything the pty shows (script's standard output).
 */
final class PtySession implements AutoCloseable {
    private final Process process;
    private final OutputStream keys;
    private final ByteArrayOutputStream screen = new ByteArrayOutputStream();
    private final Thread reader;

    /** Why a pty session cannot run here, or null. */
    static String unavailableReason() {
        if (!System.getProperty("os.name", "").toLowerCase().contains("linux")) return "pty tests need Linux";
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, "script"))) return null;
        }
        return "util-linux 'script' is not installed (Debian package bsdutils)";
    }

    /** Runs {@code shellCommand} with /bin/sh on a new pty in directory {@code dir}. */
    PtySession(String shellCommand, Path dir) throws IOException {
        ProcessBuilder pb = new ProcessBuilder("script", "-q", "-f", "-e", "-c", shellCommand, "/dev/null");
        pb.directory(dir.toFile());
        pb.environment().put("SHELL", "/bin/sh");
        pb.environment().put("TERM", "xterm");
        pb.redirectErrorStream(true);
        process = pb.start();
        keys = process.getOutputStream();
        InputStream in = process.getInputStream();
        reader = new Thread(() -> {
            byte[] buf = new byte[4096];
            try {
                int n;
                while ((n = in.read(buf)) > 0) {
                    synchronized (screen) {
                        screen.write(buf, 0, n);
                        screen.notifyAll();
                    }
                }
            } catch (IOException e) {
                // process gone
            }
        }, "pty-reader");
        reader.setDaemon(true);
        reader.start();
    }

    /** Types bytes at the terminal. */
    void type(byte... b) throws IOException {
        keys.write(b);
        keys.flush();
    }

    void type(String s) throws IOException {
        type(s.getBytes(StandardCharsets.ISO_8859_1));
    }

    /** Everything the terminal showed so far (ISO-8859-1). */
    String screen() {
        synchronized (screen) {
            return screen.toString(StandardCharsets.ISO_8859_1);
        }
    }

    /** The current length of the screen text (a position for {@link #await(String, int, Duration)}). */
    int mark() {
        synchronized (screen) {
            return screen.size();
        }
    }

    /** Waits until the screen contains {@code text} at or after {@code from}; returns its index. */
    int await(String text, int from, Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        synchronized (screen) {
            for (;;) {
                String s = screen.toString(StandardCharsets.ISO_8859_1);
                int i = s.indexOf(text, from);
                if (i >= 0) return i;
                long left = end - System.nanoTime();
                if (left <= 0) {
                    throw new AssertionError("waited " + timeout.toSeconds() + " s for '" + printable(text)
                            + "'; the terminal showed:\n" + printable(s.substring(Math.max(0, s.length() - 4000))));
                }
                screen.wait(Math.max(1, left / 1_000_000));
            }
        }
    }

    int await(String text, Duration timeout) throws InterruptedException {
        return await(text, 0, timeout);
    }

    /** The Java processes started inside the session (the emulator). */
    List<ProcessHandle> javaProcesses() {
        List<ProcessHandle> r = new ArrayList<>();
        process.toHandle().descendants().forEach(ph -> {
            Optional<String> cmd = ph.info().command();
            if (cmd.isPresent() && cmd.get().endsWith("/java")) r.add(ph);
        });
        return r;
    }

    /** Waits for the session to end; returns script's exit code (the command's, with -e). */
    int waitFor(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("the session did not end within " + timeout.toSeconds() + " s; the terminal showed:\n"
                    + printable(screen()));
        }
        reader.join(5000);
        return process.exitValue();
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            process.toHandle().descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
        }
    }

    /** Control bytes shown as \xNN, for failure messages. */
    static String printable(String s) {
        StringBuilder sb = new StringBuilder();
        for (char c : s.toCharArray()) {
            if (c == '\n' || (c >= 0x20 && c < 0x7F)) sb.append(c);
            else sb.append(String.format("\\x%02x", (int) c));
        }
        return sb.toString();
    }

    /** A single-quoted shell word. */
    static String quote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }
}
