package dev.tandem.cli;

import dev.tandem.replication.Replica;
import dev.tandem.replication.ReplicaOptions;
import java.net.InetAddress;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Options shared by {@code leader} and {@code follower} (a follower may become the leader). */
final class ReplicaCliOptions {
    @Option(names = "--listen", defaultValue = "127.0.0.1:0", paramLabel = "HOST:PORT",
            description = "replication address: followers connect here (a follower binds it too, for when it leads). "
                    + "Port 0: any free port (printed). Default: ${DEFAULT-VALUE}")
    String listen;

    @Option(names = "--advertise", paramLabel = "HOST:PORT",
            description = "replication address to publish to the arbiter and peers, if not the bound one (e.g. behind a proxy)")
    String advertise;

    @Option(names = "--console", defaultValue = "tcp:127.0.0.1:0", paramLabel = "tcp:[HOST:]PORT|none",
            description = "console service: resumable clients ('tandem console') and plain ones (nc). Default: ${DEFAULT-VALUE}")
    String console;

    @Option(names = "--arbiter", paramLabel = "SPEC",
            description = "who leads: file:DIR[?lease=300ms] (one host or a shared filesystem) or zk:HOST:PORT[,...]/PATH. "
                    + "Default for a leader: file:<tmp>/tandem-arbiter/<listen host>-<port>; a follower uses the leader's")
    String arbiter;

    @Option(names = "--node-id", paramLabel = "ID", description = "this replica's name (default: HOST-PID)")
    String nodeId;

    @Option(names = "--max-lag", defaultValue = "5000000", paramLabel = "N|Nms",
            description = "the leader waits while a follower has applied more than this many instructions (or guest ms) "
                    + "behind it. Default: ${DEFAULT-VALUE}")
    String maxLag;

    @Option(names = "--mark-every", defaultValue = "250000", paramLabel = "N",
            description = "instructions between progress marks (followers run up to the last mark). Default: ${DEFAULT-VALUE}")
    long markEvery;

    @Option(names = "--heartbeat-every", defaultValue = "100ms", paramLabel = "DURATION", description = "Default: ${DEFAULT-VALUE}")
    String heartbeatEvery;

    @Option(names = "--heartbeat-timeout", defaultValue = "500ms", paramLabel = "DURATION",
            description = "silence after which the peer counts as gone (a closed connection counts at once). Default: ${DEFAULT-VALUE}")
    String heartbeatTimeout;

    @Option(names = "--renew-every", paramLabel = "DURATION", description = "lease renewal period (default: 50ms)")
    String renewEvery;

    @Option(names = "--checkpoint-every", defaultValue = "10000000", paramLabel = "N",
            description = "instructions between state-hash checkpoints in the stream (incremental hash). Default: ${DEFAULT-VALUE}")
    long checkpointEvery;

    @Option(names = "--console-history", defaultValue = "8M", paramLabel = "SIZE",
            description = "console output kept for reconnecting clients. Default: ${DEFAULT-VALUE}")
    String consoleHistory;

    @Option(names = "--retain-log", defaultValue = "64M", paramLabel = "SIZE",
            description = "log kept for reconnecting followers (beyond it they get a state transfer). Default: ${DEFAULT-VALUE}")
    String retainLog;

    @Option(names = "--transcript", paramLabel = "FILE",
            description = "JSON-lines transcript: role changes, acks, released output ranges, checkpoints (appended)")
    Path transcript;

    @Option(names = "--stats-json", paramLabel = "FILE|-", description = "a JSON object of live figures per --stats-every")
    String statsJson;

    @Option(names = "--stats-every", defaultValue = "1s", paramLabel = "DURATION", description = "Default: ${DEFAULT-VALUE}")
    String statsEvery;

    @Option(names = "--status", defaultValue = "auto", paramLabel = "auto|on|off",
            description = "one-line live status on stderr (auto: when it is a terminal). Default: ${DEFAULT-VALUE}")
    String status;

    static long millis(String s) {
        String t = s.trim().toLowerCase();
        try {
            if (t.endsWith("ms")) return Long.parseLong(t.substring(0, t.length() - 2));
            if (t.endsWith("s")) return (long) (Double.parseDouble(t.substring(0, t.length() - 1)) * 1000);
            return Long.parseLong(t);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not a duration: '" + s + "' (examples: 100ms, 2s)");
        }
    }

    static String[] hostPort(String s, String what) {
        int c = s.lastIndexOf(':');
        if (c <= 0) throw new IllegalArgumentException(what + " must be HOST:PORT, not '" + s + "'");
        try {
            int p = Integer.parseInt(s.substring(c + 1));
            if (p < 0 || p > 65535) throw new NumberFormatException();
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(what + ": bad port in '" + s + "'");
        }
        return new String[] {s.substring(0, c), s.substring(c + 1)};
    }

    ReplicaOptions build(long ips) throws Exception {
        String id = nodeId != null ? nodeId : InetAddress.getLocalHost().getHostName() + "-" + ProcessHandle.current().pid();
        String[] l = hostPort(listen, "--listen");
        ReplicaOptions o = ReplicaOptions.defaults(id).withListen(l[0], Integer.parseInt(l[1]));
        if (console.equals("none")) {
            o = o.withConsole("127.0.0.1", -1);
        } else if (console.startsWith("tcp:")) {
            String rest = console.substring(4);
            if (rest.contains(":")) {
                String[] c = hostPort(rest, "--console");
                o = o.withConsole(c[0], Integer.parseInt(c[1]));
            } else {
                o = o.withConsole("127.0.0.1", Integer.parseInt(rest));
            }
        } else {
            throw new IllegalArgumentException("--console must be tcp:[HOST:]PORT or none");
        }
        long lag = maxLag.endsWith("ms") ? millis(maxLag) * ips / 1000 : Long.parseLong(maxLag.replace("_", ""));
        if (lag < 0 || markEvery < 1000) throw new IllegalArgumentException("--max-lag must be >= 0 and --mark-every >= 1000");
        o = o.withTiming(lag, markEvery, millis(heartbeatEvery), millis(heartbeatTimeout), renewEvery == null ? 0 : millis(renewEvery));
        if (o.heartbeatTimeoutMillis() <= o.heartbeatMillis()) {
            throw new IllegalArgumentException("--heartbeat-timeout must be longer than --heartbeat-every");
        }
        o = o.withCheckpointInterval(checkpointEvery).withTranscript(transcript)
                .withBuffers((int) Math.min(1 << 30, Sizes.parse(consoleHistory)), Sizes.parse(retainLog));
        if (advertise != null) {
            hostPort(advertise, "--advertise");
            o = o.withAdvertise(advertise);
        }
        return o;
    }

    void configureStats(Replica r) throws Exception {
        if (!status.equals("auto") && !status.equals("on") && !status.equals("off")) {
            throw new IllegalArgumentException("--status must be auto, on or off");
        }
        r.stats().configure(statsJson, status, millis(statsEvery));
    }

    /** Runs the replica on this thread; SIGTERM/Ctrl-C shuts it down cleanly. */
    static int runToEnd(Replica r) {
        Thread main = Thread.currentThread();
        Thread hook = new Thread(() -> {
            r.shutdown();
            try {
                main.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "tandem-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        int code;
        try {
            code = r.run();
        } finally {
            r.close();
        }
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // shutting down already
        }
        return code;
    }
}
