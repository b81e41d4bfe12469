package dev.tandem.cli.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Long suite ({@code -Dtandem.long=true}): guest-to-host TCP throughput and host-to-guest ping
 * round-trip time, Tandem against QEMU TCG, the same kernel, initramfs and command line, both with
 * a legacy virtio-net card on a TAP interface in one network namespace, measured in the same run
 * with the two machines interleaved. The guest serves a file of zeros from busybox httpd; the host
 * fetches it with curl (time from request to last byte); ping sends 20 echo requests 200 ms apart.
 * Prints a table (docs/benchmarks.md has a run). Needs root, qemu-system-i386, curl, ping.
 */
class NetworkBenchmark {
    static final int ROUNDS = 3;
    static final int FILE_MIB = 8;
    private String ns;

    @AfterEach
    void removeNamespace() throws Exception {
        if (ns != null) TapNetworkTest.run(List.of("ip", "netns", "del", ns), 30);
    }

    List<String> inNs(String... cmd) {
        List<String> l = new ArrayList<>(List.of("ip", "netns", "exec", ns));
        l.addAll(List.of(cmd));
        return l;
    }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    @Test
    void throughputAndLatencyAgainstQemu() throws Exception {
        assumeTrue(Boolean.getBoolean("tandem.long"), "long run only with -Dtandem.long=true");
        dev.tandem.core.testkit.LinuxGuest.require();
        TapNetworkTest.requireNetworkTools("curl");
        String qemuVersion = dev.tandem.core.testkit.Qemu.require();
        String qemuBinary = dev.tandem.core.testkit.Qemu.binary();
        ns = "tandem-nbench-" + ProcessHandle.current().pid();
        TapNetworkTest.run(List.of("ip", "netns", "add", ns), 30);
        TapNetworkTest.run(inNs("ip", "link", "set", "lo", "up"), 30);
        String[][] taps = {{"tnd0", "10.0.2.2/24"}, {"tnq0", "10.0.3.2/24"}};
        for (String[] t : taps) {
            TapNetworkTest.run(inNs("ip", "tuntap", "add", "dev", t[0], "mode", "tap"), 30);
            TapNetworkTest.run(inNs("ip", "addr", "add", t[1], "dev", t[0]), 30);
            TapNetworkTest.run(inNs("ip", "link", "set", t[0], "up"), 30);
        }
        String common = "console=ttyS0 nokaslr cryptomgr.notests acpi=off ";
        List<String> tandemArgs = new ArrayList<>(List.of("run", "--netdev", "tap,id=n0,ifname=tnd0", "--nic", "virtio,netdev=n0"));
        tandemArgs.addAll(GuestProcess.linux("tandem.ip=10.0.2.15/24"));
        List<String> qemu = new ArrayList<>(List.of("ip", "netns", "exec", ns, qemuBinary, "-accel", "tcg", "-m", "128",
                "-nographic", "-no-reboot", "-kernel", dev.tandem.core.testkit.LinuxGuest.kernel().toString(), "-initrd",
                dev.tandem.core.testkit.LinuxGuest.initrd().toString(), "-append", common + "tandem.ip=10.0.3.15/24",
                "-netdev", "tap,id=n0,ifname=tnq0,script=no,downscript=no",
                "-device", "virtio-net-pci,netdev=n0,disable-modern=on,disable-legacy=off,mac=52:54:00:12:34:57"));
        String serve = "mkdir -p /www && dd if=/dev/zero of=/www/big bs=1M count=" + FILE_MIB
                + " 2>/dev/null && echo hi > /www/small && httpd -p 80 -h /www && echo served";
        String load0 = Files.readString(Path.of("/proc/loadavg")).trim();
        try (GuestProcess t = new GuestProcess("tandem", List.of("ip", "netns", "exec", ns), tandemArgs.toArray(String[]::new));
                GuestProcess q = new GuestProcess("qemu", qemu)) {
            GuestProcess[] g = {t, q};
            String[] ip = {"10.0.2.15", "10.0.3.15"};
            for (GuestProcess p : g) {
                p.await("/ # ", 600);
                assertTrue(p.command(serve, 300).contains("served"));
            }
            for (int k = 0; k < 2; k++) TapNetworkTest.run(inNs("curl", "-s", "-o", "/dev/null", "http://" + ip[k] + "/small"), 120);
            double[][] mbps = new double[2][ROUNDS];
            double[][] rtt = new double[2][ROUNDS];
            Pattern rttLine = Pattern.compile("rtt min/avg/max/mdev = ([\\d.]+)/([\\d.]+)/([\\d.]+)/([\\d.]+) ms");
            for (int r = 0; r < ROUNDS; r++) {
                for (int j = 0; j < 2; j++) {
                    int k = (r % 2 == 0) ? j : 1 - j; // alternate which machine goes first
                    String o = TapNetworkTest.run(inNs("curl", "-s", "-o", "/dev/null", "-w", "%{time_total} %{size_download}",
                            "http://" + ip[k] + "/big"), 600).trim();
                    String[] f = o.split(" ");
                    assertEquals(FILE_MIB << 20, (long) Double.parseDouble(f[1]), o);
                    mbps[k][r] = Double.parseDouble(f[1]) / Double.parseDouble(f[0]) / 1e6;
                    System.out.printf("round %d %-6s TCP guest->host: %d MiB in %s s = %.2f MB/s%n", r + 1, g[k].name, FILE_MIB,
                            f[0], mbps[k][r]);
                }
                for (int j = 0; j < 2; j++) {
                    int k = (r % 2 == 0) ? j : 1 - j;
                    String o = TapNetworkTest.run(inNs("ping", "-c", "20", "-i", "0.2", "-q", ip[k]), 120);
                    Matcher m = rttLine.matcher(o);
                    assertTrue(m.find(), o);
                    rtt[k][r] = Double.parseDouble(m.group(2));
                    System.out.printf("round %d %-6s ping host->guest: rtt min/avg/max %s/%s/%s ms%n", r + 1, g[k].name,
                            m.group(1), m.group(2), m.group(3));
                }
            }
            String load1 = Files.readString(Path.of("/proc/loadavg")).trim();
            System.out.printf("%nQEMU %s; load average before/after: %s / %s%n", qemuVersion, load0, load1);
            System.out.printf("| machine | TCP guest->host MB/s (rounds) | median | ping avg RTT ms (rounds) | median |%n");
            for (int k = 0; k < 2; k++) {
                System.out.printf("| %s | %.2f, %.2f, %.2f | %.2f | %.2f, %.2f, %.2f | %.2f |%n", g[k].name, mbps[k][0], mbps[k][1],
                        mbps[k][2], median(mbps[k]), rtt[k][0], rtt[k][1], rtt[k][2], median(rtt[k]));
            }
            System.out.printf("Tandem / QEMU: throughput %.2f, RTT %.2f%n", median(mbps[0]) / median(mbps[1]),
                    median(rtt[0]) / median(rtt[1]));
            for (GuestProcess p : g) p.type("poweroff -f\n");
            t.waitExit(120);
            System.out.println(t.stderr().lines().filter(l -> l.contains("nic0") || l.contains("MIPS")).reduce("", (a, b) -> a + b + "\n"));
        }
    }
}
