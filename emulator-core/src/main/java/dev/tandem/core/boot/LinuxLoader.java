package dev.tandem.core.boot;

import dev.tandem.core.cpu.Cpu;
import dev.tandem.core.mem.PhysicalMemory;

import java.nio.charset.StandardCharsets;

/**
 * Direct Linux boot through the 32-bit boot protocol, the way {@code qemu -kernel} does it: no
 * firmware and no real-mode setup code run. The loader copies the protected-mode kernel to 1 MiB,
 * builds the zero page (boot_params) with the command line, initrd and e820 map, writes a boot GDT
 * and leaves the CPU in flat 32-bit protected mode at the kernel's 32-bit entry point.
 *
 * <p>Memory layout (see docs/linux-boot.md):
 * <pre>
 *   0x00010000  zero page (4 KiB)
 *   0x00011000  boot GDT (4 descriptors)
 *   0x00020000  command line (below 0x9FC00)
 *   0x00100000  protected-mode kernel; it decompresses to its runtime address (for a relocatable
 *               kernel: 1 MiB aligned up to kernel_alignment, not below pref_address) and uses
 *               init_size bytes from there
 *   high        initrd, page aligned, as high as RAM, initrd_addr_max and the 32-bit lowmem limit
 *               allow, above the kernel's region
 * </pre>
 */
public final class LinuxLoader {
    public static final int ZERO_PAGE = 0x10000;
    public static final int GDT_BASE = 0x11000;
    public static final int GDT_LIMIT = 4 * 8 - 1;
    public static final int CMDLINE_ADDR = 0x20000;
    public static final int KERNEL_ADDR = 0x100000;
    /** ESP at entry: below the zero page. The kernel switches to its own stack at once. */
    public static final int STACK_TOP = ZERO_PAGE;

    /** Boot protocol selectors. */
    public static final int BOOT_CS = 0x10;
    public static final int BOOT_DS = 0x18;
    /** Descriptor bits 40..55 (access byte, then G/D/L/AVL in bits 12..15): 4 KiB granular, 32-bit. */
    public static final int CODE32_ATTRS = 0xC09B;
    public static final int DATA32_ATTRS = 0xC093;
    public static final long GDT_CODE32 = 0x00CF9B000000FFFFL;
    public static final long GDT_DATA32 = 0x00CF93000000FFFFL;

    /**
     * The kernel's direct map on 32-bit x86 ends at 896 MiB; an initrd placed above it has to be
     * copied by the kernel, so the loader keeps it below, whatever initrd_addr_max allows.
     */
    public static final long LOWMEM_LIMIT = 0x38000000L;

    /** type_of_loader: "undefined" boot loader. */
    public static final int LOADER_TYPE_UNDEFINED = 0xFF;
    /** heap_end_ptr: the heap would end where the command line starts (0x10000 past the zero page). */
    public static final int HEAP_END_PTR = CMDLINE_ADDR - ZERO_PAGE - 0x200;

    private static final int PAGE = 4096;

    /** What the zero page's screen_info describes. */
    public enum Screen {
        /** 80x25 colour text mode 3 on a VGA, cursor at the top left. */
        VGA_TEXT_80X25,
        /** No video (screen_info left zero): the kernel starts no VGA console. */
        NONE
    }

    private LinuxLoader() {
    }

    /**
     * Loads the kernel, initrd and command line into {@code mem} and puts {@code cpu} at the
     * kernel's 32-bit entry point. screen_info describes an 80x25 VGA text mode.
     */
    public static LinuxBootInfo load(PhysicalMemory mem, Cpu cpu, byte[] bzImage, byte[] initrd,
                                     String cmdline, E820 map) {
        return load(mem, cpu, bzImage, initrd, cmdline, map, Screen.VGA_TEXT_80X25);
    }

    public static LinuxBootInfo load(PhysicalMemory mem, Cpu cpu, byte[] bzImage, byte[] initrd,
                                     String cmdline, E820 map, Screen screen) {
        if (cpu == null) throw new IllegalArgumentException("cpu is null");
        LinuxBootInfo info = prepareMemory(mem, BzImage.parse(bzImage), initrd, cmdline, map, screen);
        enterKernel(cpu, info);
        return info;
    }

