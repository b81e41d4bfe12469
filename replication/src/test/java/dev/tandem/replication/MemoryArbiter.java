package dev.tandem.replication;

import dev.tandem.replication.arbiter.Arbiter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** An in-process arbiter for unit tests: test-and-set over epochs with leases and fences, in one JVM. */
final class MemoryArbiter implements Arbiter {
    /** Shared state of one stream. */
    static final class Board {
        long epoch;
        String holder;
        String address;
        long grantedAt;
        long expiresNanos;
        boolean released;
        final Map<String, Long> fences = new HashMap<>();
        final List<ArbiterEvent> history = new ArrayList<>();
        final long leaseNanos;

        Board(long leaseMillis) {
            this.leaseNanos = leaseMillis * 1_000_000L;
        }
    }

    private final Board b;

    MemoryArbiter(Board b) {
        this.b = b;
    }

    @Override
    public Optional<LeaderRecord> current() {
        synchronized (b) {
            return b.epoch == 0 ? Optional.empty() : Optional.of(new LeaderRecord(b.epoch, b.holder, b.address, b.grantedAt));
        }
    }

    @Override
    public Optional<Lease> tryAcquire(Candidate c) {
        synchronized (b) {
            long now = System.nanoTime();
            if (b.epoch != 0 && !b.released && now < b.expiresNanos) {
                b.history.add(new ArbiterEvent(System.currentTimeMillis(), "refused", b.epoch, c.nodeId(), "lease live"));
                return Optional.empty();
            }
            Long f = b.fences.get(c.nodeId());
            if (f != null && c.appliedCount() < f) {
                b.history.add(new ArbiterEvent(System.currentTimeMillis(), "refused", b.epoch, c.nodeId(), "fenced at " + f));
                return Optional.empty();
            }
            b.epoch++;
            b.holder = c.nodeId();
            b.address = c.address();
            b.grantedAt = System.currentTimeMillis();
            b.expiresNanos = now + b.leaseNanos;
            b.released = false;
            b.history.add(new ArbiterEvent(b.grantedAt, "grant", b.epoch, c.nodeId(), c.address()));
            long mine = b.epoch;
            return Optional.of(new Lease() {
                long renewed = now;
                boolean dead;

                @Override
                public long epoch() {
                    return mine;
                }

                @Override
                public boolean renew() {
                    synchronized (b) {
                        long t = System.nanoTime();
                        if (dead || b.epoch != mine || b.released || t >= b.expiresNanos) {
                            dead = true;
                            return false;
                        }
                        b.expiresNanos = t + b.leaseNanos;
                        renewed = t;
                        return true;
                    }
                }

                @Override
                public boolean isValid() {
                    synchronized (b) {
                        return !dead && b.epoch == mine && !b.released && System.nanoTime() - renewed < b.leaseNanos * 3 / 4;
                    }
                }

                @Override
                public boolean fence(String nodeId, long ackedCount) {
                    synchronized (b) {
                        if (!isValid()) return false;
                        b.fences.merge(nodeId, ackedCount, Math::max);
                        b.history.add(new ArbiterEvent(System.currentTimeMillis(), "fence", mine, nodeId, "count " + ackedCount));
                        return true;
                    }
                }

                @Override
                public void close() {
                    synchronized (b) {
                        if (!dead && b.epoch == mine) b.released = true;
                        dead = true;
                    }
                }
            });
        }
    }

    @Override
    public List<ArbiterEvent> history() {
        synchronized (b) {
            return List.copyOf(b.history);
        }
    }

    @Override
    public void close() {
    }
}
