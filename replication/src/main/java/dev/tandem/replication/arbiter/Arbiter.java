package dev.tandem.replication.arbiter;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Who leads one guest stream: a test-and-set over epochs with leases, shared by every replica of
 * the stream (leader, followers, a migration destination).
 *
 * <p>Safety contract (docs/arbiter.md): epochs only grow; at any moment at
 * most one {@link Lease} is valid, where "valid" is what {@link Lease#isValid()} answers in the
 * holder's process; a holder that cannot renew within its lease stops being valid on its own,
 * without hearing from anyone. A replica fenced out of the live set by the leader
 * ({@link Lease#fence}) can never acquire a later epoch unless it has applied the log at least up
 * to the count recorded with the fence.
 *
 * <p>Implementations: a directory of files created atomically (one host or a shared filesystem,
 * {@link FileArbiter}) and ZooKeeper through Apache Curator (replicas on several machines,
 * {@link ZooKeeperArbiter}); {@link Arbiters#open} picks one from a spec string. The safety
 * argument for each is in docs/arbiter.md.
 *
 * <p>Use: each replica process opens its own instance. A follower that lost its leader calls
 * {@link #tryAcquire}; the leader calls {@link Lease#renew()} every {@link #renewInterval()} (from
 * any one thread), checks {@link Lease#isValid()} before releasing output, and stops for good
 * once either answers false.
 */
public interface Arbiter extends AutoCloseable {

    /** The current leadership record, if any epoch was ever granted. */
    Optional<LeaderRecord> current() throws ArbiterException;

    /**
     * Test-and-set: grants epoch {@code current + 1} to {@code candidate} if and only if no other
     * lease is live (the holder's lease has expired or was released) and the candidate is not
     * fenced beyond {@code candidate.appliedCount()} (a fence at count c admits a candidate with
     * {@code appliedCount >= c}). Exactly one of several concurrent callers can win a given epoch.
     * Returns empty when refused (the reason is in {@link #history()}).
     *
     * <p>May block for up to about two lease times: a lease is judged expired only from this
     * process's own observation (the file arbiter watches the holder's lease record stay unchanged
     * for a full lease time), and a returned lease is already valid, so the caller may release
     * output at once. A live holder is usually detected within one renewal interval.
     */
    Optional<Lease> tryAcquire(Candidate candidate) throws ArbiterException;

    /** How often a holder should call {@link Lease#renew()}: a fraction of the lease time. */
    default Duration renewInterval() {
        return Duration.ofMillis(100);
    }

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

    /**
     * One entry of the arbiter's history: {@code kind} is one of the constants below, {@code epoch}
     * the epoch it concerns, {@code nodeId} the holder (grant, expiry, release, lost), the fenced
     * replica (fence) or the refused candidate (refused); {@code atMillis} is the wall clock of
     * the process that wrote it (informational only, never used for decisions).
     */
    record ArbiterEvent(long atMillis, String kind, long epoch, String nodeId, String detail) {
        /** {@code epoch} was granted to {@code nodeId}; detail has its address and applied count. */
        public static final String GRANT = "grant";
        /** The lease of {@code epoch} held by {@code nodeId} expired (recorded by the next grant). */
        public static final String EXPIRY = "expiry";
        /** The holder gave {@code epoch} up ({@link Lease#close()}). */
        public static final String RELEASE = "release";
        /** The holder of {@code epoch} found its lease lost (deposed, not renewed in time, arbiter unreachable). */
        public static final String LOST = "lost";
        /** The holder of {@code epoch} fenced {@code nodeId}; detail is {@code count=N}. */
        public static final String FENCE = "fence";
        /** {@code nodeId} was refused (epoch: the current one then); detail says why. */
        public static final String REFUSED = "refused";
    }

    /** Leadership of one epoch, held by this process. */
    interface Lease extends AutoCloseable {
        long epoch();

        /**
         * Extends the lease; false when it can no longer be extended (a higher epoch exists, the
         * arbiter is unreachable past the lease, the previous renewal is older than the lease, or
         * the lease was released). Once false, it is false for good. A transient arbiter error
         * (one failed write) does not extend the lease but is not final either: the call answers
         * {@link #isValid()}, and the lease is lost once its deadline passes unrenewed.
         */
        boolean renew();

        /**
         * True while this process may act as leader (release output): the last successful renewal
         * is younger than the lease time minus a safety margin and nothing deposed it. Cheap enough
         * to call before every release of output (no I/O, no lock). Once false, false for good.
         */
        boolean isValid();

        /**
         * Records that {@code nodeId} left the live set at this epoch after acknowledging the log up
         * to {@code ackedCount}: it may lead later only after applying the log at least up to that
         * count. Returns true only once the fence is durable and no later epoch can be granted
         * without seeing it; returns false (and the lease becomes invalid) if the lease is no
         * longer valid or the fence could not be written. Fences for one replica accumulate: the
         * highest count applies.
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
