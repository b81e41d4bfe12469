package dev.tandem.core.dev.virtio;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.core.dev.FrameSink;
import dev.tandem.core.io.IoBus;
import dev.tandem.core.machine.Machine;
import dev.tandem.core.machine.MachineConfig;
import dev.tandem.core.mem.PhysicalMemory;
import dev.tandem.core.snapshot.Snapshot;
import dev.tandem.core.snapshot.StateHasher;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The virtio network card driven through port I/O the way Linux's legacy virtio-pci and
 * virtio_net drivers drive it: PCI configuration, BAR sizing and decoding, feature negotiation,
 * virtqueues in guest RAM, interrupts through the PIIX3 routing to the 8259, malformed
 * descriptor chains and frames, and snapshots.
 */
class VirtioNetTest {
    static final byte[] MAC = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
    static final int DEV = Machine.NIC_PCI_DEVICE;
    static final int IO = Machine.NIC_IO_BASE;
    static final int RXQ_PFN = 0x100; // rings at 1 MiB and 1 MiB + 16 KiB
    static final int TXQ_PFN = 0x104;
    static final int BUFS = 0x200000; // buffers from 2 MiB

    Machine m;
    IoBus io;
    PhysicalMemory mem;
    final List<byte[]> sent = new ArrayList<>();
    final List<byte[]> delivered = new ArrayList<>();

    @BeforeEach
    void setUp() {
        m = new Machine(MachineConfig.defaults(16 << 20), 0);
        io = m.io();
        mem = m.memory();
        m.plugNic(0, MAC);
        m.nic(0).setFrameSink(new FrameSink() {
            @Override
            public void transmitted(int nic, byte[] f, int off, int len) {
                sent.add(Arrays.copyOfRange(f, off, off + len));
            }

            @Override
            public void received(int nic, byte[] f, int off, int len) {
                delivered.add(Arrays.copyOfRange(f, off, off + len));
            }
        });
    }

    // ------------------------------------------------------------------ helpers

    int cfgRead(int dev, int reg, int size) {
        io.out(0xCF8, 4, 0x8000_0000 | dev << 11 | (reg & 0xFC));
        return io.in(0xCFC + (reg & 3), size);
    }

    void cfgWrite(int dev, int reg, int size, int v) {
        io.out(0xCF8, 4, 0x8000_0000 | dev << 11 | (reg & 0xFC));
        io.out(0xCFC + (reg & 3), size, v);
    }

    /** The driver's probe: reset, acknowledge, features, both queues, DRIVER_OK. */
    void initDriver() {
        io.out(IO + 0x12, 1, 0);
        io.out(IO + 0x12, 1, VirtioNet.STATUS_ACKNOWLEDGE);
        io.out(IO + 0x12, 1, VirtioNet.STATUS_ACKNOWLEDGE | VirtioNet.STATUS_DRIVER);
        int features = io.in(IO, 4);
        io.out(IO + 4, 4, features);
        for (int q = 0; q < 2; q++) {
            io.out(IO + 0x0E, 2, q);
            assertEquals(VirtioNet.QUEUE_SIZE, io.in(IO + 0x0C, 2));
            io.out(IO + 8, 4, q == 0 ? RXQ_PFN : TXQ_PFN);
        }
        io.out(IO + 0x12, 1, 7);
    }

    int desc(int pfn) {
        return pfn << 12;
    }

    int avail(int pfn) {
        return desc(pfn) + 16 * VirtioNet.QUEUE_SIZE;
    }

    int used(int pfn) {
        return desc(pfn) + Virtqueue.usedOffset(VirtioNet.QUEUE_SIZE);
    }

    void setDesc(int pfn, int i, long addr, int len, int flags, int next) {
        int a = desc(pfn) + 16 * i;
        mem.write32(a, (int) addr);
        mem.write32(a + 4, (int) (addr >>> 32));
        mem.write32(a + 8, len);
        mem.write16(a + 12, flags);
        mem.write16(a + 14, next);
    }

    /** Publishes {@code head} in the available ring (the driver's side). */
    void offer(int pfn, int head) {
        int idx = mem.read16(avail(pfn) + 2);
        mem.write16(avail(pfn) + 4 + 2 * (idx % VirtioNet.QUEUE_SIZE), head);
        mem.write16(avail(pfn) + 2, idx + 1);
    }

