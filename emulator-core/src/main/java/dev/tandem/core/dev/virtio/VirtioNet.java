package dev.tandem.core.dev.virtio;

import dev.tandem.core.dev.FrameSink;
import dev.tandem.core.dev.PciConfigSpace;
import dev.tandem.core.dev.PciFunction;
import dev.tandem.core.io.IoBus;
import dev.tandem.core.io.IoDevice;
import dev.tandem.core.mem.PhysicalMemory;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.HexFormat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A virtio network card on PCI, legacy (virtio 0.9.5) interface: what the virtio 1.x
 * specification calls a transitional device seen through its legacy interface. PCI 1af4:1000,
 * subsystem 1af4:0001, class 02 00 00, one 32-byte I/O BAR, INTx (pin A); no capabilities, so
 * Linux's virtio_pci leaves it to its legacy driver.
 *
 * <p>I/O BAR layout: 0x00 device features (u32), 0x04 driver features (u32), 0x08 queue address
 * (u32 page frame number of the selected queue), 0x0C queue size (u16, read-only), 0x0E queue
 * select (u16), 0x10 queue notify (u16), 0x12 device status (u8), 0x13 ISR status (u8, reading
 * clears it and lowers the interrupt line), then the network configuration: MAC address (6 bytes,
 * writable as legacy drivers may) and link status (u16, link up).
 *
 * <p>Offered features: MAC, STATUS, and on the transmit side checksum offload (CSUM) and TCP
 * segmentation offload for IPv4 (HOST_TSO4): the driver may hand over a frame whose TCP or UDP
 * checksum is still to be computed ({@code NEEDS_CSUM}: the card completes it from
 * {@code csum_start}, storing it at {@code csum_start + csum_offset}) and TCP/IPv4 frames of up to
 * 64 KiB that the card cuts into {@code gso_size} segments (IP length, identification and
 * checksum, TCP sequence number, flags and checksum per segment, as the guest's own GSO would).
 * This moves per-packet work from emulated guest instructions to the host. Not offered: receive
 * offloads, mergeable receive buffers, the control queue, indirect descriptors, the event index.
 * Every frame carries the 10-byte legacy {@code virtio_net_hdr} (zeros on receive). Queue 0
 * receives, queue 1 transmits, each 256 entries.
 *
 * <p>Determinism: transmission happens synchronously inside the guest's write to the notify
 * register; frames are handed to the {@link FrameSink}. Reception happens only through
 * {@link #receive}, which the nondeterminism boundary calls at a slice boundary with a logged
 * frame. Everything the card does is a function of guest state and those frames.
 *
 * <p>Bad input never hangs the guest: a malformed descriptor chain (index out of range, a loop,
 * an address outside RAM, the wrong direction, an indirect descriptor) is returned to the driver
 * with length 0; frames that are too short, too long or do not fit the guest's buffer are dropped.
 * Each such event logs one line (the first few per card, then one in a thousand).
 */
public final class VirtioNet implements IoDevice, PciFunction {
    private static final Logger LOG = LoggerFactory.getLogger(VirtioNet.class);

    public static final int STATE_VERSION = 1;
    public static final int VENDOR_ID = 0x1AF4;
    public static final int DEVICE_ID = 0x1000;
    public static final int SUBSYSTEM_ID_NET = 1;
    public static final int CLASS_ETHERNET = 0x020000;
    public static final int BAR_SIZE = 32;
    public static final int QUEUE_SIZE = 256;
    /** Ethernet header: the shortest frame the card accepts. */
    public static final int MIN_FRAME = 14;
    /** Largest frame the card accepts or sends (the length fields of the log and the socket backend are 16 bits). */
    public static final int MAX_FRAME = 65535;
    /** The legacy {@code virtio_net_hdr} without mergeable buffers. */
    public static final int HDR_LEN = 10;

    // legacy register offsets
    static final int REG_DEVICE_FEATURES = 0x00;
    static final int REG_DRIVER_FEATURES = 0x04;
    static final int REG_QUEUE_PFN = 0x08;
    static final int REG_QUEUE_SIZE = 0x0C;
    static final int REG_QUEUE_SELECT = 0x0E;
    static final int REG_QUEUE_NOTIFY = 0x10;
    static final int REG_STATUS = 0x12;
    static final int REG_ISR = 0x13;
    static final int REG_CONFIG = 0x14;

    public static final int F_CSUM = 1;
    public static final int F_MAC = 1 << 5;
    public static final int F_HOST_TSO4 = 1 << 11;
    public static final int F_STATUS = 1 << 16;
    static final int DEVICE_FEATURES = F_CSUM | F_MAC | F_HOST_TSO4 | F_STATUS;
    static final int HDR_F_NEEDS_CSUM = 1;
    static final int GSO_NONE = 0;
    static final int GSO_TCPV4 = 1;
    static final int GSO_ECN = 0x80;
    /** Longest transmit chain: a 64 KiB IPv4 packet in an Ethernet frame with a VLAN tag, plus the header. */
    static final int MAX_TX_CHAIN = HDR_LEN + 18 + 65535;

    public static final int STATUS_ACKNOWLEDGE = 1;
    public static final int STATUS_DRIVER = 2;
    public static final int STATUS_DRIVER_OK = 4;
    public static final int STATUS_FAILED = 0x80;
    static final int ISR_QUEUE = 1;
    static final int NET_S_LINK_UP = 1;

    static final int RX = 0;
    static final int TX = 1;

    private final int slot;
    private final PhysicalMemory mem;
    private final PciConfigSpace pci;
    private final Virtqueue[] queues;
    private FrameSink sink = FrameSink.NONE;
    private Runnable intxListener = () -> { };
    private final byte[] txBuf = new byte[MAX_TX_CHAIN];
    /** One TCP segment cut from a large transmitted frame. */
    private final byte[] segBuf = new byte[MAX_TX_CHAIN];

    // ---- state
    private boolean present;
    private final byte[] configuredMac = new byte[6];
    private final byte[] mac = new byte[6];
    private int driverFeatures;
    private int status;
    private int isr;
    private int queueSelect;

    // ---- diagnostics (not guest-visible, not saved)
    private long txFrames;
    private long rxFrames;
    private long dropped;
    private long warnings;

    /**
     * An empty slot; {@link #plug} puts a card in it.
     *
     * @param slot the card's index (the NIC number in logs and frame callbacks)
     */
    public VirtioNet(int slot, PhysicalMemory mem, IoBus io) {
        this.slot = slot;
        this.mem = mem;
        this.pci = new PciConfigSpace(io, VENDOR_ID, DEVICE_ID, 0, CLASS_ETHERNET, VENDOR_ID, SUBSYSTEM_ID_NET, 1);
        pci.defineIoBar(0, BAR_SIZE, this);
        this.queues = new Virtqueue[] {new Virtqueue(mem, QUEUE_SIZE), new Virtqueue(mem, QUEUE_SIZE)};
    }

    /**
     * Puts a card with MAC address {@code mac} in this slot and sets it up as firmware would
     * before the OS starts: I/O BAR at {@code ioBase}, I/O decoding and bus mastering on, and the
     * interrupt line register telling the OS which ISA IRQ its pin is routed to.
     */
    public void plug(byte[] macAddress, int ioBase, int irq) {
        if (macAddress.length != 6) throw new IllegalArgumentException("a MAC address has 6 bytes");
        if ((macAddress[0] & 1) != 0) throw new IllegalArgumentException("MAC address " + formatMac(macAddress) + " is multicast");
        present = true;
        System.arraycopy(macAddress, 0, configuredMac, 0, 6);
        resetDevice();
        pci.reset();
        pci.setBar(0, ioBase);
        pci.setCommand(PciConfigSpace.CMD_IO | PciConfigSpace.CMD_BUS_MASTER);
        pci.setInterruptLine(irq);
    }

    public boolean present() {
        return present;
    }

    public int slot() {
        return slot;
    }

    public PciConfigSpace pciConfig() {
        return pci;
    }

    /** The MAC address the driver sees now (it may have written another one). */
    public byte[] mac() {
        return mac.clone();
    }

    /** Where transmitted frames go (wiring, not state). */
    public void setFrameSink(FrameSink s) {
        this.sink = s == null ? FrameSink.NONE : s;
    }

    public long framesTransmitted() {
        return txFrames;
    }

    public long framesReceived() {
        return rxFrames;
    }

    /** Frames dropped and descriptor chains rejected, both directions. */
    public long framesDropped() {
        return dropped;
    }

    public int deviceStatus() {
        return status;
    }

    // ------------------------------------------------------------------ PCI

    @Override
    public int configRead(int offset, int size) {
        return pci.read(offset, size);
    }

    @Override
    public void configWrite(int offset, int size, int value) {
        boolean wasDisabled = pci.intxDisabled();
        pci.write(offset, size, value);
        if (wasDisabled != pci.intxDisabled()) intxListener.run();
    }

    @Override
    public int interruptPin() {
        return pci.interruptPin();
    }

    @Override
    public boolean intxAsserted() {
        return present && isr != 0 && !pci.intxDisabled();
    }

    @Override
    public void setIntxListener(Runnable listener) {
        this.intxListener = listener == null ? () -> { } : listener;
    }

    // ------------------------------------------------------------------ registers

    @Override
    public boolean splitsWideAccesses() {
        return false;
    }

    @Override
    public int ioRead(int port, int size) {
        int base = pci.ioBase(0);
        if (!present || base < 0) return -1;
        int off = port - base;
        int v = 0;
        boolean readIsr = false;
        for (int i = 0; i < size; i++) {
            int o = off + i;
            if (o == REG_ISR) readIsr = true;
            v |= registerByte(o) << (8 * i);
        }
        if (readIsr && isr != 0) {
            isr = 0; // reading the ISR acknowledges the interrupt
            interruptChanged();
        }
        return v;
    }

    private int registerByte(int o) {
        int sel = queueSelect < queues.length ? queueSelect : -1;
        return switch (o) {
            case 0, 1, 2, 3 -> (DEVICE_FEATURES >>> (8 * o)) & 0xFF;
            case 4, 5, 6, 7 -> (driverFeatures >>> (8 * (o - 4))) & 0xFF;
            case 8, 9, 10, 11 -> sel < 0 ? 0 : (queues[sel].pfn() >>> (8 * (o - 8))) & 0xFF;
            case 12, 13 -> sel < 0 ? 0 : (QUEUE_SIZE >>> (8 * (o - 12))) & 0xFF;
            case 14, 15 -> (queueSelect >>> (8 * (o - 14))) & 0xFF;
            case 18 -> status;
            case 19 -> isr;
            case 20, 21, 22, 23, 24, 25 -> mac[o - REG_CONFIG] & 0xFF;
            case 26 -> NET_S_LINK_UP;
            default -> 0; // queue notify reads 0, as does the rest of the window
        };
    }

    @Override
    public void ioWrite(int port, int size, int value) {
        int base = pci.ioBase(0);
        if (!present || base < 0) return;
        int off = port - base;
        // merge the written bytes into each register they touch, then act once per register
        int features = driverFeatures;
        int pfn = 0;
        int select = queueSelect;
        int notify = 0;
        boolean wFeatures = false;
        boolean wPfn = false;
        boolean wSelect = false;
        boolean wNotify = false;
        boolean wStatus = false;
        int newStatus = status;
        if (queueSelect < queues.length) pfn = queues[queueSelect].pfn();
        for (int i = 0; i < size; i++) {
            int o = off + i;
            int b = (value >>> (8 * i)) & 0xFF;
            if (o >= 4 && o < 8) {
                features = (features & ~(0xFF << (8 * (o - 4)))) | b << (8 * (o - 4));
                wFeatures = true;
            } else if (o >= 8 && o < 12) {
                pfn = (pfn & ~(0xFF << (8 * (o - 8)))) | b << (8 * (o - 8));
                wPfn = true;
            } else if (o == 14 || o == 15) {
                select = (select & ~(0xFF << (8 * (o - 14)))) | b << (8 * (o - 14));
                wSelect = true;
            } else if (o == 16 || o == 17) {
                notify |= b << (8 * (o - 16));
                wNotify = true;
            } else if (o == REG_STATUS) {
                newStatus = b;
                wStatus = true;
            } else if (o >= REG_CONFIG && o < REG_CONFIG + 6) {
                mac[o - REG_CONFIG] = (byte) b;
            }
            // device features, queue size, ISR and link status are read-only
        }
        if (wFeatures) driverFeatures = features & DEVICE_FEATURES;
        if (wSelect) queueSelect = select & 0xFFFF;
        if (wPfn && queueSelect < queues.length) {
            Virtqueue q = queues[queueSelect];
            if (!q.setPfn(pfn)) {
                warn("queue " + queueSelect + " placed at page frame 0x" + Integer.toHexString(pfn)
                        + ": the ring is not in RAM; the queue is not used until the device is reset");
            }
        }
        if (wStatus) {
            if (newStatus == 0) resetDevice();
            else status = newStatus;
        }
        if (wNotify) notifyQueue(notify);
    }

    /** Device reset (status 0 written, or plug): everything but the PCI registers and the configured MAC. */
    private void resetDevice() {
        driverFeatures = 0;
        status = 0;
        queueSelect = 0;
        for (Virtqueue q : queues) q.reset();
        System.arraycopy(configuredMac, 0, mac, 0, 6);
        if (isr != 0) {
            isr = 0;
            interruptChanged();
        }
    }

    private void notifyQueue(int q) {
        if (q == TX) transmit();
        // RX notifications (fresh buffers) need no action: receive() looks at the ring when a frame comes
    }

    private void raise(int bits) {
        boolean was = intxAsserted();
        isr |= bits;
        if (was != intxAsserted()) interruptChanged();
        else pci.setInterruptStatus(isr != 0);
    }

    private void interruptChanged() {
        pci.setInterruptStatus(isr != 0);
        intxListener.run();
    }

    private void interruptAfterUse(Virtqueue q) {
        if ((q.availFlags() & Virtqueue.AVAIL_F_NO_INTERRUPT) == 0) raise(ISR_QUEUE);
    }

    // ------------------------------------------------------------------ transmit

    private void transmit() {
        Virtqueue q = queues[TX];
        if (!present || !q.active() || !pci.busMaster()) return;
        int n = q.pending();
        if (n > q.size) {
            q.markBroken();
            warn("transmit queue: the driver made " + n + " entries available in a ring of " + q.size
                    + "; the queue is not used until the device is reset");
            return;
        }
        boolean used = false;
        for (; n > 0; n--) {
            int head = q.peekHead();
            q.consume();
            int len = gatherTx(q, head);
            q.pushUsed(head, 0);
            used = true;
            if (len >= 0) deliverTx(len - HDR_LEN);
        }
        if (used) interruptAfterUse(q);
    }

    /** Copies a transmit chain (header and frame) into {@link #txBuf}; returns its length or -1 if the chain is bad. */
    private int gatherTx(Virtqueue q, int head) {
        int total = 0;
        int i = head;
        for (int count = 0; ; count++) {
            String bad = null;
            if (i >= q.size) bad = "descriptor index " + i + " out of range";
            else if (count >= q.size) bad = "descriptor chain longer than the ring (a loop)";
            if (bad == null) {
                int flags = q.descFlags(i);
                long addr = q.descAddr(i);
                long len = q.descLen(i) & 0xFFFF_FFFFL;
                if ((flags & Virtqueue.DESC_F_INDIRECT) != 0) bad = "indirect descriptor (not negotiated)";
                else if ((flags & Virtqueue.DESC_F_WRITE) != 0) bad = "device-writable descriptor in a transmit chain";
                else if (!GuestRam.inRam(mem, addr, len)) {
                    bad = String.format("buffer 0x%x+%d outside RAM", addr, len);
                } else if (total + len > txBuf.length) {
                    bad = "frame longer than " + (txBuf.length - HDR_LEN) + " bytes";
                } else {
                    GuestRam.copyIn(mem, (int) addr, txBuf, total, (int) len);
                    total += (int) len;
                    if ((flags & Virtqueue.DESC_F_NEXT) == 0) return total;
                    i = q.descNext(i);
                    continue;
                }
            }
            dropped++;
            warn("transmit chain at descriptor " + head + ": " + bad + "; dropped");
            return -1;
        }
    }

    /** Applies the offloads the header asks for and hands the frame (or its segments) to the sink. */
    private void deliverTx(int frameLen) {
        if (frameLen < MIN_FRAME) {
            dropTx("transmitted frame of " + Math.max(frameLen, 0) + " bytes is shorter than an Ethernet header");
            return;
        }
        int flags = txBuf[0] & 0xFF;
        int gso = txBuf[1] & 0xFF & ~GSO_ECN;
        int gsoSize = le16(txBuf, 4);
        int csumStart = le16(txBuf, 6);
        int csumOffset = le16(txBuf, 8);
        if (gso != GSO_NONE) {
            if (gso != GSO_TCPV4 || (driverFeatures & F_HOST_TSO4) == 0) {
                dropTx("transmitted frame asks for segmentation type " + gso + ", which was not negotiated");
                return;
            }
            segmentTcp4(frameLen, gsoSize);
            return;
        }
        if ((flags & HDR_F_NEEDS_CSUM) != 0) {
            if ((driverFeatures & F_CSUM) == 0) {
                dropTx("transmitted frame asks for checksum offload, which was not negotiated");
                return;
            }
            if (csumStart + csumOffset + 2 > frameLen || csumOffset > frameLen) {
                dropTx("checksum offload position " + csumStart + "+" + csumOffset + " lies outside the " + frameLen
                        + "-byte frame");
                return;
            }
            int sum = onesComplementSum(txBuf, HDR_LEN + csumStart, frameLen - csumStart, 0);
            put16(txBuf, HDR_LEN + csumStart + csumOffset, ~sum & 0xFFFF);
        }
        if (frameLen > MAX_FRAME) {
            dropTx("transmitted frame of " + frameLen + " bytes is longer than " + MAX_FRAME);
            return;
        }
        txFrames++;
        sink.transmitted(slot, txBuf, HDR_LEN, frameLen);
    }

    private void dropTx(String why) {
        dropped++;
        warn(why + "; dropped");
    }

    /**
     * TCP segmentation offload: cuts the TCP/IPv4 frame in {@link #txBuf} (after the header) into
     * segments of at most {@code mss} payload bytes, each a complete frame with its own IP
     * length, identification (incremented) and checksum, TCP sequence number and checksum; FIN
     * and PSH stay on the last segment only, CWR on the first only.
     */
    private void segmentTcp4(int frameLen, int mss) {
        int f = HDR_LEN;
        int l3 = 14;
        int etype = be16(txBuf, f + 12);
        if (etype == 0x8100) {
            l3 = 18;
            etype = be16(txBuf, f + 16);
        }
        String bad = null;
        int ihl = 0;
        int thl = 0;
        if (etype != 0x0800) bad = "not IPv4 (ethertype 0x" + Integer.toHexString(etype) + ")";
        else if (frameLen < l3 + 20) bad = "IPv4 header cut short";
        else {
            ihl = (txBuf[f + l3] & 0x0F) * 4;
            if ((txBuf[f + l3] & 0xF0) != 0x40 || ihl < 20) bad = "bad IPv4 header";
            else if ((txBuf[f + l3 + 9] & 0xFF) != 6) bad = "not TCP";
            else if (frameLen < l3 + ihl + 20) bad = "TCP header cut short";
            else {
                thl = ((txBuf[f + l3 + ihl + 12] >> 4) & 0x0F) * 4;
                if (thl < 20 || frameLen < l3 + ihl + thl) bad = "bad TCP header";
                else if (mss == 0) bad = "segment size 0";
                else if (l3 + ihl + thl + Math.min(mss, frameLen - l3 - ihl - thl) > MAX_FRAME) bad = "segments longer than " + MAX_FRAME;
            }
        }
        if (bad != null) {
            dropTx("TCP segmentation offload: " + bad);
            return;
        }
        int l4 = l3 + ihl;
        int hdrs = l4 + thl;
        int payload = frameLen - hdrs;
        int id0 = be16(txBuf, f + l3 + 4);
        long seq0 = be32(txBuf, f + l4 + 4) & 0xFFFF_FFFFL;
        int tcpFlags = txBuf[f + l4 + 13] & 0xFF;
        int off = 0;
        for (int i = 0; ; i++) {
            int len = Math.min(mss, payload - off);
            boolean last = off + len >= payload;
            System.arraycopy(txBuf, f, segBuf, 0, hdrs);
            System.arraycopy(txBuf, f + hdrs + off, segBuf, hdrs, len);
            put16(segBuf, l3 + 2, ihl + thl + len); // IP total length
            put16(segBuf, l3 + 4, id0 + i);
            put16(segBuf, l3 + 10, 0);
            put16(segBuf, l3 + 10, ~onesComplementSum(segBuf, l3, ihl, 0) & 0xFFFF);
            put32(segBuf, l4 + 4, (int) (seq0 + off));
            int fl = tcpFlags;
            if (!last) fl &= ~0x09; // FIN, PSH
            if (i > 0) fl &= ~0x80; // CWR
            segBuf[l4 + 13] = (byte) fl;
            put16(segBuf, l4 + 16, 0);
            int pseudo = onesComplementSum(segBuf, l3 + 12, 8, 0) + 6 + thl + len; // addresses, protocol, TCP length
            put16(segBuf, l4 + 16, ~onesComplementSum(segBuf, l4, thl + len, pseudo) & 0xFFFF);
            txFrames++;
            sink.transmitted(slot, segBuf, 0, hdrs + len);
            off += len;
            if (last) return;
        }
    }

    /** The 16-bit ones' complement sum (folded, not inverted) of {@code len} bytes, big-endian words, plus {@code initial}. */
    static int onesComplementSum(byte[] b, int off, int len, long initial) {
        long sum = initial;
        int end = off + (len & ~1);
        for (int i = off; i < end; i += 2) sum += ((b[i] & 0xFF) << 8) | (b[i + 1] & 0xFF);
        if ((len & 1) != 0) sum += (b[off + len - 1] & 0xFF) << 8;
        while ((sum >>> 16) != 0) sum = (sum & 0xFFFF) + (sum >>> 16);
        return (int) sum;
    }

    private static int le16(byte[] b, int o) {
        return (b[o] & 0xFF) | (b[o + 1] & 0xFF) << 8;
    }

    private static int be16(byte[] b, int o) {
        return (b[o] & 0xFF) << 8 | (b[o + 1] & 0xFF);
    }

    private static int be32(byte[] b, int o) {
        return be16(b, o) << 16 | be16(b, o + 2);
    }

    private static void put16(byte[] b, int o, int v) {
        b[o] = (byte) (v >>> 8);
        b[o + 1] = (byte) v;
    }

    private static void put32(byte[] b, int o, int v) {
        put16(b, o, v >>> 16);
        put16(b, o + 2, v);
    }

    // ------------------------------------------------------------------ receive

    /**
     * True when the driver is running and has a receive buffer posted: a frame given to
     * {@link #receive} now is delivered (or dropped for its own fault). A function of guest state.
     */
    public boolean canReceive() {
        Virtqueue q = queues[RX];
        return present && (status & STATUS_DRIVER_OK) != 0 && pci.busMaster() && q.active() && q.pending() != 0;
    }

    /**
     * Hands a received Ethernet frame ({@code len} bytes at {@code frame[off]}, no FCS) to the
     * guest: header and frame go into the next receive buffer, which is returned to the driver,
     * and the interrupt is raised. Call only when {@link #canReceive()} (at a slice boundary).
     * Returns false if the frame was dropped (bad length, no room, bad buffer), after logging why.
     */
    public boolean receive(byte[] frame, int off, int len) {
        if (!canReceive()) throw new IllegalStateException("NIC " + slot + " cannot receive now");
        if (len < MIN_FRAME || len > MAX_FRAME) {
            dropped++;
            warn("received frame of " + len + " bytes (valid: " + MIN_FRAME + ".." + MAX_FRAME + "); dropped");
            return false;
        }
        Virtqueue q = queues[RX];
        int n = q.pending();
        if (n > q.size) {
            q.markBroken();
            warn("receive queue: the driver made " + n + " entries available in a ring of " + q.size
                    + "; the queue is not used until the device is reset");
            return false;
        }
        int head = q.peekHead();
        // first pass: validate the chain and measure its room
        long room = 0;
        String bad = null;
        int i = head;
        for (int count = 0; ; count++) {
            if (i >= q.size) {
                bad = "descriptor index " + i + " out of range";
                break;
            }
            if (count >= q.size) {
                bad = "descriptor chain longer than the ring (a loop)";
                break;
            }
            int flags = q.descFlags(i);
            long addr = q.descAddr(i);
            long dlen = q.descLen(i) & 0xFFFF_FFFFL;
            if ((flags & Virtqueue.DESC_F_INDIRECT) != 0) {
                bad = "indirect descriptor (not negotiated)";
                break;
            }
            if ((flags & Virtqueue.DESC_F_WRITE) == 0) {
                bad = "device-readable descriptor in a receive chain";
                break;
            }
            if (!GuestRam.writable(mem, addr, dlen)) {
                bad = String.format("buffer 0x%x+%d outside RAM", addr, dlen);
                break;
            }
            room += dlen;
            if ((flags & Virtqueue.DESC_F_NEXT) == 0) break;
            i = q.descNext(i);
        }
        if (bad != null) {
            q.consume();
            q.pushUsed(head, 0);
            interruptAfterUse(q);
            dropped++;
            warn("receive chain at descriptor " + head + ": " + bad + "; returned empty, frame dropped");
            return false;
        }
        if (room < HDR_LEN + len) {
            dropped++;
            warn("received frame of " + len + " bytes does not fit the guest's receive buffer (" + Math.max(0, room - HDR_LEN)
                    + " bytes); dropped");
            return false;
        }
        // second pass: scatter the zero header and the frame
        q.consume();
        int remainingHdr = HDR_LEN;
        int pos = 0;
        i = head;
        for (;;) {
            int addr = (int) q.descAddr(i);
            int dlen = (int) Math.min(q.descLen(i) & 0xFFFF_FFFFL, Integer.MAX_VALUE);
            int h = Math.min(remainingHdr, dlen);
            if (h > 0) {
                GuestRam.zero(mem, addr, h);
                remainingHdr -= h;
            }
            int d = Math.min(dlen - h, len - pos);
            if (d > 0) {
                GuestRam.copyOut(mem, addr + h, frame, off + pos, d);
                pos += d;
            }
            if (remainingHdr == 0 && pos == len) break;
            i = q.descNext(i);
        }
        q.pushUsed(head, HDR_LEN + len);
        rxFrames++;
        sink.received(slot, frame, off, len);
        interruptAfterUse(q);
        return true;
    }

    private void warn(String what) {
        warnings++;
        if (warnings <= 20 || warnings % 1000 == 0) {
            LOG.warn("NIC {}: {}{}", slot, what, warnings == 20 ? " (further messages: one in 1000)" : "");
        }
    }

    public static String formatMac(byte[] m) {
        return HexFormat.ofDelimiter(":").formatHex(m);
    }

    /** Parses {@code 52:54:00:12:34:56}. */
    public static byte[] parseMac(String s) {
        String[] p = s.split(":");
        if (p.length != 6) throw new IllegalArgumentException("bad MAC address '" + s + "' (expected six hex bytes like 52:54:00:12:34:56)");
        byte[] m = new byte[6];
        for (int i = 0; i < 6; i++) {
            if (p[i].length() != 2) throw new IllegalArgumentException("bad MAC address '" + s + "'");
            try {
                m[i] = (byte) Integer.parseInt(p[i], 16);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("bad MAC address '" + s + "'");
            }
        }
        return m;
    }

    // ------------------------------------------------------------------ snapshot

    public void saveState(DataOutput out) throws IOException {
        out.writeInt(STATE_VERSION);
        out.writeBoolean(present);
        if (!present) return;
        out.write(configuredMac);
        out.write(mac);
        pci.saveState(out);
        out.writeInt(driverFeatures);
        out.writeByte(status);
        out.writeByte(isr);
        out.writeShort(queueSelect);
        for (Virtqueue q : queues) q.saveState(out);
    }

    public void loadState(DataInput in) throws IOException {
        int v = in.readInt();
        if (v != STATE_VERSION) {
            throw new IOException("VirtioNet: unsupported state version " + v + " (expected " + STATE_VERSION + ")");
        }
        present = in.readBoolean();
        if (!present) {
            pci.unmapAll();
            driverFeatures = status = isr = queueSelect = 0;
            for (Virtqueue q : queues) q.reset();
            return;
        }
        in.readFully(configuredMac);
        in.readFully(mac);
        pci.loadState(in, "VirtioNet");
        driverFeatures = in.readInt() & DEVICE_FEATURES;
        status = in.readUnsignedByte();
        isr = in.readUnsignedByte() & 3;
        queueSelect = in.readUnsignedShort();
        for (Virtqueue q : queues) q.loadState(in);
        pci.setInterruptStatus(isr != 0);
        // the host bridge recomputes its interrupt routing after the whole machine is loaded
    }
}
