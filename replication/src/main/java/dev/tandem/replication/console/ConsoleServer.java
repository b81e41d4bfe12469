package dev.tandem.replication.console;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The console service of a replica: resumable clients (magic {@code TNDMCON1}) and plain ones
 * (anything else, e.g. nc) on one port. Only the leader serves; other replicas answer "not the
 * leader". Output leaves only as far as {@link ConsoleOutput#released()}.
 */
public final class ConsoleServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ConsoleServer.class);

    /** What the server needs to know about its replica. */
    public interface Replica {
        /** True while this replica leads and may release output. */
        boolean serving();

        long epoch();

        /** The leader's console address if known, or "". */
        String leaderHint();

        /** A client saw a higher epoch than ours: we are stale. */
        void higherEpochSeen(long epoch, String from);

        /** Console addresses of the other replicas (followers), for clients to try when this one is gone. */
        default java.util.List<String> peers() {
            return java.util.List.of();
        }
    }

    private final ConsoleOutput output;
    private final ConsoleInput input;
    private final Replica replica;
    private final Set<Session> sessions = ConcurrentHashMap.newKeySet();
    private Channel server;
    private volatile long sniffMillis = 200;

    public ConsoleServer(ConsoleOutput output, ConsoleInput input, Replica replica) {
        this.output = output;
        this.input = input;
        this.replica = replica;
        output.setOnRelease(this::pumpAll);
        input.setOnAck(this::acked);
    }

    public InetSocketAddress bind(EventLoopGroup group, String host, int port) throws InterruptedException {
        server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast("sniff", new Sniffer());
                    }
                }).bind(host, port).sync().channel();
        group.scheduleAtFixedRate(() -> {
            for (Session s : sessions) s.channel.eventLoop().execute(s::heartbeat);
        }, ConsoleProtocol.HEARTBEAT_MILLIS, ConsoleProtocol.HEARTBEAT_MILLIS, java.util.concurrent.TimeUnit.MILLISECONDS);
        return (InetSocketAddress) server.localAddress();
    }

    /** Output was released, or this replica started serving: push to every client. */
    public void pumpAll() {
        for (Session s : sessions) s.channel.eventLoop().execute(s::pump);
    }

    /** The set of replicas changed: tell every resumable client. */
    public void peersChanged() {
        for (Session s : sessions) s.channel.eventLoop().execute(s::sendPeers);
    }

    private void acked(long client, long seq) {
        for (Session s : sessions) {
            if (s.clientId == client) s.channel.eventLoop().execute(() -> s.sendAck(seq));
        }
    }

    public int clients() {
        return sessions.size();
    }

    @Override
    public void close() {
        for (Session s : sessions) s.channel.close();
        if (server != null) server.close().syncUninterruptibly();
    }

    /** Looks at the first bytes: the magic makes a resumable session, anything else (or silence) a plain one. */
    private final class Sniffer extends ByteToMessageDecoder {
        private boolean decided;

        @Override
        public void channelActive(ChannelHandlerContext ctx) throws Exception {
            ctx.executor().schedule(() -> {
                if (!decided && ctx.channel().isActive()) plain(ctx);
            }, sniffMillis, java.util.concurrent.TimeUnit.MILLISECONDS);
            super.channelActive(ctx);
        }

        @Override
        protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
            if (decided) return;
            int n = Math.min(in.readableBytes(), ConsoleProtocol.MAGIC.length);
            for (int i = 0; i < n; i++) {
                if (in.getByte(in.readerIndex() + i) != ConsoleProtocol.MAGIC[i]) {
                    plain(ctx);
                    return;
                }
            }
            if (n < ConsoleProtocol.MAGIC.length) return;
            in.skipBytes(n);
            decided = true;
            Session s = new Session(ctx.channel(), false);
            ctx.pipeline().addAfter("sniff", "frames", new LengthFieldBasedFrameDecoder(ConsoleProtocol.MAX_FRAME, 0, 4, 0, 4));
            ctx.pipeline().addAfter("frames", "session", s);
            ctx.pipeline().remove(this);
        }

        private void plain(ChannelHandlerContext ctx) {
            if (decided) return;
            decided = true;
            if (!replica.serving()) {
                String hint = replica.leaderHint();
                ctx.writeAndFlush(ctx.alloc().buffer().writeBytes(("[tandem] this replica is not the leader"
                        + (hint.isEmpty() ? "" : "; the leader's console is at " + hint) + "\r\n").getBytes(StandardCharsets.US_ASCII)))
                        .addListener(f -> ctx.close());
                return;
            }
            Session s = new Session(ctx.channel(), true);
            ctx.pipeline().addAfter("sniff", "session", s);
            ctx.pipeline().remove(this); // passes on the bytes it held
        }
    }

    /** One connected client. */
    private final class Session extends ChannelInboundHandlerAdapter {
        final Channel channel;
        final boolean plain;
        long clientId;
        long offset;
        boolean welcomed;
        final byte[] buf = new byte[16384];

        Session(Channel channel, boolean plain) {
            this.channel = channel;
            this.plain = plain;
            if (plain) {
                offset = output.released();
                welcomed = true;
                sessions.add(this);
            }
        }

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            if (plain) ctx.executor().execute(this::pump);
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf b = (ByteBuf) msg;
            try {
                if (plain) {
                    byte[] d = new byte[b.readableBytes()];
                    b.readBytes(d);
                    if (replica.serving()) input.offerRaw(d, 0, d.length);
                    return;
                }
                int len = b.readableBytes();
                if (len < 5) throw new IllegalArgumentException("console frame too short");
                int type = b.readUnsignedByte();
                CRC32C c = new CRC32C();
                c.update(type);
                c.update(b.nioBuffer(b.readerIndex(), len - 5));
                if ((int) c.getValue() != b.getInt(b.readerIndex() + len - 5)) {
                    throw new IllegalArgumentException("console frame (type " + type + ") fails its CRC32C check");
                }
                ByteBuf p = b.readSlice(len - 5);
                switch (type) {
                    case ConsoleProtocol.HELLO -> hello(p.readLong(), p.readLong(), p.readLong());
                    case ConsoleProtocol.INPUT -> {
                        if (!welcomed) throw new IllegalArgumentException("INPUT before HELLO");
                        long first = p.readLong();
                        int n = p.readInt();
                        if (n < 0 || n > p.readableBytes()) throw new IllegalArgumentException("bad INPUT length");
                        byte[] d = new byte[n];
                        p.readBytes(d);
                        if (!replica.serving()) {
                            notLeader();
                            return;
                        }
                        input.offer(clientId, first, d);
                    }
                    default -> throw new IllegalArgumentException("unknown console frame type " + type);
                }
            } catch (RuntimeException e) {
                error(e.getMessage() == null ? e.toString() : e.getMessage());
            } finally {
                b.release();
            }
        }

        private void hello(long id, long have, long maxEpoch) {
            clientId = id;
            if (id == 0) throw new IllegalArgumentException("client id 0 is reserved");
            if (maxEpoch > replica.epoch()) {
                replica.higherEpochSeen(maxEpoch, "console client " + Long.toHexString(id));
            }
            if (!replica.serving()) {
                notLeader();
                return;
            }
            if (have > output.released()) {
                // the client has bytes we have not released: it heard them from a later leader
                error("you have " + have + " bytes of output, this leader released only " + output.released());
                return;
            }
            if (have < output.historyStart()) {
                error("output history lost: you have " + have + " bytes, this replica keeps bytes from " + output.historyStart());
                return;
            }
            offset = have;
            welcomed = true;
            sessions.add(this);
            send(ConsoleProtocol.WELCOME, w -> w.writeLong(replica.epoch()).writeLong(input.accepted(clientId))
                    .writeLong(output.historyStart()).writeLong(output.released()));
            sendPeers();
            pump();
        }

        private void notLeader() {
            String hint = replica.leaderHint();
            send(ConsoleProtocol.NOT_LEADER, w -> {
                w.writeLong(replica.epoch());
                byte[] h = hint.getBytes(StandardCharsets.UTF_8);
                w.writeShort(h.length).writeBytes(h);
            });
            channel.close();
        }

        private void error(String text) {
            LOG.warn("console client {}: {}", channel.remoteAddress(), text);
            byte[] t = text.getBytes(StandardCharsets.UTF_8);
            if (!plain) send(ConsoleProtocol.ERROR, w -> w.writeShort(t.length).writeBytes(t));
            channel.close();
        }

        void heartbeat() {
            if (plain || !welcomed || !channel.isActive() || !replica.serving()) return;
            send(ConsoleProtocol.HEARTBEAT, w -> w.writeLong(replica.epoch()));
        }

        void sendPeers() {
            if (plain || !welcomed || !channel.isActive()) return;
            java.util.List<String> peers = replica.peers();
            send(ConsoleProtocol.PEERS, w -> {
                w.writeShort(peers.size());
                for (String p : peers) {
                    byte[] b = p.getBytes(StandardCharsets.UTF_8);
                    w.writeShort(b.length).writeBytes(b);
                }
            });
        }

        void sendAck(long seq) {
            if (!plain && welcomed && replica.serving()) send(ConsoleProtocol.INPUT_ACK, w -> w.writeLong(replica.epoch()).writeLong(seq));
        }

        /** Sends released output from {@link #offset} on (event loop). */
        void pump() {
            if (!welcomed || !channel.isActive() || !replica.serving()) return;
            for (;;) {
                int n = output.read(offset, buf);
                if (n == 0) break;
                if (n < 0) {
                    error("output history lost at offset " + offset + " (this replica keeps bytes from " + output.historyStart() + ")");
                    return;
                }
                if (plain) {
                    channel.write(channel.alloc().buffer(n).writeBytes(buf, 0, n));
                } else {
                    long off = offset;
                    int len = n;
                    send0(ConsoleProtocol.OUTPUT, w -> w.writeLong(replica.epoch()).writeLong(off).writeInt(len).writeBytes(buf, 0, len), false);
                }
                offset += n;
            }
            channel.flush();
        }

        private void send(int type, java.util.function.Consumer<ByteBuf> body) {
            send0(type, body, true);
        }

        private void send0(int type, java.util.function.Consumer<ByteBuf> body, boolean flush) {
            ByteBuf out = channel.alloc().buffer();
            out.writeInt(0).writeByte(type);
            body.accept(out);
            CRC32C c = new CRC32C();
            c.update(out.nioBuffer(4, out.writerIndex() - 4));
            out.writeInt((int) c.getValue());
            out.setInt(0, out.writerIndex() - 4);
            if (flush) channel.writeAndFlush(out);
            else channel.write(out);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            sessions.remove(this);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            LOG.debug("console client {}: {}", ctx.channel().remoteAddress(), cause.toString());
            ctx.close();
        }
    }
}
