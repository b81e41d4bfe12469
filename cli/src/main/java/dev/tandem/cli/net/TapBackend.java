package dev.tandem.cli.net;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.NativeLong;
import com.sun.jna.Platform;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * A Linux TAP interface: the host kernel sees a network interface {@code ifname}, so host tools
 * (ping, curl, nc, a bridge) reach the guest. Opened through JNA: {@code open("/dev/net/tun")},
 * then {@code ioctl(TUNSETIFF)} with {@code IFF_TAP | IFF_NO_PI} (Ethernet frames, no packet
 * information header). An existing persistent interface of that name is attached to (create it
 * with {@code ip tuntap add dev NAME mode tap}, then give it an address and bring it up); otherwise
 * the kernel creates one that disappears when Tandem exits. Needs CAP_NET_ADMIN (root) unless the
 * interface is persistent and owned by the user.
 *
 * <p>A reader thread waits with {@code poll} (so that {@link #close} is noticed within 100 ms) and
 * reads whole frames; the machine thread writes frames directly.
 */
final class TapBackend extends NetBackend {
    /** {@code _IOW('T', 202, int)}. */
    static final long TUNSETIFF = 0x400454CAL;
    static final short IFF_TAP = 0x0002;
    static final short IFF_NO_PI = 0x1000;
    static final int O_RDWR = 2;
    static final int O_CLOEXEC = 0x80000;
    static final short POLLIN = 1;
    static final int IFNAMSIZ = 16;
    /** sizeof(struct ifreq) on 64-bit Linux (a 16-byte name and a 24-byte union). */
    static final int IFREQ_SIZE = 40;

    /** The C library calls used here; errors come back as {@link LastErrorException} with errno. */
    interface LibC extends Library {
        int open(String path, int flags) throws LastErrorException;

        int ioctl(int fd, NativeLong request, Memory arg) throws LastErrorException;

        NativeLong read(int fd, Memory buf, NativeLong count) throws LastErrorException;

        NativeLong write(int fd, Memory buf, NativeLong count) throws LastErrorException;

        int poll(Memory fds, NativeLong nfds, int timeoutMs) throws LastErrorException;

        int close(int fd) throws LastErrorException;
    }

    private static volatile LibC libc;

    private final int fd;
    private final String ifname;
    private final Memory txBuf = new Memory(65536);
    private final Thread reader;
    private volatile boolean closed;

    private TapBackend(String name, int fd, String ifname) {
        super(name);
        this.fd = fd;
        this.ifname = ifname;
        this.reader = new Thread(this::readLoop, "tap-" + ifname);
        reader.setDaemon(true);
    }

    private static LibC libc() {
        if (libc == null) libc = Native.load(Platform.C_LIBRARY_NAME, LibC.class);
        return libc;
    }

    static TapBackend open(NetConfig.Netdev nd) throws IOException {
        if (!Platform.isLinux()) throw new IOException("netdev " + nd.id() + ": TAP interfaces need Linux");
        String want = nd.options().get("ifname");
        LibC c = libc();
        int fd;
        try {
            fd = c.open("/dev/net/tun", O_RDWR | O_CLOEXEC);
        } catch (LastErrorException e) {
            throw new IOException("netdev " + nd.id() + ": cannot open /dev/net/tun: " + errno(e), e);
        }
        Memory ifr = new Memory(IFREQ_SIZE);
        ifr.clear();
        byte[] n = want.getBytes(StandardCharsets.US_ASCII);
        ifr.write(0, n, 0, n.length);
        ifr.setShort(IFNAMSIZ, (short) (IFF_TAP | IFF_NO_PI));
        try {
            c.ioctl(fd, new NativeLong(TUNSETIFF), ifr);
        } catch (LastErrorException e) {
            closeQuietly(fd);
            throw new IOException("netdev " + nd.id() + ": cannot attach to TAP interface " + want + ": " + errno(e)
                    + (e.getErrorCode() == 1 ? " (needs root or a persistent TAP owned by this user)" : ""), e);
        }
        String got = ifr.getString(0, StandardCharsets.US_ASCII.name());
        TapBackend b = new TapBackend(nd.id(), fd, got);
        b.reader.start();
        System.err.println("[tandem] netdev " + nd.id() + ": TAP interface " + got);
        return b;
    }

    private static String errno(LastErrorException e) {
        return switch (e.getErrorCode()) {
            case 1 -> "operation not permitted (EPERM)";
            case 2 -> "no such file (ENOENT)";
            case 13 -> "permission denied (EACCES)";
            case 16 -> "device or resource busy (EBUSY): another process has it open";
            case 22 -> "invalid argument (EINVAL)";
            default -> "errno " + e.getErrorCode();
        };
    }

    private static void closeQuietly(int fd) {
        try {
            libc().close(fd);
        } catch (LastErrorException ignored) {
            // nothing to do
        }
    }

    private void readLoop() {
        Memory pfd = new Memory(8);
        Memory buf = new Memory(65536 + 4);
        LibC c = libc();
        while (!closed) {
            pfd.setInt(0, fd);
            pfd.setShort(4, POLLIN);
            pfd.setShort(6, (short) 0);
            int r;
            try {
                r = c.poll(pfd, new NativeLong(1), 100);
            } catch (LastErrorException e) {
                if (e.getErrorCode() == 4) continue; // EINTR
                if (!closed) warn("poll failed: " + errno(e) + "; no more frames from " + ifname);
                return;
            }
            if (r <= 0 || closed) continue;
            long n;
            try {
                n = c.read(fd, buf, new NativeLong(buf.size())).longValue();
            } catch (LastErrorException e) {
                if (e.getErrorCode() == 4 || e.getErrorCode() == 11) continue; // EINTR, EAGAIN
                if (!closed) warn("read failed: " + errno(e) + "; no more frames from " + ifname);
                return;
            }
            if (n <= 0) continue;
            if (n > 65535) {
                dropped("read a frame of " + n + " bytes from " + ifname + "; dropped");
                continue;
            }
            deliver(buf.getByteArray(0, (int) n));
        }
    }

    @Override
    protected void send(byte[] frame, int off, int len) {
        if (closed) return;
        txBuf.write(0, frame, off, len);
        try {
            libc().write(fd, txBuf, new NativeLong(len));
        } catch (LastErrorException e) {
            // EIO while the interface is down: the host is not listening; like an unplugged cable
            if (e.getErrorCode() != 5) dropped("write to " + ifname + " failed: " + errno(e) + "; dropped a transmitted frame");
        }
    }

    @Override
    public String describe() {
        return "tap,ifname=" + ifname;
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        try {
            reader.join(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        closeQuietly(fd);
    }
}
