package dev.tandem.replication.console;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.List;

/**
 * The resumable console client ({@code tandem console HOST:PORT[,HOST:PORT...]}): follows the
 * live leader across failover by trying the addresses in turn; says how many output bytes it
 * has and receives the rest, exactly once and in order; numbers its input bytes and resends
 * those not yet acknowledged after reconnecting; rejects output from an epoch lower than one it
 * has seen.
 */
public final class ConsoleClient implements AutoCloseable {
    /** Receives every accepted output chunk (offset, epoch, bytes, server). */
    public interface Listener {
        void output(long epoch, long offset, byte[] data, int off, int len, String server);

        default void event(String what) {
        }
    }

    /** Addresses to try: the given ones, then peers and hints learned from servers. */
    private final java.util.List<String> addresses = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final OutputStream out;
    private final Listener listener;
    private final long clientId;
    private volatile long have;
    private volatile long maxEpoch;
    /** Input not yet acknowledged: bytes numbered from {@link #unackedFirst}. */
    private final ByteArrayOutputStream unacked = new ByteArrayOutputStream();
    private long unackedFirst = 1;
    private long nextSeq = 1;
    private volatile DataOutputStream conn;
    private volatile Socket socket;
    private volatile boolean closed;
    private volatile long connects;
    private volatile String server = "";
    private long retryMillis = 20;
    private volatile long silenceMillis = 3000;

    /** How long a silent server is waited for before trying another (default 3 s). */
    public void setSilenceMillis(long ms) {
        this.silenceMillis = ms;
    }

    public ConsoleClient(List<String> addresses, OutputStream out, Listener listener) {
        if (addresses.isEmpty()) throw new IllegalArgumentException("no console address");
        this.addresses.addAll(new java.util.LinkedHashSet<>(addresses));
        this.out = out;
        this.listener = listener == null ? (e, o, d, f, l, s) -> { } : listener;
        long id;
        do {
            id = new SecureRandom().nextLong();
        } while (id == 0);
        this.clientId = id;
    }

    public long clientId() {
        return clientId;
    }

    /** Output bytes received so far (the next offset wanted). */
    public long received() {
        return have;
    }

    public long epoch() {
        return maxEpoch;
    }

    public String server() {
        return server;
    }

    public long connects() {
        return connects;
    }

    /** Input bytes typed but not yet acknowledged as committed. */
    public synchronized int unackedInput() {
        return unacked.size();
    }

    /** Queues input bytes (numbered) and sends them if connected. */
    public void type(byte[] data, int off, int len) {
        long first;
        synchronized (this) {
            first = nextSeq;
            unacked.write(data, off, len);
            nextSeq += len;
        }
        DataOutputStream c = conn;
        if (c != null) {
            try {
                sendInput(c, first, java.util.Arrays.copyOfRange(data, off, off + len));
            } catch (IOException e) {
                // resent after reconnecting
            }
        }
    }