    int usedIdx(int pfn) {
        return mem.read16(used(pfn) + 2);
    }

    int usedId(int pfn, int k) {
        return mem.read32(used(pfn) + 4 + 8 * k);
    }

    int usedLen(int pfn, int k) {
        return mem.read32(used(pfn) + 8 + 8 * k);
    }

    static byte[] frame(int len, int seed) {
        byte[] f = new byte[len];
        for (int i = 0; i < len; i++) f[i] = (byte) (i * 31 + seed);
        return f;
    }

    boolean irq11() {
        return (m.pic().irr() & (1 << 11)) != 0;
    }

    /** Transmit: header and frame in two descriptors starting at {@code head}, then notify. */
    void transmit(int head, byte[] f) {
        int hdr = BUFS + 0x10000 + head * 0x800;
        int data = hdr + 0x10;
        setDesc(TXQ_PFN, head, hdr, VirtioNet.HDR_LEN, Virtqueue.DESC_F_NEXT, head + 1);
        setDesc(TXQ_PFN, head + 1, data, f.length, 0, 0);
        mem.load(data, f);
        offer(TXQ_PFN, head);
        io.out(IO + 0x10, 2, 1);
    }

    // ------------------------------------------------------------------ PCI

    @Test
    void configSpaceIdentifiesALegacyVirtioNetCard() {
        assertEquals(0x1000_1AF4, cfgRead(DEV, 0x00, 4));
        assertEquals(0x0001_1AF4, cfgRead(DEV, 0x2C, 4), "subsystem: virtio device type 1 (network)");
        assertEquals(0x02_00_00_00, cfgRead(DEV, 0x08, 4), "class 02 00 00, revision 0 (legacy ABI)");
        assertEquals(0, cfgRead(DEV, 0x0E, 1), "header type 0, single function");
        assertEquals(0, cfgRead(DEV, 0x06, 2) & 0x10, "no capability list: Linux leaves it to the legacy driver");
        assertEquals(1, cfgRead(DEV, 0x3D, 1), "INTA#");
        assertEquals(11, cfgRead(DEV, 0x3C, 1), "slot 3 INTA# -> PIRQC -> IRQ 11, as firmware reports it");
        assertEquals(11, m.pciHost().pirqRoute(2));
        assertEquals(0x0C, io.in(0x4D1, 1) & 0x0C, "IRQ 10 and 11 level triggered in the ELCR");
        assertEquals(IO | 1, cfgRead(DEV, 0x10, 4));
        assertEquals(0x5, cfgRead(DEV, 0x04, 2) & 0x7, "I/O and bus master enabled");
        // an empty slot and an absent device read as all ones
        assertEquals(0xFFFF_FFFF, cfgRead(DEV + 1, 0x00, 4));
        assertEquals(0xFFFF_FFFF, cfgRead(20, 0x00, 4));
        // read-only registers stay put
        cfgWrite(DEV, 0x00, 4, 0x12345678);
        cfgWrite(DEV, 0x3D, 1, 3);
        assertEquals(0x1000_1AF4, cfgRead(DEV, 0x00, 4));
        assertEquals(1, cfgRead(DEV, 0x3D, 1));
    }

