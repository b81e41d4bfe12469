package dev.tandem.cli;

import dev.tandem.cli.bench.ReplicationBench;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code bench replication}: replication figures with real processes on loopback (docs/benchmarks.md). */
@Command(name = "replication", mixinStandardHelpOptions = true,
        description = {"Replication figures with real processes on loopback: leader speed with one follower vs plain run "
                + "(built-in bench guest, interleaved pairs), failover time from SIGKILL to the first console byte from the new "
                + "leader (echo guest), and with the Debian guest: log bandwidth during boot, idle and a console workload, "
                + "output-commit latency, checkpoint cost and the state-transfer pause of a joining follower."})
final class ReplicationBenchCommand implements Callable<Integer> {
    @Option(names = "--runs", defaultValue = "3", description = "interleaved run/leader pairs (default: ${DEFAULT-VALUE})")
    int runs;

    @Option(names = "--failovers", defaultValue = "3", description = "leader kills timed (default: ${DEFAULT-VALUE})")
    int failovers;

    @Option(names = "--lease", defaultValue = "300ms", description = "arbiter lease for the runs (default: ${DEFAULT-VALUE})")
    String lease;

    @Option(names = "--guest-dir", description = "Debian guest directory (vmlinuz, initrd.cpio.gz); default guests/cache/out if present")
    Path guestDir;

    @Option(names = "--no-linux", description = "skip the Linux figures")
    boolean noLinux;

    @Option(names = "--phase-seconds", defaultValue = "15", description = "length of the idle and workload phases (default: ${DEFAULT-VALUE})")
    double phaseSeconds;

    @Option(names = "--parts", defaultValue = "speed,failover,linux", split = ",",
            description = "which figures: speed, failover, linux (default: ${DEFAULT-VALUE})")
    java.util.Set<String> parts;

    @Option(names = "--json", paramLabel = "FILE", description = "also write the figures as JSON")
    Path json;

    @Option(names = "--work-dir", paramLabel = "DIR", description = "transcripts and logs of the runs (default: a new temporary directory)")
    Path workDir;

    @Override
    public Integer call() throws Exception {
        if (runs < 1 || failovers < 1) throw new IllegalArgumentException("--runs and --failovers must be >= 1");
        Path g = guestDir;
        if (g == null && !noLinux) {
            Path d = Path.of("guests", "cache", "out");
            if (Files.isRegularFile(d.resolve("vmlinuz")) && Files.isRegularFile(d.resolve("initrd.cpio.gz"))) g = d;
        }
        if (noLinux) g = null;
        Path wd = workDir != null ? workDir : Files.createTempDirectory("tandem-bench-replication");
        return new ReplicationBench(new ReplicationBench.Options(runs, failovers, lease, g == null ? null : g.toAbsolutePath(),
                phaseSeconds, json, wd.toAbsolutePath(), parts), System.out).run();
    }
}
