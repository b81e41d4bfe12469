package dev.tandem.core.boot;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;
import org.tukaani.xz.SingleXZInputStream;

/**
 * The kernel inside a bzImage: the compressed payload (boot protocol 2.08+: payload_offset and
 * payload_length in the setup header) decompressed on the host and parsed as the 32-bit ELF
 * vmlinux it is. Loading its segments at their physical addresses and entering at the ELF entry
 * point with ESI = boot_params is exactly the hand-off the kernel's own decompressor makes
 * (arch/x86/boot/compressed: "jump to the decompressed kernel" with %esi = boot_params), minus
 * the billions of guest instructions the decompression costs.
 */
public final class KernelPayload {
    private static final int PAYLOAD_OFFSET = 0x248;
    private static final int PAYLOAD_LENGTH = 0x24C;
    private static final int PT_LOAD = 1;

    /** One PT_LOAD segment: {@code data} goes at {@code paddr}, followed by zeros up to {@code memSize}. */
    public record Segment(long paddr, byte[] data, long memSize) { }

    /** The decompressed kernel: its entry point (physical) and loadable segments. */
    public record Vmlinux(int entry, List<Segment> segments) {
        public long lowest() {
            return segments.stream().mapToLong(Segment::paddr).min().orElse(0);
        }

        public long highest() {
            return segments.stream().mapToLong(s -> s.paddr() + s.memSize()).max().orElse(0);
        }
    }

    private KernelPayload() { }

    public static Vmlinux extract(BzImage k) {
        if (k.protocolVersion() < 0x208) {
            throw new IllegalArgumentException(String.format(
                    "boot protocol %d.%02d has no payload fields (need 2.08); boot with in-guest decompression",
                    k.protocolVersion() >> 8, k.protocolVersion() & 0xFF));
        }
        byte[] image = k.image();
        ByteBuffer b = ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN);
        long off = Integer.toUnsignedLong(b.getInt(PAYLOAD_OFFSET)) + k.protectedModeOffset();
        long len = Integer.toUnsignedLong(b.getInt(PAYLOAD_LENGTH));
        if (len == 0 || off + len > image.length) {
            throw new IllegalArgumentException("payload_offset/payload_length point outside the image");
        }
        byte[] elf = decompress(image, (int) off, (int) len);
        return parseElf(elf);
    }

    static byte[] decompress(byte[] image, int off, int len) {
        try (InputStream in = open(image, off, len)) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot decompress the kernel payload: " + e.getMessage(), e);
        }
    }

    private static InputStream open(byte[] image, int off, int len) throws IOException {
        ByteArrayInputStream raw = new ByteArrayInputStream(image, off, len);
        if (len >= 6 && (image[off] & 0xFF) == 0xFD && image[off + 1] == '7' && image[off + 2] == 'z'
                && image[off + 3] == 'X' && image[off + 4] == 'Z' && image[off + 5] == 0) {
            return new SingleXZInputStream(raw); // one stream: the build appends the decompressed size after it
        }
        if (len >= 2 && (image[off] & 0xFF) == 0x1F && (image[off + 1] & 0xFF) == 0x8B) {
            return new GZIPInputStream(raw);
        }
        throw new IllegalArgumentException(String.format(
                "kernel payload compression not supported on the host (magic %02x %02x); boot with in-guest "
                        + "decompression", image[off] & 0xFF, image[off + 1] & 0xFF));
    }

    static Vmlinux parseElf(byte[] elf) {
        ByteBuffer b = ByteBuffer.wrap(elf).order(ByteOrder.LITTLE_ENDIAN);
        if (elf.length < 52 || b.getInt(0) != 0x464C457F) throw new IllegalArgumentException("payload is not ELF");
        if (elf[4] != 1) throw new IllegalArgumentException("payload is not a 32-bit ELF");
        if (b.getShort(18) != 3) throw new IllegalArgumentException("payload ELF is not for i386 (e_machine "
                + b.getShort(18) + ")");
        int entry = b.getInt(24);
        int phoff = b.getInt(28);
        int phentsize = b.getShort(42) & 0xFFFF;
        int phnum = b.getShort(44) & 0xFFFF;
        if (phentsize < 32 || phoff < 0 || (long) phoff + (long) phnum * phentsize > elf.length) {
            throw new IllegalArgumentException("payload ELF program headers are out of bounds");
        }
        List<Segment> segs = new ArrayList<>();
        for (int i = 0; i < phnum; i++) {
            int p = phoff + i * phentsize;
            if (b.getInt(p) != PT_LOAD) continue;
            long fileOff = Integer.toUnsignedLong(b.getInt(p + 4));
            long paddr = Integer.toUnsignedLong(b.getInt(p + 12));
            long filesz = Integer.toUnsignedLong(b.getInt(p + 16));
            long memsz = Integer.toUnsignedLong(b.getInt(p + 20));
            if (fileOff + filesz > elf.length || memsz < filesz) {
                throw new IllegalArgumentException("payload ELF segment " + i + " is out of bounds");
            }
            byte[] data = new byte[(int) filesz];
            System.arraycopy(elf, (int) fileOff, data, 0, (int) filesz);
            segs.add(new Segment(paddr, data, memsz));
        }
        if (segs.isEmpty()) throw new IllegalArgumentException("payload ELF has no loadable segment");
        return new Vmlinux(entry, List.copyOf(segs));
    }
}
