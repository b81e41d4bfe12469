package dev.tandem.replication.wire;

import dev.tandem.replication.wire.Message.Ack;
import dev.tandem.replication.wire.Message.ChannelState;
import dev.tandem.replication.wire.Message.EpochStart;
import dev.tandem.replication.wire.Message.Goodbye;
import dev.tandem.replication.wire.Message.Heartbeat;
import dev.tandem.replication.wire.Message.Hello;
import dev.tandem.replication.wire.Message.Log;
import dev.tandem.replication.wire.Message.MachineIdentity;
import dev.tandem.replication.wire.Message.Refuse;
import dev.tandem.replication.wire.Message.StateChunk;
import dev.tandem.replication.wire.Message.StateEnd;
import dev.tandem.replication.wire.Message.StreamHeader;
import dev.tandem.replication.wire.Message.Welcome;
import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Message payloads to bytes and back (big-endian; strings as u16 length + UTF-8). */
public final class Codec {
    private Codec() {
    }

    static final int MAX_STRING = 65535;
    static final int MAX_LIST = 100_000;

    public static void encode(Message m, ByteBuf b) {
        switch (m) {
            case Hello h -> {
                b.writeInt(h.protocolVersion());
                str(b, h.nodeId());
                str(b, h.address());
                b.writeBoolean(h.wantsState());
                b.writeBoolean(h.identity() != null);
                if (h.identity() != null) identity(b, h.identity());
                b.writeLong(h.streamEpoch());
                b.writeLong(h.receivedLsn());
                b.writeLong(h.appliedLsn());
                b.writeLong(h.appliedIcount());
                b.writeLong(h.stateHash());
            }
            case Welcome w -> {
                str(b, w.leaderId());
                identity(b, w.header().identity());
                b.writeLong(w.header().rtcEpochMillis());
                b.writeLong(w.header().checkpointInterval());
                b.writeBoolean(w.stateFollows());
                b.writeLong(w.resumeLsn());
                b.writeLong(w.truncateAfterLsn());
                b.writeInt(w.history().size());
                for (EpochStart e : w.history()) {
                    b.writeLong(e.epoch());
                    b.writeLong(e.startLsn());
                }
                str(b, w.arbiterSpec());
                b.writeLong(w.heartbeatMillis());
            }
            case Refuse r -> {
                str(b, r.reason());
                str(b, r.leaderHint());
            }
            case StateChunk c -> {
                b.writeInt(c.index());
                b.writeInt(c.data().length);
                b.writeBytes(c.data());
            }
            case StateEnd s -> {
                b.writeLong(s.nextLsn());
                b.writeLong(s.lastEpoch());
                b.writeLong(s.icount());
                b.writeLong(s.ticks());
                b.writeLong(s.stateHash());
                b.writeInt(s.chunks());
                b.writeLong(s.totalBytes());
                b.writeInt(s.crc32c());
                b.writeLong(s.pauseNanos());
                b.writeInt(s.channels().size());
                for (ChannelState c : s.channels()) {
                    b.writeByte(c.channel());
                    b.writeLong(c.produced());
                    b.writeLong(c.tailOffset());
                    b.writeInt(c.tail().length);
                    b.writeBytes(c.tail());
                }
                Map<Long, Long> seqs = new TreeMap<>(s.appliedSeqs());
                b.writeInt(seqs.size());
                for (Map.Entry<Long, Long> e : seqs.entrySet()) {
                    b.writeLong(e.getKey());
                    b.writeLong(e.getValue());
                }
            }
            case Log l -> {
                b.writeLong(l.firstLsn());
                b.writeInt(l.count());
                b.writeLong(l.batchEpoch());
                b.writeLong(l.markIcount());
                b.writeLong(l.markTicks());
                b.writeInt(l.records().length);
                b.writeBytes(l.records());
            }
            case Ack a -> {
                b.writeLong(a.receivedLsn());
                b.writeLong(a.receivedIcount());
                b.writeLong(a.appliedLsn());
                b.writeLong(a.appliedIcount());
            }
            case Heartbeat h -> {
                b.writeLong(h.sentNanos());
                b.writeLong(h.icount());
                b.writeShort(h.liveFollowers().size());
                for (String s : h.liveFollowers()) str(b, s);
            }
            case Goodbye g -> {
                b.writeByte(g.reason());
                str(b, g.text());
            }
        }
    }

