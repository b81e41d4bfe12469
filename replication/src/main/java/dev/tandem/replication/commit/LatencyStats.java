package dev.tandem.replication.commit;

import java.util.Arrays;

/** The last N latency samples (ns) and their percentiles. */
public final class LatencyStats {
    private final long[] samples;
    private long count;

    public LatencyStats(int capacity) {
        samples = new long[capacity];
    }

    public synchronized void add(long nanos) {
        samples[(int) (count % samples.length)] = nanos;
        count++;
    }

    public synchronized long count() {
        return count;
    }

    /** Percentile {@code p} (0..100) of the retained samples in ns, or -1 without samples. */
    public synchronized long percentile(double p) {
        int n = (int) Math.min(count, samples.length);
        if (n == 0) return -1;
        long[] s = Arrays.copyOf(samples, n);
        Arrays.sort(s);
        int i = (int) Math.ceil(p / 100.0 * n) - 1;
        return s[Math.max(0, Math.min(n - 1, i))];
    }
}
