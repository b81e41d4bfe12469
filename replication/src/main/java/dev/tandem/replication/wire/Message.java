package dev.tandem.replication.wire;

import java.util.List;
import java.util.Map;

/**
 * The messages of the replication protocol (docs/replication-protocol.md). Each travels in one
 * frame ({@link FrameCodec}) that adds the protocol version, the sender's epoch, a per-connection
 * sequence number and a CRC32C. {@link Codec} turns them into bytes and back.
 */
public sealed interface Message {
    /** The wire type number. */
    int type();

    /** Machine configuration and guest identity, as both sides compare them at the handshake. */
    record MachineIdentity(int ramBytes, long ips, int postPort, int debugPort, int timing, Map<String, String> guest) {
        public MachineIdentity {
            guest = Map.copyOf(guest);
        }
    }

    /**
     * Follower to leader, first message. {@code identity} is null when the follower takes whatever
     * machine the leader runs. The position fields describe the stream the follower holds
     * ({@code streamEpoch} &lt; 0: none).
     */
    record Hello(int protocolVersion, String nodeId, String address, boolean wantsState, MachineIdentity identity,
            long streamEpoch, long receivedLsn, long appliedLsn, long appliedIcount, long stateHash) implements Message {
        public int type() {
            return 1;
        }
    }

    /** Where an epoch's records start in the stream. */
    record EpochStart(long epoch, long startLsn) {
    }

    /** The log header the leader's stream was started with. */
    record StreamHeader(MachineIdentity identity, long rtcEpochMillis, long checkpointInterval) {
    }

    /**
     * Leader to follower: accepted. {@code stateFollows}: a snapshot follows (STATE_CHUNK...,
     * STATE_END); otherwise the log continues at {@code resumeLsn} after the follower dropped every
     * record after {@code truncateAfterLsn} (-1: nothing to drop).
     */
    record Welcome(String leaderId, StreamHeader header, boolean stateFollows, long resumeLsn, long truncateAfterLsn,
            List<EpochStart> history, String arbiterSpec, long heartbeatMillis) implements Message {
        public Welcome {
            history = List.copyOf(history);
        }

        public int type() {
            return 2;
        }
    }

    /** Leader to follower: refused (config mismatch, not the leader, stale epoch); the connection closes. */
    record Refuse(String reason, String leaderHint) implements Message {
        public int type() {
            return 3;
        }
    }

    /** Part {@code index} of the snapshot. */
    record StateChunk(int index, byte[] data) implements Message {
        public int type() {
            return 4;
        }
    }

    /** Bytes a console channel produced, the tail kept for resending, with its offset. */
    record ChannelState(int channel, long produced, long tailOffset, byte[] tail) {
    }

    /**
     * The snapshot is complete: it holds the state after every record before {@code nextLsn},
     * at instruction count {@code icount} (ticks {@code ticks}), with state hash {@code stateHash};
     * plus the replicated state outside the machine (console channels, applied input sequence
     * numbers per client).
     */
    record StateEnd(long nextLsn, long lastEpoch, long icount, long ticks, long stateHash, int chunks, long totalBytes,
            int crc32c, long pauseNanos, List<ChannelState> channels, Map<Long, Long> appliedSeqs) implements Message {
        public StateEnd {
            channels = List.copyOf(channels);
            appliedSeqs = Map.copyOf(appliedSeqs);
        }

        public int type() {
            return 5;
        }
    }

    /**
     * A batch of log records (the log's own framed records, whatever their types), ending with a
     * MARK at ({@code markIcount}, {@code markTicks}); records are numbered from {@code firstLsn};
     * {@code batchEpoch} is the epoch of the leader that wrote them.
     */
    record Log(long firstLsn, int count, long batchEpoch, long markIcount, long markTicks, byte[] records) implements Message {
        public int type() {
            return 6;
        }
    }

    /** Follower to leader: received the log through {@code receivedLsn} (its mark at {@code receivedIcount}), applied through {@code appliedLsn}/{@code appliedIcount}. */
    record Ack(long receivedLsn, long receivedIcount, long appliedLsn, long appliedIcount) implements Message {
        public int type() {
            return 7;
        }
    }

    /** Either direction: still here. {@code icount}: the leader's instruction count (0 from followers). */
    record Heartbeat(long sentNanos, long icount, List<String> liveFollowers) implements Message {
        public Heartbeat {
            liveFollowers = List.copyOf(liveFollowers);
        }

        public int type() {
            return 8;
        }
    }

    /** Either direction: closing on purpose. */
    record Goodbye(int reason, String text) implements Message {
        public static final int SHUTDOWN = 0;
        public static final int DEPOSED = 1;
        public static final int DIVERGED = 2;
        public static final int ERROR = 3;
        public static final int END = 4;

        public int type() {
            return 9;
        }
    }
}
