package dev.tandem.cli.net;

import dev.tandem.core.dev.FrameSink;
import dev.tandem.core.machine.Machine;
import dev.tandem.core.replay.HostWorld;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Connects a machine's network cards to their backends: transmitted frames go to the card's
 * backend (and the capture), received frames wait in the backend until the nondeterminism
 * boundary takes them ({@link HostWorld.FrameSource}). With no backends at all (replay) it only
 * captures.
 */
public final class Networking implements HostWorld.FrameSource, FrameSink, AutoCloseable {
    private final NetConfig config;
    private Machine machine;
    private final NetBackend[] backends = new NetBackend[Machine.NIC_SLOTS];
    private final List<NetBackend> open = new ArrayList<>();
    private PcapWriter pcap;

    private Networking(NetConfig config) {
        this.config = config;
    }

    /**
     * Opens the backends of {@code config} (a listening socket starts listening, a connecting one
     * connects); {@code capture}: a pcap file for every frame in both directions, or null. Then
     * {@link #attach} connects them to a machine's cards.
     */
    public static Networking open(NetConfig config, Path capture) throws IOException {
        Networking n = new Networking(config);
        try {
            for (NetConfig.Nic nic : config.nics()) {
                if (nic.netdev() != null) {
                    NetBackend b = NetBackend.open(nic.netdev());
                    n.open.add(b);
                    n.backends[nic.slot()] = b;
                }
            }
            if (capture != null) n.pcap = new PcapWriter(capture);
        } catch (IOException | RuntimeException e) {
            n.close();
            throw e;
        }
        return n;
    }

    /**
     * Makes this the frame sink of every card of {@code m}; the cards of the configuration must be
     * plugged (by the guest spec, or in a restored snapshot).
     */
    public void attach(Machine m) {
        for (NetConfig.Nic nic : config.nics()) {
            if (!m.nic(nic.slot()).present()) {
                throw new IllegalArgumentException("--nic: the machine has no network card in slot " + nic.slot());
            }
        }
        this.machine = m;
        for (int s = 0; s < Machine.NIC_SLOTS; s++) {
            if (m.nic(s).present()) m.nic(s).setFrameSink(this);
        }
    }

    /**
     * {@code base} (the console's host world: clocks, serial input, pauses) with this object's
     * received frames added.
     */
    public HostWorld hostWorld(HostWorld base) {
        Networking frames = this;
        return new HostWorld() {
            @Override
            public long epochMillis() {
                return base.epochMillis();
            }

            @Override
            public long nanoTime() {
                return base.nanoTime();
            }

            @Override
            public int pollSerial() {
                return base.pollSerial();
            }

            @Override
            public boolean serialAvailable() {
                return base.serialAvailable();
            }

            @Override
            public void sleep(long nanos) {
                base.sleep(nanos);
            }

            @Override
            public int pollFrame(int nic, byte[] buf) {
                return frames.poll(nic, buf);
            }

            @Override
            public boolean frameAvailable() {
                return frames.available();
            }
        };
    }

    /** The thread that runs the machine (woken when a frame arrives during a host-clock idle wait). */
    public void setMachineThread(Thread t) {
        for (NetBackend b : open) b.setMachineThread(t);
    }

    @Override
    public int poll(int nic, byte[] buf) {
        NetBackend b = backends[nic];
        return b == null ? -1 : b.poll(buf);
    }

    @Override
    public boolean available() {
        for (NetBackend b : open) if (b.available()) return true;
        return false;
    }

    @Override
    public void transmitted(int nic, byte[] frame, int off, int len) {
        if (pcap != null) pcap.frame(machine.nowNs(), frame, off, len);
        NetBackend b = backends[nic];
        if (b != null) b.transmit(frame, off, len);
    }

    @Override
    public void received(int nic, byte[] frame, int off, int len) {
        if (pcap != null) pcap.frame(machine.nowNs(), frame, off, len);
    }

    /** One line per card: slot, MAC, backend, frame counts. */
    public List<String> summary() {
        List<String> out = new ArrayList<>();
        if (machine == null) return out;
        for (int s = 0; s < Machine.NIC_SLOTS; s++) {
            var nic = machine.nic(s);
            if (!nic.present()) continue;
            NetBackend b = backends[s];
            out.add(String.format("nic%d %s (%s): %,d frames sent, %,d received, %,d dropped by the card%s", s,
                    dev.tandem.core.dev.virtio.VirtioNet.formatMac(nic.mac()), b == null ? "no backend" : b.describe(),
                    nic.framesTransmitted(), nic.framesReceived(), nic.framesDropped(),
                    b == null ? "" : String.format(", %,d dropped by the backend", b.droppedFrames())));
        }
        return out;
    }

    @Override
    public void close() {
        for (NetBackend b : open) {
            try {
                b.close();
            } catch (RuntimeException e) {
                // closing anyway
            }
        }
        open.clear();
        if (pcap != null) {
            try {
                pcap.close();
            } catch (IOException e) {
                System.err.println("[tandem] error: closing the capture: " + e.getMessage());
            }
            pcap = null;
        }
    }
}