    @Test
    void barSizingAndDecoding() {
        cfgWrite(DEV, 0x10, 4, 0xFFFF_FFFF);
        int mask = cfgRead(DEV, 0x10, 4);
        assertEquals(0xFFFF_FFE1, mask, "32-byte I/O BAR");
        assertEquals(32, ~(mask & 0xFFFF_FFFC) + 1);
        // BARs 1..5 and the ROM BAR are not implemented
        for (int reg = 0x14; reg <= 0x24; reg += 4) {
            cfgWrite(DEV, reg, 4, 0xFFFF_FFFF);
            assertEquals(0, cfgRead(DEV, reg, 4));
        }
        cfgWrite(DEV, 0x30, 4, 0xFFFF_FFFF);
        assertEquals(0, cfgRead(DEV, 0x30, 4));
        // while the BAR holds the sizing pattern it decodes nowhere; move it to 0xD000
        cfgWrite(DEV, 0x10, 4, 0xD000);
        assertEquals(0xD001, cfgRead(DEV, 0x10, 4));
        assertEquals(0xFF, io.in(IO + 0x12, 1), "old window unmapped");
        assertEquals(VirtioNet.DEVICE_FEATURES, io.in(0xD000, 4), "device features at the new window");
        assertEquals(0x52, io.in(0xD000 + 0x14, 1));
        // low address bits are not writable
        cfgWrite(DEV, 0x10, 4, 0xD01F);
        assertEquals(0xD001, cfgRead(DEV, 0x10, 4));
        // I/O decoding off in the command register unmaps it; back on maps it again
        cfgWrite(DEV, 0x04, 2, 0x0004);
        assertEquals(0xFFFF_FFFF, io.in(0xD000, 4));
        cfgWrite(DEV, 0x04, 2, 0x0005);
        assertEquals(VirtioNet.DEVICE_FEATURES, io.in(0xD000, 4));
        // a range beyond 64 KiB does not decode
        cfgWrite(DEV, 0x10, 4, 0x1_0000);
        assertEquals(0xFFFF_FFFF, io.in(0xD000, 4));
        assertEquals(-1, m.nic(0).pciConfig().ioBase(0));
    }

    @Test
    void registersAndMac() {
        assertEquals(VirtioNet.F_MAC | VirtioNet.F_STATUS | VirtioNet.F_CSUM | VirtioNet.F_HOST_TSO4, io.in(IO, 4));
        for (int i = 0; i < 6; i++) assertEquals(MAC[i] & 0xFF, io.in(IO + 0x14 + i, 1));
        assertEquals(1, io.in(IO + 0x1A, 2), "link up");
        io.out(IO + 4, 4, 0xFFFF_FFFF);
        assertEquals(VirtioNet.DEVICE_FEATURES, io.in(IO + 4, 4), "only offered features stick");
        io.out(IO + 0x0E, 2, 5);
        assertEquals(0, io.in(IO + 0x0C, 2), "no queue 5");
        // legacy drivers set the MAC through the configuration bytes; a reset restores the configured one
        io.out(IO + 0x14, 1, 0x02);
        assertEquals(0x02, m.nic(0).mac()[0]);
        io.out(IO + 0x12, 1, 0);
        assertArrayEquals(MAC, m.nic(0).mac());
    }

    // ------------------------------------------------------------------ queues

    @Test
    void transmitDeliversTheFrameAndInterrupts() {
        initDriver();
        // the kernel programs the 8259 with the slave enabled; only IRR matters here
        byte[] f = frame(60, 1);
        transmit(0, f);
        assertEquals(1, sent.size());
        assertArrayEquals(f, sent.get(0));
        assertEquals(1, usedIdx(TXQ_PFN));
        assertEquals(0, usedId(TXQ_PFN, 0));
        assertEquals(0, usedLen(TXQ_PFN, 0));
        assertTrue(irq11(), "level IRQ 11 asserted");
        assertEquals(0x08, cfgRead(DEV, 0x06, 2) & 0x08, "PCI status: interrupt pending");
        assertEquals(1, io.in(IO + 0x13, 1), "ISR: queue interrupt");
        assertFalse(irq11(), "reading the ISR lowers the line");
        assertEquals(0, io.in(IO + 0x13, 1), "and clears it");
        // with VRING_AVAIL_F_NO_INTERRUPT the driver polls: no interrupt
        mem.write16(avail(TXQ_PFN), Virtqueue.AVAIL_F_NO_INTERRUPT);
        transmit(2, frame(1514, 2));
        assertEquals(2, sent.size());
        assertEquals(1514, sent.get(1).length);
        assertFalse(irq11());
        // INTx disable in the command register masks the line but the ISR still says why
        mem.write16(avail(TXQ_PFN), 0);
        cfgWrite(DEV, 0x04, 2, 0x0405);
        transmit(4, frame(100, 3));
        assertFalse(irq11());
        cfgWrite(DEV, 0x04, 2, 0x0005);
        assertTrue(irq11());
        assertEquals(3, m.nic(0).framesTransmitted());
    }

