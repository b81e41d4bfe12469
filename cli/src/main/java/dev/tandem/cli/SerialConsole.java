package dev.tandem.cli;

import dev.tandem.core.dev.SerialBackend;
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
 */
final class SerialConsole implements SerialBackend, AutoCloseable {
    private final OutputStream out;
    private final ConcurrentLinkedQueue<Integer> input = new ConcurrentLinkedQueue<>();
    private final AutoCloseable resource;
    private volatile boolean inputClosed;

    private SerialConsole(OutputStream out, AutoCloseable resource) {
        this.out = out;
        this.resource = resource;
    }

    static SerialConsole open(String spec) throws IOException {
        if (spec.equals("stdio")) {
            SerialConsole c = new SerialConsole(System.out, null);
            c.pump(System.in);
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
            c.pump(s.getInputStream());
            return c;
        }
        throw new IllegalArgumentException("bad serial spec '" + spec + "': use stdio, none, file:PATH or tcp:PORT");
    }

    private void pump(InputStream in) {
        Thread t = new Thread(() -> {
            try {
                int b;
                while ((b = in.read()) >= 0) input.add(b);
            } catch (IOException e) {
                // the peer went away: no more input
            }
            inputClosed = true;
        }, "serial-input");
        t.setDaemon(true);
        t.start();
    }

    /** Next input byte or -1 (called on the machine thread at slice boundaries). */
    int poll() {
        Integer b = input.poll();
        return b == null ? -1 : b;
    }

    /** Waits up to {@code millis} for an input byte; true if one is available. */
    boolean awaitInput(long millis) throws InterruptedException {
        long end = System.currentTimeMillis() + millis;
        while (input.isEmpty() && !inputClosed && System.currentTimeMillis() < end) Thread.sleep(2);
        return !input.isEmpty();
    }

    boolean inputClosed() {
        return inputClosed && input.isEmpty();
    }

    @Override
    public void transmit(int b) {
        try {
            out.write(b);
            if (b == '\n') out.flush();
        } catch (IOException e) {
            // output gone: drop
        }
    }

    void flush() {
        try {
            out.flush();
        } catch (IOException ignored) {
            // nothing to do
        }
    }

    @Override
    public void close() throws Exception {
        flush();
        if (resource != null) resource.close();
    }
}
