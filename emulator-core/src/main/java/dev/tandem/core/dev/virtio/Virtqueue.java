package dev.tandem.core.dev.virtio;

import dev.tandem.core.mem.PhysicalMemory;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;

/**
 * A split virtqueue in the legacy layout: at the queue's page frame number, the descriptor table
 * ({@code size} entries of 16 bytes: u64 address, u32 length, u16 flags, u16 next), then the
 * available ring (u16 flags, u16 idx, u16 ring[size], u16 used_event), then, at the next 4 KiB
 * boundary, the used ring (u16 flags, u16 idx, {u32 id, u32 len}[size], u16 avail_event). All
 * little-endian in guest RAM.
 *
 * <p>Device-side state is the page frame number, the next available-ring index to consume, the
 * used index, and whether the queue is broken (its ring lies outside RAM, or the driver published
 * more entries than the ring holds); a broken queue is left alone until the device is reset.
 */
final class Virtqueue {
    static final int DESC_F_NEXT = 1;
    static final int DESC_F_WRITE = 2;
    static final int DESC_F_INDIRECT = 4;
    static final int AVAIL_F_NO_INTERRUPT = 1;
    static final int ALIGN = 4096;

    final int size;
    private final PhysicalMemory mem;

    // ---- state
    private int pfn;
    private int lastAvail;
    private int usedIdx;
    private boolean broken;

    // ---- derived from pfn
    private int desc;
    private int avail;
    private int used;

    Virtqueue(PhysicalMemory mem, int size) {
        if (size < 1 || size > 32768 || Integer.bitCount(size) != 1) throw new IllegalArgumentException("queue size " + size);
        this.mem = mem;
        this.size = size;
    }

    /** Bytes from the descriptor table to the end of the used ring. */
    static long ringBytes(int size) {
        return usedOffset(size) + 6L + 8L * size;
    }

    static int usedOffset(int size) {
        int availEnd = 16 * size + 6 + 2 * size;
        return (availEnd + ALIGN - 1) & -ALIGN;
    }

    void reset() {
        pfn = 0;
        lastAvail = 0;
        usedIdx = 0;
        broken = false;
        desc = avail = used = 0;
    }

    int pfn() {
        return pfn;
    }

    /**
     * The driver wrote the queue address register: 0 releases the queue, anything else activates it
     * with fresh indices. Returns false (and marks the queue broken) if the ring is not in RAM.
     */
    boolean setPfn(int value) {
        reset();
        pfn = value;
        return layout();
    }

    private boolean layout() {
        if (pfn == 0) return true;
        long base = (pfn & 0xFFFF_FFFFL) << 12;
        if (!GuestRam.writable(mem, base, ringBytes(size))) {
            broken = true;
            return false;
        }
        desc = (int) base;
        avail = desc + 16 * size;
        used = desc + usedOffset(size);
        return true;
    }

    boolean active() {
        return pfn != 0 && !broken;
    }

    boolean broken() {
        return broken;
    }

    void markBroken() {
        broken = true;
    }

    int availFlags() {
        return GuestRam.read16(mem, avail);
    }

    /** Entries the driver has made available and the device has not consumed yet (a ring index difference). */
    int pending() {
        return (GuestRam.read16(mem, avail + 2) - lastAvail) & 0xFFFF;
    }

    /** The head descriptor index of the next available entry (not consumed). */
    int peekHead() {
        return GuestRam.read16(mem, avail + 4 + 2 * (lastAvail & (size - 1)));
    }

    /** Consumes the entry returned by {@link #peekHead}. */
    void consume() {
        lastAvail = (lastAvail + 1) & 0xFFFF;
    }

    /** Returns a descriptor chain to the driver: one used-ring element, then the used index. */
    void pushUsed(int head, int len) {
        int e = used + 4 + 8 * (usedIdx & (size - 1));
        GuestRam.write32(mem, e, head);
        GuestRam.write32(mem, e + 4, len);
        usedIdx = (usedIdx + 1) & 0xFFFF;
        GuestRam.write16(mem, used + 2, usedIdx);
    }

    long descAddr(int i) {
        int a = desc + 16 * i;
        return (GuestRam.read32(mem, a) & 0xFFFF_FFFFL) | (long) GuestRam.read32(mem, a + 4) << 32;
    }

    int descLen(int i) {
        return GuestRam.read32(mem, desc + 16 * i + 8);
    }

    int descFlags(int i) {
        return GuestRam.read16(mem, desc + 16 * i + 12);
    }

    int descNext(int i) {
        return GuestRam.read16(mem, desc + 16 * i + 14);
    }

    // ------------------------------------------------------------------ snapshot

    void saveState(DataOutput out) throws IOException {
        out.writeInt(pfn);
        out.writeShort(lastAvail);
        out.writeShort(usedIdx);
        out.writeBoolean(broken);
    }

    void loadState(DataInput in) throws IOException {
        reset();
        pfn = in.readInt();
        lastAvail = in.readUnsignedShort();
        usedIdx = in.readUnsignedShort();
        boolean wasBroken = in.readBoolean();
        layout();
        broken |= wasBroken;
    }
}
