package dev.tandem.cli.net;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A pcap capture (Ethernet link type, nanosecond timestamps, magic {@code a1b23c4d}) whose
 * timestamps are guest time, so a recording and its replay write identical files.
 */
final class PcapWriter implements AutoCloseable {
    private final OutputStream out;
    private final byte[] rec = new byte[16];
    private long frames;

    PcapWriter(Path file) throws IOException {
        out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 16);
        byte[] h = new byte[24];
        le32(h, 0, 0xA1B23C4D); // nanosecond-resolution pcap
        le16(h, 4, 2);
        le16(h, 6, 4);
        le32(h, 16, 65535); // snapshot length
        le32(h, 20, 1); // LINKTYPE_ETHERNET
        out.write(h);
    }

    void frame(long guestNs, byte[] f, int off, int len) {
        le32(rec, 0, (int) (guestNs / 1_000_000_000L));
        le32(rec, 4, (int) (guestNs % 1_000_000_000L));
        le32(rec, 8, len);
        le32(rec, 12, len);
        try {
            out.write(rec);
            out.write(f, off, len);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("writing the capture", e);
        }
        frames++;
    }

    long frames() {
        return frames;
    }

    private static void le16(byte[] b, int o, int v) {
        b[o] = (byte) v;
        b[o + 1] = (byte) (v >>> 8);
    }

    private static void le32(byte[] b, int o, int v) {
        le16(b, o, v);
        le16(b, o + 2, v >>> 16);
    }

    @Override
    public void close() throws IOException {
        out.close();
    }
}