    private void sendInput(DataOutputStream c, long first, byte[] d) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(12 + d.length);
        b.putLong(first).putInt(d.length).put(d);
        synchronized (c) {
            ConsoleProtocol.write(c, ConsoleProtocol.INPUT, b.array());
        }
    }

    /** Runs until closed: connects, receives, reconnects (call on a thread of its own). */
    public void run() {
        int i = 0;
        int failures = 0;
        while (!closed) {
            String a = addresses.get(i % addresses.size());
            i++;
            boolean served = session(a);
            if (closed) break;
            if (!served) {
                failures++;
                if (failures % addresses.size() == 0) sleep(retryMillis);
            } else {
                failures = 0;
            }
        }
    }

    /** One connection; true if it was served by a leader. */
    private boolean session(String address) {
        int colon = address.lastIndexOf(':');
        try (Socket s = new Socket()) {
            s.setTcpNoDelay(true);
            s.connect(new InetSocketAddress(address.substring(0, colon), Integer.parseInt(address.substring(colon + 1))), 500);
            // a leader sends at least a heartbeat every HEARTBEAT_MILLIS: silence means it stopped or was cut off
            s.setSoTimeout((int) silenceMillis);
            socket = s;
            DataOutputStream o = new DataOutputStream(new BufferedOutputStream(s.getOutputStream(), 1 << 16));
            DataInputStream in = new DataInputStream(new BufferedInputStream(s.getInputStream(), 1 << 16));
            o.write(ConsoleProtocol.MAGIC);
            ByteBuffer h = ByteBuffer.allocate(24).putLong(clientId).putLong(have).putLong(maxEpoch);
            ConsoleProtocol.write(o, ConsoleProtocol.HELLO, h.array());
            ConsoleProtocol.Frame f = ConsoleProtocol.read(in);
            ByteBuffer p = ByteBuffer.wrap(f.payload());
            if (f.type() == ConsoleProtocol.NOT_LEADER) {
                p.getLong();
                learn(string(p));
                return false;
            }
            if (f.type() == ConsoleProtocol.ERROR) {
                listener.event("error from " + address + ": " + string(p));
                return false;
            }
            if (f.type() != ConsoleProtocol.WELCOME) throw new IOException("unexpected console frame " + f.type());
            long epoch = p.getLong();
            long accepted = p.getLong();
            if (epoch < maxEpoch) {
                listener.event("refused " + address + ": epoch " + epoch + " is below " + maxEpoch);
                return false;
            }
            maxEpoch = epoch;
            server = address;
            connects++;
            listener.event("connected to " + address + " epoch " + epoch + " have " + have + " accepted input " + accepted);
            // resend what the leader does not have
            byte[] resend;
            long from;
            synchronized (this) {
                byte[] all = unacked.toByteArray();
                from = Math.max(unackedFirst, accepted + 1);
                int skip = (int) Math.min(all.length, from - unackedFirst);
                resend = java.util.Arrays.copyOfRange(all, skip, all.length);
                conn = o;
            }
            if (resend.length > 0) sendInput(o, from, resend);
            for (;;) {
                f = ConsoleProtocol.read(in);
                p = ByteBuffer.wrap(f.payload());
                switch (f.type()) {
                    case ConsoleProtocol.OUTPUT -> {
                        long e = p.getLong();
                        long off = p.getLong();
                        int n = p.getInt();
                        if (e < maxEpoch) throw new IOException("output from epoch " + e + " after epoch " + maxEpoch);
                        maxEpoch = e;
                        if (off > have) throw new IOException("output gap: got offset " + off + ", have " + have);
                        int skip = (int) Math.min(n, have - off);
                        if (n - skip > 0) {
                            out.write(f.payload(), 20 + skip, n - skip);
                            out.flush();
                            listener.output(e, off + skip, f.payload(), 20 + skip, n - skip, address);
                            have = off + n;
                        }
                    }
                    case ConsoleProtocol.INPUT_ACK -> {
                        long e = p.getLong();
                        long seq = p.getLong();
                        if (e < maxEpoch) throw new IOException("input ack from epoch " + e + " after epoch " + maxEpoch);
                        acked(seq);
                    }
                    case ConsoleProtocol.HEARTBEAT -> {
                        long e = p.getLong();
                        if (e < maxEpoch) throw new IOException("heartbeat from epoch " + e + " after epoch " + maxEpoch);
                    }
                    case ConsoleProtocol.PEERS -> {
                        int n = p.getShort() & 0xFFFF;
                        for (int k = 0; k < n; k++) learn(string(p));
                    }
                    case ConsoleProtocol.ERROR -> throw new IOException("server error: " + string(p));
                    default -> throw new IOException("unexpected console frame " + f.type());
                }
            }
        } catch (IOException | RuntimeException e) {
            if (conn != null && !closed) listener.event("disconnected from " + address + ": " + e.getMessage());
            return conn != null;
        } finally {
            conn = null;
            socket = null;
        }
    }

    /** Adds an address learned from a server (a peer or the leader's). */
    private void learn(String address) {
        if (address == null || address.isEmpty() || address.lastIndexOf(':') <= 0) return;
        if (!addresses.contains(address)) {
            addresses.add(address);
            listener.event("learned console address " + address);
        }
    }

    /** Every address known so far. */
    public List<String> addresses() {
        return List.copyOf(addresses);
    }

    private synchronized void acked(long seq) {
        if (seq < unackedFirst) return;
        byte[] all = unacked.toByteArray();
        int drop = (int) Math.min(all.length, seq - unackedFirst + 1);
        unacked.reset();
        unacked.write(all, drop, all.length - drop);
        unackedFirst += drop;
    }

    private static String string(ByteBuffer p) {
        int n = p.getShort() & 0xFFFF;
        byte[] b = new byte[n];
        p.get(b);
        return new String(b, StandardCharsets.UTF_8);
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        closed = true;
        Socket s = socket;
        if (s != null) {
            try {
                s.close();
            } catch (IOException e) {
                // closing
            }
        }
    }
}
