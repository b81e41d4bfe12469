package dev.tandem.core.replay;

import dev.tandem.core.machine.MachineConfig;
import dev.tandem.core.machine.TimingMode;
import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.HashMap;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * Reads an input log written by {@link LogWriter}, checking every frame. Any damage is reported
 * as a {@link LogFormatException} naming the record index and byte offset where reading failed.
 */
public final class LogReader implements RecordSource, AutoCloseable {
    private final InputStream in;
    private final CRC32C crc = new CRC32C();
    private long offset;
    private long index;
    private LogHeader header;

    public LogReader(InputStream in) {
        this.in = new BufferedInputStream(in, 1 << 16);
    }

    /**
     * A reader of bare records (no header: a stream of frames such as replication ships), for a
     * log described by {@code header}; record indices start at {@code firstIndex}.
     */
    public static LogReader records(InputStream in, LogHeader header, long firstIndex) {
        LogReader r = new LogReader(in);
        r.header = header;
        r.index = firstIndex;
        return r;
    }

    /** Reads exactly {@code n} bytes, or returns the number actually read (short at end of stream). */
    private int readUpTo(byte[] b, int off, int n) throws IOException {
        int got = 0;
        while (got < n) {
            int r = in.read(b, off + got, n - got);
            if (r < 0) break;
            got += r;
        }
        return got;
    }

    public LogHeader readHeader() throws IOException {
        byte[] magic = new byte[LogWriter.MAGIC.length + 4];
        int got = readUpTo(magic, 0, magic.length);
        if (got < LogWriter.MAGIC.length || !java.util.Arrays.equals(magic, 0, LogWriter.MAGIC.length, LogWriter.MAGIC, 0,
                LogWriter.MAGIC.length)) {
            throw new LogFormatException("not a Tandem input log (bad magic at byte offset 0)");
        }
        if (got < magic.length) throw new LogFormatException("log truncated in the header (byte offset " + got + ")");
        int len = getInt(magic, LogWriter.MAGIC.length);
        if (len < 4 || len > 1 << 20) throw new LogFormatException("corrupted header: length " + len + " at byte offset 8");
        byte[] body = new byte[len + 4];
        got = readUpTo(body, 0, body.length);
        if (got < body.length) throw new LogFormatException("log truncated in the header (byte offset " + (12 + got) + ")");
        crc.reset();
        crc.update(body, 0, len);
        if ((int) crc.getValue() != getInt(body, len)) {
            throw new LogFormatException("corrupted header: CRC32C mismatch (bytes 12.." + (12 + len) + ")");
        }
        int version = getInt(body, 0);
        if (version != LogWriter.VERSION) {
            throw new LogFormatException("unsupported log version " + version + " (this build reads " + LogWriter.VERSION + ")");
        }
        DataInputStream d = new DataInputStream(new ByteArrayInputStream(body, 4, len - 4));
        int timing = d.readUnsignedByte();
        if (timing >= TimingMode.values().length) throw new LogFormatException("corrupted header: timing mode " + timing);
        int ram = d.readInt();
        long ips = d.readLong();
        int post = d.readInt();
        int debug = d.readInt();
        long rtc = d.readLong();
        long interval = d.readLong();
        int n = d.readUnsignedShort();
        Map<String, String> guest = new HashMap<>();
        for (int i = 0; i < n; i++) guest.put(d.readUTF(), d.readUTF());
        MachineConfig cfg;
        try {
            cfg = new MachineConfig(ram, ips, post, debug);
        } catch (IllegalArgumentException e) {
            throw new LogFormatException("corrupted header: " + e.getMessage());
        }
        offset = 12L + len + 4;
        header = new LogHeader(cfg, TimingMode.values()[timing], rtc, interval, guest);
        return header;
    }

    /** The next record, or null at a clean end of the stream (exactly between records). */
    @Override
    public LogRecord next() throws IOException {
        if (header == null) throw new IllegalStateException("readHeader() first");
        long at = offset;
        byte[] head = new byte[13];
        int got = readUpTo(head, 0, 13);
        if (got == 0) return null;
        String where = "record #" + index + " at byte offset " + at;
        if (got < 13) throw new LogFormatException("log truncated: " + where + " is cut short (" + got + " of 13 header bytes)");
        int bodyLen = getInt(head, 0);
        if (bodyLen < 9 || bodyLen > LogWriter.MAX_PAYLOAD + 9) {
            throw new LogFormatException("log corrupted: " + where + " has an impossible length " + bodyLen);
        }
        int type = head[4] & 0xFF;
        long icount = getLong(head, 5);
        byte[] rest = new byte[bodyLen - 9 + 4];
        got = readUpTo(rest, 0, rest.length);
        if (got < rest.length) {
            throw new LogFormatException("log truncated: " + where + " is cut short (" + (13 + got) + " of "
                    + (13 + rest.length) + " bytes)");
        }
        crc.reset();
        crc.update(head, 0, 13);
        crc.update(rest, 0, bodyLen - 9);
        if ((int) crc.getValue() != getInt(rest, bodyLen - 9)) {
            throw new LogFormatException("log corrupted: " + where + " fails its CRC32C check");
        }
        if (!LogWriter.knownType(type)) {
            throw new LogFormatException("log corrupted: " + where + " has unknown type " + type);
        }
        offset += 13 + rest.length;
        byte[] payload = java.util.Arrays.copyOf(rest, bodyLen - 9);
        return new LogRecord(index++, at, type, icount, payload);
    }

    /** Byte offset of the next record. */
    @Override
    public long offset() {
        return offset;
    }

    /** Index the next record will have. */
    @Override
    public long nextIndex() {
        return index;
    }

    public static int getInt(byte[] b, int o) {
        return (b[o] & 0xFF) << 24 | (b[o + 1] & 0xFF) << 16 | (b[o + 2] & 0xFF) << 8 | (b[o + 3] & 0xFF);
    }

    public static long getLong(byte[] b, int o) {
        return ((long) getInt(b, o) << 32) | (getInt(b, o + 4) & 0xFFFFFFFFL);
    }

    @Override
    public void close() throws IOException {
        in.close();
    }
}
