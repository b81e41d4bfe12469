package dev.tandem.core.boot;

import static dev.tandem.core.testkit.Rejects.rejects;

import dev.tandem.core.mem.PhysicalMemory;
import dev.tandem.core.testkit.LinuxGuest;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** The memory side of the direct Linux boot: zero page, e820, placement of kernel, initrd and command line. */
class LinuxLoaderTest {
    private static final int MB = 1 << 20;

    private static byte[] initrd(int size) {
        byte[] b = new byte[size];
        for (int i = 0; i < size; i++) b[i] = (byte) (i * 13 + 5);
        return b;
    }

    private static byte[] readMem(PhysicalMemory mem, int addr, int len) {
        byte[] b = new byte[len];
        for (int i = 0; i < len; i++) b[i] = (byte) mem.read8(addr + i);
        return b;
    }

    private static LinuxBootInfo prepare(PhysicalMemory mem, byte[] kernel, byte[] initrd, String cmdline) {
        return LinuxLoader.prepareMemory(mem, BzImage.parse(kernel), initrd, cmdline,
                E820.standardPc(mem.ramSize()), LinuxLoader.Screen.VGA_TEXT_80X25);
    }

    @Test
    void zeroPageFromSyntheticKernel() {
        TestKernels.Builder b = new TestKernels.Builder();
        byte[] kernel = b.build();
        PhysicalMemory mem = new PhysicalMemory(64 * MB);
        // garbage where the zero page goes: the loader must clear it
        for (int i = 0; i < 4096; i++) mem.write8(0x10000 + i, 0xCC);
        byte[] rd = initrd(300_000);
        String cmd = "console=ttyS0 earlyprintk=serial nokaslr";
        LinuxBootInfo info = prepare(mem, kernel, rd, cmd);
        System.out.println(info.describe());
        int z = info.zeroPage();
        assertEquals(0x10000, z);

        // the setup header is copied at 0x1F1, then the loader's fields are patched in
        byte[] hdr = readMem(mem, z + 0x1F1, 0x26C - 0x1F1);
        for (int off = 0x1F1; off < 0x26C; off++) {
            boolean patched = off == 0x210 || off == 0x211 || (off >= 0x218 && off < 0x220)
                    || (off >= 0x224 && off < 0x22C);
            if (!patched) assertEquals(kernel[off], hdr[off - 0x1F1], String.format("header byte 0x%x", off));
        }
        assertEquals(0x53726448, mem.read32(z + 0x202), "HdrS");
        assertEquals(0x020F, mem.read16(z + 0x206));
        assertEquals(0xFF, mem.read8(z + 0x210), "type_of_loader");
        assertEquals(0x81, mem.read8(z + 0x211), "loadflags: LOADED_HIGH | CAN_USE_HEAP");
        assertEquals(0xFE00, mem.read16(z + 0x224), "heap_end_ptr");
        assertEquals(0, mem.read8(z + 0x226), "ext_loader_ver");
        assertEquals(0, mem.read8(z + 0x227), "ext_loader_type");
        assertEquals(0x20000, mem.read32(z + 0x228), "cmd_line_ptr");
        assertEquals(info.initrdAddr(), mem.read32(z + 0x218), "ramdisk_image");
        assertEquals(rd.length, mem.read32(z + 0x21C), "ramdisk_size");
        assertEquals(0, mem.read32(z + 0x0C0), "ext_ramdisk_image");
        assertEquals(0, mem.read32(z + 0x0C4), "ext_ramdisk_size");
        assertEquals(0, mem.read32(z + 0x0C8), "ext_cmd_line_ptr");
        assertEquals(0, mem.read8(z + 0x1EF), "sentinel stays 0");
        assertEquals(0, mem.read32(z + 0x26C), "nothing written past the header");
        assertEquals(0, mem.read32(z + 0xFFC), "rest of the page cleared");

        // screen_info: 80x25 VGA text
        assertEquals(3, mem.read8(z + 0x06), "orig_video_mode");
        assertEquals(80, mem.read8(z + 0x07), "orig_video_cols");
        assertEquals(25, mem.read8(z + 0x0E), "orig_video_lines");
        assertEquals(1, mem.read8(z + 0x0F), "orig_video_isVGA");
        assertEquals(16, mem.read16(z + 0x10), "orig_video_points");
        // memory sizes
        assertEquals(63 * 1024, mem.read32(z + 0x1E0), "alt_mem_k");
        assertEquals(63 * 1024, mem.read16(z + 0x02), "ext_mem_k");

        // e820
        assertEquals(4, mem.read8(z + 0x1E8));
        assertEquals(4, info.e820Entries());
        long[][] e820 = {{0, 0x9FC00, 1}, {0x9FC00, 0x400, 2}, {0xF0000, 0x10000, 2}, {0x100000, 63L * MB, 1}};
        for (int i = 0; i < 4; i++) {
            int p = z + 0x2D0 + i * 20;
            long addr = (mem.read32(p) & 0xFFFFFFFFL) | ((long) mem.read32(p + 4) << 32);
            long size = (mem.read32(p + 8) & 0xFFFFFFFFL) | ((long) mem.read32(p + 12) << 32);
            assertEquals(e820[i][0], addr, "e820[" + i + "].addr");
            assertEquals(e820[i][1], size, "e820[" + i + "].size");
            assertEquals(e820[i][2], mem.read32(p + 16), "e820[" + i + "].type");
        }

        // command line, NUL-terminated
        assertEquals(0x20000, info.cmdlineAddr());
        assertArrayEquals(cmd.getBytes(StandardCharsets.US_ASCII), readMem(mem, 0x20000, cmd.length()));
        assertEquals(0, mem.read8(0x20000 + cmd.length()));
        assertEquals(cmd.length(), info.cmdlineLength());

        // protected-mode kernel at 1 MiB
        assertEquals(0x100000, info.kernelAddr());
        assertArrayEquals(b.payload(), readMem(mem, 0x100000, b.payloadSize));
        assertEquals(0x100000, info.entryPoint());
        // runtime: 16 MiB (pref_address; 1 MiB rounded to 2 MiB alignment is lower) + init_size 8 MiB
        assertEquals(0x1000000L + 0x800000, info.kernelRegionEnd());

        // initrd: as high as possible in 64 MiB, page aligned, above the kernel
        assertEquals(0, info.initrdAddr() & 0xFFF, "page aligned");
        assertEquals(((64L * MB - rd.length) & ~0xFFFL), info.initrdAddr());
        assertTrue(info.initrdAddr() >= info.kernelRegionEnd());
        assertArrayEquals(rd, readMem(mem, info.initrdAddr(), rd.length));

        // boot GDT: null, null, flat code at 0x10, flat data at 0x18
        assertEquals(0x11000, info.gdtBase());
        assertEquals(31, info.gdtLimit());
        assertEquals(0, mem.read32(0x11000));
        assertEquals(0, mem.read32(0x11008));
        assertEquals(0x0000FFFF, mem.read32(0x11010));
        assertEquals(0x00CF9B00, mem.read32(0x11014));
        assertEquals(0x0000FFFF, mem.read32(0x11018));
        assertEquals(0x00CF9300, mem.read32(0x1101C));
    }