    /** Decodes a payload of the given type; throws {@link ProtocolException} for unknown types and damaged contents. */
    public static Message decode(int type, ByteBuf b, String where) {
        try {
            Message m = switch (type) {
                case 1 -> new Hello(b.readInt(), str(b), str(b), b.readBoolean(), b.readBoolean() ? identity(b) : null,
                        b.readLong(), b.readLong(), b.readLong(), b.readLong(), b.readLong());
                case 2 -> {
                    String leader = str(b);
                    StreamHeader h = new StreamHeader(identity(b), b.readLong(), b.readLong());
                    boolean state = b.readBoolean();
                    long resume = b.readLong();
                    long trunc = b.readLong();
                    int n = count(b, MAX_LIST);
                    List<EpochStart> hist = new ArrayList<>(n);
                    for (int i = 0; i < n; i++) hist.add(new EpochStart(b.readLong(), b.readLong()));
                    yield new Welcome(leader, h, state, resume, trunc, hist, str(b), b.readLong());
                }
                case 3 -> new Refuse(str(b), str(b));
                case 4 -> new StateChunk(b.readInt(), bytes(b));
                case 5 -> {
                    long next = b.readLong(), lastEpoch = b.readLong(), icount = b.readLong(), ticks = b.readLong();
                    long hash = b.readLong();
                    int chunks = b.readInt();
                    long total = b.readLong();
                    int crc = b.readInt();
                    long pause = b.readLong();
                    int nc = count(b, 256);
                    List<ChannelState> ch = new ArrayList<>(nc);
                    for (int i = 0; i < nc; i++) ch.add(new ChannelState(b.readUnsignedByte(), b.readLong(), b.readLong(), bytes(b)));
                    int ns = count(b, MAX_LIST);
                    Map<Long, Long> seqs = new LinkedHashMap<>();
                    for (int i = 0; i < ns; i++) seqs.put(b.readLong(), b.readLong());
                    yield new StateEnd(next, lastEpoch, icount, ticks, hash, chunks, total, crc, pause, ch, seqs);
                }
                case 6 -> new Log(b.readLong(), b.readInt(), b.readLong(), b.readLong(), b.readLong(), bytes(b));
                case 7 -> new Ack(b.readLong(), b.readLong(), b.readLong(), b.readLong());
                case 8 -> {
                    long ns = b.readLong(), ic = b.readLong();
                    int n = b.readUnsignedShort();
                    List<String> live = new ArrayList<>(n);
                    for (int i = 0; i < n; i++) live.add(str(b));
                    yield new Heartbeat(ns, ic, live);
                }
                case 9 -> new Goodbye(b.readUnsignedByte(), str(b));
                default -> throw new ProtocolException(where + ": unknown message type " + type);
            };
            if (b.isReadable()) {
                throw new ProtocolException(where + ": " + b.readableBytes() + " unexpected bytes after the " + name(type) + " message");
            }
            return m;
        } catch (IndexOutOfBoundsException e) {
            throw new ProtocolException(where + ": " + name(type) + " message is truncated");
        } catch (IllegalArgumentException e) {
            throw new ProtocolException(where + ": bad " + name(type) + " message: " + e.getMessage());
        }
    }

    public static String name(int type) {
        return switch (type) {
            case 1 -> "HELLO";
            case 2 -> "WELCOME";
            case 3 -> "REFUSE";
            case 4 -> "STATE_CHUNK";
            case 5 -> "STATE_END";
            case 6 -> "LOG";
            case 7 -> "ACK";
            case 8 -> "HEARTBEAT";
            case 9 -> "GOODBYE";
            default -> "type " + type;
        };
    }

    private static void identity(ByteBuf b, MachineIdentity id) {
        b.writeInt(id.ramBytes());
        b.writeLong(id.ips());
        b.writeInt(id.postPort());
        b.writeInt(id.debugPort());
        b.writeByte(id.timing());
        Map<String, String> g = new TreeMap<>(id.guest());
        b.writeShort(g.size());
        for (Map.Entry<String, String> e : g.entrySet()) {
            str(b, e.getKey());
            str(b, e.getValue());
        }
    }

    private static MachineIdentity identity(ByteBuf b) {
        int ram = b.readInt();
        long ips = b.readLong();
        int post = b.readInt(), debug = b.readInt();
        int timing = b.readUnsignedByte();
        int n = b.readUnsignedShort();
        Map<String, String> g = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) g.put(str(b), str(b));
        return new MachineIdentity(ram, ips, post, debug, timing, g);
    }

    static void str(ByteBuf b, String s) {
        byte[] u = (s == null ? "" : s).getBytes(StandardCharsets.UTF_8);
        if (u.length > MAX_STRING) throw new IllegalArgumentException("string too long: " + u.length + " bytes");
        b.writeShort(u.length);
        b.writeBytes(u);
    }

    static String str(ByteBuf b) {
        int n = b.readUnsignedShort();
        if (n > b.readableBytes()) throw new IndexOutOfBoundsException();
        String s = b.toString(b.readerIndex(), n, StandardCharsets.UTF_8);
        b.skipBytes(n);
        return s;
    }

    private static byte[] bytes(ByteBuf b) {
        int n = b.readInt();
        if (n < 0 || n > b.readableBytes()) throw new IndexOutOfBoundsException();
        byte[] out = new byte[n];
        b.readBytes(out);
        return out;
    }

    private static int count(ByteBuf b, int max) {
        int n = b.readInt();
        if (n < 0 || n > max) throw new IllegalArgumentException("count " + n + " out of range");
        return n;
    }
}
