package dev.tandem.cli;

import dev.tandem.cli.console.ConsoleControl;
import dev.tandem.cli.console.EscapeDecoder;
import dev.tandem.cli.console.RawTerminal;
import dev.tandem.core.dev.SerialBackend;
import dev.tandem.core.machine.Machine;
import dev.tandem.core.replay.HostWorld;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Where a UART's bytes go and come from: {@code stdio}, {@code file:PATH} (output only),
 * {@code tcp:PORT} (a loopback server accepting one client), or {@code none}.
 *
 * <p>{@code stdio} on a terminal is an interactive console (docs/console.md): the terminal is in
 * raw mode for the run, every byte typed goes to the guest except the escape-key commands
 * ({@link EscapeDecoder}, acted on by {@link ConsoleControl}), and guest output is written out
 * byte by byte. When standard input is not a terminal, bytes pass through unchanged and output
 * is flushed at every newline and slice boundary.
 */
final class SerialConsole implements SerialBackend, AutoCloseable, ConsoleControl.GuestOutput {
    private final OutputStream out;
    private final ConcurrentLinkedQueue<Integer> input = new ConcurrentLinkedQueue<>();
    private final AutoCloseable resource;
    private volatile boolean inputClosed;
    private RawTerminal terminal;
    private ConsoleControl control;
    private boolean flushEachByte;
    private boolean dirty;
    private volatile boolean atLineStart = true;

    private SerialConsole(OutputStream out, AutoCloseable resource) {
        this.out = out;
        this.resource = resource;
    }

    /** Opens a console without escape keys (stdio input passes through as is, even on a terminal). */
    static SerialConsole open(String spec) throws IOException {
        return open(spec, null);
    }

    /** Opens a console; with {@code options}, {@code stdio} on a terminal becomes interactive. */
    static SerialConsole open(String spec, ConsoleOptions options) throws IOException {
        if (spec.equals("stdio")) {
            SerialConsole c = new SerialConsole(System.out, null);
            RawTerminal t = null;
            if (options != null) {
                int key = options.escapeKey(); // a bad --escape fails here, before the terminal changes
                t = RawTerminal.enterIfInteractive(System.err);
                if (t != null) {
                    c.terminal = t;
                    c.flushEachByte = true;
                    c.control = new ConsoleControl(System.err, options.snapshotName, key, c);
                    c.pump(System.in, new EscapeDecoder(key, c.control));
                    String k = EscapeDecoder.describe(key);
                    System.err.println(key == EscapeDecoder.NONE
                            ? "[tandem] console: raw terminal, no escape key (stop with SIGTERM)"
                            : "[tandem] console: raw terminal; " + k + " x quits, " + k + " h lists the keys");
                }
            }
            if (t == null) c.pump(System.in, null);
            return c;
        }
        if (spec.equals("none")) {
            SerialConsole c = new SerialConsole(OutputStream.nullOutputStream(), null);
            c.inputClosed = true;
            return c;
        }
        if (spec.startsWith("file:")) {
            Path p = Path.of(spec.substring(5));
            OutputStream o = Files.newOutputStream(p);
            SerialConsole c = new SerialConsole(o, o);
            c.inputClosed = true;
            return c;
        }
        if (spec.startsWith("tcp:")) {
            int port;
            try {
                port = Integer.parseInt(spec.substring(4));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("bad serial spec '" + spec + "': tcp:PORT expected");
            }
            ServerSocket ss = new ServerSocket(port, 1, InetAddress.getLoopbackAddress());
            System.err.println("[tandem] serial console waiting for a connection on 127.0.0.1:" + ss.getLocalPort());
            Socket s = ss.accept();
            ss.close();
            SerialConsole c = new SerialConsole(s.getOutputStream(), s);
            c.pump(s.getInputStream(), null);
            return c;
        }
        throw new IllegalArgumentException("bad serial spec '" + spec + "': use stdio, none, file:PATH or tcp:PORT");
    }

    private void pump(InputStream in, EscapeDecoder escapes) {
        Thread t = new Thread(() -> {
            try {
                int b;
                while ((b = in.read()) >= 0) {
                    if (escapes != null && (b = escapes.accept(b)) < 0) continue;
                    input.add(b);
                }
            } catch (IOException e) {
                // the peer went away: no more input
            }
            inputClosed = true;
        }, "serial-input");
        t.setDaemon(true);
        t.start();
    }

    /** True when this is an interactive console on a raw terminal. */
    boolean interactive() {
        return control != null;
    }

    /** The host the machine's {@link dev.tandem.core.replay.Recorder} should read (clock held while paused). */
    HostWorld hostWorld() {
        return control != null ? control.hostWorld(this::poll) : HostWorld.system(this::poll);
    }

    /** Lets the escape keys act on {@code m}. */
    void attach(Machine m) {
        if (control != null) control.attach(m);
    }

    /** Call at every slice boundary on the machine thread: flushes output, runs escape-key commands. */
    void atSliceBoundary(Machine m) {
        if (dirty) flush();
        if (control != null) control.atSliceBoundary(m);
    }

    /** True after {@code Ctrl-A x}. */
    boolean quitRequested() {
        return control != null && control.quitRequested();
    }

    /** Number of snapshots written from the console. */
    int snapshotsWritten() {
        return control == null ? 0 : control.snapshotsWritten();
    }

    /** Next input byte or -1 (called on the machine thread at slice boundaries). */
    int poll() {
        Integer b = input.poll();
        return b == null ? -1 : b;
    }

    /** Waits up to {@code millis} for an input byte or a quit; true if a byte is available. */
    boolean awaitInput(long millis) throws InterruptedException {
        long end = System.currentTimeMillis() + millis;
        while (input.isEmpty() && !inputClosed && !quitRequested() && System.currentTimeMillis() < end) Thread.sleep(2);
        return !input.isEmpty();
    }

    boolean inputClosed() {
        return inputClosed && input.isEmpty();
    }

    @Override
    public void transmit(int b) {
        try {
            out.write(b);
            atLineStart = b == '\n';
            if (flushEachByte || b == '\n') {
                out.flush();
                dirty = false;
            } else {
                dirty = true;
            }
        } catch (IOException e) {
            // output gone: drop
        }
    }

    @Override
    public void flush() {
        try {
            dirty = false;
            out.flush();
        } catch (IOException ignored) {
            // nothing to do
        }
    }

    /** Interactive console: ends the guest's current line so that the emulator's closing lines start at the margin. */
    void endLine() {
        if (control == null) return;
        flush();
        if (!atLineStart) {
            System.err.println();
            atLineStart = true;
        }
    }

    @Override
    public boolean atLineStart() {
        return atLineStart;
    }

    @Override
    public void lineEnded() {
        atLineStart = true;
    }

    /** Flushes output and gives the terminal its settings back. */
    @Override
    public void close() throws Exception {
        flush();
        try {
            if (terminal != null) terminal.restore();
        } finally {
            if (resource != null) resource.close();
        }
    }
}
