package dev.tandem.core.boot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.core.testkit.LinuxGuest;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Boots the stock Debian i386 kernel with a busybox initramfs to a shell, types commands on the
 * serial console and checks the answers against values computed on this host. The guest is built
 * by guests/build-linux-guest.sh ({@link LinuxGuest}; CI builds it); the kernel release the
 * answers must show is the one that build recorded.
 */
class LinuxBootTest {
    // cryptomgr.notests: the crypto self-tests are ~3.6e9 of the ~6.5e9 instructions of a full boot
    private static final String CMDLINE = "console=ttyS0 nokaslr cryptomgr.notests";

    /** The kernel's own decompressor runs in the guest, as with firmware or QEMU -kernel. */
    @Test
    void bootsWithInGuestDecompression() throws Exception {
        String release = LinuxGuest.kernelRelease();
        LinuxGuestHarness g = new LinuxGuestHarness(128, CMDLINE, false);
        g.waitFor("/ # ", 20_000_000_000L);
        System.out.printf("in-guest decompression: shell prompt after %,d instructions%n", g.machine.cpu().icount());
        assertEquals(release, g.command("uname -r", 2_000_000_000L).strip());
    }

    /**
     * Host-side decompression, then an interactive session checked against host-computed values:
     * one boot, one test per command, so a failing command does not hide the others.
     */
    @Nested
    @TestInstance(TestInstance.Lifecycle.PER_CLASS)
    @TestMethodOrder(MethodOrderer.OrderAnnotation.class)
    class InteractiveSession {
        LinuxGuestHarness g;

        @BeforeAll
        void bootToTheShell() throws Exception {
            LinuxGuest.require();
            g = new LinuxGuestHarness(128, CMDLINE, true);
            g.waitFor("/ # ", 20_000_000_000L);
            g.settle(50_000_000);
            System.out.printf("host decompression: shell prompt after %,d instructions%n", g.machine.cpu().icount());
        }

        @Test
        @Order(1)
        void unameShowsTheBuiltKernelOnI686() {
            String uname = g.command("uname -a", 2_000_000_000L);
            assertTrue(uname.contains(" " + LinuxGuest.kernelRelease() + " ") && uname.contains("i686"), uname);
        }

        @Test
        @Order(2)
        void cpuinfoShowsTheEmulatedCpuWithFpuAndCmov() {
            String cpuinfo = g.command("cat /proc/cpuinfo", 2_000_000_000L);
            assertTrue(cpuinfo.contains("GenuineIntel"), cpuinfo);
            assertTrue(cpuinfo.matches("(?s).*flags\\s*:.*\\bfpu\\b.*\\bcmov\\b.*"), cpuinfo);
        }

        /** md5 of a generated file, against the same bytes hashed on the host. */
        @Test
        @Order(3)
        void md5sumMatchesTheHost() throws Exception {
            String md5 = g.command("seq 1 20000 > /tmp/f; md5sum /tmp/f", 4_000_000_000L).trim();
            StringBuilder seq = new StringBuilder();
            for (int i = 1; i <= 20000; i++) seq.append(i).append('\n');
            String expected = HexFormat.of().formatHex(MessageDigest.getInstance("MD5")
                    .digest(seq.toString().getBytes(StandardCharsets.US_ASCII)));
            assertEquals(expected + "  /tmp/f", md5);
        }

        /** Floating point on the x87, against the same computation in IEEE doubles here. */
        @Test
        @Order(4)
        void awkFloatingPointMatchesTheHost() {
            String awk = g.command("awk 'BEGIN { s = 0; for (i = 1; i <= 20000; i++) s += 1 / (i * i); "
                    + "printf \"%.12f\\n\", s }'", 4_000_000_000L).trim();
            double s = 0;
            for (int i = 1; i <= 20000; i++) s += 1.0 / ((double) i * i);
            assertEquals(String.format("%.12f", s), awk);
        }

        @Test
        @Order(5)
        void shellArithmeticMatchesTheClosedForm() {
            String loop = g.command("i=0; t=0; while [ $i -lt 500 ]; do i=$((i+1)); t=$((t+i*i)); done; echo $t",
                    4_000_000_000L).trim();
            assertEquals(Long.toString(500L * 501 * 1001 / 6), loop);
        }
    }
}