    /**
     * Like {@link #load}, but the kernel payload is decompressed on the host and its ELF segments
     * are loaded at their physical addresses; the CPU starts at the decompressed kernel's entry
     * point (the state the kernel's own decompressor hands over). Returns the entry point used.
     */
    public static LinuxBootInfo loadHostDecompressed(PhysicalMemory mem, Cpu cpu, byte[] bzImage, byte[] initrd,
                                                     String cmdline, E820 map) {
        if (cpu == null) throw new IllegalArgumentException("cpu is null");
        BzImage k = BzImage.parse(bzImage);
        KernelPayload.Vmlinux v = KernelPayload.extract(k);
        LinuxBootInfo info = prepareMemory(mem, k, initrd, cmdline, map, Screen.VGA_TEXT_80X25);
        if (v.lowest() < info.kernelAddr() || v.highest() > info.kernelRegionEnd()) {
            throw new IllegalArgumentException(String.format(
                    "decompressed kernel spans 0x%x..0x%x, outside the reserved kernel region 0x%x..0x%x",
                    v.lowest(), v.highest(), info.kernelAddr(), info.kernelRegionEnd()));
        }
        for (KernelPayload.Segment s : v.segments()) {
            mem.load((int) s.paddr(), s.data());
            for (long a = s.paddr() + s.data().length; a < s.paddr() + s.memSize(); a++) mem.write8((int) a, 0);
        }
        enterKernel(cpu, info);
        cpu.eip = v.entry();
        return info;
    }