    @Test
    void receiveScattersHeaderAndFrameIntoTheGuestsBuffers() {
        initDriver();
        assertFalse(m.nic(0).canReceive(), "no buffers posted");
        // buffer 0: one descriptor (Linux's small buffers); buffer 1: header and data split
        setDesc(RXQ_PFN, 0, BUFS, 1528, Virtqueue.DESC_F_WRITE, 0);
        setDesc(RXQ_PFN, 1, BUFS + 0x1000, 4, Virtqueue.DESC_F_WRITE | Virtqueue.DESC_F_NEXT, 2);
        setDesc(RXQ_PFN, 2, BUFS + 0x2000, 2000, Virtqueue.DESC_F_WRITE, 0);
        offer(RXQ_PFN, 0);
        offer(RXQ_PFN, 1);
        mem.load(BUFS, frame(20, 99)); // stale contents the header must overwrite
        assertTrue(m.nic(0).canReceive());
        byte[] f0 = frame(98, 7);
        byte[] f1 = frame(1514, 8);
        assertTrue(m.nic(0).receive(f0, 0, f0.length));
        assertTrue(m.nic(0).receive(f1, 0, f1.length));
        assertFalse(m.nic(0).canReceive());
        assertEquals(2, usedIdx(RXQ_PFN));
        assertEquals(0, usedId(RXQ_PFN, 0));
        assertEquals(VirtioNet.HDR_LEN + 98, usedLen(RXQ_PFN, 0));
        assertEquals(1, usedId(RXQ_PFN, 1));
        assertEquals(VirtioNet.HDR_LEN + 1514, usedLen(RXQ_PFN, 1));
        for (int i = 0; i < VirtioNet.HDR_LEN; i++) assertEquals(0, mem.read8(BUFS + i), "header zero (no offloads)");
        for (int i = 0; i < 98; i++) assertEquals(f0[i] & 0xFF, mem.read8(BUFS + 10 + i));
        // 4 header bytes in the first descriptor, 6 header bytes then the frame in the second
        for (int i = 0; i < 4; i++) assertEquals(0, mem.read8(BUFS + 0x1000 + i));
        for (int i = 0; i < 6; i++) assertEquals(0, mem.read8(BUFS + 0x2000 + i));
        for (int i = 0; i < 1514; i++) assertEquals(f1[i] & 0xFF, mem.read8(BUFS + 0x2000 + 6 + i));
        assertEquals(2, delivered.size());
        assertTrue(irq11());
        assertThrows(IllegalStateException.class, () -> m.nic(0).receive(f0, 0, f0.length), "no buffer: the boundary must not call");
    }

    @Test
    void receiveBeforeDriverOkIsNotPossible() {
        io.out(IO + 0x12, 1, 3);
        io.out(IO + 0x0E, 2, 0);
        io.out(IO + 8, 4, RXQ_PFN);
        setDesc(RXQ_PFN, 0, BUFS, 1528, Virtqueue.DESC_F_WRITE, 0);
        offer(RXQ_PFN, 0);
        assertFalse(m.nic(0).canReceive());
        io.out(IO + 0x12, 1, 7);
        assertTrue(m.nic(0).canReceive());
        cfgWrite(DEV, 0x04, 2, 0x0001); // bus mastering off: no DMA
        assertFalse(m.nic(0).canReceive());
    }

    @Test
    void badFramesAreDroppedWithoutConsumingBuffers() {
        initDriver();
        setDesc(RXQ_PFN, 0, BUFS, 100, Virtqueue.DESC_F_WRITE, 0);
        offer(RXQ_PFN, 0);
        assertFalse(m.nic(0).receive(frame(13, 0), 0, 13), "shorter than an Ethernet header");
        assertFalse(m.nic(0).receive(frame(91, 0), 0, 91), "does not fit 100 - 10 bytes");
        assertEquals(0, usedIdx(RXQ_PFN), "the buffer stays with the device");
        assertTrue(m.nic(0).receive(frame(90, 0), 0, 90), "exactly fits");
        assertEquals(1, usedIdx(RXQ_PFN));
        assertEquals(2, m.nic(0).framesDropped());
        // a transmitted frame shorter than an Ethernet header is dropped, its chain returned
        transmit(0, frame(5, 0));
        assertTrue(sent.isEmpty());
        assertEquals(1, usedIdx(TXQ_PFN));
    }

