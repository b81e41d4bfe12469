package dev.tandem.cli;

import dev.tandem.core.machine.Machine;
import dev.tandem.core.machine.TimingMode;
import dev.tandem.core.replay.GuestSpec;
import dev.tandem.core.replay.LogWriter;
import dev.tandem.core.replay.Recorder;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code record}: runs a guest like {@code run} and writes every host input to a replayable log. */
@Command(name = "record", mixinStandardHelpOptions = true,
        description = "Runs a guest (options as for run) and records every nondeterministic input (serial bytes, "
                + "RTC time, host clock in --timing host) with its instruction count, plus state-hash checkpoints, "
                + "to a log that 'replay' reproduces exactly.")
final class RecordCommand implements Callable<Integer> {
    @Mixin
    GuestOptions guest;

    @Mixin
    ConsoleOptions consoleOptions;

    @Option(names = "--log", required = true, description = "log file to write")
    Path log;

    @Option(names = "--timing", defaultValue = "virtual",
            description = "virtual (guest time from instruction count; default) or host (guest time follows the host clock)")
    String timing;

    @Option(names = "--checkpoint-every", defaultValue = "500000000",
            description = "instructions between state-hash checkpoints, 0 for none (default: ${DEFAULT-VALUE})")
    long checkpointEvery;

    @Option(names = "--serial", description = "COM1: stdio, none, file:PATH or tcp:PORT (default: stdio for --kernel/--rom)")
    String serial;

    @Option(names = "--max-instructions", description = "stop after this many instructions")
    Long maxInstructions;

    @Option(names = "--max-guest-seconds", description = "stop once guest time reaches this many seconds (virtual "
            + "time: instructions plus idle skips at --ips; host timing: follows the host clock from the start)")
    Double maxGuestSeconds;

    static TimingMode parseTiming(String t) {
        return switch (t) {
            case "virtual" -> TimingMode.VIRTUAL;
            case "host" -> TimingMode.HOST_CLOCK;
            default -> throw new IllegalArgumentException("--timing must be virtual or host, not '" + t + "'");
        };
    }

    @Override
    public Integer call() throws Exception {
        if (checkpointEvery < 0) throw new IllegalArgumentException("--checkpoint-every must be >= 0");
        var cfg = guest.config();
        TimingMode mode = parseTiming(timing);
        String serialSpec = serial != null ? serial : (guest.hasSerialConsole() ? "stdio" : "none");
        PrintStream out = System.out;
        try (OutputStream file = Files.newOutputStream(log);
                LogWriter w = new LogWriter(file);
                SerialConsole console = SerialConsole.open(serialSpec, consoleOptions)) {
            // escape keys are taken out before the input queue: what reaches the guest is what is logged
            Recorder rec = new Recorder(console.hostWorld(), w, checkpointEvery);
            Machine m = new Machine(cfg, rec);
            m.setTimingMode(mode);
            m.setDebugConsole(b -> out.write(b));
            m.setSerial(0, console);
            console.attach(m);
            GuestSpec.load(m, guest.spec());
            w.writeHeader(rec.header(m, guest.spec()));
            long limit = maxInstructions == null ? Long.MAX_VALUE : maxInstructions;
            long stopNs;
            if (maxGuestSeconds != null) {
                if (!(maxGuestSeconds >= 0)) throw new IllegalArgumentException("--max-guest-seconds must be >= 0");
                stopNs = (long) (maxGuestSeconds * 1e9);
            } else {
                stopNs = Long.MAX_VALUE;
            }
            // checked at every slice boundary; the machine stops at the next one (the log's END says where)
            m.setSliceHook(mm -> {
                console.atSliceBoundary(mm);
                if (mm.nowNs() >= stopNs) mm.requestStop();
            });
            Thread hook = new Thread(m::requestStop);
            Runtime.getRuntime().addShutdownHook(hook);
            long t0 = System.nanoTime();
            Machine.Exit exit;
            for (;;) {
                exit = m.run(limit);
                if (exit != Machine.Exit.IDLE_FOREVER || console.inputClosed() || console.quitRequested()) break;
                console.awaitInput(100);
            }
            rec.finish(m, exit);
            long t1 = System.nanoTime();
            out.flush();
            console.flush();
            console.endLine();
            w.flush();
            long n = m.cpu().icount();
            System.err.printf("[tandem] recorded %s after %,d instructions (guest time %.3f s) in %.3f s (%.1f MIPS); "
                            + "log %,d bytes, %,d records (%,d input events), %.1f bytes per million instructions%n",
                    exit, n, m.nowNs() / 1e9, (t1 - t0) / 1e9, n / ((t1 - t0) / 1e9) / 1e6, w.bytesWritten(), w.records(),
                    rec.inputEvents(), w.bytesWritten() / Math.max(1e-9, n / 1e6));
            System.err.printf("[tandem] %,d state-hash checkpoints took %.3f s (%.1f ms each, %.1f %% of the run)%n",
                    rec.checkpointsWritten(), rec.checkpointNanos() / 1e9,
                    rec.checkpointNanos() / 1e6 / Math.max(1, rec.checkpointsWritten()),
                    100.0 * rec.checkpointNanos() / Math.max(1, t1 - t0));
            return Main.EXIT_OK;
        }
    }
}
