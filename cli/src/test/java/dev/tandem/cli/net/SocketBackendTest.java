package dev.tandem.cli.net;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.PrintStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The socket backend against a raw TCP peer on loopback: frames in both directions with QEMU's
 * length-prefixed framing, and bad input from the peer (a runt, an oversized frame, a stream that
 * ends in the middle of a frame, garbage) dropped with a log line while good frames still pass.
 */
class SocketBackendTest {
    static byte[] frame(int len, int seed) {
        byte[] f = new byte[len];
        for (int i = 0; i < len; i++) f[i] = (byte) (i + seed);
        return f;
    }

    static byte[] awaitFrame(NetBackend b, long seconds) throws InterruptedException {
        byte[] buf = new byte[65536];
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < end) {
            int n = b.poll(buf);
            if (n >= 0) return java.util.Arrays.copyOf(buf, n);
            Thread.sleep(5);
        }
        return null;
    }

    /** Opens a listening backend on an ephemeral port; returns it and the port from its stderr line. */
    static Object[] listen() throws Exception {
        PrintStream old = System.err;
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        NetBackend b;
        try {
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            b = NetBackend.open(new NetConfig.Netdev("t0", "socket", Map.of("listen", "127.0.0.1:0")));
        } finally {
            System.setErr(old);
        }
        Matcher m = Pattern.compile("listening on 127\\.0\\.0\\.1:(\\d+)").matcher(err.toString(StandardCharsets.UTF_8));
        assertTrue(m.find(), err.toString(StandardCharsets.UTF_8));
        return new Object[] {b, Integer.parseInt(m.group(1))};
    }

    @Test
    void framesBothWaysAndBadInputIsDropped() throws Exception {
        Object[] l = listen();
        try (NetBackend b = (NetBackend) l[0]; Socket s = new Socket("127.0.0.1", (Integer) l[1])) {
            DataOutputStream out = new DataOutputStream(s.getOutputStream());
            DataInputStream in = new DataInputStream(s.getInputStream());
            byte[] good1 = frame(60, 1);
            out.writeInt(good1.length);
            out.write(good1);
            out.writeInt(5); // a runt
            out.write(frame(5, 2));
            out.writeInt(70_000); // too long for an Ethernet frame here: skipped
            out.write(frame(70_000, 3));
            byte[] good2 = frame(1514, 4);
            out.writeInt(good2.length);
            out.write(good2);
            out.flush();
            assertArrayEquals(good1, awaitFrame(b, 20));
            assertArrayEquals(good2, awaitFrame(b, 20));
            assertEquals(2, b.droppedFrames());

            // the guest's frames reach the peer length-prefixed
            long t0 = System.nanoTime();
            while (b.transmittedFrames() == 0 && System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(20)) {
                byte[] tx = frame(100, 9);
                byte[] padded = new byte[110];
                System.arraycopy(tx, 0, padded, 5, 100);
                b.transmit(padded, 5, 100);
            }
            assertEquals(100, in.readInt());
            byte[] got = new byte[100];
            in.readFully(got);
            assertArrayEquals(frame(100, 9), got);

            // half a frame, then the peer goes away: dropped, logged, nothing hangs
            out.writeInt(200);
            out.write(frame(50, 5));
            out.flush();
            s.shutdownOutput();
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (b.droppedFrames() < 3 && System.nanoTime() < end) Thread.sleep(10);
            assertEquals(3, b.droppedFrames());
        }
    }

    @Test
    void aPeerThatDoesNotSpeakTheFramingIsDisconnectedAndANewOneAccepted() throws Exception {
        Object[] l = listen();
        try (NetBackend b = (NetBackend) l[0]) {
            try (Socket s = new Socket("127.0.0.1", (Integer) l[1])) {
                s.getOutputStream().write("GET / HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                s.getOutputStream().flush();
                s.setSoTimeout(20_000);
                assertEquals(-1, s.getInputStream().read(), "closed by the backend");
            }
            // the next peer is served
            Thread.sleep(200);
            try (Socket s = new Socket("127.0.0.1", (Integer) l[1])) {
                DataOutputStream out = new DataOutputStream(s.getOutputStream());
                byte[] f = frame(64, 7);
                out.writeInt(f.length);
                out.write(f);
                out.flush();
                assertArrayEquals(f, awaitFrame(b, 20));
            }
        }
    }

    @Test
    void connectFailsClearlyWhenNobodyListens() throws Exception {
        int port;
        try (java.net.ServerSocket ss = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = ss.getLocalPort();
        }
        long t0 = System.nanoTime();
        var e = org.junit.jupiter.api.Assertions.assertThrows(java.io.IOException.class, () -> NetBackend.open(
                new NetConfig.Netdev("t1", "socket", Map.of("connect", "127.0.0.1:" + port))));
        assertTrue(e.getMessage().contains("cannot connect to 127.0.0.1:" + port), e.getMessage());
        assertTrue(System.nanoTime() - t0 >= TimeUnit.SECONDS.toNanos(9), "retried for ten seconds");
    }

    @Test
    void optionParsing() {
        NetConfig c = NetConfig.parse(List.of("socket,id=a,listen=127.0.0.1:0", "tap,id=b,ifname=tap7"),
                List.of("virtio,netdev=a", "virtio-net-pci,netdev=b,mac=02:00:00:00:00:01", "none",
                        "socket,connect=:5555,model=virtio"));
        assertEquals(4, c.nics().size());
        assertEquals("virtio,mac=52:54:00:12:34:56", c.nics().get(0).guestSpec());
        assertEquals("virtio,mac=02:00:00:00:00:01", c.nics().get(1).guestSpec());
        assertEquals("virtio,mac=52:54:00:12:34:58", c.nics().get(2).guestSpec());
        assertEquals(null, c.nics().get(2).netdev());
        assertEquals("socket", c.nics().get(3).netdev().type());
        assertEquals("tap", c.nics().get(1).netdev().type());
        assertTrue(NetConfig.parse(null, null).isEmpty());
        String[][] bad = {
            {"socket,listen=1.2.3.4:1", null, "id= is required"},
            {"socket,id=a,listen=x:1,connect=y:2", "virtio,netdev=a", "exactly one of listen"},
            {"socket,id=a,listen=x", "virtio,netdev=a", "not HOST:PORT"},
            {"user,id=a", "virtio,netdev=a", "no maintained TCP/IP stack in Java"},
            {"vde,id=a", "virtio,netdev=a", "unknown network backend 'vde'"},
            {"tap,id=a,ifname=averyveryverylongname", "virtio,netdev=a", "at most 15 characters"},
            {"tap,id=a,ifname=t0", null, "not attached to any --nic"},
            {null, "virtio,netdev=zz", "no --netdev with id=zz"},
            {null, "virtio,mac=01:00:00:00:00:01", "multicast"},
            {null, "virtio,mac=52:54:00", "bad MAC address"},
            {null, "e1000", "unknown network backend 'e1000'"},
            {null, "none,model=rtl8139", "unknown model 'rtl8139'"},
            {null, "virtio,speed=10", "unknown option"},
        };
        for (String[] t : bad) {
            var e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                    () -> NetConfig.parse(t[0] == null ? null : List.of(t[0]), t[1] == null ? null : List.of(t[1])));
            assertTrue(e.getMessage().contains(t[2]), t[2] + " in: " + e.getMessage());
        }
        var five = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> NetConfig.parse(null, List.of("none", "none", "none", "none", "none")));
        assertTrue(five.getMessage().contains("at most 4"), five.getMessage());
    }
}
