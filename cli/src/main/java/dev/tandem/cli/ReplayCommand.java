package dev.tandem.cli;

import dev.tandem.core.cpu.CpuState;
import dev.tandem.core.machine.Machine;
import dev.tandem.core.replay.GuestSpec;
import dev.tandem.core.replay.LogHeader;
import dev.tandem.core.replay.LogReader;
import dev.tandem.core.replay.Replayer;
import dev.tandem.core.snapshot.StateHasher;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code replay}: re-executes a recorded run from its log, checking every state hash. */
@Command(name = "replay", mixinStandardHelpOptions = true,
        description = "Replays a log written by 'record': same console output, every checkpoint checked. "
                + "Exit code 1 on divergence or a damaged log.")
final class ReplayCommand implements Callable<Integer> {
    @Option(names = "--log", required = true, description = "log file to replay")
    Path log;

    @Option(names = "--stop-at", description = "stop at this instruction count")
    Long stopAt;

    @Option(names = "--dump-state", description = "print the CPU state and state hash at the end")
    boolean dumpState;

    @Option(names = "--serial", description = "where COM1 output goes: stdio, none or file:PATH (default: stdio for "
            + "kernel/ROM guests, none for built-in guests, as in record); input always comes from the log")
    String serial;

    @Option(names = "--pcap", description = "write the frames the network cards send and receive to a pcap file "
            + "(identical to the recording's --pcap when the replay matches)")
    Path pcap;

    @Option(names = "--verbose", description = "report each checkpoint")
    boolean verbose;

    @Override
    public Integer call() throws Exception {
        PrintStream out = System.out;
        try (InputStream in = Files.newInputStream(log); LogReader r = new LogReader(in)) {
            LogHeader h = r.readHeader();
            Replayer rp = new Replayer(r, h, verbose ? s -> System.err.println("[tandem] " + s) : null);
            Machine m = new Machine(h.config(), rp);
            m.setTimingMode(h.timing());
            m.setDebugConsole(b -> out.write(b));
            boolean builtin = !h.guest().containsKey("kernel") && !h.guest().containsKey("rom");
            String spec = serial != null ? serial : (builtin ? "none" : "stdio");
            if (spec.startsWith("tcp:")) throw new IllegalArgumentException("--serial tcp is not available in replay");
            OutputStream serialOut;
            if (spec.equals("stdio")) serialOut = out;
            else if (spec.equals("none")) serialOut = OutputStream.nullOutputStream();
            else if (spec.startsWith("file:")) serialOut = Files.newOutputStream(Path.of(spec.substring(5)));
            else throw new IllegalArgumentException("bad --serial '" + spec + "': use stdio, none or file:PATH");
            m.setSerial(0, b -> {
                try {
                    serialOut.write(b);
                    if (b == '\n') serialOut.flush();
                } catch (java.io.IOException e) {
                    // output gone: drop
                }
            });
            GuestSpec.load(m, h.guest());
            // no backends: received frames come from the log; transmitted ones are only captured
            dev.tandem.cli.net.Networking nets = dev.tandem.cli.net.Networking.open(
                    dev.tandem.cli.net.NetConfig.parse(null, null), pcap);
            nets.attach(m);
            long until = stopAt == null ? Long.MAX_VALUE : stopAt;
            long t0 = System.nanoTime();
            Machine.Exit exit;
            do {
                exit = m.run(until);
            } while (!(exit == Machine.Exit.LIMIT && m.cpu().icount >= until) && !rp.finishIfEnded(m, exit));
            nets.close();
            rp.throwIfLogDamaged();
            long t1 = System.nanoTime();
            out.flush();
            serialOut.flush();
            if (serialOut != out) serialOut.close();
            long n = m.cpu().icount();
            if (dumpState) {
                for (Map.Entry<String, String> e : CpuState.describe(CpuState.toBytes(m.cpu(), m.x87())).entrySet()) {
                    System.err.println("  " + e.getKey() + " = " + e.getValue());
                }
                System.err.println("  " + StateHasher.digest(m));
            }
            System.err.printf("[tandem] replayed %,d instructions in %.3f s (%.1f MIPS), %,d inputs applied, "
                            + "%,d frames, %,d checkpoints checked%n", n, (t1 - t0) / 1e9, n / ((t1 - t0) / 1e9) / 1e6,
                    rp.inputsApplied(), rp.framesApplied(), rp.checkpointsChecked());
            if (rp.divergence() != null) {
                System.err.println("[tandem] REPLAY DIVERGED: " + rp.divergence());
                return Main.EXIT_FAILURE;
            }
            System.err.println(rp.reachedEnd() ? "[tandem] replay matches the recording (end state hash equal)"
                    : "[tandem] replay matches the recording up to instruction " + n);
            return Main.EXIT_OK;
        }
    }
}
