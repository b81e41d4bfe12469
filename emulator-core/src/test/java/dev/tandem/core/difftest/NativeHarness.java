package dev.tandem.core.difftest;

import dev.tandem.core.testkit.NativeBuild;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Builds the freestanding i386 harness (src/test/native/difftest, with {@link NativeBuild}) and talks to
 * it over a pipe: batches of input records go to stdin, output records come back on stdout.
 * See harness.c for the record layout.
 */
final class NativeHarness implements AutoCloseable {
    static final int IN_SIZE = 4 * 8 + 4 + 4 + 4 + 4 + 16 + TestCase.SCRATCH_SIZE;
    static final int OUT_SIZE = 4 + 4 * 8 + 4 + 4 + 4 + 4 + 4 + TestCase.SCRATCH_SIZE;
    static final int MAX_BATCH = 8192;

    private final Process proc;
    private final OutputStream out;
    private final DataInputStream in;
    private final ByteBuffer inBuf = ByteBuffer.allocate(4 + MAX_BATCH * IN_SIZE).order(ByteOrder.LITTLE_ENDIAN);
    private final byte[] outBytes = new byte[MAX_BATCH * OUT_SIZE];

    private NativeHarness(Process proc) {
        this.proc = proc;
        this.out = new BufferedOutputStream(proc.getOutputStream(), 1 << 16);
        this.in = new DataInputStream(new BufferedInputStream(proc.getInputStream(), 1 << 16));
    }

    /**
     * Builds the harness into emulator-core/target/native/harness unless it is newer than its
     * sources ({@link NativeBuild}: skipped or failed when this machine cannot build 32-bit
     * programs, always failed when the harness does not compile).
     */
    static Path build() throws IOException, InterruptedException {
        return NativeBuild.build("difftest", "harness", List.of("harness.c", "harness.S"), List.of("-fno-builtin", "-Wall"));
    }

    static NativeHarness start() throws IOException, InterruptedException {
        Path bin = build();
        ProcessBuilder pb = new ProcessBuilder(bin.toString());
        pb.redirectError(ProcessBuilder.Redirect.INHERIT);
        return new NativeHarness(pb.start());
    }

    /** Runs a batch natively; returns one outcome per case, in order. */
    Outcome[] run(List<TestCase> cases) throws IOException {
        Outcome[] res = new Outcome[cases.size()];
        for (int from = 0; from < cases.size(); from += MAX_BATCH) {
            int to = Math.min(cases.size(), from + MAX_BATCH);
            runChunk(cases, from, to, res);
        }
        return res;
    }

    private void runChunk(List<TestCase> cases, int from, int to, Outcome[] res) throws IOException {
        int n = to - from;
        inBuf.clear();
        inBuf.putInt(n);
        for (int i = from; i < to; i++) {
            TestCase c = cases.get(i);
            for (int r = 0; r < 8; r++) inBuf.putInt(c.regs[r]);
            inBuf.putInt(c.eflags);
            inBuf.putInt(c.relMask);
            if (c.code.length > 15) throw new IllegalArgumentException("instruction longer than 15 bytes: " + c.form.name());
            inBuf.putInt(c.code.length);
            inBuf.putInt(c.faultLayout ? 1 : 0);
            inBuf.put(c.code);
            for (int k = c.code.length; k < 16; k++) inBuf.put((byte) 0);
            inBuf.put(c.scratch);
        }
        out.write(inBuf.array(), 0, inBuf.position());
        out.flush();
        try {
            in.readFully(outBytes, 0, n * OUT_SIZE);
        } catch (IOException e) {
            throw new IOException("native harness died (exit " + (proc.isAlive() ? "?" : proc.exitValue()) + ")", e);
        }
        ByteBuffer bb = ByteBuffer.wrap(outBytes, 0, n * OUT_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            Outcome o = new Outcome();
            int status = bb.getInt();
            o.signal = status;
            o.vector = status == 0 ? -1 : vectorOf(status);
            for (int r = 0; r < 8; r++) o.regs[r] = bb.getInt();
            o.eflags = bb.getInt();
            o.faultAddr = bb.getInt();
            o.faultEip = bb.getInt();
            o.trapno = bb.getInt();
            o.errorCode = bb.getInt();
            // SIGSEGV comes from #GP, #SS or #PF: the trap number says which
            if ((status == 11 || status == 7) && (o.trapno == 12 || o.trapno == 13 || o.trapno == 14)) o.vector = o.trapno;
            bb.get(o.scratch);
            res[from + i] = o;
        }
    }

    /** Signal to exception vector: SIGFPE #DE, SIGILL #UD, SIGTRAP #DB, SIGSEGV/SIGBUS #GP (or #PF, see the comparator). */
    static int vectorOf(int signal) {
        return switch (signal) {
            case 8 -> 0;
            case 4 -> 6;
            case 5 -> 1;
            case 11, 7 -> 13;
            default -> 1000 + signal;
        };
    }

    @Override
    public void close() throws IOException {
        out.close();
        try {
            if (!proc.waitFor(10, TimeUnit.SECONDS)) proc.destroyForcibly();
        } catch (InterruptedException e) {
            proc.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        InputStream is = in;
        is.close();
    }
}
