package dev.tandem.core.dev;

import dev.tandem.core.time.Clock;
import dev.tandem.core.time.Scheduler;

/** Test clock: guest time is whatever the test sets; {@link #advanceTo} also runs due timers. */
final class FakeClock implements Clock {
    long now;
    final Scheduler scheduler = new Scheduler();

    @Override
    public long nowNs() {
        return now;
    }

    /** Moves guest time forward to {@code t}, firing each timer at its own deadline on the way. */
    void advanceTo(long t) {
        if (t < now) throw new IllegalArgumentException("time goes backwards: " + t + " < " + now);
        while (true) {
            long next = scheduler.nextDeadline();
            if (next > t) break;
            now = Math.max(now, next);
            scheduler.runDue(now);
        }
        now = t;
        scheduler.runDue(now);
    }

    void advanceBy(long dt) {
        advanceTo(now + dt);
    }
}