    @Test
    void malformedTransmitChainsAreReturnedAndTheQueueGoesOn() {
        initDriver();
        int hdr = BUFS;
        // 1. next index out of range
        setDesc(TXQ_PFN, 0, hdr, 10, Virtqueue.DESC_F_NEXT, 4000);
        offer(TXQ_PFN, 0);
        // 2. a loop: 1 -> 2 -> 1
        setDesc(TXQ_PFN, 1, hdr, 10, Virtqueue.DESC_F_NEXT, 2);
        setDesc(TXQ_PFN, 2, hdr, 10, Virtqueue.DESC_F_NEXT, 1);
        offer(TXQ_PFN, 1);
        // 3. a buffer beyond the end of RAM
        setDesc(TXQ_PFN, 3, 0xFFFF_F000L, 100, 0, 0);
        offer(TXQ_PFN, 3);
        // 4. a device-writable descriptor in a transmit chain
        setDesc(TXQ_PFN, 4, hdr, 100, Virtqueue.DESC_F_WRITE, 0);
        offer(TXQ_PFN, 4);
        // 5. an indirect descriptor (not negotiated)
        setDesc(TXQ_PFN, 5, hdr, 16, Virtqueue.DESC_F_INDIRECT, 0);
        offer(TXQ_PFN, 5);
        // 6. a 64-bit address
        setDesc(TXQ_PFN, 6, 0x1_0000_0000L | hdr, 100, 0, 0);
        offer(TXQ_PFN, 6);
        // 7. a head index out of range
        offer(TXQ_PFN, 300);
        // 8. a good frame afterwards
        byte[] good = frame(64, 5);
        setDesc(TXQ_PFN, 8, hdr, 10, Virtqueue.DESC_F_NEXT, 9);
        setDesc(TXQ_PFN, 9, BUFS + 0x100, good.length, 0, 0);
        mem.load(BUFS + 0x100, good);
        offer(TXQ_PFN, 8);
        io.out(IO + 0x10, 2, 1);
        assertEquals(8, usedIdx(TXQ_PFN), "every chain is returned to the driver");
        for (int k = 0; k < 7; k++) assertEquals(0, usedLen(TXQ_PFN, k));
        assertEquals(1, sent.size());
        assertArrayEquals(good, sent.get(0));
        assertEquals(7, m.nic(0).framesDropped());
    }

    @Test
    void malformedReceiveChainIsReturnedEmpty() {
        initDriver();
        setDesc(RXQ_PFN, 0, BUFS, 1528, 0, 0); // not device-writable
        offer(RXQ_PFN, 0);
        setDesc(RXQ_PFN, 1, BUFS, 1528, Virtqueue.DESC_F_WRITE, 0);
        offer(RXQ_PFN, 1);
        assertFalse(m.nic(0).receive(frame(60, 0), 0, 60));
        assertEquals(1, usedIdx(RXQ_PFN));
        assertEquals(0, usedLen(RXQ_PFN, 0));
        assertTrue(m.nic(0).receive(frame(60, 0), 0, 60), "the next buffer is fine");
        assertEquals(70, usedLen(RXQ_PFN, 1));
    }

    @Test
    void ringsOutsideRamAndRunawayIndicesBreakTheQueueUntilReset() {
        initDriver();
        io.out(IO + 0x0E, 2, 1);
        io.out(IO + 8, 4, 0xFFFFF); // ring at 4 GiB - 4 KiB: not RAM
        assertEquals(0xFFFFF, io.in(IO + 8, 4));
        io.out(IO + 0x10, 2, 1); // nothing happens, nothing throws
        io.out(IO + 8, 4, TXQ_PFN);
        mem.write16(avail(TXQ_PFN) + 2, 1000); // more entries than the ring holds
        io.out(IO + 0x10, 2, 1);
        assertTrue(sent.isEmpty());
        assertEquals(0, usedIdx(TXQ_PFN));
        mem.write16(avail(TXQ_PFN) + 2, 0);
        transmit(0, frame(60, 0));
        assertTrue(sent.isEmpty(), "broken until reset");
        initDriver();
        mem.write16(avail(TXQ_PFN) + 2, 0);
        mem.write16(used(TXQ_PFN) + 2, 0);
        transmit(0, frame(60, 0));
        assertEquals(1, sent.size());
    }

