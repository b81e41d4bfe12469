package dev.tandem.cli.net;

import dev.tandem.core.dev.virtio.VirtioNet;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Ethernet frames over one TCP connection, each preceded by its length as a big-endian u32: the
 * framing of QEMU's {@code -netdev socket}, so two Tandem processes (or Tandem and QEMU) share a
 * virtual wire without root. {@code listen=HOST:PORT} accepts one peer at a time (port 0: an
 * ephemeral port, printed on stderr); {@code connect=HOST:PORT} connects, retrying for up to ten
 * seconds while nothing listens yet. Frames sent while no peer is connected are dropped, like
 * frames on an unplugged cable.
 *
 * <p>Bad input from the peer: a frame shorter than an Ethernet header or longer than 65,535 bytes
 * is skipped with a log line and the stream goes on; a length above 16 MiB means the peer does not
 * speak this framing, and the connection is closed; a connection that ends in the middle of a
 * frame drops that frame with a log line.
 */
final class SocketBackend extends NetBackend {
    /** Lengths above this are taken as a peer that does not speak the framing at all. */
    static final long GARBAGE_LENGTH = 16 << 20;
    static final long CONNECT_RETRY_MS = 10_000;

    private final EventLoopGroup group = new NioEventLoopGroup(1);
    private final String what;
    private volatile Channel peer;
    private Channel server;
    private volatile boolean closing;

    private SocketBackend(String name, String what) {
        super(name);
        this.what = what;
    }

    static SocketBackend open(NetConfig.Netdev nd) throws IOException {
        String listen = nd.options().get("listen");
        String spec = listen != null ? listen : nd.options().get("connect");
        InetSocketAddress a = NetConfig.hostPort(spec, "--netdev " + nd.id());
        SocketBackend b = new SocketBackend(nd.id(), nd.describe());
        try {
            if (listen != null) b.listen(a);
            else b.connect(a);
        } catch (IOException | RuntimeException e) {
            b.close();
            throw e;
        }
        return b;
    }

    private void init(SocketChannel ch) {
        ch.config().setTcpNoDelay(true);
        ch.pipeline().addLast(new FrameDecoder());
    }

    private void listen(InetSocketAddress a) throws IOException {
        ServerBootstrap sb = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        if (peer != null && peer.isActive()) {
                            warn("refused a second peer from " + ch.remoteAddress() + " (one is connected)");
                            ch.close();
                            return;
                        }
                        init(ch);
                        peer = ch;
                        System.err.println("[tandem] netdev " + name + ": peer connected from " + ch.remoteAddress());
                    }
                });
        ChannelFuture f = sb.bind(a.getHostString(), a.getPort()).awaitUninterruptibly();
        if (!f.isSuccess()) throw new IOException("netdev " + name + ": cannot listen on " + a.getHostString() + ":" + a.getPort()
                + ": " + f.cause().getMessage(), f.cause());
        server = f.channel();
        InetSocketAddress bound = (InetSocketAddress) server.localAddress();
        // tests and scripts read this line to learn an ephemeral port
        System.err.println("[tandem] netdev " + name + ": listening on " + bound.getAddress().getHostAddress() + ":" + bound.getPort());
    }

    private void connect(InetSocketAddress a) throws IOException {
        Bootstrap b = new Bootstrap().group(group).channel(NioSocketChannel.class)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 2000)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        init(ch);
                    }
                });
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(CONNECT_RETRY_MS);
        for (;;) {
            ChannelFuture f = b.connect(a.getHostString(), a.getPort()).awaitUninterruptibly();
            if (f.isSuccess()) {
                peer = f.channel();
                System.err.println("[tandem] netdev " + name + ": connected to " + a.getHostString() + ":" + a.getPort());
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new IOException("netdev " + name + ": cannot connect to " + a.getHostString() + ":" + a.getPort() + ": "
                        + f.cause().getMessage(), f.cause());
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while connecting", e);
            }
        }
    }

    @Override
    protected void send(byte[] frame, int off, int len) {
        Channel ch = peer;
        if (ch == null || !ch.isActive()) return; // nobody on the wire
        if (!ch.isWritable()) {
            dropped("the peer is not reading (socket buffer full); dropped a transmitted frame");
            return;
        }
        ByteBuf b = ch.alloc().buffer(4 + len);
        b.writeInt(len);
        b.writeBytes(frame, off, len);
        ch.writeAndFlush(b, ch.voidPromise());
    }

    @Override
    public String describe() {
        return what;
    }

    @Override
    public void close() {
        closing = true;
        if (peer != null) peer.close();
        if (server != null) server.close();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(2, TimeUnit.SECONDS);
    }

    /** Length-prefixed frames in, each handed to {@link #deliver}. */
    private final class FrameDecoder extends ByteToMessageDecoder {
        private long skip;

        @Override
        protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
            for (;;) {
                if (skip > 0) {
                    int n = (int) Math.min(skip, in.readableBytes());
                    in.skipBytes(n);
                    skip -= n;
                    if (skip > 0) return;
                }
                if (in.readableBytes() < 4) return;
                long len = in.getUnsignedInt(in.readerIndex());
                if (len > GARBAGE_LENGTH) {
                    warn("the peer sent a frame length of " + len + " bytes: not the length-prefixed frame protocol; "
                            + "closing the connection");
                    in.skipBytes(in.readableBytes());
                    ctx.close();
                    return;
                }
                if (len < VirtioNet.MIN_FRAME || len > VirtioNet.MAX_FRAME) {
                    in.skipBytes(4);
                    skip = len;
                    dropped("the peer sent a frame of " + len + " bytes (valid: " + VirtioNet.MIN_FRAME + ".."
                            + VirtioNet.MAX_FRAME + "); skipped");
                    continue;
                }
                if (in.readableBytes() < 4 + len) return;
                in.skipBytes(4);
                byte[] f = new byte[(int) len];
                in.readBytes(f);
                deliver(f);
            }
        }

        @Override
        protected void decodeLast(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws Exception {
            decode(ctx, in, out);
            if (in.readableBytes() > 0) {
                long want = in.readableBytes() >= 4 ? in.getUnsignedInt(in.readerIndex()) : -1;
                dropped("the connection closed in the middle of a frame (" + Math.max(0, in.readableBytes() - 4) + " of "
                        + (want < 0 ? "?" : want) + " bytes); dropped");
                in.skipBytes(in.readableBytes());
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) throws Exception {
            super.channelInactive(ctx);
            if (!closing) System.err.println("[tandem] netdev " + name + ": peer " + ctx.channel().remoteAddress() + " disconnected");
            if (peer == ctx.channel()) peer = null;
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            warn("connection error: " + cause.getMessage());
            ctx.close();
        }
    }
}
