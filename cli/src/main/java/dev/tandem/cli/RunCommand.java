package dev.tandem.cli;

import dev.tandem.core.boot.LinuxBootInfo;
import dev.tandem.core.machine.Machine;
import dev.tandem.core.machine.MachineConfig;
import dev.tandem.core.replay.GuestSpec;
import dev.tandem.core.snapshot.Snapshot;
import dev.tandem.core.snapshot.StateHasher;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code run}: boots a guest (the built-in one by default, a firmware ROM, or a Linux kernel). */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = "Runs a guest. Without guest options it boots the built-in demo guest, which prints to "
                + "the debug console and stops; the exit line shows the instruction count.")
final class RunCommand implements Callable<Integer> {
    private static final Logger LOG = LoggerFactory.getLogger(RunCommand.class);

    @Mixin
    GuestOptions guestOptions;

    @Mixin
    ConsoleOptions consoleOptions;

    @Option(names = "--serial",
            description = "COM1: stdio, none, file:PATH or tcp:PORT (default: stdio with --kernel/--rom, none for "
                    + "the built-in guests, which print on the debug port)")
    String serial;

    @Option(names = "--post-port", description = "print writes to this port as POST codes (default 0x80 for ROMs "
            + "and built-in guests; off for --kernel, since Linux writes port 0x80 for I/O delays)")
    String postPort;

    @Option(names = "--profile-eip", hidden = true, description = "write a histogram of EIP sampled at slice boundaries")
    Path profileEip;

    @Option(names = "--max-instructions", description = "stop when the instruction count reaches this value "
            + "(with --restore the count goes on from the snapshot's)")
    Long maxInstructions;

    @Option(names = "--snapshot-at", description = "write a snapshot (--snapshot-file) when the instruction count "
            + "reaches this value, then run on")
    Long snapshotAt;

    @Option(names = "--snapshot-file", description = "snapshot file written at --snapshot-at")
    Path snapshotFile;

    @Option(names = "--restore", description = "continue the machine saved in this snapshot file instead of booting "
            + "a guest (machine configuration, memory size and instruction count come from the snapshot)")
    Path restore;

