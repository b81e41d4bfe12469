package dev.tandem.cli;

import dev.tandem.cli.net.NetConfig;
import dev.tandem.core.machine.MachineConfig;
import dev.tandem.core.machine.TimingMode;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Option;

/** Guest selection and machine options shared by {@code run}, {@code record} and {@code snapshot}. */
final class GuestOptions {
    @Option(names = "--guest", description = "built-in guest: hello (default), bench or echo (a console workload on COM1)")
    String guest;

    @Option(names = "--rom", description = "raw firmware image: mapped at the top of the first MiB and just below "
            + "4 GiB; execution starts at the reset vector F000:FFF0")
    Path rom;

    @Option(names = "--kernel", description = "Linux bzImage (boot protocol >= 2.06), booted directly")
    Path kernel;

    @Option(names = "--kernel-decompress", defaultValue = "guest",
            description = "guest: run the kernel's own decompressor, as firmware loaders and QEMU -kernel do; host: "
                    + "decompress the payload on the host and start at the decompressed kernel (much faster). "
                    + "Default: ${DEFAULT-VALUE}")
    String kernelDecompress;

    @Option(names = "--initrd", description = "initramfs for --kernel")
    Path initrd;

    @Option(names = "--append", defaultValue = "console=ttyS0", description = "kernel command line (default: ${DEFAULT-VALUE})")
    String append;

    @Option(names = {"-m", "--memory"}, defaultValue = "128M", description = "RAM size (default: ${DEFAULT-VALUE})")
    String memory;

    @Option(names = "--ips", defaultValue = "100000000",
            description = "nominal guest speed in instructions per virtual second (default: ${DEFAULT-VALUE})")
    long ips;

    @Option(names = "--debug-port", defaultValue = "0xE9", description = "print writes to this port as console bytes")
    String debugPort;

    @Option(names = {"--netdev", "-netdev"}, paramLabel = "TYPE,id=ID,...",
            description = "a network backend: socket,id=ID,listen=HOST:PORT | socket,id=ID,connect=HOST:PORT (Ethernet "
                    + "frames over TCP, QEMU's framing) | tap,id=ID,ifname=NAME (a Linux TAP interface, root)")
    List<String> netdevs;

    @Option(names = {"--nic", "-nic"}, paramLabel = "virtio,netdev=ID[,mac=MAC]",
            description = "a virtio network card (repeatable; slots 0..3, PCI 00:03.0..00:06.0) attached to a --netdev, "
                    + "or with the backend inline: socket,listen=...|socket,connect=...|tap,ifname=...|none[,mac=MAC]. "
                    + "Default MAC 52:54:00:12:34:56 (+ slot). Guest time then follows the host clock unless --timing "
                    + "virtual (see docs/network.md)")
    List<String> nics;

    @Option(names = "--pcap", paramLabel = "FILE",
            description = "write every frame the network cards send and receive to a pcap file (guest-time stamps)")
    Path pcap;

    private NetConfig net;

    /** The parsed --netdev and --nic options. */
    NetConfig net() {
        if (net == null) net = NetConfig.parse(netdevs, nics);
        return net;
    }

    /**
     * The timing mode: as given (virtual or host), else host clock when the guest has a network
     * card (a guest on a real wire needs real time: its TCP timers, and peers that answer in host
     * time), else virtual.
     */
    TimingMode timing(String given) {
        if (given == null) return net().isEmpty() ? TimingMode.VIRTUAL : TimingMode.HOST_CLOCK;
        return RecordCommand.parseTiming(given);
    }

    /** The machine configuration; POST codes are not printed (Linux uses port 0x80 for delays). */
    MachineConfig config() {
        return config(-1);
    }

    MachineConfig config(int postPort) {
        long ram = Sizes.parse(memory);
        if (ram > (3L << 29)) throw new IllegalArgumentException("--memory at most 1536M");
        if (kernel == null && initrd != null) throw new IllegalArgumentException("--initrd needs --kernel");
        if (kernel != null && rom != null) throw new IllegalArgumentException("--kernel and --rom are exclusive");
        if (guest != null && (kernel != null || rom != null)) {
            throw new IllegalArgumentException("--guest cannot be combined with --rom or --kernel");
        }
        if (!kernelDecompress.equals("guest") && !kernelDecompress.equals("host")) {
            throw new IllegalArgumentException("--kernel-decompress must be guest or host");
        }
        return new MachineConfig((int) ram, ips, postPort, Sizes.parsePort(debugPort));
    }

    /** True when no guest was chosen (a restored snapshot supplies it). */
    boolean noGuestChosen() {
        return guest == null && rom == null && kernel == null && initrd == null;
    }

    boolean hasSerialConsole() {
        return kernel != null || rom != null || "echo".equals(guest);
    }

    /** The guest as a spec for {@link dev.tandem.core.replay.GuestSpec} (stored in log headers). */
    Map<String, String> spec() {
        Map<String, String> s = new LinkedHashMap<>();
        if (kernel != null) {
            s.put("kernel", kernel.toAbsolutePath().toString());
            if (initrd != null) s.put("initrd", initrd.toAbsolutePath().toString());
            s.put("append", append);
            if (!kernelDecompress.equals("guest")) s.put("kernel-decompress", kernelDecompress);
        } else if (rom != null) {
            s.put("rom", rom.toAbsolutePath().toString());
        } else {
            s.put("guest", guest == null ? "hello" : guest);
        }
        for (NetConfig.Nic n : net().nics()) s.put("nic" + n.slot(), n.guestSpec());
        return s;
    }
}
