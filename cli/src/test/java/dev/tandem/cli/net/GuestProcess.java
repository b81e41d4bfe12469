package dev.tandem.cli.net;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import dev.tandem.core.testkit.LinuxGuest;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A {@code tandem} CLI in a separate JVM (a real process: its own sockets, killable), with the
 * serial console on its stdin/stdout. Used by the network tests to boot guests, type commands and
 * wait for their output.
 */
final class GuestProcess implements AutoCloseable {
    final Process process;
    final String name;
    private final StringBuffer out = new StringBuffer();
    private final StringBuffer err = new StringBuffer();
    private final OutputStream in;
    private int mark;

    /** Runs {@code prefix... java -cp <this classpath> dev.tandem.cli.Main args...}. */
    GuestProcess(String name, List<String> prefix, String... args) throws IOException {
        this(name, tandemCommand(prefix, args));
    }

    /** Runs any command with its console on stdin/stdout (QEMU with -nographic, for comparisons). */
    GuestProcess(String name, List<String> cmd) throws IOException {
        this.name = name;
        process = new ProcessBuilder(cmd).start();
        in = process.getOutputStream();
        pump(process.getInputStream(), out, name + "-stdout");
        pump(process.getErrorStream(), err, name + "-stderr");
    }

    static List<String> tandemCommand(List<String> prefix, String... args) {
        List<String> cmd = new ArrayList<>(prefix);
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-XX:+UseParallelGC");
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add("dev.tandem.cli.Main");
        cmd.addAll(List.of(args));
        return cmd;
    }

    private static void pump(InputStream s, StringBuffer to, String thread) {
        Thread t = new Thread(() -> {
            byte[] b = new byte[4096];
            try {
                int n;
                while ((n = s.read(b)) > 0) to.append(new String(b, 0, n, StandardCharsets.ISO_8859_1));
            } catch (IOException e) {
                // process gone
            }
        }, thread);
        t.setDaemon(true);
        t.start();
    }

    /**
     * Guest options for the Debian guest ({@link LinuxGuest#require()}: skipped, or failed in
     * require mode, without it), host-decompressed, with {@code extra} on the kernel command line.
     */
    static List<String> linux(String extra) {
        LinuxGuest.require();
        return List.of("--kernel", LinuxGuest.kernel().toString(), "--initrd", LinuxGuest.initrd().toString(),
                "--kernel-decompress", "host", "--append", "console=ttyS0 nokaslr cryptomgr.notests acpi=off " + extra);
    }

    String stdout() {
        return out.toString();
    }

    String stderr() {
        return err.toString();
    }

    /** Waits until {@code regex} matches stderr; returns the match. */
    Matcher awaitStderr(String regex, long seconds) throws InterruptedException {
        Pattern p = Pattern.compile(regex);
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        for (;;) {
            Matcher m = p.matcher(err);
            if (m.find()) return m;
            if (!process.isAlive() || System.nanoTime() > end) {
                throw new AssertionError(name + ": '" + regex + "' did not appear on stderr (alive=" + process.isAlive()
                        + "):\n" + tail(err.toString()) + "\nstdout:\n" + tail(out.toString()));
            }
            Thread.sleep(50);
        }
    }

    /** Waits until {@code text} appears on the console after the mark; moves the mark past it; returns what came before. */
    String await(String text, long seconds) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        for (;;) {
            int i = out.indexOf(text, mark);
            if (i >= 0) {
                String s = out.substring(mark, i);
                mark = i + text.length();
                return s;
            }
            if (!process.isAlive() || System.nanoTime() > end) {
                throw new AssertionError(name + ": '" + text + "' did not appear on the console within " + seconds
                        + " s (alive=" + process.isAlive() + "):\n" + tail(out.toString()) + "\nstderr:\n" + tail(err.toString()));
            }
            Thread.sleep(50);
        }
    }

    void type(String s) throws IOException {
        in.write(s.getBytes(StandardCharsets.US_ASCII));
        in.flush();
    }

    /** Types {@code cmd} between two markers and returns what it printed. */
    String command(String cmd, long seconds) throws Exception {
        String tag = Long.toString(System.nanoTime() & 0xFFFFFF, 36);
        type("echo @@B" + tag + "; " + cmd + "; echo @@E" + tag + "\n");
        await("@@B" + tag + "\r\n", seconds);
        return await("@@E" + tag, seconds).replace("\r\n", "\n");
    }

    int waitExit(long seconds) throws InterruptedException {
        if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
            throw new AssertionError(name + " did not exit within " + seconds + " s:\n" + tail(err.toString()));
        }
        return process.exitValue();
    }

    static String tail(String s) {
        return s.substring(Math.max(0, s.length() - 3000));
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroyForcibly();
            try {
                process.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
