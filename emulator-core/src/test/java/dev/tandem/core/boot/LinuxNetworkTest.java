package dev.tandem.core.boot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tandem.core.testkit.LinuxGuest;
import dev.tandem.core.dev.virtio.EthPeer;
import dev.tandem.core.dev.virtio.VirtioNet;
import dev.tandem.core.replay.HostWorld;
import dev.tandem.core.replay.Recorder;
import org.junit.jupiter.api.Test;

/**
 * The Debian guest with a virtio network card: the driver binds (legacy virtio-pci, INTx on the
 * 8259 through the PIIX3 routing), the init script configures eth0 from tandem.ip=, and the guest
 * pings an in-process peer on its wire. Long suite ({@code -Dtandem.long=true}): the CLI's socket and
 * TAP tests cover the same path with real processes in the default run.
 */
class LinuxNetworkTest {
    static final String CMDLINE = "console=ttyS0 nokaslr cryptomgr.notests acpi=off tandem.ip=10.0.2.15/24";

    @Test
    void guestPingsPeer() throws Exception {
        assumeTrue(Boolean.getBoolean("tandem.long"), "long run only with -Dtandem.long=true");
        LinuxGuest.require();
        LinuxGuestHarness g = new LinuxGuestHarness(128, CMDLINE, true);
        g.machine.plugNic(0, VirtioNet.parseMac("52:54:00:12:34:56"));
        EthPeer peer = new EthPeer(VirtioNet.parseMac("52:54:00:00:00:02"), new byte[] {10, 0, 2, 2});
        g.machine.nic(0).setFrameSink(peer);
        g.machine.setHostInputs(new Recorder(HostWorld.system(() -> -1, peer), null, 0));
        g.waitFor("/ # ", 20_000_000_000L);
        String ping = g.command("ping -c 3 10.0.2.2", 4_000_000_000L);
        System.out.println(ping);
        assertTrue(ping.contains("3 packets transmitted, 3 packets received"), ping);
        assertEquals(3, peer.echoRequests);
    }
}
