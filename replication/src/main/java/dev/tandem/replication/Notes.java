package dev.tandem.replication;

import dev.tandem.core.replay.LogReader;
import dev.tandem.core.replay.LogRecord;
import dev.tandem.core.replay.LogWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * The NOTE records replication writes into the stream (payload: ticks, u8 kind, then by kind):
 * <ul>
 * <li>{@link #CONSOLE_SEQ}: u64 client id, i64 highest input byte number the guest consumed —
 *     a new leader knows which console input was applied;</li>
 * <li>{@link #EPOCH}: u64 epoch, i64 first lsn of the epoch, u16 + UTF-8 node id — where a
 *     leader's records start.</li>
 * </ul>
 */
public final class Notes {
    private Notes() {
    }

    public static final int CONSOLE_SEQ = 1;
    public static final int EPOCH = 2;

    private static final byte[] BUF = new byte[0];

    static void writeConsoleSeq(LogWriter w, long icount, long ticks, long client, long seq) throws IOException {
        byte[] p = new byte[8 + 1 + 8 + 8];
        putLong(p, 0, ticks);
        p[8] = CONSOLE_SEQ;
        putLong(p, 9, client);
        putLong(p, 17, seq);
        w.writeRecord(LogWriter.NOTE, icount, p, p.length);
    }

    static void writeEpoch(LogWriter w, long icount, long ticks, long epoch, long lsn, String node) throws IOException {
        byte[] n = node.getBytes(StandardCharsets.UTF_8);
        byte[] p = new byte[8 + 1 + 8 + 8 + 2 + n.length];
        putLong(p, 0, ticks);
        p[8] = EPOCH;
        putLong(p, 9, epoch);
        putLong(p, 17, lsn);
        p[25] = (byte) (n.length >>> 8);
        p[26] = (byte) n.length;
        System.arraycopy(n, 0, p, 27, n.length);
        w.writeRecord(LogWriter.NOTE, icount, p, p.length);
    }

    static void writeMark(LogWriter w, long icount, long ticks) throws IOException {
        byte[] p = new byte[8];
        putLong(p, 0, ticks);
        w.writeRecord(LogWriter.MARK, icount, p, 8);
    }

    static int kind(LogRecord r) {
        return r.payload().length > 8 ? r.payload()[8] & 0xFF : -1;
    }

    static long long1(LogRecord r) {
        return LogReader.getLong(r.payload(), 9);
    }

    static long long2(LogRecord r) {
        return LogReader.getLong(r.payload(), 17);
    }

    private static void putLong(byte[] b, int o, long v) {
        for (int i = 7; i >= 0; i--) {
            b[o + i] = (byte) v;
            v >>>= 8;
        }
    }

    static byte[] empty() {
        return BUF;
    }
}
