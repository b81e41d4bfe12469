package dev.tandem.replication.wire;

/** A frame or message that breaks the protocol (bad CRC, version, type, order, contents); the connection is closed. */
public final class ProtocolException extends RuntimeException {
    public ProtocolException(String message) {
        super(message, null, false, false);
    }
}
