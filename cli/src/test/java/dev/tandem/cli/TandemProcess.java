package dev.tandem.cli;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A real {@code tandem} process for the replication tests: its own JVM, output in files, killable with SIGKILL/SIGSTOP. */
final class TandemProcess implements AutoCloseable {
    final String name;
    final Process process;
    final Path out;
    final Path err;
    final Path transcript;

    private TandemProcess(String name, Process p, Path out, Path err, Path transcript) {
        this.name = name;
        this.process = p;
        this.out = out;
        this.err = err;
        this.transcript = transcript;
    }

    /** Starts {@code tandem args...} with stdin from a pipe (see {@link #stdin()}). */
    static TandemProcess start(Path dir, String name, List<String> args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-XX:+UseSerialGC");
        cmd.add("-Xss4m");
        cmd.add("-cp");
        String cp = System.getProperty("java.class.path");
        String extra = System.getProperty("tandem.test.extraClasspath", "");
        cmd.add(extra.isEmpty() ? cp : cp + File.pathSeparator + extra);
        cmd.add("dev.tandem.cli.Main");
        cmd.addAll(args);
        Path out = dir.resolve(name + ".out");
        Path err = dir.resolve(name + ".err");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile());
        return new TandemProcess(name, pb.start(), out, err, dir.resolve(name + ".jsonl"));
    }

    OutputStream stdin() {
        return process.getOutputStream();
    }

    void type(String s) throws IOException {
        OutputStream o = process.getOutputStream();
        o.write(s.getBytes(StandardCharsets.US_ASCII));
        o.flush();
    }

    String stderr() {
        return read(err);
    }

    String stdout() {
        return read(out);
    }

    String transcriptText() {
        return read(transcript);
    }

    static String read(Path p) {
        try {
            return Files.exists(p) ? Files.readString(p, StandardCharsets.ISO_8859_1) : "";
        } catch (IOException e) {
            return "";
        }
    }

    /** Waits until {@code pattern} matches stderr; returns group 1. */
    String awaitStderr(String pattern, long millis) throws InterruptedException {
        Pattern p = Pattern.compile(pattern);
        long end = System.currentTimeMillis() + millis;
        for (;;) {
            Matcher m = p.matcher(stderr());
            if (m.find()) return m.groupCount() >= 1 ? m.group(1) : m.group();
            if (!process.isAlive()) {
                m = p.matcher(stderr());
                if (m.find()) return m.groupCount() >= 1 ? m.group(1) : m.group();
                throw new AssertionError(name + " exited (" + process.exitValue() + ") before '" + pattern + "':\n" + tail(stderr()));
            }
            if (System.currentTimeMillis() > end) throw new AssertionError(name + ": no '" + pattern + "' in stderr:\n" + tail(stderr()));
            Thread.sleep(20);
        }
    }

    static String tail(String s) {
        return s.length() < 4000 ? s : "..." + s.substring(s.length() - 4000);
    }

    static void await(String what, long millis, BooleanSupplier cond) throws InterruptedException {
        long end = System.currentTimeMillis() + millis;
        while (!cond.getAsBoolean()) {
            if (System.currentTimeMillis() > end) throw new AssertionError("timed out waiting for " + what);
            Thread.sleep(20);
        }
    }

    /** SIGKILL. */
    void kill9() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
    }

    void signal(String sig) throws IOException, InterruptedException {
        new ProcessBuilder("kill", "-" + sig, Long.toString(process.pid())).inheritIO().start().waitFor();
    }

    int waitExit(long millis) throws InterruptedException {
        if (!process.waitFor(millis, TimeUnit.MILLISECONDS)) throw new AssertionError(name + " did not exit within " + millis + " ms:\n" + tail(stderr()));
        return process.exitValue();
    }

    boolean alive() {
        return process.isAlive();
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