    @Test
    void initrdRespectsInitrdAddrMax() {
        TestKernels.Builder b = new TestKernels.Builder();
        b.initrdAddrMax = 0x01FFFFFF; // 32 MiB - 1, inclusive
        b.initSize = 0x400000;        // kernel region ends at 20 MiB
        PhysicalMemory mem = new PhysicalMemory(64 * MB);
        byte[] rd = initrd(1_000_001);
        LinuxBootInfo info = prepare(mem, b.build(), rd, "");
        assertEquals(32L * MB, info.initrdLimit());
        assertEquals((32L * MB - rd.length) & ~0xFFFL, info.initrdAddr());
        assertTrue(info.initrdAddr() + (long) rd.length <= 0x02000000L);
        assertEquals(0, info.initrdAddr() & 0xFFF);
        assertEquals(0, mem.read8(0x20000), "empty command line is just the NUL");
    }

    @Test
    void initrdMustNotOverlapKernelRegion() {
        TestKernels.Builder b = new TestKernels.Builder();
        b.initrdAddrMax = 0x01FFFFFF;  // 32 MiB
        b.initSize = 0x00F00000;       // kernel region 16..31 MiB
        PhysicalMemory mem = new PhysicalMemory(64 * MB);
        // 1 MiB fits exactly between 31 MiB and 32 MiB
        LinuxBootInfo ok = prepare(mem, b.build(), initrd(MB), "");
        assertEquals(31L * MB, ok.initrdAddr());
        // one byte more does not
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> prepare(new PhysicalMemory(64 * MB), b.build(), initrd(MB + 1), ""));
        assertTrue(e.getMessage().contains("initrd"), e.getMessage());
    }

    @Test
    void initrdStaysBelowLowmemAndRamEnd() {
        TestKernels.Builder b = new TestKernels.Builder();
        BzImage k = BzImage.parse(b.build());
        // initrd_addr_max 0x7FFFFFFF, 1.5 GiB of RAM: the 896 MiB lowmem limit wins
        assertEquals(0x38000000L, LinuxLoader.initrdLimit(k, 0x60000000L));
        // small RAM: the end of RAM wins
        assertEquals(64L * MB, LinuxLoader.initrdLimit(k, 64L * MB));
        b.initrdAddrMax = 0x0FFFFFFF;
        assertEquals(0x10000000L, LinuxLoader.initrdLimit(BzImage.parse(b.build()), 0x60000000L));

        E820 map = E820.standardPc(0x60000000L);
        long at = LinuxLoader.placeInitrd(map, 5 * MB + 17, 0x2000000, 0x38000000L);
        assertEquals((0x38000000L - (5 * MB + 17)) & ~0xFFFL, at);
        // a reserved range at the top pushes the initrd below it
        map.reserve(0x37F00000L, 0x100000, E820.RESERVED);
        at = LinuxLoader.placeInitrd(map, 5 * MB, 0x2000000, 0x38000000L);
        assertEquals(0x37F00000L - 5 * MB, at);
        // nothing fits below the kernel end
        assertEquals(0x36B00000L, LinuxLoader.placeInitrd(map, 5 * MB, 0x36B00000L, 0x37000000L), "fits exactly");
        assertEquals(-1, LinuxLoader.placeInitrd(map, 5 * MB, 0x36B00001L, 0x37000000L));
    }

    @Test
    void fixedKernelRunsAtPrefAddress() {
        TestKernels.Builder b = new TestKernels.Builder();
        b.relocatable = 0;
        b.prefAddress = 0x400000;
        assertEquals(0x400000, LinuxLoader.runtimeStart(BzImage.parse(b.build())));
        b.relocatable = 1;
        b.prefAddress = 0x100000;
        b.kernelAlignment = 0x1000000;
        assertEquals(0x1000000, LinuxLoader.runtimeStart(BzImage.parse(b.build())), "1 MiB rounded up to 16 MiB");
        b.version = 0x0206; // no pref_address, no init_size
        b.kernelAlignment = 0x100000;
        BzImage old = BzImage.parse(b.build());
        assertEquals(0x100000, LinuxLoader.runtimeStart(old));
        LinuxBootInfo info = prepare(new PhysicalMemory(8 * MB), b.build(), null, "x");
        assertEquals(0x100000 + 4L * b.payloadSize, info.kernelRegionEnd(), "init_size guessed as 4x the image");
        assertEquals(0, info.initrdAddr());
        assertEquals(0, info.initrdSize());
    }

    @Test
    void noInitrdLeavesRamdiskFieldsZero() {
        PhysicalMemory mem = new PhysicalMemory(32 * MB);
        LinuxBootInfo info = prepare(mem, new TestKernels.Builder().build(), null, "quiet");
        assertEquals(0, mem.read32(info.zeroPage() + 0x218));
        assertEquals(0, mem.read32(info.zeroPage() + 0x21C));
    }

    @Test
    void screenNoneLeavesScreenInfoZero() {
        PhysicalMemory mem = new PhysicalMemory(32 * MB);
        LinuxBootInfo info = LinuxLoader.prepareMemory(mem, BzImage.parse(new TestKernels.Builder().build()), null,
                "", E820.standardPc(mem.ramSize()), LinuxLoader.Screen.NONE);
        for (int off = 0x04; off < 0x40; off++) assertEquals(0, mem.read8(info.zeroPage() + off), "screen_info+" + off);
    }

    @Test
    void rejectsBadInputs() {
        byte[] kernel = new TestKernels.Builder().build();
        E820 noLow = new E820().add(0x100000, 63L * MB, E820.RAM);
        PhysicalMemory withRom = new PhysicalMemory(32 * MB);
        withRom.mapRom(0x101000, new byte[4096]);
        assertAll(
                rejects("RAM too small for the kernel's runtime region (16 MiB + 8 MiB)",
                        () -> prepare(new PhysicalMemory(16 * MB), kernel, null, ""), "kernel needs RAM"),
                rejects("command line longer than cmdline_size",
                        () -> prepare(new PhysicalMemory(32 * MB), kernel, null, "a".repeat(2048)), "cmdline_size"),
                () -> prepare(new PhysicalMemory(32 * MB), kernel, null, "a".repeat(2047)), // exactly cmdline_size is fine
                rejects("NUL in the command line", () -> prepare(new PhysicalMemory(32 * MB), kernel, null, "a\0b"), "NUL"),
                rejects("initrd larger than the space above the kernel",
                        () -> prepare(new PhysicalMemory(32 * MB), kernel, initrd(9 * MB), ""), "initrd of"),
                rejects("a map that leaves out low memory", () -> LinuxLoader.prepareMemory(new PhysicalMemory(64 * MB),
                        BzImage.parse(kernel), null, "", noLow, LinuxLoader.Screen.NONE), "zero page"),
                rejects("a ROM mapped where the kernel goes", () -> prepare(withRom, kernel, null, ""), "ROM or MMIO", "kernel"));
    }

    /** The Debian kernel and initramfs built by guests/build-linux-guest.sh. */
    @Test
    void loadsRealDebianKernelAndInitrd() throws Exception {
        LinuxGuest.require();
        byte[] vmlinuz = TestKernels.readGuestFile("vmlinuz");
        byte[] rd = TestKernels.readGuestFile("initrd.cpio.gz");
        PhysicalMemory mem = new PhysicalMemory(128 * MB);
        String cmd = "console=ttyS0 earlyprintk=serial,ttyS0,115200 nokaslr";
        BzImage k = BzImage.parse(vmlinuz);
        LinuxBootInfo info = prepare(mem, vmlinuz, rd, cmd);
        System.out.println(info.describe());

        assertArrayEquals(java.util.Arrays.copyOfRange(vmlinuz, k.protectedModeOffset(), vmlinuz.length),
                readMem(mem, 0x100000, k.protectedModeSize()));
        assertEquals(0x1000000L + k.initSize(), info.kernelRegionEnd());
        assertTrue(info.initrdAddr() >= info.kernelRegionEnd());
        assertEquals((128L * MB - rd.length) & ~0xFFFL, info.initrdAddr());
        assertArrayEquals(rd, readMem(mem, info.initrdAddr(), rd.length));
        assertEquals(info.initrdAddr(), mem.read32(info.zeroPage() + 0x218));
        assertEquals(rd.length, mem.read32(info.zeroPage() + 0x21C));
        assertEquals(0x020F, mem.read16(info.zeroPage() + 0x206));
        assertEquals(0x81, mem.read8(info.zeroPage() + 0x211));

        // the archive the script made with GNU cpio reads back with our reader
        List<Initramfs.Entry> entries = Initramfs.read(rd);
        Initramfs.Entry init = entries.stream().filter(e -> e.path().equals("init")).findFirst().orElseThrow();
        assertEquals(Initramfs.S_IFREG | 0755, init.mode());
        assertTrue(new String(init.data(), StandardCharsets.UTF_8).contains("cttyhack"));
        Initramfs.Entry bb = entries.stream().filter(e -> e.path().equals("bin/busybox")).findFirst().orElseThrow();
        assertTrue(bb.data().length > 500_000, "busybox size " + bb.data().length);
        assertEquals(0x7F, bb.data()[0] & 0xFF);
        assertEquals('E', bb.data()[1]);
        assertEquals(1, bb.data()[4], "ELFCLASS32: an i386 busybox");
        Initramfs.Entry sh = entries.stream().filter(e -> e.path().equals("bin/sh")).findFirst().orElseThrow();
        assertEquals(Initramfs.S_IFLNK, sh.type());
        Initramfs.Entry console = entries.stream().filter(e -> e.path().equals("dev/console")).findFirst()
                .orElseThrow(() -> new AssertionError("no dev/console in the guest initramfs"));
        assertEquals(Initramfs.S_IFCHR, console.type());
        assertEquals(5, console.rdevMajor());
        assertEquals(1, console.rdevMinor());
    }
}
