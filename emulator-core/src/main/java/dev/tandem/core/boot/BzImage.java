package dev.tandem.core.boot;

import java.nio.charset.StandardCharsets;

/**
 * A parsed Linux x86 kernel image ("bzImage"), following the setup header layout of the Linux
 * x86 boot protocol. Only the fields a 32-bit direct boot needs are decoded; the image bytes are
 * kept so the loader can copy the header into the zero page and the protected-mode part into RAM.
 *
 * <p>Fields that a given protocol version does not define read as 0 (pref_address and init_size
 * need 2.10, xloadflags 2.12, kernel_info_offset 2.15), except where the protocol names a default
 * ({@link #initrdAddrMax()}).
 */
public final class BzImage {
    /** Offset of the setup header inside the image (and inside the zero page). */
    public static final int HDR_OFFSET = 0x1F1;
    /** "HdrS" as a little-endian int at offset 0x202. */
    public static final int HDRS_MAGIC = 0x53726448;
    public static final int MIN_PROTOCOL = 0x0206;

    /** loadflags bits. */
    public static final int LOADED_HIGH = 0x01;
    public static final int KASLR_FLAG = 0x02;
    public static final int QUIET_FLAG = 0x20;
    public static final int KEEP_SEGMENTS = 0x40;
    public static final int CAN_USE_HEAP = 0x80;

    /** xloadflags bits. */
    public static final int XLF_KERNEL_64 = 0x01;
    public static final int XLF_CAN_BE_LOADED_ABOVE_4G = 0x02;
    public static final int XLF_EFI_HANDOVER_32 = 0x04;
    public static final int XLF_EFI_HANDOVER_64 = 0x08;
    public static final int XLF_EFI_KEXEC = 0x10;

    /** initrd_addr_max assumed by kernels whose header leaves the field 0 (protocol < 2.03). */
    public static final int DEFAULT_INITRD_ADDR_MAX = 0x37FFFFFF;

    private final byte[] image;
    private final int setupSects;
    private final int syssize;
    private final int headerEnd;
    private final int protocol;
    private final int loadflags;
    private final int code32Start;
    private final int initrdAddrMax;
    private final int kernelAlignment;
    private final boolean relocatable;
    private final int minAlignment;
    private final int xloadflags;
    private final int cmdlineSize;
    private final long prefAddress;
    private final int initSize;
    private final int handoverOffset;
    private final int kernelInfoOffset;
    private final String kernelVersion;

    private BzImage(byte[] image) {
        this.image = image;
        if (image.length < 0x264) {
            throw new IllegalArgumentException("bzImage too short: " + image.length
                    + " bytes, the setup header alone needs 0x264 bytes");
        }
        int magic = u32(0x202);
        if (magic != HDRS_MAGIC) {
            throw new IllegalArgumentException(String.format(
                    "not a bzImage: header magic at 0x202 is 0x%08x, expected \"HdrS\" (0x%08x)", magic, HDRS_MAGIC));
        }
        int bootFlag = u16(0x1FE);
        if (bootFlag != 0xAA55) {
            throw new IllegalArgumentException(String.format(
                    "not a bzImage: boot_flag at 0x1FE is 0x%04x, expected 0xAA55", bootFlag));
        }
        this.protocol = u16(0x206);
        if (protocol < MIN_PROTOCOL) {
            throw new IllegalArgumentException(String.format(
                    "boot protocol version %d.%02d is too old: at least 2.06 is required",
                    protocol >>> 8, protocol & 0xFF));
        }
        // The jump at 0x200 is "jmp short"; its displacement byte tells where the header ends.
        this.headerEnd = 0x202 + u8(0x201);
        int sects = u8(0x1F1);
        this.setupSects = sects == 0 ? 4 : sects;
        int setupBytes = (setupSects + 1) * 512;
        if (headerEnd > setupBytes) {
            throw new IllegalArgumentException(String.format(
                    "setup header end 0x%x (from the jump at 0x200) lies beyond the setup code (setup_sects=%d, 0x%x bytes)",
                    headerEnd, setupSects, setupBytes));
        }
        if (image.length <= setupBytes) {
            throw new IllegalArgumentException(String.format(
                    "bzImage truncated: setup_sects=%d means the protected-mode kernel starts at 0x%x, but the image is only 0x%x bytes",
                    setupSects, setupBytes, image.length));
        }
        this.syssize = u32(0x1F4);
        long declared = (syssize & 0xFFFFFFFFL) * 16;
        long available = image.length - setupBytes;
        if (syssize == 0) {
            throw new IllegalArgumentException("syssize is 0: no protected-mode kernel declared");
        }
        if (declared > available + 15) {
            throw new IllegalArgumentException(String.format(
                    "bzImage truncated: syssize=0x%x declares %d bytes of protected-mode code but only %d follow the setup",
                    syssize, declared, available));
        }
        this.loadflags = u8(0x211);
        if ((loadflags & LOADED_HIGH) == 0) {
            throw new IllegalArgumentException(
                    "loadflags lack LOADED_HIGH: this is a zImage (kernel at 0x10000), which is not supported");
        }
        this.code32Start = u32(0x214);
        int max = field32(0x22C, 0x0203);
        this.initrdAddrMax = max == 0 ? DEFAULT_INITRD_ADDR_MAX : max;
        this.kernelAlignment = field32(0x230, 0x0205);
        this.relocatable = field8(0x234, 0x0205) != 0;
        this.minAlignment = field8(0x235, 0x020A);
        this.xloadflags = field16(0x236, 0x020C);
        this.cmdlineSize = field32(0x238, 0x0206);
        this.prefAddress = protocol >= 0x020A && headerEnd >= 0x260 ? u64(0x258) : 0;
        this.initSize = field32(0x260, 0x020A);
        this.handoverOffset = field32(0x264, 0x020B);
        this.kernelInfoOffset = field32(0x268, 0x020F);
        if (relocatable && (kernelAlignment == 0 || Integer.bitCount(kernelAlignment) != 1)) {
            throw new IllegalArgumentException(String.format(
                    "kernel_alignment 0x%x of a relocatable kernel is not a power of two", kernelAlignment));
        }
        if (cmdlineSize <= 0) {
            throw new IllegalArgumentException("cmdline_size is " + Integer.toUnsignedString(cmdlineSize)
                    + ": the kernel accepts no command line");
        }
        if ((code32Start & 0xFFF) != 0 || Integer.compareUnsigned(code32Start, 0x100000) < 0) {
            throw new IllegalArgumentException(String.format(
                    "code32_start 0x%08x is not a page-aligned address at or above 1 MiB", code32Start));
        }
        this.kernelVersion = readKernelVersion();
    }

