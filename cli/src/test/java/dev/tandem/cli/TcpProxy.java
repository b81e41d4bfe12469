package dev.tandem.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A small TCP proxy for tests (the full fault proxy is the fault harness's): forwards a loopback
 * port to a target; can cut every connection and refuse new ones, and can flip one bit of the
 * server-to-client stream once a given number of bytes went through.
 */
final class TcpProxy implements AutoCloseable {
    private final ServerSocket server;
    private volatile InetSocketAddress target;
    private final List<Socket> open = new CopyOnWriteArrayList<>();
    private volatile boolean cut;
    private final AtomicLong corruptAt = new AtomicLong(-1);
    private final AtomicLong downstream = new AtomicLong();
    volatile int corruptions;

    TcpProxy(String targetHostPort) throws IOException {
        if (targetHostPort != null) setTarget(targetHostPort);
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread t = new Thread(this::accept, "proxy-accept");
        t.setDaemon(true);
        t.start();
    }

    /** Where connections go (connections arriving before a target is set are dropped). */
    void setTarget(String hostPort) {
        int c = hostPort.lastIndexOf(':');
        target = new InetSocketAddress(hostPort.substring(0, c), Integer.parseInt(hostPort.substring(c + 1)));
    }

    String address() {
        return "127.0.0.1:" + server.getLocalPort();
    }

    /** Flips a bit of the server-to-client byte at stream position {@code n} (counted over all connections). */
    void corruptAt(long n) {
        corruptAt.set(n);
    }

    long downstreamBytes() {
        return downstream.get();
    }

    /** Drops every connection and refuses new ones until {@link #restore()}. */
    void cut() {
        cut = true;
        for (Socket s : open) close(s);
    }

    void restore() {
        cut = false;
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket in = server.accept();
                if (cut || target == null) {
                    close(in);
                    continue;
                }
                Socket out = new Socket();
                try {
                    out.connect(target, 1000);
                } catch (IOException e) {
                    close(in);
                    continue;
                }
                in.setTcpNoDelay(true);
                out.setTcpNoDelay(true);
                open.add(in);
                open.add(out);
                pump(in, out, false);
                pump(out, in, true);
            } catch (IOException e) {
                return;
            }
        }
    }

    private void pump(Socket from, Socket to, boolean down) {
        Thread t = new Thread(() -> {
            byte[] buf = new byte[16384];
            try (InputStream i = from.getInputStream(); OutputStream o = to.getOutputStream()) {
                for (int n; (n = i.read(buf)) > 0; ) {
                    if (cut) break;
                    if (down) {
                        long start = downstream.getAndAdd(n);
                        long at = corruptAt.get();
                        if (at >= start && at < start + n && corruptAt.compareAndSet(at, -1)) {
                            buf[(int) (at - start)] ^= 0x04;
                            corruptions++;
                        }
                    }
                    o.write(buf, 0, n);
                    o.flush();
                }
            } catch (IOException e) {
                // connection over
            } finally {
                close(from);
                close(to);
                open.remove(from);
                open.remove(to);
            }
        }, "proxy-pump");
        t.setDaemon(true);
        t.start();
    }

    private static void close(Socket s) {
        try {
            s.close();
        } catch (IOException e) {
            // closing
        }
    }

    @Override
    public void close() throws IOException {
        cut = true;
        server.close();
        for (Socket s : open) close(s);
    }
}
