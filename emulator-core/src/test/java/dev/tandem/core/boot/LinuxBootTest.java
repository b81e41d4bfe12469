package dev.tandem.core.boot;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tandem.core.testkit.LinuxGuest;
import org.junit.jupiter.api.Test;

/**
 * Boots the stock Debian i386 kernel with a busybox initramfs to a shell, with the kernel's own
 * decompressor, and checks {@code uname -r} against the release the guest build recorded. The
 * guest is built by guests/build-linux-guest.sh ({@link LinuxGuest}; CI builds it). The
 * interactive session checked against host-computed values is {@link LinuxShellSessionTest}.
 */
class LinuxBootTest {
    // cryptomgr.notests: the crypto self-tests are ~3.6e9 of the ~6.5e9 instructions of a full boot
    static final String CMDLINE = "console=ttyS0 nokaslr cryptomgr.notests";

    /** The kernel's own decompressor runs in the guest, as with firmware or QEMU -kernel. */
    @Test
    void bootsWithInGuestDecompression() throws Exception {
        String release = LinuxGuest.kernelRelease();
        LinuxGuestHarness g = new LinuxGuestHarness(128, CMDLINE, false);
        g.waitFor("/ # ", 20_000_000_000L);
        System.out.printf("in-guest decompression: shell prompt after %,d instructions%n", g.machine.cpu().icount());
        assertEquals(release, g.command("uname -r", 2_000_000_000L).strip());
    }
}