    /**
     * The memory half of {@link #load}: writes kernel, initrd, command line, zero page and GDT
     * into {@code mem} and returns where they went, without touching any CPU.
     */
    public static LinuxBootInfo prepareMemory(PhysicalMemory mem, BzImage kernel, byte[] initrd,
                                              String cmdline, E820 map, Screen screen) {
        if (mem == null) throw new IllegalArgumentException("mem is null");
        if (map == null) throw new IllegalArgumentException("e820 map is null");
        if (cmdline == null) cmdline = "";
        long ramTop = mem.ramSize() & 0xFFFFFFFFL;

        // ---- command line
        byte[] cmd = cmdline.getBytes(StandardCharsets.UTF_8);
        for (byte b : cmd) {
            if (b == 0) throw new IllegalArgumentException("command line contains a NUL byte");
        }
        if (Integer.toUnsignedLong(kernel.cmdlineSize()) < cmd.length) {
            throw new IllegalArgumentException("command line is " + cmd.length
                    + " bytes; the kernel's cmdline_size allows " + Integer.toUnsignedString(kernel.cmdlineSize()));
        }
        requireRam(mem, map, ZERO_PAGE, ZERO_PAGE + ZeroPage.SIZE, "zero page");
        requireRam(mem, map, GDT_BASE, GDT_BASE + GDT_LIMIT + 1, "boot GDT");
        requireRam(mem, map, CMDLINE_ADDR, CMDLINE_ADDR + cmd.length + 1L, "command line");
        if (CMDLINE_ADDR + cmd.length + 1L > E820.CONVENTIONAL_END) {
            throw new IllegalArgumentException("command line does not fit below 0xA0000");
        }

        // ---- protected-mode kernel
        int pmSize = kernel.protectedModeSize();
        long runtimeStart = runtimeStart(kernel);
        long initSize = Integer.toUnsignedLong(kernel.initSize());
        if (initSize == 0) {
            // protocol < 2.10 does not say; assume the decompressed kernel needs 4x the image
            initSize = 4L * pmSize;
        }
        long kernelEnd = Math.max(KERNEL_ADDR + (long) pmSize, runtimeStart + initSize);
        if (kernelEnd > ramTop || !map.isRam(KERNEL_ADDR, kernelEnd)) {
            throw new IllegalArgumentException(String.format(
                    "the kernel needs RAM from 0x%x to 0x%x (image of %d bytes, runtime start 0x%x, init_size 0x%x) "
                            + "but RAM ends at 0x%x (or the e820 map has a hole there)",
                    KERNEL_ADDR, kernelEnd, pmSize, runtimeStart, initSize, ramTop));
        }

        // ---- initrd
        int initrdAddr = 0;
        int initrdSize = 0;
        long initrdLimit = initrdLimit(kernel, ramTop);
        if (initrd != null && initrd.length > 0) {
            long addr = placeInitrd(map, initrd.length, kernelEnd, initrdLimit);
            if (addr < 0) {
                throw new IllegalArgumentException(String.format(
                        "initrd of %d bytes does not fit in RAM between the kernel's end 0x%x and the limit 0x%x "
                                + "(initrd_addr_max 0x%x, RAM end 0x%x)",
                        initrd.length, kernelEnd, initrdLimit, kernel.initrdAddrMax(), ramTop));
            }
            initrdAddr = (int) addr;
            initrdSize = initrd.length;
        }

        requireRam(mem, map, KERNEL_ADDR, kernelEnd, "kernel region");
        if (initrdSize > 0) requireRam(mem, map, initrdAddr, initrdAddr + (long) initrdSize, "initrd");

        // ---- write everything
        byte[] image = kernel.image();
        mem.load(KERNEL_ADDR, image, kernel.protectedModeOffset(), pmSize);
        if (initrdSize > 0) mem.load(initrdAddr, initrd);
        mem.load(CMDLINE_ADDR, cmd);
        mem.write8(CMDLINE_ADDR + cmd.length, 0);
        writeGdt(mem);

        for (int i = 0; i < ZeroPage.SIZE; i += 4) mem.write32(ZERO_PAGE + i, 0);
        int z = ZERO_PAGE;
        if (screen == Screen.VGA_TEXT_80X25) {
            mem.write8(z + ZeroPage.ORIG_X, 0);
            mem.write8(z + ZeroPage.ORIG_Y, 0);
            mem.write8(z + ZeroPage.ORIG_VIDEO_MODE, 3);
            mem.write8(z + ZeroPage.ORIG_VIDEO_COLS, 80);
            mem.write16(z + ZeroPage.ORIG_VIDEO_EGA_BX, 0x0003);
            mem.write8(z + ZeroPage.ORIG_VIDEO_LINES, 25);
            mem.write8(z + ZeroPage.ORIG_VIDEO_IS_VGA, 1);
            mem.write16(z + ZeroPage.ORIG_VIDEO_POINTS, 16);
        }
        long extKb = map.extendedMemoryKb();
        mem.write16(z + ZeroPage.EXT_MEM_K, (int) Math.min(extKb, 0xFFFF));
        mem.write32(z + ZeroPage.ALT_MEM_K, (int) Math.min(extKb, 0xFFFFFFFFL));
        int e820Count = map.writeTo(mem, z);

        int hdrEnd = Math.min(kernel.headerEnd(), ZeroPage.HDR_ROOM_END);
        mem.load(z + ZeroPage.HDR, image, BzImage.HDR_OFFSET, hdrEnd - BzImage.HDR_OFFSET);
        mem.write8(z + ZeroPage.TYPE_OF_LOADER, LOADER_TYPE_UNDEFINED);
        mem.write8(z + ZeroPage.LOADFLAGS, kernel.loadflags() | BzImage.CAN_USE_HEAP);
        mem.write16(z + ZeroPage.HEAP_END_PTR, HEAP_END_PTR);
        mem.write8(z + ZeroPage.EXT_LOADER_VER, 0);
        mem.write8(z + ZeroPage.EXT_LOADER_TYPE, 0);
        mem.write32(z + ZeroPage.CMD_LINE_PTR, CMDLINE_ADDR);
        mem.write32(z + ZeroPage.EXT_CMD_LINE_PTR, 0);
        mem.write32(z + ZeroPage.RAMDISK_IMAGE, initrdAddr);
        mem.write32(z + ZeroPage.RAMDISK_SIZE, initrdSize);
        mem.write32(z + ZeroPage.EXT_RAMDISK_IMAGE, 0);
        mem.write32(z + ZeroPage.EXT_RAMDISK_SIZE, 0);

        return new LinuxBootInfo(ZERO_PAGE, GDT_BASE, GDT_LIMIT, CMDLINE_ADDR, cmd.length,
                KERNEL_ADDR, pmSize, kernelEnd, initrdAddr, initrdSize, initrdLimit,
                kernel.code32Start(), STACK_TOP, e820Count, kernel.protocolVersion(), kernel.kernelVersion());
    }

