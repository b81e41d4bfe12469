package dev.tandem.cli.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.core.testkit.LinuxGuest;
import dev.tandem.core.testkit.Tools;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The host reaches a guest through a TAP interface: inside a network namespace this test creates
 * (and deletes), a persistent TAP {@code tnd0} with 10.0.2.2/24; tandem runs in the namespace
 * attached to it; the guest (10.0.2.15) serves files with busybox httpd, and the host pings it and
 * fetches a page and a generated file with wget, checking the file's MD5 against one computed
 * here. Needs root, iproute2, ping and wget ({@link #requireNetworkTools}: skipped with the reason,
 * or failed with -Dtandem.requireTools=true).
 */
class TapNetworkTest {
    private String ns;

    static String run(List<String> cmd, long seconds) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(cmd + " did not finish within " + seconds + " s");
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.exitValue() != 0) throw new AssertionError(cmd + " exited with " + p.exitValue() + ":\n" + out);
        return out;
    }

    /** Root, /dev/net/tun, and the host tools the network tests run (through {@link Tools}). */
    static void requireNetworkTools(String... extra) {
        Tools.require("root".equals(System.getProperty("user.name")),
                "not running as root (network namespaces and TAP interfaces need CAP_NET_ADMIN)", "run the tests as root");
        Tools.require(Files.exists(Path.of("/dev/net/tun")), "no /dev/net/tun", "modprobe tun");
        Tools.require(Tools.probe("ip", List.of(Tools.binary("ip"), "-V"), "apt-get install iproute2"));
        Tools.require(Tools.probe("ping", List.of(Tools.binary("ping"), "-V"), "apt-get install iputils-ping"));
        for (String t : extra) {
            Tools.require(Tools.probe(t, List.of(Tools.binary(t), "--version"), "apt-get install " + t));
        }
    }

    List<String> inNs(String... cmd) {
        List<String> l = new ArrayList<>(List.of("ip", "netns", "exec", ns));
        l.addAll(List.of(cmd));
        return l;
    }

    @BeforeEach
    void namespace() throws Exception {
        LinuxGuest.require();
        requireNetworkTools("wget");
        ns = "tandem-nic-" + ProcessHandle.current().pid();
        run(List.of("ip", "netns", "add", ns), 30);
        run(inNs("ip", "link", "set", "lo", "up"), 30);
        run(inNs("ip", "tuntap", "add", "dev", "tnd0", "mode", "tap"), 30);
        run(inNs("ip", "addr", "add", "10.0.2.2/24", "dev", "tnd0"), 30);
        run(inNs("ip", "link", "set", "tnd0", "up"), 30);
    }

    @AfterEach
    void removeNamespace() throws Exception {
        if (ns != null) run(List.of("ip", "netns", "del", ns), 30);
    }

    @Test
    void hostPingsAndFetchesFromTheGuest() throws Exception {
        List<String> args = new ArrayList<>(List.of("run", "--netdev", "tap,id=n0,ifname=tnd0", "--nic", "virtio,netdev=n0"));
        args.addAll(GuestProcess.linux("tandem.ip=10.0.2.15/24 tandem.gw=10.0.2.2"));
        try (GuestProcess g = new GuestProcess("tap-guest", List.of("ip", "netns", "exec", ns), args.toArray(String[]::new))) {
            g.awaitStderr("netdev n0: TAP interface tnd0", 60);
            g.await("=== eth0: 52:54:00:12:34:56 10.0.2.15/24 ===", SocketNetworkTest.BOOT_S);
            g.await("/ # ", SocketNetworkTest.BOOT_S);
            String served = g.command("mkdir -p /www && echo hello-from-tandem > /www/index.html && seq 1 60000 > /www/big"
                    + " && httpd -p 80 -h /www && echo served", 120);
            assertTrue(served.contains("served"), served);

            String ping = run(inNs("ping", "-c", "3", "-W", "10", "10.0.2.15"), 120);
            assertTrue(ping.contains("3 packets transmitted, 3 received"), ping);

            String page = run(inNs("wget", "-q", "-O", "-", "http://10.0.2.15/index.html"), 120);
            assertEquals("hello-from-tandem\n", page);

            Path big = Files.createTempFile("tandem-tap", ".big");
            try {
                run(inNs("wget", "-q", "-O", big.toString(), "http://10.0.2.15/big"), 300);
                StringBuilder seq = new StringBuilder();
                for (int i = 1; i <= 60000; i++) seq.append(i).append('\n');
                byte[] expected = seq.toString().getBytes(StandardCharsets.US_ASCII);
                byte[] got = Files.readAllBytes(big);
                assertEquals(expected.length, got.length);
                MessageDigest md5 = MessageDigest.getInstance("MD5");
                assertEquals(HexFormat.of().formatHex(md5.digest(expected)), HexFormat.of().formatHex(md5.digest(got)));
            } finally {
                Files.deleteIfExists(big);
            }
            // the guest reaches the host too (its default route points there)
            String guestPing = g.command("ping -c 2 -W 10 10.0.2.2", 120);
            assertTrue(guestPing.contains("2 packets transmitted, 2 packets received"), guestPing);
        }
    }
}
