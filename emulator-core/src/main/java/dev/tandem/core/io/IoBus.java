package dev.tandem.core.io;

import java.util.BitSet;
import java.util.function.IntConsumer;

/**
 * The 64 KiB I/O port space. Unhandled ports read as all ones; each unhandled port is reported
 * once through the warning hook (the CLI routes it to the log).
 */
public final class IoBus {
    private final IoDevice[] devices = new IoDevice[0x10000];
    private final BitSet warned = new BitSet(0x10000);
    private IntConsumer unhandledHook = p -> { };

    /** Maps ports {@code first..last} (inclusive) to {@code dev}; later registrations win. */
    public void register(int first, int last, IoDevice dev) {
        if (first < 0 || last > 0xFFFF || first > last) {
            throw new IllegalArgumentException("bad port range " + first + ".." + last);
        }
        for (int p = first; p <= last; p++) {
            devices[p] = dev;
        }
    }

    /**
     * Unmaps the ports {@code first..last} that are currently mapped to {@code dev} (a PCI device
     * whose base address register moved); ports mapped to another device are left alone.
     */
    public void unregister(int first, int last, IoDevice dev) {
        if (first < 0 || last > 0xFFFF || first > last) {
            throw new IllegalArgumentException("bad port range " + first + ".." + last);
        }
        for (int p = first; p <= last; p++) {
            if (devices[p] == dev) devices[p] = null;
        }
    }

    public IoDevice deviceAt(int port) {
        return devices[port & 0xFFFF];
    }

    /** Called once per unhandled port with the port number. */
    public void setUnhandledHook(IntConsumer hook) {
        this.unhandledHook = hook;
    }

    public int in(int port, int size) {
        port &= 0xFFFF;
        IoDevice d = devices[port];
        if (d == null) {
            unhandled(port);
            if (size == 1) return 0xFF;
            // a wide access may still hit a device at port+1..
            int v = 0;
            for (int i = 0; i < size; i++) v |= (in(port + i, 1) & 0xFF) << (8 * i);
            return v;
        }
        if (size == 1 || !d.splitsWideAccesses()) {
            int v = d.ioRead(port, size);
            return size == 4 ? v : v & ((1 << (8 * size)) - 1);
        }
        int v = 0;
        for (int i = 0; i < size; i++) v |= (in((port + i) & 0xFFFF, 1) & 0xFF) << (8 * i);
        return v;
    }

    public void out(int port, int size, int value) {
        port &= 0xFFFF;
        IoDevice d = devices[port];
        if (d == null) {
            unhandled(port);
            if (size > 1) {
                for (int i = 1; i < size; i++) {
                    if (devices[(port + i) & 0xFFFF] != null) out(port + i, 1, value >>> (8 * i));
                }
            }
            return;
        }
        if (size == 1 || !d.splitsWideAccesses()) {
            d.ioWrite(port, size, value);
            return;
        }
        for (int i = 0; i < size; i++) out((port + i) & 0xFFFF, 1, value >>> (8 * i));
    }

    private void unhandled(int port) {
        if (!warned.get(port)) {
            warned.set(port);
            unhandledHook.accept(port);
        }
    }
}