    @Test
    void guestReroutingThePirqMovesTheInterrupt() {
        initDriver();
        transmit(0, frame(60, 0));
        assertTrue(irq11());
        io.out(0x4D1, 1, io.in(0x4D1, 1) | 0x02); // IRQ 9 level triggered
        assertTrue((m.pic().irr() & (1 << 9)) == 0);
        cfgWrite(1, 0x62, 1, 9); // the guest routes PIRQC to IRQ 9
        assertFalse(irq11());
        assertTrue((m.pic().irr() & (1 << 9)) != 0, "the line moved to IRQ 9");
        cfgWrite(1, 0x62, 1, 0x80); // routing off
        assertTrue((m.pic().irr() & (1 << 9)) == 0);
    }

    @Test
    void deviceWritesInvalidateDirtyTrackingLikeCpuWrites() {
        initDriver();
        setDesc(RXQ_PFN, 0, BUFS + 0x5000, 1528, Virtqueue.DESC_F_WRITE, 0);
        offer(RXQ_PFN, 0);
        mem.startDirtyTracking();
        m.nic(0).receive(frame(60, 0), 0, 60);
        long[] dirty = mem.fetchAndClearDirty();
        int page = (BUFS + 0x5000) >>> 12;
        assertTrue((dirty[page >>> 6] & (1L << page)) != 0, "buffer page dirty");
        int usedPage = used(RXQ_PFN) >>> 12;
        assertTrue((dirty[usedPage >>> 6] & (1L << usedPage)) != 0, "used ring page dirty");
        mem.stopDirtyTracking();
    }

    // ------------------------------------------------------------------ offloads

    /** A TCP/IPv4 frame: Ethernet, 20-byte IP header, TCP header with a 12-byte option, payload. */
    static byte[] tcpFrame(int payload, int tcpFlags) {
        int thl = 32;
        byte[] f = new byte[14 + 20 + thl + payload];
        f[12] = 0x08;
        f[14] = 0x45;
        int total = 20 + thl + payload;
        f[16] = (byte) (total >> 8);
        f[17] = (byte) total;
        f[18] = 0x12; // identification 0x1234
        f[19] = 0x34;
        f[22] = 64;
        f[23] = 6;
        byte[] src = {10, 0, 2, 15};
        byte[] dst = {10, 0, 2, 2};
        System.arraycopy(src, 0, f, 26, 4);
        System.arraycopy(dst, 0, f, 30, 4);
        int t = 34;
        f[t] = 0x00; // port 80 -> 40000
        f[t + 1] = 80;
        f[t + 2] = (byte) 0x9C;
        f[t + 3] = 0x40;
        f[t + 4] = (byte) 0xFF; // sequence 0xFFFFF000: wraps during the segments
        f[t + 5] = (byte) 0xFF;
        f[t + 6] = (byte) 0xF0;
        f[t + 12] = (byte) ((thl / 4) << 4);
        f[t + 13] = (byte) tcpFlags;
        f[t + 14] = 0x10; // window
        f[t + 20] = 1; // NOP, NOP, timestamp option
        f[t + 21] = 1;
        f[t + 22] = 8;
        f[t + 23] = 10;
        for (int i = 0; i < payload; i++) f[14 + 20 + thl + i] = (byte) (i * 7 + 3);
        return f;
    }

    static int sum(byte[] b, int off, int len, long initial) {
        return VirtioNet.onesComplementSum(b, off, len, initial);
    }

    /** True if the IPv4 header and the TCP checksum of {@code f} verify. */
    static boolean checksumsValid(byte[] f) {
        int ihl = (f[14] & 0x0F) * 4;
        if (sum(f, 14, ihl, 0) != 0xFFFF) return false;
        int tcpLen = f.length - 14 - ihl;
        int pseudo = sum(f, 26, 8, 0) + 6 + tcpLen;
        return sum(f, 14 + ihl, tcpLen, pseudo) == 0xFFFF;
    }

    /** Transmits {@code f} with a virtio_net_hdr of the given fields. */
    void transmitWithHeader(int head, byte[] f, int flags, int gsoType, int gsoSize, int csumStart, int csumOffset) {
        int hdr = BUFS + 0x40000;
        int data = BUFS + 0x50000;
        mem.write8(hdr, flags);
        mem.write8(hdr + 1, gsoType);
        mem.write16(hdr + 2, 0);
        mem.write16(hdr + 4, gsoSize);
        mem.write16(hdr + 6, csumStart);
        mem.write16(hdr + 8, csumOffset);
        setDesc(TXQ_PFN, head, hdr, VirtioNet.HDR_LEN, Virtqueue.DESC_F_NEXT, head + 1);
        setDesc(TXQ_PFN, head + 1, data, f.length, 0, 0);
        mem.load(data, f);
        offer(TXQ_PFN, head);
        io.out(IO + 0x10, 2, 1);
    }

