package dev.tandem.replication.console;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32C;

/**
 * The resumable console protocol (docs/replication-protocol.md, "Console"). A client starts with
 * the 8-byte magic {@code TNDMCON1}; without it the connection is a plain byte stream (nc).
 * Then frames both ways: {@code u32 length, u8 type, payload, u32 CRC32C of type and payload}.
 */
public final class ConsoleProtocol {
    private ConsoleProtocol() {
    }

    public static final byte[] MAGIC = "TNDMCON1".getBytes(StandardCharsets.US_ASCII);
    public static final int MAX_FRAME = 1 << 20;

    /** Client: u64 client id, i64 output bytes it has, u64 highest epoch it has seen. */
    public static final int HELLO = 1;
    /** Client: i64 number of the first byte, u32 n, bytes. */
    public static final int INPUT = 2;
    /** Server: u64 epoch, i64 highest input number accepted for this client, i64 history start, i64 released. */
    public static final int WELCOME = 11;
    /** Server: u64 epoch, string hint (the leader's console address if known). */
    public static final int NOT_LEADER = 12;
    /** Server: u64 epoch, i64 offset, u32 n, bytes. */
    public static final int OUTPUT = 13;
    /** Server: u64 epoch, i64 highest input number committed (safe across failover). */
    public static final int INPUT_ACK = 14;
    /** Server: string; the server closes. */
    public static final int ERROR = 15;
    /** Server: u16 n, then n strings: console addresses of the other replicas (to try when this one is gone). */
    public static final int PEERS = 16;
    /** Server: u64 epoch; sent every {@link #HEARTBEAT_MILLIS} so a client notices a server that stopped (SIGSTOP, partition). */
    public static final int HEARTBEAT = 17;
    public static final long HEARTBEAT_MILLIS = 500;

    /** A frame as read by the blocking client. */
    public record Frame(int type, byte[] payload) {
    }

    public static void write(DataOutputStream out, int type, byte[] payload) throws IOException {
        CRC32C c = new CRC32C();
        c.update(type);
        c.update(payload);
        out.writeInt(1 + payload.length + 4);
        out.writeByte(type);
        out.write(payload);
        out.writeInt((int) c.getValue());
        out.flush();
    }

    public static Frame read(DataInputStream in) throws IOException {
        int len = in.readInt();
        if (len < 5 || len > MAX_FRAME) throw new IOException("console frame with impossible length " + len);
        int type = in.readUnsignedByte();
        byte[] p = new byte[len - 5];
        in.readFully(p);
        int crc = in.readInt();
        CRC32C c = new CRC32C();
        c.update(type);
        c.update(p);
        if ((int) c.getValue() != crc) throw new IOException("console frame (type " + type + ") fails its CRC32C check");
        return new Frame(type, p);
    }
}
