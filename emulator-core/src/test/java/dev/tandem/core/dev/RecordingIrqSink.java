package dev.tandem.core.dev;

import dev.tandem.core.io.IrqSink;

/** Records every level change per IRQ line together with the guest time it happened. */
final class RecordingIrqSink implements IrqSink {
    private final FakeClock clock;
    final boolean[] level = new boolean[16];
    final int[] rises = new int[16];
    final long[] firstRiseNs = new long[16];
    final long[] lastRiseNs = new long[16];

    RecordingIrqSink(FakeClock clock) {
        this.clock = clock;
        java.util.Arrays.fill(firstRiseNs, -1);
        java.util.Arrays.fill(lastRiseNs, -1);
    }

    @Override
    public void setIrq(int irq, boolean l) {
        if (l && !level[irq]) {
            rises[irq]++;
            if (firstRiseNs[irq] < 0) firstRiseNs[irq] = clock.now;
            lastRiseNs[irq] = clock.now;
        }
        level[irq] = l;
    }
}
