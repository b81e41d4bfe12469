package dev.tandem.core.replay;

import dev.tandem.core.boot.E820;
import dev.tandem.core.boot.LinuxBootInfo;
import dev.tandem.core.boot.LinuxLoader;
import dev.tandem.core.dev.virtio.VirtioNet;
import dev.tandem.core.guests.BuiltinGuests;
import dev.tandem.core.machine.Machine;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Loads a guest described by a small key/value spec into a fresh machine: {@code guest=hello|bench|echo}
 * (built-in), {@code rom=PATH}, or {@code kernel=PATH} with optional {@code initrd=PATH},
 * {@code append=CMDLINE} and {@code kernel-decompress=guest|host}; plus, for any guest,
 * {@code nic0..nic3=virtio,mac=52:54:00:12:34:56} (a virtio network card in that slot, see
 * {@link Machine#plugNic}; the backend it is connected to is not part of the guest). The one place every command
 * (run, record, replay, snapshot) loads guests; a recording stores the spec in its header and
 * replay reads the files again, the first checkpoint verifying the initial state.
 */
public final class GuestSpec {
    private GuestSpec() {
    }

    /** Loads the guest; returns the Linux boot layout for a kernel, null otherwise. */
    public static LinuxBootInfo load(Machine m, Map<String, String> spec) throws IOException {
        for (int s = 0; s < Machine.NIC_SLOTS; s++) {
            String nic = spec.get("nic" + s);
            if (nic != null) m.plugNic(s, nicMac(nic));
        }
        if (spec.containsKey("kernel")) {
            byte[] k = Files.readAllBytes(Path.of(spec.get("kernel")));
            byte[] rd = spec.containsKey("initrd") ? Files.readAllBytes(Path.of(spec.get("initrd"))) : null;
            String append = spec.getOrDefault("append", "console=ttyS0");
            E820 map = E820.standardPc(m.config().ramBytes());
            return switch (spec.getOrDefault("kernel-decompress", "guest")) {
                case "guest" -> LinuxLoader.load(m.memory(), m.cpu(), k, rd, append, map);
                case "host" -> LinuxLoader.loadHostDecompressed(m.memory(), m.cpu(), k, rd, append, map);
                default -> throw new IllegalArgumentException("kernel-decompress must be guest or host, got '"
                        + spec.get("kernel-decompress") + "'");
            };
        } else if (spec.containsKey("rom")) {
            m.loadFirmware(Files.readAllBytes(Path.of(spec.get("rom"))));
        } else {
            String g = spec.getOrDefault("guest", "hello");
            m.loadFirmware(switch (g) {
                case "hello" -> BuiltinGuests.helloRom();
                case "bench" -> BuiltinGuests.benchRom();
                case "echo" -> BuiltinGuests.echoRom();
                default -> throw new IllegalArgumentException("unknown built-in guest '" + g + "' (hello, bench, echo)");
            });
        }
        return null;
    }

    /** The MAC address of a {@code virtio,mac=...} card description. */
    static byte[] nicMac(String desc) {
        String[] parts = desc.split(",");
        if (!parts[0].equals("virtio")) throw new IllegalArgumentException("unknown network card model '" + parts[0] + "' (virtio)");
        byte[] mac = null;
        for (int i = 1; i < parts.length; i++) {
            if (parts[i].startsWith("mac=")) mac = VirtioNet.parseMac(parts[i].substring(4));
            else throw new IllegalArgumentException("unknown network card option '" + parts[i] + "'");
        }
        if (mac == null) throw new IllegalArgumentException("network card '" + desc + "' has no mac=");
        return mac;
    }
}
