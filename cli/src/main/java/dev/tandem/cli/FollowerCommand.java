package dev.tandem.cli;

import dev.tandem.core.machine.MachineConfig;
import dev.tandem.core.snapshot.Snapshot;
import dev.tandem.replication.ArbiterSpecs;
import dev.tandem.replication.GuestIdentity;
import dev.tandem.replication.Replica;
import dev.tandem.replication.ReplicaOptions;
import dev.tandem.replication.wire.Message.MachineIdentity;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code follower}: replays a leader's stream in lock-step, ready to take over. */
@Command(name = "follower", mixinStandardHelpOptions = true,
        description = {"Joins the leader at --connect (state transfer, then the log), replays its stream in lock-step and "
                + "checks every state-hash checkpoint; if the leader is lost it contests the arbiter and may become the "
                + "leader of a new epoch.",
                "Guest options (--kernel, --guest, --rom, --restore with -m, --ips ...) are optional: when given, the leader "
                        + "must run exactly that machine (files compared by SHA-256) or the follower is refused. "
                        + "Exit codes: 0 the stream ended, 1 divergence or failure, 2 refused, 3 deposed after leading."})
final class FollowerCommand implements Callable<Integer> {
    @Mixin
    GuestOptions guest;

    @Mixin
    ReplicaCliOptions replica;

    @Option(names = "--connect", required = true, paramLabel = "HOST:PORT", description = "the leader's replication address")
    String connect;

    @Option(names = "--restore", paramLabel = "FILE", description = "the leader was started from this snapshot (checked)")
    Path restore;

    @Option(names = "--timing", description = "virtual or host: checked against the leader when a guest is given")
    String timing;

    @Option(names = "--max-instructions", paramLabel = "N",
            description = "if this replica comes to lead, it ends the stream at this instruction count (as the leader's option)")
    Long maxInstructions;

    @Override
    public Integer call() throws Exception {
        ReplicaCliOptions.hostPort(connect, "--connect");
        MachineIdentity wanted = null;
        MachineConfig cfg = guest.config();
        if (restore != null) {
            if (!guest.noGuestChosen()) throw new IllegalArgumentException("--restore cannot be combined with guest options");
            var m = Snapshot.read(restore);
            var c = m.config();
            wanted = new MachineIdentity(c.ramBytes(), c.instructionsPerSecond(), c.postPort(), c.debugPort(),
                    m.timingMode().ordinal(), GuestIdentity.ofSnapshot(restore));
        } else if (!guest.noGuestChosen()) {
            int t = RecordCommand.parseTiming(timing == null ? "virtual" : timing).ordinal();
            wanted = new MachineIdentity(cfg.ramBytes(), cfg.instructionsPerSecond(), cfg.postPort(), cfg.debugPort(), t,
                    GuestIdentity.of(guest.spec()));
        }
        ReplicaOptions opt = replica.build(cfg.instructionsPerSecond());
        Replica r = Replica.follower(opt, connect, wanted, replica.arbiter, ArbiterSpecs::open);
        if (maxInstructions != null) r.setInstructionLimit(maxInstructions);
        replica.configureStats(r);
        System.err.printf("[tandem] follower %s: replication %s, console %s, following %s%n", opt.nodeId(), r.address(),
                r.consoleAddress() == null ? "none" : hostPort(r.consoleAddress()), connect);
        if (replica.advertise != null) System.err.println("[tandem] advertised replication address " + replica.advertise);
        return ReplicaCliOptions.runToEnd(r);
    }

    private static String hostPort(java.net.InetSocketAddress a) {
        return a.getHostString() + ":" + a.getPort();
    }
}
