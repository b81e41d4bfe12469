package dev.tandem.core.boot;

/**
 * Where {@link LinuxLoader} put things, for logging and tests. Addresses are guest physical.
 *
 * @param zeroPage          boot_params (4 KiB); ESI points here at entry
 * @param gdtBase           the boot GDT (null, unused, __BOOT_CS 0x10, __BOOT_DS 0x18)
 * @param gdtLimit          GDTR limit (size - 1)
 * @param cmdlineAddr       the NUL-terminated command line
 * @param cmdlineLength     bytes of command line, without the NUL
 * @param kernelAddr        where the protected-mode kernel was copied
 * @param kernelSize        bytes copied there
 * @param kernelRegionEnd   end of the memory the kernel claims while it decompresses and starts:
 *                          the larger of kernelAddr + kernelSize and its runtime start + init_size
 * @param initrdAddr        initrd start (page aligned), 0 when there is none
 * @param initrdSize        initrd bytes, 0 when there is none
 * @param initrdLimit       the exclusive upper bound the initrd had to stay below
 * @param entryPoint        EIP at entry (the 32-bit entry point, code32_start)
 * @param stackPointer      ESP at entry (the kernel sets up its own stack at once)
 * @param e820Entries       entries written to the zero page
 * @param protocolVersion   the kernel's boot protocol version (0x020F means 2.15)
 * @param kernelVersion     the kernel_version string from the image
 */
public record LinuxBootInfo(
        int zeroPage,
        int gdtBase,
        int gdtLimit,
        int cmdlineAddr,
        int cmdlineLength,
        int kernelAddr,
        int kernelSize,
        long kernelRegionEnd,
        int initrdAddr,
        int initrdSize,
        long initrdLimit,
        int entryPoint,
        int stackPointer,
        int e820Entries,
        int protocolVersion,
        String kernelVersion) {

    /** A multi-line summary for the log. */
    public String describe() {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format("Linux %s, boot protocol %d.%02d%n", kernelVersion,
                protocolVersion >>> 8, protocolVersion & 0xFF));
        sb.append(String.format("  zero page   0x%08x%n", zeroPage));
        sb.append(String.format("  GDT         0x%08x limit 0x%x%n", gdtBase, gdtLimit));
        sb.append(String.format("  cmdline     0x%08x (%d bytes)%n", cmdlineAddr, cmdlineLength));
        sb.append(String.format("  kernel      0x%08x (%d bytes), claims up to 0x%08x%n",
                kernelAddr, kernelSize, kernelRegionEnd));
        if (initrdSize > 0) {
            sb.append(String.format("  initrd      0x%08x (%d bytes), limit 0x%08x%n", initrdAddr, initrdSize, initrdLimit));
        } else {
            sb.append("  initrd      none\n");
        }
        sb.append(String.format("  entry       EIP=0x%08x ESP=0x%08x ESI=0x%08x, %d e820 entries", entryPoint,
                stackPointer, zeroPage, e820Entries));
        return sb.toString();
    }
}