    @Test
    void checksumOffloadCompletesTheChecksum() {
        initDriver();
        byte[] f = tcpFrame(333, 0x18);
        // the IP header checksum is the guest's job; the TCP field holds the pseudo-header sum (Linux's CHECKSUM_PARTIAL)
        int ipsum = ~sum(f, 14, 20, 0) & 0xFFFF;
        f[24] = (byte) (ipsum >> 8);
        f[25] = (byte) ipsum;
        int pseudo = sum(f, 26, 8, 0) + 6 + (f.length - 34);
        pseudo = sum(new byte[0], 0, 0, pseudo);
        f[34 + 16] = (byte) (pseudo >> 8);
        f[34 + 17] = (byte) pseudo;
        assertFalse(checksumsValid(f));
        transmitWithHeader(0, f, 1, 0, 0, 34, 16);
        assertEquals(1, sent.size());
        assertTrue(checksumsValid(sent.get(0)), "TCP checksum completed");
        // offsets outside the frame: dropped, the chain returned
        transmitWithHeader(2, f, 1, 0, 0, f.length - 1, 16);
        assertEquals(1, sent.size());
        assertEquals(2, usedIdx(TXQ_PFN));
        assertEquals(1, m.nic(0).framesDropped());
    }

    @Test
    void segmentationOffloadCutsTcpSegments() {
        initDriver();
        int payload = 4000;
        int mss = 1448;
        byte[] f = tcpFrame(payload, 0x80 | 0x18 | 0x01); // CWR, ACK, PSH, FIN
        transmitWithHeader(0, f, 1, 1, mss, 34, 16);
        assertEquals(3, sent.size(), "4000 bytes in 1448-byte segments");
        java.io.ByteArrayOutputStream joined = new java.io.ByteArrayOutputStream();
        long seq = 0xFFFFF000L;
        for (int i = 0; i < 3; i++) {
            byte[] s = sent.get(i);
            int len = i < 2 ? mss : payload - 2 * mss;
            assertEquals(14 + 20 + 32 + len, s.length);
            assertTrue(checksumsValid(s), "segment " + i + " checksums");
            assertEquals(20 + 32 + len, (s[16] & 0xFF) << 8 | (s[17] & 0xFF), "IP total length");
            assertEquals(0x1234 + i, (s[18] & 0xFF) << 8 | (s[19] & 0xFF), "IP identification");
            long sq = ((s[38] & 0xFFL) << 24) | ((s[39] & 0xFF) << 16) | ((s[40] & 0xFF) << 8) | (s[41] & 0xFF);
            assertEquals(seq & 0xFFFF_FFFFL, sq, "sequence number");
            int flags = s[47] & 0xFF;
            assertEquals(i == 0 ? 0x80 : 0, flags & 0x80, "CWR on the first segment only");
            assertEquals(i == 2 ? 0x09 : 0, flags & 0x09, "FIN and PSH on the last only");
            assertEquals(0x10, flags & 0x10, "ACK on all");
            assertArrayEquals(withSeqFlagsCsum(f, s), Arrays.copyOfRange(s, 34, 54), "ports, ack number, window unchanged");
            assertArrayEquals(Arrays.copyOfRange(f, 54, 66), Arrays.copyOfRange(s, 54, 66), "TCP options unchanged");
            assertArrayEquals(Arrays.copyOfRange(f, 0, 16), Arrays.copyOfRange(s, 0, 16), "Ethernet and IP version unchanged");
            joined.write(s, 66, len);
            seq += len;
        }
        assertArrayEquals(Arrays.copyOfRange(f, 66, f.length), joined.toByteArray(), "payload in order");
        // malformed segmentation requests are dropped with their chains returned
        byte[] udp = tcpFrame(3000, 0x10);
        udp[23] = 17;
        transmitWithHeader(2, udp, 1, 1, mss, 34, 6);
        transmitWithHeader(4, f, 1, 1, 0, 34, 16);
        transmitWithHeader(6, f, 1, 3, mss, 34, 16); // UDP fragmentation offload: not offered
        assertEquals(3, sent.size());
        assertEquals(4, usedIdx(TXQ_PFN));
        assertEquals(3, m.nic(0).framesDropped());
    }

