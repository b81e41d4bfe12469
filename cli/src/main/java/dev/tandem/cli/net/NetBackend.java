package dev.tandem.cli.net;

import dev.tandem.core.dev.virtio.VirtioNet;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One end of a network card's wire on the host. Frames the backend receives wait in a bounded
 * queue until the machine thread takes them at a slice boundary (through the nondeterminism
 * boundary, which logs them); frames the guest transmits are handed over on the machine thread.
 * A full queue drops the newest frame, as a switch port would; Ethernet's users (TCP, ICMP)
 * recover.
 */
public abstract class NetBackend implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(NetBackend.class);
    /** Received frames waiting for the guest. */
    static final int QUEUE_FRAMES = 1024;

    protected final String name;
    private final ArrayBlockingQueue<byte[]> received = new ArrayBlockingQueue<>(QUEUE_FRAMES);
    private volatile Thread machineThread;
    private long warnings;
    private volatile long receivedFrames;
    private volatile long transmittedFrames;
    private volatile long droppedFrames;

    protected NetBackend(String name) {
        this.name = name;
    }

    /** The thread to wake when a frame arrives (it may be parked in a host-clock idle wait). */
    void setMachineThread(Thread t) {
        this.machineThread = t;
    }

    /** Called by the backend's I/O thread with a received frame (the array is taken over). */
    protected void deliver(byte[] frame) {
        if (frame.length < VirtioNet.MIN_FRAME || frame.length > VirtioNet.MAX_FRAME) {
            dropped("received a frame of " + frame.length + " bytes (valid: " + VirtioNet.MIN_FRAME + ".." + VirtioNet.MAX_FRAME
                    + "); dropped");
            return;
        }
        if (!received.offer(frame)) {
            dropped("the guest is not taking frames (" + QUEUE_FRAMES + " waiting); dropped one");
            return;
        }
        receivedFrames++;
        Thread t = machineThread;
        if (t != null) LockSupport.unpark(t);
    }

    /** Counts and logs a dropped frame (the first 20, then one in 1000). */
    protected synchronized void dropped(String why) {
        droppedFrames++;
        warn(why);
    }

    protected synchronized void warn(String why) {
        warnings++;
        if (warnings <= 20 || warnings % 1000 == 0) {
            LOG.warn("netdev {}: {}{}", name, why, warnings == 20 ? " (further messages: one in 1000)" : "");
        }
    }

    /** Next received frame copied into {@code buf}, or -1 (machine thread). */
    int poll(byte[] buf) {
        byte[] f = received.poll();
        if (f == null) return -1;
        System.arraycopy(f, 0, buf, 0, f.length);
        return f.length;
    }

    boolean available() {
        return !received.isEmpty();
    }

    /** A frame the guest transmitted ({@code len} bytes at {@code frame[off]}, valid only during the call). */
    final void transmit(byte[] frame, int off, int len) {
        transmittedFrames++;
        send(frame, off, len);
    }

    /** Sends a frame to the wire; must copy what it keeps (machine thread). */
    protected abstract void send(byte[] frame, int off, int len);

    /** One line for the log: what this backend is connected to. */
    public abstract String describe();

    public long receivedFrames() {
        return receivedFrames;
    }

    public long transmittedFrames() {
        return transmittedFrames;
    }

    public long droppedFrames() {
        return droppedFrames;
    }

    @Override
    public abstract void close();

    /** Opens the backend a --netdev describes. */
    static NetBackend open(NetConfig.Netdev nd) throws java.io.IOException {
        return switch (nd.type()) {
            case "socket" -> SocketBackend.open(nd);
            case "tap" -> TapBackend.open(nd);
            default -> throw new IllegalArgumentException("unknown network backend " + nd.type());
        };
    }
}
