package dev.tandem.cli;

import dev.tandem.core.machine.Machine;
import dev.tandem.core.machine.MachineConfig;
import dev.tandem.core.machine.TimingMode;
import dev.tandem.core.replay.GuestSpec;
import dev.tandem.core.snapshot.Snapshot;
import dev.tandem.replication.ArbiterSpecs;
import dev.tandem.replication.GuestIdentity;
import dev.tandem.replication.Replica;
import dev.tandem.replication.ReplicaOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code leader}: runs a guest as the leader of a replicated stream. */
@Command(name = "leader", mixinStandardHelpOptions = true,
        description = {"Runs a guest as the leader of a replicated stream: every input is sent with its instruction count "
                + "to the followers ('tandem follower --connect'), console output leaves only after every live follower "
                + "has the log up to where it was written, and a follower takes over if this process dies.",
                "Console: 'tandem console HOST:PORT[,HOST:PORT...]' (exactly once across failover) or plain nc. "
                        + "Exit codes: 0 guest ended or shut down (leadership handed over), 1 failure, 3 deposed."})
final class LeaderCommand implements Callable<Integer> {
    @Mixin
    GuestOptions guest;

    @Mixin
    ReplicaCliOptions replica;

    @Option(names = "--restore", paramLabel = "FILE", description = "start from this snapshot instead of booting a guest")
    Path restore;

    @Option(names = "--timing", defaultValue = "virtual", description = "virtual (default) or host (guest time follows the host clock)")
    String timing;

    @Option(names = "--max-instructions", paramLabel = "N",
            description = "end the stream at this instruction count (the followers end with the same state)")
    Long maxInstructions;

    @Override
    public Integer call() throws Exception {
        if (restore != null && !guest.noGuestChosen()) {
            throw new IllegalArgumentException("--restore cannot be combined with --guest, --rom, --kernel or --initrd");
        }
        TimingMode mode = RecordCommand.parseTiming(timing);
        MachineConfig cfg = guest.config();
        Map<String, String> spec = guest.spec();
        Map<String, String> identity = restore != null ? GuestIdentity.ofSnapshot(restore) : GuestIdentity.of(spec);
        ReplicaOptions opt = replica.build(cfg.instructionsPerSecond());
        Replica r = Replica.leader(opt, replica.arbiter, ArbiterSpecs::open, in -> {
            try {
                if (restore != null) {
                    Machine m = Snapshot.read(restore);
                    m.setHostInputs(in);
                    return m;
                }
                Machine m = new Machine(cfg, in);
                m.setTimingMode(mode);
                GuestSpec.load(m, spec);
                return m;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }, identity);
        if (maxInstructions != null) r.setInstructionLimit(maxInstructions);
        replica.configureStats(r);
        System.err.printf("[tandem] leader %s: epoch %d, replication %s, console %s%n", opt.nodeId(), r.leaderEpoch(),
                hostPort(r.replicationAddress()), r.consoleAddress() == null ? "none" : hostPort(r.consoleAddress()));
        if (replica.advertise != null) System.err.println("[tandem] advertised replication address " + replica.advertise);
        return ReplicaCliOptions.runToEnd(r);
    }

    private static String hostPort(java.net.InetSocketAddress a) {
        return a.getHostString() + ":" + a.getPort();
    }
}