    @Override
    public Integer call() throws Exception {
        if ((snapshotAt == null) != (snapshotFile == null)) {
            throw new IllegalArgumentException("--snapshot-at and --snapshot-file go together");
        }
        if (snapshotAt != null && snapshotAt < 0) throw new IllegalArgumentException("--snapshot-at must be >= 0");
        if (restore != null && !guestOptions.noGuestChosen()) {
            throw new IllegalArgumentException("--restore cannot be combined with --guest, --rom, --kernel or --initrd");
        }
        boolean linux = guestOptions.kernel != null;
        int post = postPort != null ? Sizes.parsePort(postPort) : (linux ? -1 : 0x80);
        MachineConfig cfg = guestOptions.config(post);
        java.util.Map<Integer, Integer> eipHist = new java.util.HashMap<>();
        // the wall clock is read once, here, for the RTC's power-on time (a restored machine keeps its RTC)
        Machine m = restore != null ? Snapshot.read(restore) : new Machine(cfg, System.currentTimeMillis());
        PrintStream out = System.out;
        m.setDebugConsole(b -> out.write(b));
        m.setPostSink(b -> System.err.printf("[POST %02X]%n", b));
        // each unhandled port is reported once (it reads as all ones); Linux probes dozens, so only at debug there
        if (linux) m.io().setUnhandledHook(p -> LOG.debug("unhandled I/O port 0x{} (reads as all ones)", Integer.toHexString(p)));
        else m.io().setUnhandledHook(p -> LOG.info("unhandled I/O port 0x{} (reads as all ones)", Integer.toHexString(p)));
        String serialSpec = serial != null ? serial : (guestOptions.hasSerialConsole() ? "stdio" : "none");
        try (SerialConsole console = SerialConsole.open(serialSpec, consoleOptions)) {
            m.setSerial(0, console);
            console.attach(m);
            // serial input enters through the nondeterminism boundary (live: no log)
            m.setHostInputs(new dev.tandem.core.replay.Recorder(console.hostWorld(), null, 0));
            m.setSliceHook(mm -> {
                console.atSliceBoundary(mm);
                if (profileEip != null) eipHist.merge(mm.cpu().eip & ~0xF, 1, Integer::sum);
            });
            if (restore != null) {
                LOG.info("restored {} at instruction {}", restore, m.cpu().icount());
            } else {
                LinuxBootInfo info = GuestSpec.load(m, guestOptions.spec());
                if (info != null) {
                    // one line by default; the memory layout with -v
                    String[] d = info.describe().split("\n", 2);
                    LOG.info("{}", d[0]);
                    if (d.length > 1) LOG.debug("kernel layout:\n{}", d[1]);
                    if (m.cpu().eip != info.entryPoint()) {
                        LOG.debug("host-decompressed kernel: entry EIP=0x{}", Integer.toHexString(m.cpu().eip));
                    }
                }
            }
            long limit = maxInstructions == null ? Long.MAX_VALUE : maxInstructions;
            Runtime.getRuntime().addShutdownHook(new Thread(m::requestStop));
            long startIcount = m.cpu().icount();
            long t0 = System.nanoTime();
            Machine.Exit exit;
            boolean snapshotDue = snapshotAt != null;
            if (snapshotDue && snapshotAt < m.cpu().icount()) {
                throw new IllegalArgumentException("--snapshot-at " + snapshotAt + " is before the restored instruction count "
                        + m.cpu().icount());
            }
            for (;;) {
                exit = m.run(snapshotDue ? Math.min(limit, snapshotAt) : limit);
                if (snapshotDue && exit == Machine.Exit.LIMIT && m.cpu().icount() == snapshotAt) {
                    Snapshot.write(m, snapshotFile);
                    snapshotDue = false;
                    System.err.printf("[tandem] snapshot at %,d instructions written to %s (%,d bytes)%n",
                            m.cpu().icount(), snapshotFile, Files.size(snapshotFile));
                    if (snapshotAt < limit) continue;
                }
                // an idle guest with no timer armed can still be woken by console input: wait for it
                if (exit != Machine.Exit.IDLE_FOREVER || console.inputClosed() || console.quitRequested()) break;
                if (!console.awaitInput(100)) continue;
            }
            long t1 = System.nanoTime();
            out.flush();
            console.flush();
            console.endLine();
            if (profileEip != null) {
                StringBuilder sb = new StringBuilder();
                eipHist.entrySet().stream().sorted((a, b) -> b.getValue() - a.getValue())
                        .forEach(e -> sb.append(String.format("%08x %d%n", e.getKey(), e.getValue())));
                Files.writeString(profileEip, sb.toString());
            }
            double secs = (t1 - t0) / 1e9;
            long n = m.cpu().icount();
            // Ctrl-A x: also while the run waited for input to an idle guest
            boolean quit = console.quitRequested() && (exit == Machine.Exit.STOPPED || exit == Machine.Exit.IDLE_FOREVER);
            System.err.printf("[tandem] %s after %,d instructions in %.3f s (%.1f MIPS host speed)%n",
                    quit ? "stopped from the console" : describe(exit), n, secs, (n - startIcount) / secs / 1e6);
            if (snapshotAt != null || restore != null || console.snapshotsWritten() > 0) {
                System.err.printf("[tandem] final %s%n", StateHasher.digest(m));
            }
            if (snapshotDue) {
                System.err.printf("[tandem] error: the run ended (%s) at %,d instructions, before --snapshot-at %,d; "
                        + "no snapshot written%n", describe(exit), n, snapshotAt);
                return Main.EXIT_FAILURE;
            }
            if (quit) return Main.EXIT_OK;
            return switch (exit) {
                case TRIPLE_FAULT, IDLE_FOREVER -> Main.EXIT_FAILURE;
                default -> Main.EXIT_OK;
            };
        }
    }

    private static String describe(Machine.Exit e) {
        return switch (e) {
            case HALTED -> "guest halted";
            case LIMIT -> "instruction limit reached";
            case IDLE_FOREVER -> "guest idle with no timer armed (hung)";
            case TRIPLE_FAULT -> "triple fault: CPU shut down";
            case RESET -> "guest requested a reset";
            case STOPPED -> "stopped";
        };
    }
}
