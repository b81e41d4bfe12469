package dev.tandem.cli.bench;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongFunction;

/**
 * Runs a child process and hands every byte of its standard output to a sink together with the
 * host time ({@link System#nanoTime}) at which the chunk holding it arrived. Time zero is taken
 * just before the process is spawned. Standard input is /dev/null; the tail of standard error is
 * kept for error messages.
 */
public final class StampedProcess {
    private StampedProcess() { }

    /** Receives output bytes; returns true to end the run (the child is then killed). */
    @FunctionalInterface
    public interface Sink {
        boolean accept(int b, long nanoTime);
    }

    /**
     * @param t0         {@code System.nanoTime()} just before the spawn
     * @param end        {@code System.nanoTime()} when the output ended or the child was killed
     * @param exitCode   the child's exit status (after a kill: whatever the OS reports)
     * @param timedOut   the child was killed because the timeout passed
     * @param stopped    the child was killed because the sink asked for it
     * @param stderrTail the last few KiB of standard error
     */
    public record Result(long t0, long end, int exitCode, boolean timedOut, boolean stopped, String stderrTail) {
        public double seconds() {
            return (end - t0) / 1e9;
        }
    }

    public static Result run(List<String> command, long timeoutNanos, Sink sink) throws IOException {
        return run(command, timeoutNanos, t0 -> sink);
    }

    /** As {@link #run(List, long, Sink)}, with the sink made once time zero is known. */
    public static Result run(List<String> command, long timeoutNanos, LongFunction<Sink> sinkForT0) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(command)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        long t0 = System.nanoTime();
        Sink sink = sinkForT0.apply(t0);
        Process p = pb.start();
        AtomicBoolean timedOut = new AtomicBoolean();
        Thread watchdog = new Thread(() -> {
            try {
                if (!p.waitFor(timeoutNanos, TimeUnit.NANOSECONDS)) {
                    timedOut.set(true);
                    p.destroyForcibly();
                }
            } catch (InterruptedException e) {
                // run() finished first
            }
        }, "bench-watchdog");
        watchdog.setDaemon(true);
        watchdog.start();
        StringBuilder err = new StringBuilder();
        Thread errDrain = new Thread(() -> drain(p.getErrorStream(), err), "bench-stderr");
        errDrain.setDaemon(true);
        errDrain.start();

        boolean stopped = false;
        long end;
        byte[] buf = new byte[65536];
        try (InputStream in = p.getInputStream()) {
            outer:
            for (;;) {
                int n = in.read(buf);
                long t = System.nanoTime();
                if (n < 0) {
                    end = t;
                    break;
                }
                for (int i = 0; i < n; i++) {
                    if (sink.accept(buf[i] & 0xFF, t)) {
                        stopped = true;
                        end = t;
                        p.destroyForcibly();
                        break outer;
                    }
                }
            }
        }
        int rc;
        try {
            if (!p.waitFor(10, TimeUnit.SECONDS)) p.destroyForcibly();
            rc = p.waitFor();
            errDrain.join(2000);
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for " + command.get(0));
        } finally {
            watchdog.interrupt();
        }
        String tail;
        synchronized (err) {
            tail = err.toString();
        }
        return new Result(t0, end, rc, timedOut.get(), stopped, tail);
    }

    private static void drain(InputStream in, StringBuilder keep) {
        byte[] buf = new byte[4096];
        try (in) {
            int n;
            while ((n = in.read(buf)) >= 0) {
                synchronized (keep) {
                    keep.append(new String(buf, 0, n, StandardCharsets.UTF_8));
                    if (keep.length() > 8192) keep.delete(0, keep.length() - 4096);
                }
            }
        } catch (IOException e) {
            // child gone
        }
    }
}
