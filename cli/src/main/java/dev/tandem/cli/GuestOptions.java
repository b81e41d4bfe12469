package dev.tandem.cli;

import dev.tandem.core.machine.MachineConfig;
import java.nio.file.Path;
import java.util.LinkedHashMap;
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
        return s;
    }
}