    /**
     * Where the kernel will run after the decompressor moves it: a relocatable kernel rounds its
     * load address up to kernel_alignment and never goes below its preferred address (the
     * decompressor's LOAD_PHYSICAL_ADDR); a fixed one runs at pref_address (1 MiB before 2.10).
     */
    static long runtimeStart(BzImage k) {
        long pref = k.prefAddress() != 0 ? k.prefAddress() : KERNEL_ADDR;
        if (!k.relocatable()) return pref;
        long align = Integer.toUnsignedLong(k.kernelAlignment());
        long aligned = (KERNEL_ADDR + align - 1) & -align;
        return Math.max(aligned, pref);
    }

    /**
     * The exclusive end address the initrd must stay below: initrd_addr_max (inclusive in the
     * header, hence + 1), the 32-bit lowmem limit and the end of RAM, whichever is lowest.
     */
    static long initrdLimit(BzImage k, long ramTop) {
        long limit = Math.min(Integer.toUnsignedLong(k.initrdAddrMax()) + 1, LOWMEM_LIMIT);
        return Math.min(limit, ramTop);
    }

    /** Highest page-aligned start for {@code size} bytes in RAM above {@code low} and below {@code limit}; -1 if none. */
    static long placeInitrd(E820 map, long size, long low, long limit) {
        long best = -1;
        for (E820.Entry e : map.entries()) {
            if (e.type() != E820.RAM) continue;
            long end = Math.min(e.end(), limit);
            long start = (end - size) & -(long) PAGE;
            if (end - size < 0) continue;
            if (start >= Math.max(e.addr(), low) && start > best) best = start;
        }
        return best;
    }

    /** Checks that {@code [start, end)} is RAM both in the e820 map and in {@code mem} (no ROM or MMIO page). */
    private static void requireRam(PhysicalMemory mem, E820 map, long start, long end, String what) {
        if (end > Integer.toUnsignedLong(mem.ramSize()) || !map.isRam(start, end)) {
            throw new IllegalArgumentException(String.format("%s at 0x%x..0x%x is not in RAM", what, start, end));
        }
        for (long a = start & -(long) PAGE; a < end; a += PAGE) {
            if (mem.pageKind((int) a) != PhysicalMemory.KIND_RAM) {
                throw new IllegalArgumentException(String.format(
                        "%s at 0x%x..0x%x overlaps a ROM or MMIO page at 0x%x", what, start, end, a));
            }
        }
    }

    private static void writeGdt(PhysicalMemory mem) {
        long[] gdt = {0, 0, GDT_CODE32, GDT_DATA32};
        for (int i = 0; i < gdt.length; i++) {
            mem.write32(GDT_BASE + i * 8, (int) gdt[i]);
            mem.write32(GDT_BASE + i * 8 + 4, (int) (gdt[i] >>> 32));
        }
    }

    /**
     * Puts the CPU in the state the 32-bit boot protocol asks for: protected mode, paging off,
     * interrupts off, CS=__BOOT_CS and the data segments __BOOT_DS (flat 4 GiB), the boot GDT
     * loaded, ESI = zero page, EBP = EDI = EBX = 0, EIP = the 32-bit entry point.
     */
    public static void enterKernel(Cpu cpu, LinuxBootInfo info) {
        cpu.enterFlat32();
        cpu.setGdtr(info.gdtBase(), info.gdtLimit());
        cpu.setIdtr(0, 0);
        cpu.cr0 &= ~Cpu.CR0_PG;
        cpu.flushTlbAll();
        cpu.setSegmentCache(Cpu.CS, BOOT_CS, 0, 0xFFFFFFFF, CODE32_ATTRS);
        for (int seg : new int[] {Cpu.DS, Cpu.ES, Cpu.SS, Cpu.FS, Cpu.GS}) {
            cpu.setSegmentCache(seg, BOOT_DS, 0, 0xFFFFFFFF, DATA32_ATTRS);
        }
        cpu.setEflags(0x00000002); // IF = 0, reserved bit 1 set
        for (int r = 0; r < 8; r++) cpu.reg[r] = 0;
        cpu.reg[Cpu.ESI] = info.zeroPage();
        cpu.reg[Cpu.ESP] = info.stackPointer();
        cpu.eip = info.entryPoint();
    }
}
