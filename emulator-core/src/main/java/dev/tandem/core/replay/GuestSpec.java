package dev.tandem.core.replay;

import dev.tandem.core.boot.E820;
import dev.tandem.core.boot.LinuxLoader;
import dev.tandem.core.guests.BuiltinGuests;
import dev.tandem.core.machine.Machine;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Loads the guest described by a recording's header into a fresh machine: {@code guest=hello|bench}
 * (built-in), {@code rom=PATH}, or {@code kernel=PATH} with optional {@code initrd=PATH} and
 * {@code append=CMDLINE}. Files are read again at replay time; the first checkpoint verifies that
 * the resulting initial state is the recorded one.
 */
public final class GuestSpec {
    private GuestSpec() {
    }

    public static void load(Machine m, Map<String, String> spec) throws IOException {
        if (spec.containsKey("kernel")) {
            byte[] k = Files.readAllBytes(Path.of(spec.get("kernel")));
            byte[] rd = spec.containsKey("initrd") ? Files.readAllBytes(Path.of(spec.get("initrd"))) : null;
            LinuxLoader.load(m.memory(), m.cpu(), k, rd, spec.getOrDefault("append", "console=ttyS0"),
                    E820.standardPc(m.config().ramBytes()));
        } else if (spec.containsKey("rom")) {
            m.loadFirmware(Files.readAllBytes(Path.of(spec.get("rom"))));
        } else {
            String g = spec.getOrDefault("guest", "hello");
            m.loadFirmware(switch (g) {
                case "hello" -> BuiltinGuests.helloRom();
                case "bench" -> BuiltinGuests.benchRom();
                default -> throw new IllegalArgumentException("unknown built-in guest '" + g + "' (hello, bench)");
            });
        }
    }
}
