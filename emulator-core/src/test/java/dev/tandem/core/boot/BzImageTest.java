package dev.tandem.core.boot;

import static dev.tandem.core.testkit.Rejects.rejects;

import dev.tandem.core.testkit.LinuxGuest;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.*;

class BzImageTest {

    @Test
    void parsesSyntheticHeader() {
        TestKernels.Builder b = new TestKernels.Builder();
        BzImage k = BzImage.parse(b.build());
        assertEquals(0x020F, k.protocolVersion());
        assertEquals("2.15", k.protocolString());
        assertEquals(4, k.setupSects());
        assertEquals(5 * 512, k.protectedModeOffset());
        assertEquals(10000, k.protectedModeSize());
        assertEquals((10000 + 15) / 16, k.syssize());
        assertEquals(0x100000, k.code32Start());
        assertEquals(0x7FFFFFFF, k.initrdAddrMax());
        assertEquals(0x200000, k.kernelAlignment());
        assertTrue(k.relocatable());
        assertEquals(21, k.minAlignment());
        assertEquals(2047, k.cmdlineSize());
        assertEquals(0x1000000L, k.prefAddress());
        assertEquals(0x800000, k.initSize());
        assertEquals(0x26C, k.headerEnd());
        assertEquals(BzImage.LOADED_HIGH, k.loadflags());
        assertEquals("6.9.9-synthetic (test@tandem) #1", k.kernelVersion());
        byte[] pm = Arrays.copyOfRange(k.image(), k.protectedModeOffset(), k.image().length);
        assertArrayEquals(b.payload(), pm);
    }

    @Test
    void setupSectsZeroMeansFour() {
        TestKernels.Builder b = new TestKernels.Builder();
        b.setupSectsField = 0;
        BzImage k = BzImage.parse(b.build());
        assertEquals(4, k.setupSects());
        assertEquals(2560, k.protectedModeOffset());

        b.setupSectsField = 7;
        k = BzImage.parse(b.build());
        assertEquals(7, k.setupSects());
        assertEquals(8 * 512, k.protectedModeOffset());
    }

    @Test
    void fieldsAbsentInOlderProtocolsReadAsZero() {
        TestKernels.Builder b = new TestKernels.Builder();
        b.version = 0x0206;
        BzImage k = BzImage.parse(b.build());
        assertEquals(0, k.prefAddress(), "pref_address is 2.10+");
        assertEquals(0, k.initSize(), "init_size is 2.10+");
        assertEquals(0, k.xloadflags(), "xloadflags is 2.12+");
        assertEquals(0, k.minAlignment(), "min_alignment is 2.10+");
        assertEquals(2047, k.cmdlineSize());
    }

    @Test
    void zeroInitrdAddrMaxMeansDefault() {
        TestKernels.Builder b = new TestKernels.Builder();
        b.initrdAddrMax = 0;
        assertEquals(0x37FFFFFF, BzImage.parse(b.build()).initrdAddrMax());
    }

    @Test
    void rejectsOldProtocol() {
        TestKernels.Builder b = new TestKernels.Builder();
        b.version = 0x0205;
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> BzImage.parse(b.build()));
        assertTrue(e.getMessage().contains("2.05") && e.getMessage().contains("2.06"), e.getMessage());
    }

    @Test
    void rejectsBadMagic() {
        byte[] img = new TestKernels.Builder().build();
        img[0x202] = 'X';
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> BzImage.parse(img));
        assertTrue(e.getMessage().contains("HdrS"), e.getMessage());
    }

    @Test
    void rejectsBadBootFlag() {
        byte[] img = new TestKernels.Builder().build();
        img[0x1FE] = 0;
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> BzImage.parse(img));
        assertTrue(e.getMessage().contains("boot_flag"), e.getMessage());
    }

    @Test
    void rejectsTruncatedImages() {
        byte[] full = new TestKernels.Builder().build();
        assertAll(
                rejects("cut inside the protected-mode part: syssize promises more than there is",
                        () -> BzImage.parse(Arrays.copyOf(full, full.length - 100)), "syssize"),
                rejects("cut inside the setup sectors", () -> BzImage.parse(Arrays.copyOf(full, 2000)), "setup_sects"),
                rejects("cut inside the header", () -> BzImage.parse(Arrays.copyOf(full, 0x210)), "too short"),
                rejects("no image", () -> BzImage.parse(null), "null"));
    }

    @Test
    void rejectsZeroSyssize() {
        TestKernels.Builder b = new TestKernels.Builder();
        b.syssizeOverride = 0;
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> BzImage.parse(b.build()));
        assertTrue(e.getMessage().contains("syssize"), e.getMessage());
    }

    @Test
    void rejectsZImage() {
        TestKernels.Builder b = new TestKernels.Builder();
        b.loadflags = 0;
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> BzImage.parse(b.build()));
        assertTrue(e.getMessage().contains("LOADED_HIGH"), e.getMessage());
    }

    @Test
    void rejectsBadAlignmentAndHeaderEnd() {
        TestKernels.Builder b = new TestKernels.Builder();
        b.kernelAlignment = 0x300000;
        TestKernels.Builder c = new TestKernels.Builder();
        c.code32Start = 0x8000;
        TestKernels.Builder d = new TestKernels.Builder();
        d.cmdlineSize = 0;
        assertAll(
                rejects("an alignment that is no power of two", () -> BzImage.parse(b.build()), "kernel_alignment"),
                rejects("code32_start below 1 MiB", () -> BzImage.parse(c.build()), "code32_start"),
                rejects("no room for a command line", () -> BzImage.parse(d.build()), "cmdline_size"));
    }

    /** The Debian i386 kernel fetched by guests/build-linux-guest.sh. */
    @Test
    void parsesRealDebianKernel() throws Exception {
        LinuxGuest.require();

        byte[] img = TestKernels.readGuestFile("vmlinuz");
        BzImage k = BzImage.parse(img);
        System.out.println("real kernel: " + k);
        // Debian bookworm's 686 kernels (6.1) speak boot protocol 2.15
        assertEquals(0x020F, k.protocolVersion());
        assertTrue(k.relocatable());
        assertEquals(0x100000, k.code32Start());
        assertEquals(BzImage.LOADED_HIGH, k.loadflags() & BzImage.LOADED_HIGH);
        assertEquals(0, k.xloadflags() & BzImage.XLF_KERNEL_64, "a 686 kernel has no 64-bit entry");
        assertEquals(2047, k.cmdlineSize());
        assertEquals(0x7FFFFFFF, k.initrdAddrMax());
        // CONFIG_PHYSICAL_START = CONFIG_PHYSICAL_ALIGN = 16 MiB in Debian's i386 configs
        assertEquals(0x1000000L, k.prefAddress());
        assertEquals(0x1000000, k.kernelAlignment());
        assertTrue(k.initSize() > k.protectedModeSize(), "init_size covers the decompressed kernel");
        assertEquals(img.length - (k.setupSects() + 1) * 512, k.protectedModeSize());
        long declared = k.syssize() * 16L;
        assertTrue(declared <= k.protectedModeSize() + 15 && declared > k.protectedModeSize() - 4096,
                "syssize " + declared + " vs protected-mode bytes " + k.protectedModeSize());
        // the kernel's own version string starts with the release the guest build recorded (e.g. 6.1.0-50-686)
        String release = LinuxGuest.kernelRelease();
        assertTrue(k.kernelVersion().startsWith(release + " "), k.kernelVersion() + " vs " + release);
    }
}
