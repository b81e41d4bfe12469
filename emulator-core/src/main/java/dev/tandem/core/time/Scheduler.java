package dev.tandem.core.time;

import java.util.ArrayList;
import java.util.List;

/**
 * Device timers in guest time. Deterministic: timers due at the same instant fire in creation
 * order. Deadlines are device state; the callbacks are wiring and are not serialized.
 */
public final class Scheduler {
    public static final long NEVER = Long.MAX_VALUE;

    /** One re-armable timer owned by a device. */
    public final class Timer {
        private final int id;
        private final String name;
        private final Runnable action;
        private long deadline = NEVER;

        private Timer(int id, String name, Runnable action) {
            this.id = id;
            this.name = name;
            this.action = action;
        }

        /** Arms the timer to fire when guest time reaches {@code deadlineNs}. */
        public void set(long deadlineNs) {
            deadline = deadlineNs;
            if (deadlineNs < cachedNext) cachedNext = deadlineNs;
            else if (cachedNext == deadlineNs) { /* unchanged */ } else dirty = true;
        }

        public void cancel() {
            deadline = NEVER;
            dirty = true;
        }

        public long deadline() {
            return deadline;
        }

        public boolean armed() {
            return deadline != NEVER;
        }

        public String name() {
            return name;
        }

        public int id() {
            return id;
        }
    }

    private final List<Timer> timers = new ArrayList<>();
    private Timer[] array = new Timer[0];
    private long cachedNext = NEVER;
    private boolean dirty;

    public Timer create(String name, Runnable action) {
        Timer t = new Timer(timers.size(), name, action);
        timers.add(t);
        array = timers.toArray(new Timer[0]);
        return t;
    }

    /** Earliest armed deadline, or {@link #NEVER}. */
    public long nextDeadline() {
        if (dirty) {
            long m = NEVER;
            for (Timer t : array) if (t.deadline < m) m = t.deadline;
            cachedNext = m;
            dirty = false;
        }
        return cachedNext;
    }

    /** Fires every timer whose deadline is at or before {@code nowNs}, earliest first. */
    public void runDue(long nowNs) {
        while (nextDeadline() <= nowNs) {
            Timer best = null;
            for (Timer t : array) {
                if (t.deadline <= nowNs && (best == null || t.deadline < best.deadline)) best = t;
            }
            if (best == null) break;
            best.deadline = NEVER;
            dirty = true;
            best.action.run();
        }
    }

    public List<Timer> timers() {
        return List.copyOf(timers);
    }
}