    /** The original TCP header bytes 0..19 with the segment's sequence number, flags and checksum. */
    static byte[] withSeqFlagsCsum(byte[] orig, byte[] seg) {
        byte[] h = Arrays.copyOfRange(orig, 34, 54);
        System.arraycopy(seg, 38, h, 4, 4);
        h[13] = seg[47];
        h[16] = seg[50];
        h[17] = seg[51];
        return h;
    }

    // ------------------------------------------------------------------ state

    @Test
    void snapshotRestoresTheCardMidStream() throws Exception {
        initDriver();
        transmit(0, frame(60, 0));
        setDesc(RXQ_PFN, 0, BUFS, 1528, Virtqueue.DESC_F_WRITE, 0);
        setDesc(RXQ_PFN, 1, BUFS + 0x800, 1528, Virtqueue.DESC_F_WRITE, 0);
        offer(RXQ_PFN, 0);
        offer(RXQ_PFN, 1);
        m.nic(0).receive(frame(70, 1), 0, 70);
        ByteArrayOutputStream bo = new ByteArrayOutputStream();
        Snapshot.write(m, bo);
        Machine r = Snapshot.read(bo.toByteArray(), "test");
        assertEquals(StateHasher.digest(m).total(), StateHasher.digest(r).total());
        assertTrue(r.nic(0).present());
        assertFalse(r.nic(1).present());
        assertTrue((r.pic().irr() & (1 << 11)) != 0, "line still asserted");
        // the restored card answers at its BAR and goes on with the rings where they were
        List<byte[]> got = new ArrayList<>();
        r.nic(0).setFrameSink((nic, f, off, len) -> got.add(Arrays.copyOfRange(f, off, off + len)));
        assertEquals(1, r.io().in(IO + 0x13, 1));
        assertTrue((r.pic().irr() & (1 << 11)) == 0);
        assertTrue(r.nic(0).canReceive());
        assertTrue(r.nic(0).receive(frame(80, 2), 0, 80));
        assertEquals(2, r.memory().read16(used(RXQ_PFN) + 2));
        // transmit on the restored machine
        byte[] f = frame(61, 3);
        setDescOn(r, 2, BUFS + 0x3000, f);
        r.io().out(IO + 0x10, 2, 1);
        assertEquals(1, got.size());
        assertArrayEquals(f, got.get(0));
    }

    private void setDescOn(Machine r, int head, int at, byte[] f) {
        PhysicalMemory rm = r.memory();
        int a = desc(TXQ_PFN) + 16 * head;
        rm.write32(a, at);
        rm.write32(a + 4, 0);
        rm.write32(a + 8, VirtioNet.HDR_LEN + f.length);
        rm.write16(a + 12, 0);
        rm.load(at + VirtioNet.HDR_LEN, f);
        int idx = rm.read16(avail(TXQ_PFN) + 2);
        rm.write16(avail(TXQ_PFN) + 4 + 2 * idx, head);
        rm.write16(avail(TXQ_PFN) + 2, idx + 1);
    }

    @Test
    void stateHashSeesTheCard() {
        long before = StateHasher.digest(m).devices()[Machine.DEVICE_NAMES.indexOf("nic0")];
        initDriver();
        long after = StateHasher.digest(m).devices()[Machine.DEVICE_NAMES.indexOf("nic0")];
        assertNotEquals(before, after);
        Machine plain = new Machine(MachineConfig.defaults(16 << 20), 0);
        assertFalse(plain.nic(0).present());
        assertThrows(IllegalArgumentException.class, () -> m.plugNic(0, MAC), "slot in use");
        assertThrows(IllegalArgumentException.class, () -> plain.plugNic(0, new byte[] {1, 0, 0, 0, 0, 0}), "multicast MAC");
        assertThrows(IllegalArgumentException.class, () -> VirtioNet.parseMac("52:54:00:12:34"));
    }
}
