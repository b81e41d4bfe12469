package dev.tandem.core.boot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.core.testkit.LinuxGuest;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Boots the Debian guest ({@link LinuxGuest}) with host-side decompression to a shell, then an
 * interactive session checked against host-computed values: one boot, one test per command, so a
 * failing command does not hide the others.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LinuxShellSessionTest {
    private static final String CMDLINE = LinuxBootTest.CMDLINE;

    LinuxGuestHarness g;
    Throwable bootFailure;

    /**
     * The first test boots, the others reuse the shell (or report the failed boot); every test
     * asks for the guest itself, since surefire does not report tests skipped from a
     * {@code @BeforeAll}.
     */
    @BeforeEach
    void bootToTheShell() throws Exception {
        LinuxGuest.require();
        if (bootFailure != null) throw new AssertionError("the boot to the shell failed in an earlier test", bootFailure);
        if (g != null) return;
        try {
            LinuxGuestHarness h = new LinuxGuestHarness(128, CMDLINE, true);
            h.waitFor("/ # ", 20_000_000_000L);
            h.settle(50_000_000);
            System.out.printf("host decompression: shell prompt after %,d instructions%n", h.machine.cpu().icount());
            g = h;
        } catch (Exception | Error e) {
            bootFailure = e;
            throw e;
        }
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
