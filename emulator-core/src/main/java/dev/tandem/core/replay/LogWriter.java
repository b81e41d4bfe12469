package dev.tandem.core.replay;

import java.io.BufferedOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.CRC32C;

/**
 * Writes an input log (docs/record-replay.md) to any {@link OutputStream}: a file now, a socket
 * later. Frames: {@code u32 length, u8 type, i64 icount, payload, u32 CRC32C}; the CRC covers the
 * length field through the payload. Big-endian throughout.
 */
public final class LogWriter implements AutoCloseable {
    static final byte[] MAGIC = "TNDMRLOG".getBytes(StandardCharsets.US_ASCII);
    /** 2: FRAME records; digests list the network card slots. */
    public static final int VERSION = 2;
    /** Serial bytes and/or a host-time jump applied at one slice boundary. */
    public static final int INPUT = 1;
    /** A state-hash checkpoint. */
    public static final int HASH = 2;
    /** The end of the recording: how the run ended, and the final state hash. */
    public static final int END = 3;
    /** An Ethernet frame handed to a network card at one slice boundary: ticks, NIC index (u8), length (u16), bytes. */
    public static final int FRAME = 4;
    /**
     * A progress mark (live streams, replication): every record with a tag at or before this one
     * has been sent, so a replica may execute up to here. Payload: ticks only. Replay ignores it.
     */
    public static final int MARK = 5;
    /**
     * An annotation for the stream's user (replication: console input sequence numbers, epoch
     * changes): payload ticks, then opaque bytes. Replay passes it to its record listener and
     * otherwise ignores it.
     */
    public static final int NOTE = 6;
    /** Largest accepted payload. */
    static final int MAX_PAYLOAD = 16 << 20;

    /** True for the record types this build reads. */
    static boolean knownType(int type) {
        return switch (type) {
            case INPUT, HASH, END, FRAME, MARK, NOTE -> true;
            default -> false;
        };
    }

    static String typeName(int type) {
        return switch (type) {
            case INPUT -> "INPUT";
            case HASH -> "HASH";
            case END -> "END";
            case FRAME -> "FRAME";
            case MARK -> "MARK";
            case NOTE -> "NOTE";
            default -> "type " + type;
        };
    }

    private final OutputStream out;
    private final CRC32C crc = new CRC32C();
    private byte[] frame = new byte[256];
    private long bytesWritten;
    private long records;

    public LogWriter(OutputStream out) {
        this.out = new BufferedOutputStream(out, 1 << 16);
    }

    public void writeHeader(LogHeader h) throws IOException {
        java.io.ByteArrayOutputStream bo = new java.io.ByteArrayOutputStream();
        DataOutputStream d = new DataOutputStream(bo);
        d.writeInt(VERSION);
        d.writeByte(h.timing().ordinal());
        d.writeInt(h.config().ramBytes());
        d.writeLong(h.config().instructionsPerSecond());
        d.writeInt(h.config().postPort());
        d.writeInt(h.config().debugPort());
        d.writeLong(h.rtcEpochMillis());
        d.writeLong(h.checkpointInterval());
        Map<String, String> g = new TreeMap<>(h.guest());
        d.writeShort(g.size());
        for (Map.Entry<String, String> e : g.entrySet()) {
            d.writeUTF(e.getKey());
            d.writeUTF(e.getValue());
        }
        d.flush();
        byte[] body = bo.toByteArray();
        crc.reset();
        crc.update(body);
        out.write(MAGIC);
        writeInt(body.length);
        out.write(body);
        writeInt((int) crc.getValue());
        bytesWritten += MAGIC.length + 4 + body.length + 4;
    }

    private void writeInt(int v) throws IOException {
        out.write(v >>> 24);
        out.write(v >>> 16);
        out.write(v >>> 8);
        out.write(v);
    }

    /** Appends one record; allocation-free unless the payload outgrows the frame buffer. */
    public void writeRecord(int type, long icount, byte[] payload, int len) throws IOException {
        if (len > MAX_PAYLOAD) throw new IllegalArgumentException("payload too large: " + len);
        int total = 4 + 1 + 8 + len + 4;
        if (frame.length < total) frame = new byte[Math.max(total, frame.length * 2)];
        int bodyLen = 1 + 8 + len;
        putInt(frame, 0, bodyLen);
        frame[4] = (byte) type;
        putLong(frame, 5, icount);
        System.arraycopy(payload, 0, frame, 13, len);
        crc.reset();
        crc.update(frame, 0, 4 + bodyLen);
        putInt(frame, 4 + bodyLen, (int) crc.getValue());
        out.write(frame, 0, total);
        bytesWritten += total;
        records++;
    }

    static void putInt(byte[] b, int o, int v) {
        b[o] = (byte) (v >>> 24);
        b[o + 1] = (byte) (v >>> 16);
        b[o + 2] = (byte) (v >>> 8);
        b[o + 3] = (byte) v;
    }

    static void putLong(byte[] b, int o, long v) {
        putInt(b, o, (int) (v >>> 32));
        putInt(b, o + 4, (int) v);
    }

    public long bytesWritten() {
        return bytesWritten;
    }

    public long records() {
        return records;
    }

    public void flush() throws IOException {
        out.flush();
    }

    @Override
    public void close() throws IOException {
        out.close();
    }
}
