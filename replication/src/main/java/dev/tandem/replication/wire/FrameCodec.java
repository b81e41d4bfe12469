package dev.tandem.replication.wire;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.handler.codec.MessageToByteEncoder;
import io.netty.handler.codec.MessageToMessageDecoder;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * The frame layer of the replication protocol:
 *
 * <pre>
 * u32 length of what follows
 * u8  protocol version (1)
 * u8  message type
 * u64 sender's epoch
 * u64 frame sequence number (0, 1, 2, ... per connection and direction)
 * ... message payload ({@link Codec})
 * u32 CRC32C of everything after the length field
 * </pre>
 *
 * A frame whose CRC, version, type, sequence number or payload is wrong raises a
 * {@link ProtocolException} naming it; the handlers then close the connection.
 */
public final class FrameCodec {
    private FrameCodec() {
    }

    public static final int VERSION = 1;
    /** Largest frame (length field value) accepted. */
    public static final int MAX_FRAME = 32 << 20;
    static final int HEADER = 1 + 1 + 8 + 8;

    /** Adds the frame handlers (decoder side first) to a pipeline. */
    public static void install(ChannelPipeline p) {
        p.addLast("frame-length", new Framer());
        p.addLast("frame-decoder", new Decoder());
        p.addLast("frame-encoder", new Encoder());
    }

    /** Splits the byte stream into frames; a stream that ends inside a frame is an error, not silence. */
    public static final class Framer extends LengthFieldBasedFrameDecoder {
        public Framer() {
            super(MAX_FRAME, 0, 4, 0, 4);
        }

        @Override
        protected void decodeLast(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws Exception {
            super.decodeLast(ctx, in, out);
            if (in.isReadable()) {
                int n = in.readableBytes();
                in.skipBytes(n);
                throw new ProtocolException("connection closed inside a frame (" + n + " bytes of an incomplete frame)");
            }
        }
    }

    /** Writes frames; assigns sequence numbers. */
    public static final class Encoder extends MessageToByteEncoder<Frame> {
        private long seq;
        private final CRC32C crc = new CRC32C();

        public Encoder() {
            super(Frame.class);
        }

        @Override
        protected void encode(ChannelHandlerContext ctx, Frame f, ByteBuf out) {
            int start = out.writerIndex();
            out.writeInt(0);
            out.writeByte(VERSION);
            out.writeByte(f.message().type());
            out.writeLong(f.epoch());
            out.writeLong(seq++);
            Codec.encode(f.message(), out);
            int len = out.writerIndex() - start - 4;
            crc.reset();
            crc.update(out.nioBuffer(start + 4, len));
            out.writeInt((int) crc.getValue());
            out.setInt(start, len + 4);
        }
    }

    /** Checks and parses frames (input: one frame without its length field). */
    public static final class Decoder extends MessageToMessageDecoder<ByteBuf> {
        private long expected;
        private final CRC32C crc = new CRC32C();

        @Override
        protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
            out.add(decodeFrame(in));
        }

        /** Parses one frame body (for tests and the decoder). */
        public Frame decodeFrame(ByteBuf in) {
            int len = in.readableBytes();
            String where = "frame #" + expected;
            if (len < HEADER + 4) throw new ProtocolException(where + " is truncated (" + len + " bytes)");
            int start = in.readerIndex();
            crc.reset();
            crc.update(in.nioBuffer(start, len - 4));
            int stored = in.getInt(start + len - 4);
            if ((int) crc.getValue() != stored) {
                throw new ProtocolException(where + " is corrupted: CRC32C " + String.format("%08x", (int) crc.getValue())
                        + ", expected " + String.format("%08x", stored));
            }
            int version = in.readUnsignedByte();
            if (version != VERSION) {
                throw new ProtocolException(where + ": unsupported protocol version " + version + " (this build speaks " + VERSION + ")");
            }
            int type = in.readUnsignedByte();
            long epoch = in.readLong();
            long seq = in.readLong();
            if (seq != expected) {
                throw new ProtocolException("frame out of order: expected #" + expected + ", got #" + seq + " ("
                        + Codec.name(type) + ")");
            }
            expected++;
            ByteBuf payload = in.readSlice(len - HEADER - 4);
            in.skipBytes(4);
            Message m = Codec.decode(type, payload, where + " (" + Codec.name(type) + ")");
            return new Frame(epoch, seq, m);
        }
    }
}
