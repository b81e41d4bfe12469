package dev.tandem.replication;

import java.nio.file.Path;

/**
 * Settings of a replica (leader or follower; a follower can become leader, so both take all).
 *
 * @param nodeId               this process's name in transcripts and at the arbiter
 * @param listenHost           replication server address (followers connect here; a follower binds it too, for when it leads)
 * @param listenPort           0: ephemeral
 * @param consoleHost          console service address
 * @param consolePort          -1: no console service
 * @param maxLagInstructions   the leader waits at a boundary while a live follower has applied less than this far behind
 * @param markEveryTicks       the leader ships a MARK at least every this many instructions, and on every boundary with output or input
 * @param heartbeatMillis      heartbeat period (both directions)
 * @param heartbeatTimeoutMillis silence after which the peer counts as lost
 * @param renewMillis          lease renewal period of a leader (0: what the arbiter asks for)
 * @param checkpointInterval   instructions between state-hash checkpoints in the stream
 * @param consoleHistoryBytes  console output kept for reconnecting clients
 * @param retentionBytes       log batches kept for reconnecting followers
 * @param transcript           JSON-lines transcript file, or null
 * @param advertise            replication address published to the arbiter and peers (default: the bound one)
 */
public record ReplicaOptions(String nodeId, String listenHost, int listenPort, String consoleHost, int consolePort,
        long maxLagInstructions, long markEveryTicks, long heartbeatMillis, long heartbeatTimeoutMillis, long renewMillis,
        long checkpointInterval, int consoleHistoryBytes, long retentionBytes, Path transcript, String advertise) {

    public static ReplicaOptions defaults(String nodeId) {
        return new ReplicaOptions(nodeId, "127.0.0.1", 0, "127.0.0.1", -1, 5_000_000L, 250_000L, 100, 500, 0,
                10_000_000L, 8 << 20, 64L << 20, null, null);
    }

    public ReplicaOptions withListen(String host, int port) {
        return new ReplicaOptions(nodeId, host, port, consoleHost, consolePort, maxLagInstructions, markEveryTicks, heartbeatMillis,
                heartbeatTimeoutMillis, renewMillis, checkpointInterval, consoleHistoryBytes, retentionBytes, transcript, advertise);
    }

    public ReplicaOptions withConsole(String host, int port) {
        return new ReplicaOptions(nodeId, listenHost, listenPort, host, port, maxLagInstructions, markEveryTicks, heartbeatMillis,
                heartbeatTimeoutMillis, renewMillis, checkpointInterval, consoleHistoryBytes, retentionBytes, transcript, advertise);
    }

    public ReplicaOptions withTiming(long maxLag, long markEvery, long hb, long hbTimeout, long renew) {
        return new ReplicaOptions(nodeId, listenHost, listenPort, consoleHost, consolePort, maxLag, markEvery, hb, hbTimeout, renew,
                checkpointInterval, consoleHistoryBytes, retentionBytes, transcript, advertise);
    }

    public ReplicaOptions withCheckpointInterval(long n) {
        return new ReplicaOptions(nodeId, listenHost, listenPort, consoleHost, consolePort, maxLagInstructions, markEveryTicks,
                heartbeatMillis, heartbeatTimeoutMillis, renewMillis, n, consoleHistoryBytes, retentionBytes, transcript, advertise);
    }

    public ReplicaOptions withTranscript(Path p) {
        return new ReplicaOptions(nodeId, listenHost, listenPort, consoleHost, consolePort, maxLagInstructions, markEveryTicks,
                heartbeatMillis, heartbeatTimeoutMillis, renewMillis, checkpointInterval, consoleHistoryBytes, retentionBytes, p, advertise);
    }

    public ReplicaOptions withAdvertise(String a) {
        return new ReplicaOptions(nodeId, listenHost, listenPort, consoleHost, consolePort, maxLagInstructions, markEveryTicks,
                heartbeatMillis, heartbeatTimeoutMillis, renewMillis, checkpointInterval, consoleHistoryBytes, retentionBytes, transcript, a);
    }

    public ReplicaOptions withBuffers(int consoleHistory, long retention) {
        return new ReplicaOptions(nodeId, listenHost, listenPort, consoleHost, consolePort, maxLagInstructions, markEveryTicks,
                heartbeatMillis, heartbeatTimeoutMillis, renewMillis, checkpointInterval, consoleHistory, retention, transcript, advertise);
    }
}
