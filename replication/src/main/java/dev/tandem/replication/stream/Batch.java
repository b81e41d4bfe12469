package dev.tandem.replication.stream;

import dev.tandem.replication.wire.Message;

/**
 * Records of one or more slice boundaries as the leader shipped them: the log's framed records
 * (any types), numbered from {@code firstLsn}, always ending with a MARK at
 * ({@code markIcount}, {@code markTicks}); {@code epoch} is the epoch of the leader that wrote them.
 */
public record Batch(long epoch, long firstLsn, int count, long markIcount, long markTicks, byte[] records) {
    public long lastLsn() {
        return firstLsn + count - 1;
    }

    public long nextLsn() {
        return firstLsn + count;
    }

    public Message.Log toMessage() {
        return new Message.Log(firstLsn, count, epoch, markIcount, markTicks, records);
    }

    public static Batch of(Message.Log l) {
        return new Batch(l.batchEpoch(), l.firstLsn(), l.count(), l.markIcount(), l.markTicks(), l.records());
    }
}
