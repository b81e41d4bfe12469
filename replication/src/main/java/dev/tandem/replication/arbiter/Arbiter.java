package dev.tandem.replication.arbiter;

import java.util.List;
import java.util.Optional;

/**
 * Who leads one guest stream: a test-and-set over epochs with leases, shared by every replica of
 * the stream (leader, followers, a migration destination).
 *
 * <p>Safety contract (docs/replication-protocol.md, "Arbiter"): epochs only grow; at any moment at
 * most one {@link Lease} is valid, where "valid" is what {@link Lease#isValid()} answers in the
 * holder's process; a holder that cannot renew within its lease stops being valid on its own,
 * without hearing from anyone. A replica fenced out of the live set by the leader
 * ({@link Lease#fence}) can never acquire a later epoch unless it has applied the log at least up
 * to the count recorded with the fence.
 *
 * <p>Implementations: a directory of files created atomically (one host or a shared filesystem)
 * and ZooKeeper through Apache Curator (replicas on several machines).
 */
public interface Arbiter extends AutoCloseable {

    /** The current leadership record, if any epoch was ever granted. */
    Optional<LeaderRecord> current() throws ArbiterException;

    /**
     * Test-and-set: grants epoch {@code current + 1} to {@code candidate} if and only if no other
     * lease is live (the holder's lease has expired or was released) and the candidate is not
     * fenced beyond {@code candidate.appliedCount()}. Exactly one of several concurrent callers
     * can win a given epoch. Returns empty when refused (the reason is in {@link #history()}).
     */
    Optional<Lease> tryAcquire(Candidate candidate) throws ArbiterException;

    /** Every grant, renewal failure, expiry, release and fence, oldest first (for transcripts). */
    List<ArbiterEvent> history() throws ArbiterException;

    @Override
    void close() throws ArbiterException;

    /** A replica asking to lead: its id, where clients and followers reach it, how far it has applied the log. */
    record Candidate(String nodeId, String address, long appliedCount) {
    }

    /** A granted epoch: who holds it, where it listens, and when it was granted (holder's wall clock, ms). */
    record LeaderRecord(long epoch, String nodeId, String address, long grantedAtMillis) {
    }

    /** One entry of the arbiter's history. */
    record ArbiterEvent(long atMillis, String kind, long epoch, String nodeId, String detail) {
    }

    /** Leadership of one epoch, held by this process. */
    interface Lease extends AutoCloseable {
        long epoch();

        /**
         * Extends the lease; false when it can no longer be extended (a higher epoch exists, the
         * arbiter is unreachable past the lease, or the lease was fenced/released). Once false, it
         * is false for good.
         */
        boolean renew();

        /**
         * True while this process may act as leader (release output): the last successful renewal
         * is younger than the lease time minus a safety margin and nothing deposed it. Cheap enough
         * to call before every release of output.
         */
        boolean isValid();

        /**
         * Records that {@code nodeId} left the live set at this epoch after acknowledging the log up
         * to {@code ackedCount}: it may lead later only after applying the log past that count.
         * Returns false (and the lease becomes invalid) if the lease is no longer valid.
         */
        boolean fence(String nodeId, long ackedCount);

        /** Gives up leadership (clean shutdown or hand-over); the next candidate need not wait for expiry. */
        @Override
        void close();
    }

    /** The arbiter itself failed (unreachable, corrupt state); never thrown for a plain refusal. */
    final class ArbiterException extends Exception {
        public ArbiterException(String message, Throwable cause) {
            super(message, cause);
        }

        public ArbiterException(String message) {
            super(message);
        }
    }
}