    /** Parses {@code image}; throws IllegalArgumentException naming the offending field. */
    public static BzImage parse(byte[] image) {
        if (image == null) throw new IllegalArgumentException("bzImage is null");
        return new BzImage(image);
    }

    // ---------------------------------------------------------------- fields

    public byte[] image() { return image; }

    /** setup_sects with the "0 means 4" rule applied. */
    public int setupSects() { return setupSects; }

    /** File offset of the protected-mode kernel: (setup_sects + 1) * 512. */
    public int protectedModeOffset() { return (setupSects + 1) * 512; }

    /** Size of the protected-mode part (everything after the real-mode setup). */
    public int protectedModeSize() { return image.length - protectedModeOffset(); }

    public int syssize() { return syssize; }
    public int protocolVersion() { return protocol; }
    public String protocolString() { return (protocol >>> 8) + "." + String.format("%02d", protocol & 0xFF); }
    public int loadflags() { return loadflags; }
    public int code32Start() { return code32Start; }
    /** Highest address the initrd may occupy (inclusive, per the protocol). */
    public int initrdAddrMax() { return initrdAddrMax; }
    public int kernelAlignment() { return kernelAlignment; }
    public boolean relocatable() { return relocatable; }
    public int minAlignment() { return minAlignment; }
    public int xloadflags() { return xloadflags; }
    /** Maximum command line length, not counting the terminating NUL. */
    public int cmdlineSize() { return cmdlineSize; }
    public long prefAddress() { return prefAddress; }
    public int initSize() { return initSize; }
    public int handoverOffset() { return handoverOffset; }
    public int kernelInfoOffset() { return kernelInfoOffset; }
    /** Offset just past the setup header (0x202 + the jump's displacement byte). */
    public int headerEnd() { return headerEnd; }
    /** The kernel_version string, or "" when the header gives none. */
    public String kernelVersion() { return kernelVersion; }

    @Override
    public String toString() {
        return String.format("bzImage[protocol %s, setup_sects %d, pm size %d, code32_start 0x%x, %s, align 0x%x, "
                        + "pref 0x%x, init_size 0x%x, initrd_addr_max 0x%x, cmdline_size %d, xloadflags 0x%x, \"%s\"]",
                protocolString(), setupSects, protectedModeSize(), code32Start,
                relocatable ? "relocatable" : "fixed", kernelAlignment, prefAddress, initSize,
                initrdAddrMax, cmdlineSize, xloadflags, kernelVersion);
    }

    // ---------------------------------------------------------------- helpers

    private String readKernelVersion() {
        int ptr = u16(0x20E);
        if (ptr == 0) return "";
        int start = ptr + 0x200;
        int limit = Math.min(image.length, protectedModeOffset());
        if (start >= limit) {
            throw new IllegalArgumentException(String.format(
                    "kernel_version pointer 0x%x points past the setup code (0x%x bytes)", ptr, limit));
        }
        int end = start;
        while (end < limit && end - start < 256 && image[end] != 0) end++;
        return new String(image, start, end - start, StandardCharsets.ISO_8859_1);
    }

    /** A header field defined since protocol {@code since}; 0 when absent. */
    private int field32(int off, int since) {
        return protocol >= since && off + 4 <= headerEnd ? u32(off) : 0;
    }

    private int field16(int off, int since) {
        return protocol >= since && off + 2 <= headerEnd ? u16(off) : 0;
    }

    private int field8(int off, int since) {
        return protocol >= since && off + 1 <= headerEnd ? u8(off) : 0;
    }

    private int u8(int off) {
        return image[off] & 0xFF;
    }

    private int u16(int off) {
        return u8(off) | (u8(off + 1) << 8);
    }

    private int u32(int off) {
        return u16(off) | (u16(off + 2) << 16);
    }

    private long u64(int off) {
        return (u32(off) & 0xFFFFFFFFL) | ((long) u32(off + 4) << 32);
    }
}
