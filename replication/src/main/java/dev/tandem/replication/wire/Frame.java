package dev.tandem.replication.wire;

/**
 * One frame: a message with the sender's epoch. {@code seq} numbers the frames of one direction
 * of one connection from 0 (set by the encoder; checked by the decoder).
 */
public record Frame(long epoch, long seq, Message message) {
    public static Frame of(long epoch, Message m) {
        return new Frame(epoch, -1, m);
    }
}
