package dev.tandem.cli.net;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two Debian guests in two tandem processes on one virtual wire ({@code --netdev socket} over
 * loopback TCP) ping each other; the first one is recorded, and its replay reproduces the run
 * bit for bit: every checkpoint and the final state hash equal, the same console output, and the
 * same frames (the pcap captures of the recording and the replay are identical files).
 */
class SocketNetworkTest {
    static final long BOOT_S = 400;

    @Test
    void twoGuestsPingEachOtherAndTheRecordingReplays(@TempDir Path tmp) throws Exception {
        List<String> guestA = GuestProcess.linux("tandem.ip=10.0.0.1/24");
        Path log = tmp.resolve("a.log");
        Path pcapRecord = tmp.resolve("record.pcap");
        Path pcapReplay = tmp.resolve("replay.pcap");
        List<String> a = new ArrayList<>(List.of("record", "--log", log.toString(), "--checkpoint-every", "100000000",
                "--pcap", pcapRecord.toString(), "--netdev", "socket,id=n0,listen=127.0.0.1:0",
                "--nic", "virtio,netdev=n0,mac=52:54:00:00:00:0a"));
        a.addAll(guestA);
        try (GuestProcess ga = new GuestProcess("A", List.of(), a.toArray(String[]::new))) {
            Matcher port = ga.awaitStderr("netdev n0: listening on 127\\.0\\.0\\.1:(\\d+)", 60);
            List<String> b = new ArrayList<>(List.of("run", "--nic",
                    "socket,connect=127.0.0.1:" + port.group(1) + ",mac=52:54:00:00:00:0b"));
            b.addAll(GuestProcess.linux("tandem.ip=10.0.0.2/24"));
            try (GuestProcess gb = new GuestProcess("B", List.of(), b.toArray(String[]::new))) {
                ga.await("=== eth0: 52:54:00:00:00:0a 10.0.0.1/24 ===", BOOT_S);
                gb.await("=== eth0: 52:54:00:00:00:0b 10.0.0.2/24 ===", BOOT_S);
                ga.await("/ # ", BOOT_S);
                gb.await("/ # ", BOOT_S);
                String pingAB = ga.command("ping -c 3 -W 10 10.0.0.2", 120);
                assertTrue(pingAB.contains("3 packets transmitted, 3 packets received"), pingAB);
                String pingBA = gb.command("ping -c 2 -s 1400 -W 10 10.0.0.1", 120);
                assertTrue(pingBA.contains("2 packets transmitted, 2 packets received"), pingBA);
                assertTrue(pingBA.contains("1408 bytes from 10.0.0.1"), pingBA);
                String arp = ga.command("cat /proc/net/arp", 60);
                assertTrue(arp.contains("10.0.0.2") && arp.contains("52:54:00:00:00:0b"), arp);
                ga.type("poweroff -f\n");
                assertEquals(0, ga.waitExit(120), ga.stderr());
                gb.type("poweroff -f\n");
                gb.waitExit(120);
            }
            String rec = ga.stderr();
            assertTrue(rec.contains("recorded HALTED"), rec);
            Matcher frames = java.util.regex.Pattern.compile("nic0 52:54:00:00:00:0a \\(socket,listen=127\\.0\\.0\\.1:0\\): "
                    + "([\\d,]+) frames sent, ([\\d,]+) received").matcher(rec);
            assertTrue(frames.find(), rec);
            int received = Integer.parseInt(frames.group(2).replace(",", ""));
            assertTrue(received >= 5, "echo replies and requests reached A through the log: " + received);

            try (GuestProcess r = new GuestProcess("replay", List.of(), "replay", "--log", log.toString(), "--pcap",
                    pcapReplay.toString())) {
                assertEquals(0, r.waitExit(BOOT_S), r.stderr());
                String rs = r.stderr();
                assertTrue(rs.contains("replay matches the recording (end state hash equal)"), rs);
                Matcher cm = java.util.regex.Pattern.compile("([\\d,]+) frames, ([\\d,]+) checkpoints checked").matcher(rs);
                assertTrue(cm.find(), rs);
                assertEquals(received, Integer.parseInt(cm.group(1).replace(",", "")), rs);
                assertTrue(Integer.parseInt(cm.group(2).replace(",", "")) >= 6, rs);
                assertEquals(ga.stdout(), r.stdout(), "the same console output");
            }
            byte[] p1 = Files.readAllBytes(pcapRecord);
            byte[] p2 = Files.readAllBytes(pcapReplay);
            assertTrue(p1.length > 24 + 10 * 60, "frames captured: " + p1.length);
            assertArrayEquals(p1, p2, "the replay sent and received the same frames at the same guest times");
        }
    }
}
