package dev.tandem.core.dev.virtio;

import dev.tandem.core.dev.FrameSink;
import dev.tandem.core.replay.HostWorld;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * An in-process stand-in for a host on the guest's wire (unit tests only): answers ARP requests
 * for its IPv4 address and ICMP echo requests sent to it, and records every frame the guest sent.
 * Frames it queues for the guest are taken by the nondeterminism boundary through
 * {@link HostWorld.FrameSource}.
 */
public final class EthPeer implements FrameSink, HostWorld.FrameSource {
    public final byte[] mac;
    public final byte[] ip;
    private final ArrayDeque<byte[]> toGuest = new ArrayDeque<>();
    public final List<byte[]> fromGuest = new ArrayList<>();
    public int echoRequests;
    public int arpRequests;

    public EthPeer(byte[] mac, byte[] ip) {
        this.mac = mac.clone();
        this.ip = ip.clone();
    }

    public synchronized void send(byte[] frame) {
        toGuest.add(frame.clone());
    }

    @Override
    public synchronized int poll(int nic, byte[] buf) {
        byte[] f = toGuest.poll();
        if (f == null) return -1;
        System.arraycopy(f, 0, buf, 0, f.length);
        return f.length;
    }

    @Override
    public synchronized boolean available() {
        return !toGuest.isEmpty();
    }

    @Override
    public synchronized void transmitted(int nic, byte[] frame, int off, int len) {
        byte[] f = Arrays.copyOfRange(frame, off, off + len);
        fromGuest.add(f);
        int type = u16(f, 12);
        if (type == 0x0806 && len >= 42 && u16(f, 20) == 1 && Arrays.equals(f, 38, 42, ip, 0, 4)) {
            arpRequests++;
            byte[] r = new byte[42];
            System.arraycopy(f, 6, r, 0, 6); // to the asker
            System.arraycopy(mac, 0, r, 6, 6);
            r[12] = 0x08;
            r[13] = 0x06;
            System.arraycopy(f, 14, r, 14, 6); // htype, ptype, hlen, plen
            r[20] = 0;
            r[21] = 2; // reply
            System.arraycopy(mac, 0, r, 22, 6);
            System.arraycopy(ip, 0, r, 28, 4);
            System.arraycopy(f, 22, r, 32, 10); // target = the asker's MAC and IP
            toGuest.add(r);
        } else if (type == 0x0800 && len >= 34 && f[23] == 1 && Arrays.equals(f, 30, 34, ip, 0, 4)) {
            int ihl = (f[14] & 0x0F) * 4;
            if ((f[14 + ihl] & 0xFF) != 8) return;
            echoRequests++;
            byte[] r = f.clone();
            System.arraycopy(f, 6, r, 0, 6);
            System.arraycopy(mac, 0, r, 6, 6);
            System.arraycopy(f, 30, r, 26, 4);
            System.arraycopy(f, 26, r, 30, 4);
            int icmp = 14 + ihl;
            r[icmp] = 0; // echo reply
            r[icmp + 2] = 0;
            r[icmp + 3] = 0;
            int sum = checksum(r, icmp, len - icmp);
            r[icmp + 2] = (byte) (sum >> 8);
            r[icmp + 3] = (byte) sum;
            toGuest.add(r);
        }
    }

    static int u16(byte[] b, int o) {
        return (b[o] & 0xFF) << 8 | (b[o + 1] & 0xFF);
    }

    static int checksum(byte[] b, int off, int len) {
        long s = 0;
        for (int i = 0; i + 1 < len; i += 2) s += u16(b, off + i);
        if ((len & 1) != 0) s += (b[off + len - 1] & 0xFF) << 8;
        while ((s >> 16) != 0) s = (s & 0xFFFF) + (s >> 16);
        return (int) (~s & 0xFFFF);
    }
}
