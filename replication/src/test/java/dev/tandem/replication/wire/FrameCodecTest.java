package dev.tandem.replication.wire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Frames survive the round trip; damaged, truncated, reordered and wrong-version frames are rejected by name. */
class FrameCodecTest {
    static final MachineIdentity ID = new MachineIdentity(128 << 20, 100_000_000L, -1, 0xE9, 0,
            Map.of("kernel-sha256", "ab12", "append", "console=ttyS0"));

    static List<Message> samples() {
        return List.of(
                new Hello(1, "node-a", "127.0.0.1:5000", false, ID, 3, 41, 40, 123_456, 0x1234_5678_9ABC_DEF0L),
                new Hello(1, "node-b", "", true, null, -1, -1, -1, 0, 0),
                new Welcome("leader", new StreamHeader(ID, 1_700_000_000_000L, 10_000_000), true, 7, -1,
                        List.of(new EpochStart(1, 0), new EpochStart(3, 17)), "file:/tmp/x", 50),
                new Refuse("memory size differs: 64 MiB here, 128 MiB at the leader", "127.0.0.1:6000"),
                new StateChunk(2, new byte[] {1, 2, 3, 4, 5}),
                new StateEnd(99, 3, 5_000_000, 5_000_100, -5, 4, 1234, 0xCAFEBABE, 77_000_000,
                        List.of(new ChannelState(0, 1000, 500, new byte[500])), Map.of(42L, 17L, 7L, 3L)),
                new Log(100, 3, 3, 7_000_000, 7_000_050, new byte[] {9, 8, 7}),
                new Ack(102, 7_000_000, 99, 6_500_000),
                new Heartbeat(System.nanoTime(), 8_000_000, List.of("f1", "f2")),
                new Goodbye(Goodbye.DIVERGED, "state hash mismatch at record #12"));
    }

    /** Encodes frames to bytes (one buffer). */
    static ByteBuf encode(long epoch, List<Message> ms) {
        EmbeddedChannel ch = new EmbeddedChannel(new FrameCodec.Encoder());
        for (Message m : ms) ch.writeOutbound(Frame.of(epoch, m));
        ByteBuf all = Unpooled.buffer();
        for (ByteBuf b; (b = ch.readOutbound()) != null; ) {
            all.writeBytes(b);
            b.release();
        }
        return all;
    }

    static EmbeddedChannel decoder() {
        EmbeddedChannel ch = new EmbeddedChannel();
        FrameCodec.install(ch.pipeline());
        return ch;
    }

    @Test
    void everyMessageSurvivesTheRoundTrip() {
        List<Message> ms = samples();
        ByteBuf bytes = encode(5, ms);
        EmbeddedChannel ch = decoder();
        // feed in small pieces: framing must not depend on how TCP splits the stream
        while (bytes.isReadable()) ch.writeInbound(bytes.readRetainedSlice(Math.min(7, bytes.readableBytes())));
        List<Frame> got = new ArrayList<>();
        for (Frame f; (f = ch.readInbound()) != null; ) got.add(f);
        assertEquals(ms.size(), got.size());
        for (int i = 0; i < ms.size(); i++) {
            assertEquals(5, got.get(i).epoch());
            assertEquals(i, got.get(i).seq());
            Message a = ms.get(i), b = got.get(i).message();
            assertEquals(a.type(), b.type());
            switch (a) {
                case StateChunk c -> assertArrayEquals(c.data(), ((StateChunk) b).data());
                case Log l -> {
                    assertArrayEquals(l.records(), ((Log) b).records());
                    assertEquals(l.firstLsn(), ((Log) b).firstLsn());
                    assertEquals(l.markTicks(), ((Log) b).markTicks());
                }
                case StateEnd s -> {
                    StateEnd t = (StateEnd) b;
                    assertEquals(s.appliedSeqs(), t.appliedSeqs());
                    assertEquals(s.crc32c(), t.crc32c());
                    assertArrayEquals(s.channels().get(0).tail(), t.channels().get(0).tail());
                }
                default -> assertEquals(a, b);
            }
        }
    }

    private static String rejection(ByteBuf bytes) {
        EmbeddedChannel ch = decoder();
        DecoderException e = assertThrows(DecoderException.class, () -> {
            ch.writeInbound(bytes);
            ch.finish();
        });
        Throwable c = e.getCause() != null ? e.getCause() : e;
        assertTrue(c instanceof ProtocolException, "expected a ProtocolException, got " + c);
        return c.getMessage();
    }

    @Test
    void aCorruptedByteFailsTheCrc() {
        ByteBuf b = encode(1, List.of(new Ack(1, 2, 3, 4)));
        b.setByte(20, b.getByte(20) ^ 0x10);
        assertTrue(rejection(b).contains("frame #0 is corrupted: CRC32C"), "message names the frame");
    }

    @Test
    void aWrongVersionIsRefusedByName() {
        ByteBuf b = encode(1, List.of(new Ack(1, 2, 3, 4)));
        b.setByte(4, 2); // version byte
        fixCrc(b, 0);
        assertTrue(rejection(b).contains("unsupported protocol version 2"));
    }

    @Test
    void anUnknownTypeIsRefused() {
        ByteBuf b = encode(1, List.of(new Ack(1, 2, 3, 4)));
        b.setByte(5, 77);
        fixCrc(b, 0);
        assertTrue(rejection(b).contains("unknown message type 77"));
    }

    @Test
    void reorderedAndDuplicatedFramesAreOutOfOrder() {
        ByteBuf a = encode(1, List.of(new Ack(1, 2, 3, 4), new Ack(5, 6, 7, 8)));
        int first = a.getInt(0) + 4;
        ByteBuf swapped = Unpooled.buffer();
        swapped.writeBytes(a, first, a.readableBytes() - first);
        swapped.writeBytes(a, 0, first);
        assertTrue(rejection(swapped).contains("frame out of order: expected #0, got #1"));
        ByteBuf dup = Unpooled.buffer();
        dup.writeBytes(a, 0, first);
        dup.writeBytes(a, 0, first);
        assertTrue(rejection(dup).contains("expected #1, got #0"));
    }

    @Test
    void truncatedFramesAreReported() {
        ByteBuf b = encode(1, List.of(new Log(1, 1, 1, 2, 3, new byte[100])));
        // the stream ends inside the frame
        ByteBuf cut = b.copy(0, b.readableBytes() - 10);
        assertTrue(rejection(cut).contains("connection closed inside a frame"));
        // a frame whose length field is consistent but whose message is short
        ByteBuf shortMsg = encode(1, List.of(new Ack(1, 2, 3, 4)));
        ByteBuf s = Unpooled.buffer();
        int len = shortMsg.getInt(0);
        s.writeInt(len - 8);
        s.writeBytes(shortMsg, 4, len - 8 - 4);
        s.writeInt(0);
        fixCrc(s, 0);
        String why = rejection(s);
        assertTrue(why.contains("ACK message is truncated"), why);
        // an impossible length
        ByteBuf huge = Unpooled.buffer();
        huge.writeInt(FrameCodec.MAX_FRAME + 1);
        huge.writeZero(64);
        EmbeddedChannel ch = decoder();
        assertThrows(Exception.class, () -> ch.writeInbound(huge));
    }

    /** Recomputes the CRC of the frame at {@code off} after a test edited it. */
    static void fixCrc(ByteBuf b, int off) {
        int len = b.getInt(off);
        java.util.zip.CRC32C c = new java.util.zip.CRC32C();
        c.update(b.nioBuffer(off + 4, len - 4));
        b.setInt(off + len, (int) c.getValue());
    }
}
